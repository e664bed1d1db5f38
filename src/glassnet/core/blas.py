"""NumPy's own BLAS, for what NumPy cannot say in one call: C <- alpha A^T B + beta C, and its thread count.

Step 6 of plain gradient descent is W <- W - lr * a_prev^T @ delta. NumPy forms the product into a new
array, then scales it, then subtracts it: three passes over W and a temporary as large as W. BLAS's gemm
does all of it in one pass, writing into W (alpha = -lr, beta = 1): the 784-256-128-10 SGD epoch of
``benchmarks/bench_fashion_epoch.py`` ran 1.25x (SkylakeX kernel) to 1.4x (Haswell) faster with two
threads, 1.05x with one, on this project's 2-core test machine.

The BLAS is the one NumPy itself was built with and has already loaded (the OpenBLAS inside NumPy's
wheels), reached through ctypes: every matrix product of a run stays on one library and one thread pool
(two pools, NumPy's and another BLAS's, were seen to run 13 times slower). Where NumPy's BLAS cannot be
found or fails a check on first use (another BLAS, an unusual build), ``gemm_tn`` computes the same with
NumPy and ``threads`` changes nothing; ``info()`` says which.

>>> import numpy as np
>>> A = np.arange(6.0).reshape(3, 2); B = np.ones((3, 2)); C = np.ones((2, 2))
>>> gemm_tn(-1.0, A, B, 1.0, C)  # C <- C - A^T B
>>> C
array([[-5., -5.],
       [-8., -8.]])
"""

from __future__ import annotations

import ctypes
import functools
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112

# Fuse only products into at least this many weights (64 x 64): below it, NumPy's product and a subtraction
# (about 2 us) beat one BLAS call through ctypes (about 6 us), measured per update on this project's 2-core
# test machine.
FUSE_MIN = 4096


@dataclass
class Library:
    """NumPy's BLAS as found: its file and the three functions glassnet calls (ILP64: 64-bit integers)."""

    path: str
    gemm: dict[np.dtype[Any], Any]  # dtype -> cblas_?gemm
    get_threads: Any
    set_threads: Any


def loaded_files() -> set[str] | None:
    """The shared libraries this process has loaded (Linux), or None where the system does not say."""
    try:
        with open("/proc/self/maps") as maps:
            return {os.path.realpath(line.split()[-1]) for line in maps if line.rstrip().endswith(".so")}
    except OSError:
        return None


def find_library() -> Library | None:
    """NumPy's OpenBLAS (the ``scipy_openblas64_`` build of NumPy's wheels, or the older ``openblas64_``)
    with its functions, if it is loaded and computes a small product right; else None."""
    numpy_dir = os.path.dirname(np.__file__)
    candidates = sorted(
        glob.glob(os.path.join(numpy_dir, os.pardir, "numpy.libs", "*openblas*"))
        + glob.glob(os.path.join(numpy_dir, ".dylibs", "*openblas*"))
    )
    loaded = loaded_files()
    for path in candidates:
        if loaded is not None and os.path.realpath(path) not in loaded:
            continue  # not the library NumPy uses: loading it would start a second thread pool
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_", ""):
            try:
                gemm: dict[np.dtype[Any], Any] = {
                    np.dtype(np.float32): getattr(lib, f"{prefix}cblas_sgemm64_"),
                    np.dtype(np.float64): getattr(lib, f"{prefix}cblas_dgemm64_"),
                }
                get_threads = getattr(lib, f"{prefix}openblas_get_num_threads64_")
                set_threads = getattr(lib, f"{prefix}openblas_set_num_threads64_")
            except AttributeError:
                continue
            I64, P = ctypes.c_int64, ctypes.c_void_p
            for dtype, fn in gemm.items():
                scalar = ctypes.c_float if dtype == np.float32 else ctypes.c_double
                fn.argtypes = [I64, I64, I64, I64, I64, I64, scalar, P, I64, P, I64, scalar, P, I64]
                fn.restype = None
            get_threads.argtypes, get_threads.restype = [], ctypes.c_int
            set_threads.argtypes, set_threads.restype = [ctypes.c_int], None
            found = Library(path, gemm, get_threads, set_threads)
            if works(found):
                return found
    return None


def works(lib: Library) -> bool:
    """Whether the library's gemm gives NumPy's answer on a small product in both dtypes."""
    rng = np.random.default_rng(0)
    for dtype in lib.gemm:
        A, B, C = (rng.normal(size=shape).astype(dtype) for shape in ((5, 3), (5, 4), (3, 4)))
        expected = 0.5 * C - 2.0 * (A.T @ B)
        call_gemm(lib, -2.0, A, B, 0.5, C)
        if not np.allclose(C, expected, rtol=1e-4, atol=1e-5):
            return False
    return True


@functools.cache
def library() -> Library | None:
    """The library ``find_library`` found, searched for once per process."""
    return find_library()


def leading_dimension(x: Array) -> int | None:
    """The row stride of a row-major matrix in elements (BLAS's leading dimension), or None if its rows
    are not each contiguous."""
    item = x.itemsize
    if x.strides[1] != item or x.strides[0] % item or x.strides[0] < x.shape[1] * item:
        return None
    return x.strides[0] // item


def call_gemm(lib: Library, alpha: float, A: Array, B: Array, beta: float, C: Array) -> None:
    (k, m), n = A.shape, B.shape[1]
    lda, ldb = leading_dimension(A), leading_dimension(B)
    if lda is None:
        A = np.ascontiguousarray(A)
        lda = m
    if ldb is None:
        B = np.ascontiguousarray(B)
        ldb = n
    lib.gemm[C.dtype](
        _ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k, alpha, A.ctypes.data, lda, B.ctypes.data, ldb, beta,
        C.ctypes.data, n,
    )  # fmt: skip


def gemm_tn(alpha: float, A: Array, B: Array, beta: float, C: Array) -> None:
    """C <- alpha A^T B + beta C in place: A (k, m), B (k, n), C (m, n), all of C's dtype, C contiguous.

    With beta = 0, C's old values are ignored (even NaN)."""
    lib = library()
    if (
        lib is not None
        and C.flags.c_contiguous
        and C.dtype in lib.gemm
        and A.dtype == C.dtype == B.dtype
        and A.shape[1] == C.shape[0]
        and B.shape[1] == C.shape[1]
        and A.shape[0] == B.shape[0]
    ):
        call_gemm(lib, alpha, A, B, beta, C)
        return
    product = A.T @ B
    product *= alpha
    if beta == 0.0:
        C[...] = product
    else:
        if beta != 1.0:
            C *= beta
        C += product


@dataclass(frozen=True)
class Info:
    """Which BLAS glassnet's fused products use: ``found`` is False where they fall back to NumPy."""

    found: bool
    path: str | None
    threads: int | None


def info() -> Info:
    """Whether NumPy's BLAS was found, its file and its current thread count."""
    lib = library()
    if lib is None:
        return Info(False, None, None)
    return Info(True, os.path.basename(lib.path), int(lib.get_threads()))


@contextmanager
def threads(n: int | None) -> Iterator[None]:
    """Run the block with NumPy's BLAS limited to ``n`` threads (None: leave it as it is), then restore
    the count it had: what threadpoolctl's ``threadpool_limits(n, user_api="blas")`` does for OpenBLAS.
    Where NumPy's BLAS was not found, nothing changes."""
    lib = library() if n is not None else None
    if lib is None or n is None:
        yield
        return
    before = int(lib.get_threads())
    lib.set_threads(int(n))
    try:
        yield
    finally:
        lib.set_threads(before)
