"""The table of options (core/options.py): every interface draws the same line at every edge.

For each option of the table, values just inside and just outside its range (and values of the wrong
type) get the same verdict from the option itself, the core's functions that take it, the command line's
argparse type and flags, the file schema's pydantic type and fields, and the scikit-learn estimators'
parameters. The cases come from the table, so a new option is covered as soon as it is declared.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import math
import re
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from glassnet.cli.parser import build_parser, option_type
from glassnet.core.checks import check_dropout, check_sizes
from glassnet.core.errors import GlassnetError
from glassnet.core.model import split_rows
from glassnet.core.network import Network
from glassnet.core.optimizers import SGD, Adam, Momentum, make_optimizer, make_schedule
from glassnet.core.options import OPTIONS, Option
from glassnet.core.training import check_sample_weight, check_threads, fit
from glassnet.io import schema
from glassnet.io.schema import TrainingSettings, option_field, sentences

from .cli_help import REQUIRED, dest, help_entries

SRC = Path(__file__).resolve().parents[1] / "src" / "glassnet"
X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
T = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
TYPED = "typed"  # a case of the wrong type: only interfaces that receive typed values see it


def edges(option: Option) -> list[tuple[object, bool, str]]:
    """(value, allowed, kind) just inside and just outside every bound of ``option``, and of wrong types."""
    if option.names is not None:
        names = list(option.choices)
        cases: list[tuple[object, bool, str]] = [(name, True, "edge") for name in names]
        cases += [
            ("nonsense", False, "edge"),
            (names[0].upper(), False, "edge"),
            (names[0] + " ", False, "edge"),
        ]
        return [*cases, (1, False, TYPED), (None, False, TYPED)]
    cases = []
    if option.kind is int:
        for bound, below_ok, above_ok in (
            (option.low, False, True),
            (option.high, True, False),
            (option.cap, True, False),
        ):
            if bound is not None:
                cases += [
                    (int(bound) - 1, below_ok, "edge"),
                    (int(bound), True, "edge"),
                    (int(bound) + 1, above_ok, "edge"),
                ]
        low = 0 if option.low is None else int(option.low)
        cases += [(True, False, TYPED), (float(low + 1), False, TYPED), (str(low + 1), False, TYPED)]
        return cases
    for bound, is_open, toward_inside in (
        (option.low, option.low_open, math.inf),
        (option.high, option.high_open, -math.inf),
    ):
        if bound is not None:
            cases += [
                (float(bound), not is_open, "edge"),
                (math.nextafter(bound, toward_inside), True, "edge"),
                (math.nextafter(bound, -toward_inside), False, "edge"),
            ]
    if option.high is None:
        cases += [(1e300, True, "edge"), (math.inf, False, "edge")]
    cases += [(math.nan, False, "edge"), (-math.inf, False, "edge")]
    return [*cases, (True, False, TYPED), ("0.5", False, TYPED), ([0.5], False, TYPED)]


CASES = [
    pytest.param(name, value, allowed, kind, id=f"{name}={value!r}")
    for name, option in OPTIONS.items()
    for value, allowed, kind in edges(option)
]


def verdict(call) -> bool:
    """True if ``call()`` returns, False if it refuses with the project's error type."""
    try:
        call()
    except GlassnetError:
        return False
    return True


def stop():
    return True


