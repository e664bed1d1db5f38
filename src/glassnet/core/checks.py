"""Checks at the edges: a network's settings and the arrays given to it, each raising GlassnetError with
the bad value and what was expected.

>>> check_sizes([2, 0, 1])
Traceback (most recent call last):
...
glassnet.core.errors.GlassnetError: layer sizes must be integers from 1 to 16777216; received: sizes=[2, 0, 1]
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import GlassnetError
from .options import BIAS_MODES as BIAS_MODES  # the names the network allows: declared in options.py
from .options import DTYPES as DTYPES
from .options import OPTIONS

Array = NDArray[np.floating]


def check_sizes(sizes: Sequence[int]) -> list[int]:
    """``sizes`` as a list of ints, inputs first, at least two of them, each a layer's units (options.py:
    from 1 to 2**24)."""
    units = OPTIONS["units"]
    try:
        if isinstance(sizes, (str, bytes)):
            raise TypeError  # "3,4" is not a list of sizes (list() would split it into characters)
        values = list(sizes)
    except TypeError:
        raise GlassnetError(
            f"layer sizes must be a list of integers from 1 to {units.high}; received: sizes={sizes!r}"
        ) from None
    if len(values) < 2:
        raise GlassnetError(
            f"a network needs at least an input and an output size; received: sizes={values!r}"
        )
    for s in values:
        if not units.accepts(s):
            raise GlassnetError(
                f"layer sizes must be integers from 1 to {units.high}; received: sizes={values!r}"
            )
    return [int(s) for s in values]


def check_dropout(rate: Any) -> float:
    """A dropout rate in [0, 1) (options.py), as a float."""
    return float(OPTIONS["dropout"].check(rate))


def check_choice(value: Any, allowed: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise GlassnetError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
    return value


def check_dtype(dtype: Any) -> np.dtype[Any]:
    """float64 or float32 (a name, a NumPy type or a dtype), as a numpy dtype; not None, which NumPy would
    read as float64."""
    try:
        name = None if dtype is None else np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in DTYPES:
        raise GlassnetError(f"unsupported dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
    return np.dtype(dtype)


def as_batch(x: Any, width: int, dtype: np.dtype[Any], what: str) -> Array:
    """``x`` as a (batch, width) array of ``dtype`` (a single row may be 1-D), or raise GlassnetError."""
    if not (isinstance(x, np.ndarray) and x.dtype == dtype):
        try:
            x = np.asarray(x, dtype=dtype)
        except (TypeError, ValueError):
            raise GlassnetError(f"{what} must be numeric; received: {x!r}") from None
    if x.ndim == 1:
        x = x.reshape(1, -1)
    if x.ndim != 2 or x.shape[1] != width or x.shape[0] == 0:
        raise GlassnetError(
            f"expected {what} of shape (batch, {width}) or ({width},); received shape {x.shape}"
        )
    return x


def require_finite(arr: Array, what: str) -> None:
    """Raise GlassnetError quoting the first row that holds NaN or inf (never the whole array)."""
    finite = np.isfinite(arr)
    if not finite.all():
        row = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise GlassnetError(
            f"{what} contains NaN or inf (first in row {row} of {arr.shape[0]}); "
            f"received: {arr[row].tolist()!r}"
        )


def physical_memory() -> int | None:
    """The machine's physical memory in bytes, or None where the system does not say."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(sizes: Sequence[int], dtype: np.dtype[Any], copies: int, what: str) -> None:
    """Refuse, before allocating, a network whose parameters times ``copies`` (e.g. 2: the weights and
    their gradients) would not fit in the machine's physical memory; the error names the layers, the GiB
    needed and the GiB the machine has."""
    available = physical_memory()
    if available is None:
        return
    params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    needed = params * dtype.itemsize * copies
    if needed > available:
        gib = 1 << 30
        raise GlassnetError(
            f"layers {','.join(str(s) for s in sizes)} have {params:,} parameters: {what} would take "
            f"about {needed / gib:.1f} GiB in {dtype.name}, and this machine has "
            f"{available / gib:.1f} GiB of memory; use smaller layers"
        )
