"""The JSON documents inside model files and checkpoints, declared once.

A model file's metadata is a ``ModelDocument``; a checkpoint adds a ``CheckpointDocument``. Both are
pydantic models with strict types, checked before values: a string is never read as a number, nor a
number as true or false, and an unknown field is an error (but in the training settings, a record its
caller may extend). Every name a file may hold (activations,
losses, tasks, bias modes, dtypes, optimizers, schedules) comes from the core's registries. ``check``
returns the typed document or raises ``SchemaError``, whose message names the field and quotes the bad
value, bounded in length:

>>> check(Standardization, {"features": True, "target": [1, 2]})
Traceback (most recent call last):
...
glassnet.io.schema.SchemaError: field 'target': expected true or false; received a list [1, 2]

The schema covers the JSON alone. What relates a document to the tensors beside it (shapes, dtypes, the
optimizer's state arrays, the example order) is checked by the loaders once the document has passed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from glassnet.core.errors import GlassnetError
from glassnet.core.model import label_kind
from glassnet.core.optimizers import make_optimizer
from glassnet.core.options import MAX_UNITS, OPTIONS

from .formats import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_FORMAT_VERSION,
    MODEL_FORMAT,
    MODEL_FORMAT_VERSION,
)

MAX_LAYERS = 64  # sizes, inputs and outputs included
MAX_COUNT = 2**53  # epochs, batches, updates: any count a JSON number holds exactly
MAX_TEXT = 10_000  # characters in a name, a label or a path
MAX_HISTORY = 10**6  # epochs in a history
MAX_SETTING_LIST = 1_000  # items in a list-valued setting


class SchemaError(GlassnetError):
    """A document that does not match its schema; the message names the field and the bad value."""


# ------------------------------------------------------------------------------------ building blocks
@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes the metadata of Annotated
class _Schema:
    """An ``Annotated`` marker that gives pydantic a core schema as it is."""

    schema: CoreSchema

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return self.schema


def one_of(names: Sequence[str]) -> _Schema:
    """Exactly one of ``names`` (a registry's keys); the error lists them all."""
    return _Schema(core_schema.literal_schema(list(names)))


def _scalars() -> list[CoreSchema]:
    return [
        core_schema.str_schema(strict=True, max_length=MAX_TEXT),
        core_schema.bool_schema(strict=True),
        core_schema.int_schema(strict=True),
        core_schema.float_schema(strict=True, allow_inf_nan=False),
    ]


def _any_of(choices: Sequence[CoreSchema], expected: str) -> _Schema:
    """A value of any of ``choices`` (JSON types); else one error that says ``expected``."""
    return _Schema(
        core_schema.union_schema(
            [*choices], custom_error_type="wrong_json_type", custom_error_message=expected
        )
    )


def option_type(name: str, *, high: float | None = None, choices: Sequence[str] | None = None) -> Any:
    """The pydantic type of the option ``name`` of the core's table (``glassnet.core.options``):
    ``Annotated[int | float | str, option_field(name, ...)]``, for a model built at run time (a type
    checker wants the ``Annotated`` form written out: ``Annotated[float, option_field("lr")]``).

    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(option_type("lr", high=10)).validate_python(0.5)
    0.5
    """
    return Annotated[OPTIONS[name].kind, option_field(name, high=high, choices=choices)]


def option_field(name: str, *, high: float | None = None, choices: Sequence[str] | None = None) -> Any:
    """The pydantic metadata of the option ``name`` of the core's table: its range (strict: a string is
    never a number, nor true a count; a float is finite), or its registry's names.

    An interface that allows less than the table may lower the upper bound (``high``, included) or offer a
    part of the names (``choices``); it can never widen them (ValueError)."""
    option = OPTIONS[name]
    if option.names is not None:
        names = option.choices if choices is None else tuple(choices)
        if not set(names) <= set(option.choices):
            raise ValueError(f"{name}: choices {names} are not all among {option.choices}")
        return one_of(names)
    bounds: dict[str, Any] = {}
    if option.low is not None:
        bounds["gt" if option.low_open else "ge"] = option.low
    if option.high is not None:
        bounds["lt" if option.high_open else "le"] = option.high
    if option.cap is not None:
        bounds["le"] = option.cap
    if high is not None:
        if not option.accepts(high):
            raise ValueError(
                f"{name}: the upper bound {high!r} is outside the table's range: {option.expected}"
            )
        bounds.pop("lt", None)
        bounds["le"] = high
    if option.kind is int:
        return Field(strict=True, **bounds)
    return Field(strict=True, allow_inf_nan=False, **bounds)


Size = Annotated[int, option_field("units")]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Label = Annotated[Any, _any_of(_scalars(), "a string or a number")]  # a class label as the data had it
SettingValue = Annotated[
    Any,
    _any_of(
        [
            *_scalars(),
            core_schema.none_schema(),
            core_schema.list_schema(
                _any_of(_scalars(), "a string or a number").schema, strict=True, max_length=MAX_SETTING_LIST
            ),
        ],
        "a string, a number, true, false, null or a list",
    ),
]
_SETTING_VALUE: TypeAdapter[Any] = TypeAdapter(SettingValue)
ActivationName = Annotated[str, option_field("activation")]
LossName = Annotated[str, option_field("loss")]
TaskName = Annotated[str, option_field("task")]
BiasMode = Annotated[str, option_field("bias")]
DType = Annotated[str, option_field("dtype")]
OptimizerName = Annotated[str, option_field("optimizer")]


def absent() -> Any:
    """The default of a field that may be left out but is never null: None marks it absent. Documents are
    read back with ``model_dump(exclude_unset=True)``, so this None is never seen."""
    return Field(default=None)


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error found by a validator: ``field`` (relative to the object checked) and what is wrong."""
    return PydanticCustomError("field_error", "{message}", {"field": field, "message": message})


class Document(BaseModel):
    """Every object in a file: strict JSON types, no unknown fields, no NaN or infinity."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


class Envelope(BaseModel):
    """What every version of a document has, read before the rest (a newer version may differ)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)
    format: Text
    format_version: Annotated[int, Field(ge=1, le=MAX_COUNT)]


# --------------------------------------------------------------------------------- training settings
class TrainingSettings(Document):
    """The settings a run was trained with, as its caller kept them: ``train``'s arguments, the command
    line's options, an adapter's parameters (scikit-learn's), or others.

    Every field may be left out or null (not given); those given have the types and ranges training
    accepts. Other fields are allowed, each a JSON scalar or a list of them. Whether a run can be resumed
    with these settings is its interface's decision (the command line needs them all).
    """

    model_config = ConfigDict(extra="allow")

    data: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] | None = None
    target: Text | None = None
    test: Text | None = None
    task: Annotated[str, one_of(("auto", *OPTIONS["task"].choices))] | None = None
    layers: Annotated[list[Size], Field(max_length=MAX_LAYERS - 2)] | None = None
    activation: ActivationName | None = None
    optimizer: OptimizerName | None = None
    lr: Annotated[float, option_field("lr")] | None = None
    batch_size: Annotated[int, option_field("batch_size")] | None = None
    epochs: Annotated[int, option_field("epochs")] | None = None
    dropout: Annotated[float, option_field("dropout")] | None = None
    weight_decay: Annotated[float, option_field("weight_decay")] | None = None
    schedule: Annotated[str, option_field("schedule")] | None = None
    validation_split: Annotated[float, option_field("validation_split")] | None = None
    patience: Annotated[int, option_field("patience")] | None = None
    standardize: bool | None = None
    dtype: DType | None = None
    seed: Annotated[int, option_field("seed")] | None = None
    init: Annotated[str, option_field("init")] | None = None
    monitor: Annotated[str, option_field("monitor")] | None = None
    # "balanced", or label -> weight (labels as text: JSON keys are text)
    class_weight: (
        Annotated[str, one_of(("balanced",))]
        | Annotated[
            dict[Text, Annotated[float, option_field("weight")]], Field(min_length=1, max_length=MAX_UNITS)
        ]
        | None
    ) = None
    # the command line's data options: the column of row weights, the id column, the separator, the decimal
    sample_weight: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] | None = None
    id: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] | None = None
    sep: Annotated[str, Field(min_length=1, max_length=1)] | None = None
    decimal: Annotated[str, one_of((".", ","))] | None = None

    @model_validator(mode="after")
    def _others_are_plain_values(self) -> TrainingSettings:
        for key, value in (self.model_extra or {}).items():
            try:
                _SETTING_VALUE.validate_python(value)
            except ValidationError as exc:
                raise field_error(
                    key, f"expected {exc.errors()[0]['msg']}; received {received(value)}"
                ) from None
        return self


class EpochRecord(Document):
    """One epoch of a model's history: ``EpochInfo``'s fields, those without a value null or left out."""

    epoch: Annotated[int, Field(ge=1, le=MAX_COUNT)]
    loss: NonNegative | None = None
    seconds: NonNegative | None = None
    lr: NonNegative | None = None
    val_loss: NonNegative | None = None
    accuracy: NonNegative | None = None
    val_accuracy: NonNegative | None = None
    max_weight_change: NonNegative | None = None


# ------------------------------------------------------------------------------------ the model file
class Architecture(Document):
    """The network: layer sizes (inputs first), one activation per layer after the inputs, biases."""

    sizes: Annotated[list[Size], Field(min_length=2, max_length=MAX_LAYERS)]
    activations: Annotated[list[ActivationName], Field(min_length=1, max_length=MAX_LAYERS - 1)]
    bias: BiasMode
    train_biases: bool
    dtype: DType
    dropout: Annotated[float, option_field("dropout")] = 0.0

    @model_validator(mode="after")
    def _one_activation_per_layer(self) -> Architecture:
        if len(self.activations) != len(self.sizes) - 1:
            raise field_error(
                "activations",
                f"expected {len(self.sizes) - 1} names, one per layer after the inputs (sizes "
                f"{preview(self.sizes)}); received {len(self.activations)}",
            )
        return self


class Standardization(Document):
    """Whether the file holds a standardization of the features and of the (regression) target."""

    features: bool
    target: bool


class TrainingRecord(Document):
    """How the model was trained: the settings and the history of its epochs (a record; nothing reads it
    back into training)."""

    settings: TrainingSettings = TrainingSettings()
    history: Annotated[list[EpochRecord], Field(max_length=MAX_HISTORY)] = []


class ModelDocument(Document):
    """The JSON document under the metadata key ``glassnet`` of every model file (and checkpoint)."""

    format: Annotated[str, one_of((MODEL_FORMAT,))]
    format_version: Annotated[int, Field(ge=1, le=MODEL_FORMAT_VERSION)]
    architecture: Architecture
    loss: LossName
    task: TaskName
    feature_names: Annotated[list[Text], Field(min_length=1, max_length=MAX_UNITS)]
    target_name: Text = "target"
    classes: Annotated[list[Label], Field(max_length=MAX_UNITS)] | None = None
    standardization: Standardization
    training: TrainingRecord = TrainingRecord()

    @model_validator(mode="after")
    def _names_match_the_layers(self) -> ModelDocument:
        sizes = self.architecture.sizes
        if len(self.feature_names) != sizes[0]:
            raise field_error(
                "feature_names",
                f"expected {sizes[0]} names, one per input; received {len(self.feature_names)}",
            )
        if self.task == "classification":
            if self.classes is None or len(self.classes) != sizes[-1]:
                count = "null" if self.classes is None else str(len(self.classes))
                raise field_error("classes", f"expected {sizes[-1]} labels, one per output; received {count}")
            if len(set(self.classes)) != len(self.classes):
                raise field_error("classes", f"expected distinct labels; received {preview(self.classes)}")
            if self.format_version >= 2 and len({label_kind(c) for c in self.classes}) > 1:
                raise field_error(
                    "classes",
                    "expected labels of one kind (all strings, all numbers or all true/false); received "
                    f"{preview(self.classes)}",
                )
        elif self.classes is not None:
            raise field_error("classes", f"expected null for a regressor; received {preview(self.classes)}")
        if self.standardization.target and self.task != "regression":
            raise field_error("standardization.target", "expected false for a classifier; received true")
        return self


# ------------------------------------------------------------------------------------- the checkpoint
class CheckpointEpoch(EpochRecord):
    """One epoch of a checkpoint's history: ``EpochInfo`` in full (its optional fields may be null)."""

    loss: NonNegative
    seconds: NonNegative
    lr: NonNegative


class GeneratorState(Document):
    state: Annotated[int, Field(ge=0, lt=2**128)]
    inc: Annotated[int, Field(ge=0, lt=2**128)]


class RngState(Document):
    """The numpy Generator's state (``bit_generator.state``) for shuffling and dropout."""

    bit_generator: Annotated[str, one_of((np.random.PCG64.__name__,))]
    state: GeneratorState
    has_uint32: Annotated[int, Field(ge=0, le=1)]
    uinteger: Annotated[int, Field(ge=0, lt=2**32)]


class OptimizerDocument(Document):
    """The optimizer: its name and hyper-parameters (``Optimizer.settings()``), its scalar state
    (Adam's step count t) and how many state arrays the file holds. Which fields an optimizer has is
    asked of the optimizer itself."""

    name: OptimizerName
    lr: Annotated[float, option_field("lr")]
    weight_decay: Annotated[float, option_field("weight_decay")]
    momentum: Annotated[float, option_field("momentum")] = absent()
    beta1: Annotated[float, option_field("beta1")] = absent()
    beta2: Annotated[float, option_field("beta2")] = absent()
    eps: Annotated[float, option_field("eps")] = absent()
    state: Annotated[dict[Text, Count], Field(max_length=16)]
    arrays: Count

    @model_validator(mode="after")
    def _fields_of_this_optimizer(self) -> OptimizerDocument:
        fresh = make_optimizer(self.name, 1.0)
        for label, given, expected in (
            ("", self.model_fields_set - {"state", "arrays"}, set(fresh.settings())),
            ("state", set(self.state), set(fresh.get_state()[0])),
        ):
            if given != expected:
                raise field_error(
                    label,
                    f"expected the fields {', '.join(sorted(expected)) or 'none'} for {self.name}; "
                    f"received {', '.join(sorted(given)) or 'none'}",
                )
        return self

    def options(self) -> dict[str, Any]:
        """The keyword arguments of ``make_optimizer`` beside the name and learning rate."""
        return self.model_dump(exclude={"name", "lr", "state", "arrays"}, exclude_unset=True)


class CheckpointDocument(Document):
    """The JSON document under the metadata key ``glassnet_checkpoint``: where training stands."""

    format: Annotated[str, one_of((CHECKPOINT_FORMAT,))]
    format_version: Annotated[int, Field(ge=1, le=CHECKPOINT_FORMAT_VERSION)]
    epoch: Annotated[int, Field(ge=0, le=MAX_HISTORY)]
    batch: Count
    updates: Count
    total: NonNegative
    correct: NonNegative
    base_lr: Positive
    best: NonNegative | None
    best_epoch: Annotated[int, Field(ge=1, le=MAX_HISTORY)] | None
    stale: Count
    rng_state: RngState
    history: Annotated[list[CheckpointEpoch], Field(max_length=MAX_HISTORY)]
    optimizer: OptimizerDocument
    has_best: bool
    epoch_start: Count | None
    settings: TrainingSettings

    @model_validator(mode="after")
    def _history_matches_the_epoch(self) -> CheckpointDocument:
        epochs = [entry.epoch for entry in self.history]
        if epochs != list(range(1, self.epoch + 1)):
            raise field_error("history", f"expected epochs 1 to {self.epoch}; received {preview(epochs)}")
        if (self.best is None) != (self.best_epoch is None):
            raise field_error("best_epoch", "expected null exactly when best is null")
        if self.best_epoch is not None and self.best_epoch > self.epoch:
            raise field_error(
                "best_epoch", f"expected at most epoch ({self.epoch}); received {self.best_epoch}"
            )
        if self.stale > self.epoch:
            raise field_error("stale", f"expected at most epoch ({self.epoch}); received {self.stale}")
        return self


# ---------------------------------------------------------------------------------------- checking
D = TypeVar("D", bound=BaseModel)


def check(schema: type[D], document: Any) -> D:
    """``document`` (parsed JSON) as an instance of ``schema``, or SchemaError naming the first problem."""
    try:
        return schema.model_validate(document)
    except ValidationError as exc:
        raise SchemaError(sentences(exc)) from None


def sentences(
    errors: ValidationError | Sequence[Any],
    labels: Mapping[str, str] | None = None,
    *,
    every: bool = False,
    skip: Collection[str] = (),
    unknown: str = "is not part of the format",
) -> str:
    """A pydantic validation error (or its ``errors()``) in the project's words: each problem names the
    field, says what was expected and quotes what was received (``explain``). The first problem and a
    count of the others; with ``every``, every problem, joined by "; ".

    ``labels`` names fields as a person reads them (``{"lr": "learning rate"}``); ``skip`` leaves out the
    parts of a location that are not fields (a web framework's "body"); ``unknown`` ends the sentence
    about a field the model does not have.

    >>> from pydantic import BaseModel, ConfigDict
    >>> class Step(BaseModel):
    ...     model_config = ConfigDict(strict=True, extra="forbid")
    ...     lr: option_type("lr", high=10)
    ...     epochs: option_type("epochs") = 1
    >>> try:
    ...     Step.model_validate({"lr": 50.0, "epochs": "2"})
    ... except ValidationError as exc:
    ...     print(sentences(exc, {"lr": "learning rate"}, every=True))
    learning rate: expected at most 10; received a number 50.0; field 'epochs': expected an integer; \
received a string "2"
    """
    found = errors.errors(include_url=False) if isinstance(errors, ValidationError) else list(errors)
    if not found:
        return "no problem found"
    if every:
        return "; ".join(explain(e, labels, skip=skip, unknown=unknown) for e in found)
    more = len(found) - 1
    more_text = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return explain(found[0], labels, skip=skip, unknown=unknown) + more_text


EXPECTED = {
    "int_type": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "none_required": "null",
    "finite_number": "a finite number",
    "literal_error": "one of {expected}",
    "greater_than": "more than {gt}",
    "greater_than_equal": "at least {ge}",
    "less_than": "less than {lt}",
    "less_than_equal": "at most {le}",
    "too_short": "at least {min_length} items",
    "too_long": "at most {max_length} items",
    "string_too_short": "at least {min_length} characters",
    "string_too_long": "at most {max_length} characters",
}


def explain(
    error: Any,
    labels: Mapping[str, str] | None = None,
    *,
    skip: Collection[str] = (),
    unknown: str = "is not part of the format",
) -> str:
    """One pydantic error as a sentence: the field (``field 'a.b[2]'``, or its label), what was expected,
    what was received (see ``sentences``)."""
    loc = [part for part in error.get("loc", ()) if part not in skip]
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "field_error":
        loc += [part for part in str(ctx["field"]).split(".") if part]
        return f"{field_name(loc, labels)}: {ctx['message']}"
    if kind == "missing":
        return f"{field_name(loc, labels)} is missing"
    if kind == "extra_forbidden":
        return f"{field_name(loc, labels)} {unknown}; received {received(error.get('input'))}"
    if kind == "json_invalid":
        return f"{field_name(loc, labels)}: expected valid JSON; {ctx.get('error', error.get('msg', ''))}"
    template = EXPECTED.get(kind)
    shown = {key: f"{value:g}" if isinstance(value, float) else value for key, value in ctx.items()}
    expected = template.format(**shown) if template else str(error.get("msg", "something else"))
    return f"{field_name(loc, labels)}: expected {expected}; received {received(error.get('input'))}"


def field_name(loc: Sequence[Any], labels: Mapping[str, str] | None = None) -> str:
    """How a sentence names the field at ``loc``: its label followed by the rest of its path
    (``hidden layers[1]``) when ``labels`` has its first part, else ``field 'a.b[2]'``."""
    if labels and loc and loc[0] in labels:
        return labels[loc[0]] + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[1:])
    return f"field {field_path(loc)!r}"


def field_path(loc: Sequence[Any]) -> str:
    """('architecture', 'sizes', 2) -> architecture.sizes[2]."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the document)"


def received(value: Any) -> str:
    """What a JSON value is, and a bounded preview of it: ``a list [1, 2]``, ``null``."""
    if value is None or isinstance(value, bool):
        return preview(value)
    kinds = (
        (str, "a string"),
        (int, "an integer"),
        (float, "a number"),
        (list, "a list"),
        (dict, "an object"),
    )
    kind = next((name for cls, name in kinds if isinstance(value, cls)), type(value).__name__)
    return f"{kind} {preview(value)}"


def preview(value: Any, limit: int = 60) -> str:
    """``value`` as JSON, cut to about ``limit`` characters (built piece by piece: never the whole of a
    huge value)."""
    out: list[str] = []
    size = 0

    def emit(text: str) -> bool:
        nonlocal size
        out.append(text)
        size += len(text)
        return size <= limit

    def walk(v: Any) -> bool:
        if isinstance(v, dict):
            if not emit("{"):
                return False
            for k, (key, item) in enumerate(v.items()):
                if not (emit(", " if k else "") and walk(str(key)) and emit(": ") and walk(item)):
                    return False
            return emit("}")
        if isinstance(v, list):
            if not emit("["):
                return False
            for k, item in enumerate(v):
                if not (emit(", " if k else "") and walk(item)):
                    return False
            return emit("]")
        if isinstance(v, str):
            return emit(json.dumps(v[: limit + 1]))
        if isinstance(v, float) and not math.isfinite(v):
            return emit(str(v))
        try:
            return emit(json.dumps(v))
        except ValueError:  # an integer of more digits than Python prints
            return emit("a huge integer")

    walk(value)
    text = "".join(out)
    return text if len(text) <= limit else text[:limit] + "..."