# The core's functions that take each option: one call each, None where the option has no core function.
CORE = {
    "units": lambda v: check_sizes([2, v]),
    "activation": lambda v: Network([2, 2], activation=v, output_activation="sigmoid"),
    "loss": lambda v: Network([2, 2], loss=v),
    "init": lambda v: Network([2, 2], init=v),
    "bias": lambda v: Network([2, 2], bias=v),
    "dtype": lambda v: Network([2, 2], dtype=v),
    "dropout": lambda v: (check_dropout(v), Network([2, 2, 2], dropout=v)),
    "optimizer": lambda v: make_optimizer(v, 0.1),
    "lr": lambda v: SGD(v),
    "weight_decay": lambda v: SGD(0.1, weight_decay=v),
    "momentum": lambda v: Momentum(0.1, momentum=v),
    "beta1": lambda v: Adam(0.1, beta1=v),
    "beta2": lambda v: Adam(0.1, beta2=v),
    "eps": lambda v: Adam(0.1, eps=v),
    "schedule": lambda v: make_schedule(v, 10),
    # fit checks its settings before the first batch; stop_requested then ends it at once
    "batch_size": lambda v: fit(Network([2, 2]), X, T, 0.1, epochs=1, batch_size=v, stop_requested=stop),
    "epochs": lambda v: fit(Network([2, 2]), X, T, 0.1, epochs=v, stop_requested=stop),
    "patience": lambda v: fit(Network([2, 2]), X, T, 0.1, epochs=1, patience=v, stop_requested=stop),
    "min_delta": lambda v: fit(Network([2, 2]), X, T, 0.1, epochs=1, min_delta=v, stop_requested=stop),
    "loss_tol": lambda v: fit(Network([2, 2]), X, T, 0.1, epochs=1, loss_tol=v, stop_requested=stop),
    "weight_tol": lambda v: fit(Network([2, 2]), X, T, 0.1, epochs=1, weight_tol=v, stop_requested=stop),
    "monitor": lambda v: fit(
        Network([2, 2]),
        X,
        T,
        0.1,
        epochs=1,
        monitor=v,
        validation=(X, T),
        classification=True,
        stop_requested=stop,
    ),
    "validation_split": lambda v: split_rows(100, v, 0, keep_one=True),
    "weight": lambda v: check_sample_weight([v], 1),
    "threads": check_threads,
    "seed": lambda v: Network([2, 2], seed=v),
    "task": None,
}


# Flags that take a list of the option's values: the text around one value.
LISTS = {
    "units": [(["explain", "--layers"], "2,{}"), (["train", "--layers"], "3,{}")],
    "weight": [(["train", "--class-weight"], "a=1,b={}")],
}


def command_line_flags(name: str) -> list[list[str]]:
    """The commands and flags that set the option ``name``, as each command's --help lists them, with
    what the command cannot go without."""
    (commands,) = [entry for entry in help_entries([]) if entry.startswith("{")]
    found = []
    for command in commands.strip("{}").split(","):
        for invocation in help_entries([command]):
            if invocation.startswith("-") and dest(invocation) == name:
                flag = re.findall(r"--[\w-]+", invocation)[0]
                found.append([command, *REQUIRED.get(command, []), flag])
    return found


def test_every_option_is_covered_and_has_help():
    assert set(CORE) == set(OPTIONS), "declare the core's function of each new option (None if none)"
    for option in OPTIONS.values():
        assert option.help and option.expected, option.name
        if option.default is not None:
            assert option.accepts(option.default), option.name


@pytest.mark.parametrize("name, value, allowed, kind", CASES)
def test_every_interface_draws_the_same_line(name, value, allowed, kind, capsys):
    option = OPTIONS[name]
    verdicts = {"table": option.accepts(value), "check": verdict(lambda: option.check(value))}
    if CORE[name] is not None and not (name == "weight" and kind == TYPED):  # weights come as arrays,
        verdicts["core"] = verdict(lambda: CORE[name](value))  # where a bool is a number
    verdicts["schema"] = verdict_of_schema(name, value)
    verdicts |= verdicts_of_estimators(name, value)
    if kind != TYPED:  # a command line gives text: its types are the text's
        text = repr(value) if isinstance(value, float) else str(value)
        verdicts["argparse type"] = verdict_of_argparse(lambda: option_type(name)(text))
        flags = [(args, text) for args in command_line_flags(name)]
        flags += [(args, around.format(text)) for args, around in LISTS.get(name, [])]
        for args, given in flags:
            with contextlib.suppress(SystemExit):
                build_parser().parse_args([*args, given])
                verdicts[" ".join(args)] = True
                continue
            verdicts[" ".join(args)] = False
            err = capsys.readouterr().err
            assert err.startswith("error: argument " + args[-1]) and len(err.splitlines()) == 1, err
    assert verdicts == dict.fromkeys(verdicts, allowed)


