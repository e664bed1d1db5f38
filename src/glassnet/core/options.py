"""Every option glassnet's interfaces share, declared once: its type, its range, its default, its help.

The core's checks, the command line's argparse types, the file schema's fields and the scikit-learn
estimators' checks all derive from ``OPTIONS``, so a range is the same at every edge. An option checks
its type before its value, and a refusal is one sentence that quotes the bad value and says what was
expected:

>>> OPTIONS["dropout"].check(0.25)
0.25
>>> OPTIONS["dropout"].check(1.5)
Traceback (most recent call last):
...
glassnet.core.errors.GlassnetError: dropout must be a rate in [0, 1); received: dropout=1.5
>>> OPTIONS["threads"].check(None, none=True) is None, OPTIONS["threads"].expected
(True, 'an integer from 1 to 1024')
>>> OPTIONS["dtype"].check("int8")
Traceback (most recent call last):
...
glassnet.core.errors.GlassnetError: unknown dtype 'int8'; expected one of float64, float32
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .errors import GlassnetError
from .initializers import INITIALIZERS
from .losses import LOSSES

BIAS_MODES = ("per_neuron", "shared", "none")
DTYPES = ("float64", "float32")
MAX_THREADS = 1024  # more than any machine glassnet runs on has cores; OpenBLAS takes a C int
MAX_UNITS = 2**24  # neurons in one layer
MAX_COUNT = 2**53  # epochs, batches, patience: any count a JSON number holds exactly
MAX_SEED = 2**128 - 1  # a seed a file keeps: numpy's SeedSequence takes larger ones, a file need not


def _optimizer_names() -> Sequence[str]:
    from .optimizers import OPTIMIZER_NAMES  # read when asked: optimizers.py checks its numbers here

    return OPTIMIZER_NAMES


def _schedules() -> Sequence[str]:
    from .optimizers import SCHEDULES

    return SCHEDULES


def _monitors() -> Sequence[str]:
    from .training import MONITORS  # read when asked: training.py checks its numbers here

    return MONITORS


def _tasks() -> Sequence[str]:
    from .model import TASKS

    return TASKS


@dataclass(frozen=True)
class Option:
    """One option: a number in a range (``kind`` int or float) or a name from a registry (``kind`` str).

    ``low`` and ``high`` bound a number (None: no bound), each included unless ``low_open`` or
    ``high_open``; a float is always finite. ``cap`` is the largest integer a file may hold where the
    meaning sets no upper bound (a refusal says so apart: "epochs must be at most 2**53"). ``names``
    gives a choice's allowed names (read from the registry when asked). ``label`` names the option in a
    sentence (default: its name); ``says`` is what a value must be where the range alone reads badly
    ("a rate in [0, 1)")."""

    name: str
    kind: type
    help: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    cap: int | None = None
    names: Callable[[], Sequence[str]] | None = None
    label: str = ""
    says: str = ""

    @property
    def choices(self) -> tuple[str, ...]:
        """The names a choice allows, in the registry's order (empty for a number)."""
        return tuple(self.names()) if self.names is not None else ()

    @property
    def expected(self) -> str:
        """What a value must be, as the end of a sentence: "an integer >= 1", "one of sgd, adam"."""
        if self.says:
            return self.says
        if self.names is not None:
            return f"one of {', '.join(self.choices)}"
        noun = "an integer" if self.kind is int else "a finite number"
        low, high = as_text(self.low), as_text(self.high)
        if self.low is not None and self.high is not None:
            if self.kind is int:
                return f"{noun} from {low} to {high}"
            return f"a number in {'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"
        if self.low is not None:
            return f"{noun} {'>' if self.low_open else '>='} {low}"
        if self.high is not None:
            return f"{noun} {'<' if self.high_open else '<='} {high}"
        return noun

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has this option's type (checked first) and lies in its range."""
        if self.names is not None:
            return isinstance(value, str) and value in self.choices
        if isinstance(value, (bool, np.bool_)):
            return False  # True is not a count, nor a rate
        if isinstance(value, (int, np.integer)):
            number: float = int(value)
        elif self.kind is float and isinstance(value, (float, np.floating)) and math.isfinite(value):
            number = float(value)
        else:
            return False  # a string, an array, a float for a count, NaN or inf
        if self.low is not None and (number <= self.low if self.low_open else number < self.low):
            return False
        if self.cap is not None and number > self.cap:
            return False
        return self.high is None or (number < self.high if self.high_open else number <= self.high)

    @property
    def highest(self) -> float | None:
        """The upper bound, the cap included (``high`` else ``cap``)."""
        return self.high if self.high is not None else self.cap

    def _over_cap(self, value: Any) -> bool:
        if self.cap is None or isinstance(value, (bool, np.bool_)):
            return False
        return isinstance(value, (int, np.integer)) and int(value) > self.cap

    def check(self, value: Any, *, none: bool = False) -> Any:
        """``value`` as a plain int, float or str if this option accepts it (None too, with ``none``), else
        GlassnetError quoting it and saying what was expected."""
        if none and value is None:
            return None
        if not self.accepts(value):
            raise GlassnetError(self.refusal(value, none=none))
        return value if self.kind is str else self.kind(value)

    def refusal(self, value: Any, *, none: bool = False) -> str:
        """The sentence that refuses ``value``."""
        if self.names is not None:
            return f"unknown {self.label or self.name} {value!r}; expected {self.expected}"
        or_none = " or None" if none else ""
        expected = f"at most {as_text(self.cap)}" if self._over_cap(value) else self.expected + or_none
        return f"{self.label or self.name} must be {expected}; received: {self.name}={value!r}"

    def parse(self, text: str) -> Any:
        """A value given as text (a command line's): read as this option's type, then checked; else
        GlassnetError saying what was expected and quoting the text."""
        try:
            value = text if self.kind is str else self.kind(text)
        except ValueError:
            value = None
        if value is None or not self.accepts(value):
            expected = f"at most {as_text(self.cap)}" if self._over_cap(value) else self.expected
            raise GlassnetError(f"expected {expected}; received: {text!r}")
        return value

    def described(self, default: Any = None) -> str:
        """The help text with its default, ``default`` if given, else the option's own."""
        value = self.default if default is None else default
        return f"{self.help} (default {as_text(value)})" if value is not None else self.help


