"""The training settings a checkpoint holds, and what each may be.

``glassnet train --resume DIR`` takes its settings from the checkpoint and refuses one whose settings fail
these checks. Names are checked against the core's registries; types are checked before values, so no stored
value can raise here. Self-contained: a schema of the checkpoint's metadata can replace this module.

>>> check = SETTING_CHECKS["optimizer"]
>>> check("adam"), check("rmsprop"), check(["adam"])
(True, False, False)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from typing import Any

from glassnet.core.activations import ACTIVATIONS
from glassnet.core.model import TASKS
from glassnet.core.network import DTYPES
from glassnet.core.optimizers import OPTIMIZER_NAMES, SCHEDULES

Check = Callable[[Any], bool]


def _one_of(names: Collection[str]) -> Check:
    return lambda v: isinstance(v, str) and v in names


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _real(v: Any) -> bool:
    return _whole(v) or (isinstance(v, float) and math.isfinite(v))


SETTING_CHECKS: dict[str, Check] = {
    "data": lambda v: isinstance(v, str) and bool(v),
    "target": lambda v: v is None or isinstance(v, str),
    "test": lambda v: v is None or isinstance(v, str),
    "task": _one_of(("auto", *TASKS)),  # auto: the data loader decides
    "layers": lambda v: isinstance(v, list) and bool(v) and all(_whole(k) and k >= 1 for k in v),
    "activation": _one_of(ACTIVATIONS),
    "optimizer": _one_of(OPTIMIZER_NAMES),
    "lr": lambda v: v is None or (_real(v) and v > 0),
    "batch_size": lambda v: _whole(v) and v >= 1,
    "epochs": lambda v: _whole(v) and v >= 1,
    "dropout": lambda v: _real(v) and 0 <= v < 1,
    "weight_decay": lambda v: _real(v) and v >= 0,
    "schedule": _one_of(SCHEDULES),
    "validation_split": lambda v: _real(v) and 0 <= v < 1,
    "patience": lambda v: v is None or (_whole(v) and v >= 1),
    "dtype": _one_of(DTYPES),
    "seed": _whole,
}
TRAINING_SETTINGS = tuple(SETTING_CHECKS)

# What the run writes (--save, --plot, --json): kept beside the settings so that --resume writes it too.
# Checkpoints from before these were kept have none of them.
OUTPUT_CHECKS: dict[str, Check] = {
    "save": lambda v: v is None or (isinstance(v, str) and bool(v)),
    "plot": lambda v: v is None or (isinstance(v, str) and bool(v)),
    "json": lambda v: isinstance(v, bool),
}
OUTPUT_SETTINGS = tuple(OUTPUT_CHECKS)


def unusable_settings(saved: Mapping[str, Any]) -> list[str]:
    """The names of the settings in ``saved`` that are missing or fail their check, in the order above (the
    outputs may be missing)."""
    bad = [key for key, ok in SETTING_CHECKS.items() if not ok(saved.get(key))]
    return bad + [key for key, ok in OUTPUT_CHECKS.items() if key in saved and not ok(saved[key])]