def verdict_of_argparse(call) -> bool:
    try:
        call()
    except argparse.ArgumentTypeError:
        return False
    return True


def verdict_of_schema(name: str, value: object) -> bool:
    """The schema's type of the option, and the file fields that hold it, agree; their verdict."""
    found = {verdict_of_pydantic(TypeAdapter(schema.option_type(name)), value)}
    if value is None:  # a file's settings use null for "not given"
        return found.pop()
    if name in TrainingSettings.model_fields:
        found.add(verdict_of_pydantic(TrainingSettings, {name: value}))
    if name == "units":
        found.add(verdict_of_pydantic(TrainingSettings, {"layers": [value]}))
    if name == "weight":
        found.add(verdict_of_pydantic(TrainingSettings, {"class_weight": {"a": value}}))
    assert len(found) == 1, f"the schema's fields of {name} disagree"
    return found.pop()


def verdict_of_pydantic(model, value) -> bool:
    try:
        (model.model_validate if isinstance(model, type) else model.validate_python)(value)
    except ValidationError:
        return False
    return True


X_NAN, Y_ROWS = np.array([[0.0, np.nan], [1.0, 0.0]]), np.array([0, 1])


def verdicts_of_estimators(name: str, value: object) -> dict[str, bool]:
    """The estimators' parameters that hold the option ``name``: their verdict when ``fit`` checks them."""
    sk = pytest.importorskip("glassnet.sklearn")
    params = [p for p, (option, _) in sk.PARAMETERS.items() if option is OPTIONS[name]]
    if name == "units":
        params, value = ["hidden_layer_sizes"], (value,)
    if name == "weight":
        params, value = ["class_weight"], {0: value}
    found = {}
    for Estimator in (sk.GlassClassifier, sk.GlassRegressor):
        for param in params:
            if param == "class_weight" and Estimator is sk.GlassRegressor:
                continue
            estimator = Estimator().set_params(**{param: value})
            try:  # fit checks the parameters first, then the data, whose NaN it always refuses
                estimator.fit(X_NAN, Y_ROWS)
            except sk.InvalidParameterError as exc:
                assert isinstance(exc, ValueError) and isinstance(exc, TypeError)  # as scikit-learn's
                assert f"The {param!r} parameter of {Estimator.__name__} must be" in str(exc)
                found[f"{Estimator.__name__}({param})"] = False
            except ValueError as exc:  # the parameters passed; the data did not
                assert "NaN" in str(exc), exc
                found[f"{Estimator.__name__}({param})"] = True
            else:
                raise AssertionError("fit took data with a NaN")
    return found


def test_every_estimator_parameter_takes_its_rule_from_the_table_or_is_the_estimators_own():
    sk = pytest.importorskip("glassnet.sklearn")
    table = list(OPTIONS.values())
    for param, (option, _) in sk.PARAMETERS.items():
        assert any(option is o for o in table) or option is sk.OWN_OPTIONS.get(param), param
    for option in sk.OWN_OPTIONS.values():  # scikit-learn's own names and numbers, none of the table's
        assert option.names is not None or option.name not in OPTIONS, option.name


def test_a_refusal_quotes_the_value_and_says_what_was_expected():
    for option in OPTIONS.values():
        for value, allowed, _ in edges(option):
            if allowed:
                continue
            with pytest.raises(GlassnetError) as info:
                option.check(value)
            message = str(info.value)
            assert repr(value) in message and (option.expected in message or "at most" in message), message
    for name, value, none, message in (
        ("dropout", 1.5, False, "dropout must be a rate in [0, 1); received: dropout=1.5"),
        ("epochs", 2**53 + 1, False, "epochs must be at most 2**53; received: epochs=9007199254740993"),
        ("threads", 0, True, "threads must be an integer from 1 to 1024 or None; received: threads=0"),
        ("lr", "0.1", False, "learning rate must be a finite number > 0; received: lr='0.1'"),
    ):
        with pytest.raises(GlassnetError) as info:
            OPTIONS[name].check(value, none=none)
        assert str(info.value) == message


