"""The training settings a checkpoint holds, and what each may be.

``glassnet train --resume DIR`` takes its settings from the checkpoint and refuses one whose settings fail
these checks. Each check is the checkpoint schema's own (``schema.TrainingSettings``: one source of truth),
except that the command line needs every setting, and only the options whose absence means "not given"
may be null. Types are checked before values, so no stored value can raise here.

>>> check = SETTING_CHECKS["optimizer"]
>>> check("adam"), check("rmsprop"), check(["adam"])
(True, False, False)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from ..io.schema import TrainingSettings

Check = Callable[[Any], bool]

# The options of ``glassnet train`` a checkpoint keeps, in the schema's order (the command line has no
# ``standardize``: it always standardizes); those that may be null, for "not given".
_NOT_OPTIONS = ("standardize",)
NULLABLE = ("target", "test", "lr", "patience", "class_weight", "sample_weight", "id", "sep", "decimal")
# Settings that checkpoints written before them lack, and what their absence meant then.
ADDED_LATER: dict[str, Any] = {
    "init": "auto",
    "monitor": "val_loss",
    "class_weight": None,
    "sample_weight": None,
    "id": None,
    "sep": None,
    "decimal": None,
}


def _schema_check(key: str) -> Check:
    """The schema's check of the field ``key``; null only for the options in ``NULLABLE``."""

    def ok(value: Any) -> bool:
        if value is None:
            return key in NULLABLE
        try:
            TrainingSettings.model_validate({key: value})
        except ValidationError:
            return False
        return True

    return ok


SETTING_CHECKS: dict[str, Check] = {
    key: _schema_check(key) for key in TrainingSettings.model_fields if key not in _NOT_OPTIONS
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
    bad = [key for key, ok in SETTING_CHECKS.items() if not ok(saved_setting(saved, key))]
    return bad + [key for key, ok in OUTPUT_CHECKS.items() if key in saved and not ok(saved[key])]


def saved_setting(saved: Mapping[str, Any], key: str) -> Any:
    """The setting ``key`` of a checkpoint: its value, or what its absence meant for an older checkpoint."""
    return saved[key] if key in saved else ADDED_LATER.get(key)