def as_text(value: Any) -> str:
    """A bound or a default as a person writes it: 0, not 0.0; 1e-08; 1024; 2**53; 2**128 - 1; relu."""
    if isinstance(value, int) and value > 2**32:
        power = (value + 1).bit_length() - 1
        return (
            f"2**{power}" if value == 2**power else f"2**{power} - 1" if value + 1 == 2**power else str(value)
        )
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _by_name(*options: Option) -> dict[str, Option]:
    return {option.name: option for option in options}


RATE = "a rate in [0, 1)"

#: The table, by the name the core's functions take (``train``'s keyword arguments).
OPTIONS: dict[str, Option] = _by_name(
    # the network
    Option("units", int, "neurons in one layer", low=1, high=MAX_UNITS, label="layer sizes"),
    Option("activation", str, "the hidden layers' activation", "relu", names=lambda: list(ACTIVATIONS)),
    Option("loss", str, "the loss", names=lambda: list(LOSSES)),
    Option("init", str, "how the first weights are drawn", "glorot", names=lambda: INITIALIZERS),
    Option("bias", str, "one bias per neuron, one shared per layer, or none", "per_neuron",
           names=lambda: BIAS_MODES, label="bias mode"),
    Option("dtype", str, "floating-point type", "float32", names=lambda: DTYPES),
    Option("dropout", float, "share of hidden units dropped in training", 0.0, low=0.0, high=1.0,
           high_open=True, says=RATE),
    # the optimizer
    Option("optimizer", str, "the optimizer", "adam", names=_optimizer_names),
    Option("lr", float, "learning rate", low=0.0, low_open=True, label="learning rate"),
    Option("weight_decay", float, "L2 penalty on the weights", 0.0, low=0.0),
    Option("momentum", float, "momentum mu of gradient descent", 0.9, low=0.0, high=1.0, high_open=True,
           says="in [0, 1)"),
    Option("beta1", float, "Adam's decay rate of the mean gradient", 0.9, low=0.0, high=1.0,
           high_open=True, says="in [0, 1)"),
    Option("beta2", float, "Adam's decay rate of the mean squared gradient", 0.999, low=0.0, high=1.0,
           high_open=True, says="in [0, 1)"),
    Option("eps", float, "Adam's epsilon, added to the root mean square", 1e-8, low=0.0, low_open=True),
    Option("schedule", str, "learning rate by epoch", "constant", names=_schedules),
    # training
    Option("batch_size", int, "examples per update", 128, low=1, cap=MAX_COUNT),
    Option("epochs", int, "passes over the training data", 20, low=1, cap=MAX_COUNT),
    Option("validation_split", float, "share of the training data held out to validate each epoch",
           0.1, low=0.0, high=1.0, high_open=True, says=RATE),
    Option("patience", int, "epochs without improvement before training stops", low=1, cap=MAX_COUNT),
    Option("min_delta", float, "the least change that counts as an improvement", 0.0, low=0.0),
    Option("monitor", str, "what patience watches", "val_loss", names=_monitors),
    Option("loss_tol", float, "stop when the loss E <= this", low=0.0),
    Option("weight_tol", float, "stop when no weight moves more than this in an update", low=0.0),
    Option("task", str, "what to predict", "classification", names=_tasks),
    Option("weight", float, "an example's or a class's weight in the training loss", 1.0, low=0.0,
           label="weights"),
    Option("seed", int, "random seed", 0, low=0, cap=MAX_SEED),
    Option("threads", int, "the most threads NumPy's BLAS may use", low=1, high=MAX_THREADS),
)  # fmt: skip
