"""What the page may ask of the explorer: the request models, their limits and choices, and the words for a
refused value.

Every request body is validated by one of these pydantic models: bounded (so that one request cannot stall
the server) and strict (a value of the wrong JSON type is refused rather than converted: ``true`` is not a
seed). A refusal names the field as the page labels it (``LABELS``, ``readable``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from glassnet.core.activations import ACTIVATIONS
from glassnet.core.examples import LEARNING_RATE
from glassnet.core.losses import LOSSES
from glassnet.core.network import BIAS_MODES

from ..io.data import GENERATED_SETS, SKLEARN_SETS
from ..io.schema import explain, option_field

MAX_HIDDEN_LAYERS = 4
MAX_NEURONS = 16
MAX_STEPS_PER_REQUEST = 5000
MAX_UPLOAD_CHARS = 100_000
MAX_UPLOAD_ROWS = 2000
MAX_UPLOAD_FEATURES = 8
MAX_CLASSES = 8
MAX_BATCH = 64
MAX_MS = 2000  # the longest a train request may run

# The choices the controls offer, from the core's registries (and data.py's named sets) plus the explorer's
# own: the worked example, an uploaded CSV file and "frozen" (shared biases that are not trained).
WIDE_SETS = ("digits", "wine", "breast-cancer")  # more feature columns than the explorer draws
DATASETS = ("worked-example", *GENERATED_SETS, *(d for d in SKLEARN_SETS if d not in WIDE_SETS), "csv")
# softmax is not elementwise: an output layer's choice, made from the loss (see Network)
ACTIVATION_NAMES = tuple(name for name, cls in ACTIVATIONS.items() if cls.elementwise)
LOSS_NAMES = tuple(LOSSES)
REGRESSION_LOSSES = ("half_sse", "mse")
# every layer has biases here, trained (per neuron or shared) or frozen (shared): so not "none"
BIASES = (*(mode for mode in BIAS_MODES if mode != "none"), "frozen")

# Settings that train well, offered when a dataset is picked (every one can be changed).
PRESETS: dict[str, dict[str, Any]] = {
    "worked-example": {
        "hidden_layers": [2], "activation": "sigmoid", "loss": "half_sse",
        "bias": "frozen",
        "learning_rate": 0.5, "batch_size": 1, "tolerance": 1e-5, "test_ratio": 0.0,
    },
    "xor": {
        "hidden_layers": [4], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.2, "batch_size": 1, "tolerance": 0.01, "test_ratio": 0.0,
    },
    "moons": {
        "hidden_layers": [8, 8], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.05, "batch_size": 1, "tolerance": 0.05, "test_ratio": 0.3,
    },
    "circles": {
        "hidden_layers": [8, 8], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.05, "batch_size": 1, "tolerance": 0.05, "test_ratio": 0.3,
    },
    # one example at a time, the spirals barely move in 30,000 steps; batches of 10 untangle them in 4,000
    "spirals": {
        "hidden_layers": [16, 16], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.1, "batch_size": 10, "tolerance": 0.05, "test_ratio": 0.3,
    },
    "iris": {
        "hidden_layers": [8], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.02, "batch_size": 1, "tolerance": 0.08, "test_ratio": 0.3,
    },
    "csv": {
        "hidden_layers": [8], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.02, "batch_size": 1, "tolerance": 0.05, "test_ratio": 0.0,
    },
}  # fmt: skip

# What the page calls each field, for messages a learner can act on.
LABELS = {
    "dataset": "dataset",
    "hidden_layers": "hidden layers",
    "activation": "activation",
    "loss": "loss",
    "learning_rate": "learning rate",
    "seed": "seed",
    "bias": "biases",
    "csv": "CSV file",
    "target": "target column",
    "noise": "noise",
    "test_ratio": "test data",
    "batch_size": "batch size",
    "l2": "L2 regularization",
    "data_seed": "data seed",
    "steps": "steps",
    "until_converged": "until converged",
    "loss_tol": "tolerance",
    "max_ms": "time per request",
    "name": "parameter",
    "value": "value",
}

if TYPE_CHECKING:  # Literals of values known at run time: mypy sees plain strings, pydantic the choices
    Dataset = str
    Activation = str
    Loss = str
    Bias = str
else:
    Dataset = Literal[DATASETS]
    Activation = Literal[ACTIVATION_NAMES]
    Loss = Literal[LOSS_NAMES]
    Bias = Literal[BIASES]

# The ranges of the core's options table (glassnet.core.options), lowered where the explorer allows less.
LearningRate = Annotated[float, option_field("lr", high=10)]
BatchSize = Annotated[int, option_field("batch_size", high=MAX_BATCH)]
L2 = Annotated[float, option_field("weight_decay", high=1)]
Seed = Annotated[int, option_field("seed", high=2**31 - 1)]


class Settings(BaseModel):
    """What the page's controls choose. Bounded so that one request cannot stall the server; strict, so
    that a value of the wrong JSON type is refused rather than converted (``true`` is not a seed)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dataset: Dataset = "worked-example"
    hidden_layers: Annotated[
        list[Annotated[int, option_field("units", high=MAX_NEURONS)]], Field(max_length=MAX_HIDDEN_LAYERS)
    ] = [2]
    activation: Activation = "sigmoid"
    loss: Loss = "half_sse"
    learning_rate: LearningRate = LEARNING_RATE
    seed: Seed = 0
    bias: Bias = "frozen"
    csv: Annotated[str, Field(max_length=MAX_UPLOAD_CHARS)] | None = None
    target: Annotated[str, Field(max_length=200)] | None = None
    noise: Annotated[float, Field(ge=0, le=0.5)] = 0.1
    test_ratio: Annotated[float, Field(ge=0, le=0.5)] = 0.0
    batch_size: BatchSize = 1
    l2: L2 = 0.0
    data_seed: Seed = 0