def test_the_command_line_keeps_its_defaults():
    train = build_parser().parse_args(["train", "iris"])
    assert (train.batch_size, train.epochs, train.dropout, train.weight_decay) == (32, 50, 0.0, 0.0)
    assert (train.validation_split, train.seed, train.threads, train.lr) == (0.1, 0, None, None)
    demo = build_parser().parse_args(["demo"])
    assert (demo.loss_tol, demo.weight_tol) == (1e-5, 1e-9)


def test_an_interface_may_narrow_a_range_but_never_widen_it():
    class Page(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        lr: schema.option_type("lr", high=10)
        activation: schema.option_type("activation", choices=("sigmoid", "tanh")) = "sigmoid"

    assert Page(lr=10).lr == 10
    with pytest.raises(ValidationError):
        Page(lr=10.5)
    with pytest.raises(ValidationError):
        Page(lr=0.5, activation="relu")
    with pytest.raises(ValueError, match="outside the table's range"):
        option_field("dropout", high=1.5)
    with pytest.raises(ValueError, match="not all among"):
        option_field("activation", choices=("gelu",))


def test_one_translator_names_the_field_the_value_and_what_was_expected():
    class Page(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        learning_rate: schema.option_type("lr", high=10)
        hidden_layers: list[schema.option_type("units", high=16)] = []
        seed: schema.option_type("seed") = 0

    with pytest.raises(ValidationError) as info:
        Page.model_validate({"learning_rate": 50.0, "hidden_layers": [2, 0], "seed": "1", "colour": "red"})
    labels = {"learning_rate": "learning rate", "hidden_layers": "hidden layers"}
    assert sentences(info.value, labels, every=True).split("; received ") == [
        "learning rate: expected at most 10",
        "a number 50.0; hidden layers[1]: expected at least 1",
        "an integer 0; field 'seed': expected an integer",
        "a string \"1\"; field 'colour' is not part of the format",
        'a string "red"',
    ]
    assert (
        sentences(info.value, labels)
        == "learning rate: expected at most 10; received a number 50.0 (and 3 more problems)"
    )
    body = [{**e, "loc": ("body", *e["loc"])} for e in info.value.errors()]  # as a web framework has them
    assert sentences(body, labels, skip=("body",), unknown="is not a setting") == (
        "learning rate: expected at most 10; received a number 50.0 (and 3 more problems)"
    )
    assert sentences(body[-1:], labels, skip=("body",), unknown="is not a setting") == (
        "field 'colour' is not a setting; received a string \"red\""
    )
    with pytest.raises(schema.SchemaError, match=r"^field 'settings\.lr': expected more than 0; received"):
        schema.check(schema.TrainingRecord, {"settings": {"lr": 0.0}})


def private_imports(path: Path) -> list[str]:
    """The modules of other packages that ``path`` imports by a name with a part that starts with _."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] not in ("glassnet", "__future__") and any(p.startswith("_") for p in parts):
                found.append(name)
    return found


def test_no_module_imports_a_private_module_of_another_package():
    offenders = {str(p.relative_to(SRC)): private_imports(p) for p in sorted(SRC.rglob("*.py"))}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_private_import_check_finds_one(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from __future__ import annotations\nfrom sklearn.utils._param_validation import Interval\n"
        "import numpy._core\nfrom numpy import _NoValue\nimport numpy.typing\n"
    )
    assert private_imports(module) == [
        "sklearn.utils._param_validation",
        "sklearn.utils._param_validation.Interval",
        "numpy._core",
        "numpy._NoValue",
    ]