class TrainRequest(BaseModel):
    """Train ``steps`` steps; with ``until_converged``, stop early by ``fit``'s rules (the loss over the
    data at most ``loss_tol``, or stuck) or at the session's limit; with ``max_ms``, stop after the step
    that ends that much wall time."""

    model_config = ConfigDict(extra="forbid", strict=True)

    steps: Annotated[int, Field(ge=1, le=MAX_STEPS_PER_REQUEST)] = 100
    until_converged: bool = False
    loss_tol: Annotated[float, Field(gt=0, le=10)] = 1e-3
    max_ms: Annotated[int, Field(ge=1, le=MAX_MS)] | None = None


class TrainingChange(BaseModel):
    """The settings that change training from the next step on, without a new network."""

    model_config = ConfigDict(extra="forbid", strict=True)

    learning_rate: LearningRate | None = None
    batch_size: BatchSize | None = None
    l2: L2 | None = None


class ParameterEdit(BaseModel):
    """A weight or bias set by hand."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(max_length=32)]
    value: Annotated[float, Field(ge=-1e6, le=1e6)]


SKIP = ("body", "query", "path")  # parts of a location that are FastAPI's, not the page's fields


def readable(error: Any) -> str:
    """A validation error in the page's words: the project's translator (``schema.explain``) with the
    page's labels, and in the page's own terms the three cases a learner meets that it has none for: a
    body that is not JSON or not an object, and a layer's neuron count or the number of layers."""
    loc = [str(part) for part in error.get("loc", ()) if part not in SKIP]
    kind, value = error.get("type", ""), error.get("input")
    if kind == "json_invalid":
        where = f" (at character {loc[0]})" if loc and loc[0].isdigit() else ""
        return f"the request body is not valid JSON{where}; expected a JSON object"
    if not loc:
        return f"the request body: {error.get('msg', 'invalid')}; expected a JSON object"
    if loc[0] == "hidden_layers" and len(loc) > 1 and loc[1].isdigit():
        what = f"hidden layers: layer {int(loc[1]) + 1} has {value!r} neurons"
        if kind in ("greater_than_equal", "less_than_equal"):
            return f"{what}; each layer takes 1 to {MAX_NEURONS} neurons"
        return f"{what}; expected a whole number from 1 to {MAX_NEURONS}"
    if loc[0] == "hidden_layers" and kind == "too_long":
        return f"hidden layers: {len(value)} layers given; the explorer draws at most {MAX_HIDDEN_LAYERS}"
    return explain(error, LABELS, skip=SKIP, unknown="is not a setting the explorer knows")
