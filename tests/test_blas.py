"""NumPy's own BLAS for the fused update (core/blas.py): found, checked, called with the right strides, and
the NumPy fallback, which computes the same, wherever the BLAS cannot be used."""

import ctypes
import glob
import os
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from glassnet.core import blas


def reference_gemm(dtype, error=0.0):
    """cblas_?gemm for the one case blas.py asks for (row-major, A transposed), written with NumPy on
    the raw pointers; ``error`` makes every result that much too large, relatively."""
    scalar = ctypes.c_float if dtype == np.float32 else ctypes.c_double

    def gemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        assert (order, trans_a, trans_b) == (101, 112, 111)

        def view(pointer, rows, ld, cols):
            whole = np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(scalar)), shape=(rows, ld))
            return whole[:, :cols]

        A, B, C = view(a, k, lda, m), view(b, k, ldb, n), view(c, m, ldc, n)
        C[...] = (alpha * (A.T @ B) + beta * C) * (1 + error)

    return gemm


def fake_library(gemm):
    return blas.Library("fake", gemm, lambda: 1, lambda n: None)


def test_numpys_openblas_is_found_and_computes_right_in_both_dtypes():
    lib = blas.find_library()
    assert lib is not None, "NumPy's wheels bring OpenBLAS; glassnet should find it"
    assert os.path.realpath(lib.path) in blas.loaded_files()
    assert set(lib.gemm) == {np.dtype(np.float32), np.dtype(np.float64)}
    rng = np.random.default_rng(1)
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        A, B, C = (rng.normal(size=shape).astype(dtype) for shape in ((7, 3), (7, 4), (3, 4)))
        expected = 0.25 * C + 3.0 * (A.T @ B)
        blas.call_gemm(lib, 3.0, A, B, 0.25, C)
        np.testing.assert_allclose(C, expected, rtol=rtol, atol=rtol)
    threads = lib.get_threads()
    assert isinstance(threads, int) and threads >= 1
    lib.set_threads(threads)  # the thread count can be set (to what it was)
    assert lib.get_threads() == threads


def test_only_a_library_numpy_has_loaded_is_taken(monkeypatch, tmp_path):
    """The candidates in order: one NumPy has not loaded (skipped: loading it would start a second thread
    pool), one that is no library (skipped), then NumPy's own."""
    real = blas.library().path
    not_loaded, not_a_library = tmp_path / "a-not-loaded.so", tmp_path / "b-not-a-library.so"
    not_a_library.write_text("not a library")
    candidates = [str(not_loaded), str(not_a_library), real]
    monkeypatch.setattr(blas, "glob", SimpleNamespace(glob=lambda p: candidates if "numpy.libs" in p else []))
    loaded = {os.path.realpath(not_a_library), os.path.realpath(real)}
    monkeypatch.setattr(blas, "loaded_files", lambda: loaded)
    assert blas.find_library().path == real
    monkeypatch.setattr(blas, "loaded_files", lambda: set())  # NumPy loaded none of them
    assert blas.find_library() is None
    monkeypatch.setattr(blas, "loaded_files", lambda: None)  # the system does not say which are loaded
    monkeypatch.setattr(blas, "glob", SimpleNamespace(glob=lambda p: [real] if "numpy.libs" in p else []))
    assert blas.find_library().path == real


def test_older_numpy_wheels_name_the_functions_without_scipy_(monkeypatch):
    """NumPy's wheels before the scipy-openblas build call them cblas_dgemm64_ and so on."""
    real = ctypes.CDLL(blas.library().path)
    names = ["cblas_sgemm64_", "cblas_dgemm64_", "openblas_get_num_threads64_", "openblas_set_num_threads64_"]
    prefix = "scipy_" if hasattr(real, "scipy_cblas_sgemm64_") else ""  # NumPy < 2 has the old names itself
    old = SimpleNamespace(**{name: getattr(real, prefix + name) for name in names})
    monkeypatch.setattr(blas, "ctypes", SimpleNamespace(**{**vars(ctypes), "CDLL": lambda path: old}))
    lib = blas.find_library()
    assert lib is not None and lib.gemm[np.dtype(np.float64)] is old.cblas_dgemm64_


def test_the_library_is_searched_once(monkeypatch):
    blas.library.cache_clear()
    first = blas.library()
    assert first is not None and blas.library() is first


def test_info_names_the_library_and_its_threads(monkeypatch):
    info = blas.info()
    assert info.found and info.path == os.path.basename(blas.library().path)
    assert info.threads == blas.library().get_threads()
    monkeypatch.setattr(blas, "library", lambda: None)
    assert blas.info() == blas.Info(False, None, None)


def test_loaded_files_are_the_shared_libraries_of_this_process():
    files = blas.loaded_files()
    if not sys.platform.startswith("linux"):
        assert files is None or all(f.endswith(".so") for f in files)
        return
    assert files is not None
    numpy_dir = os.path.dirname(np.__file__)
    (umath,) = glob.glob(os.path.join(numpy_dir, "*", "_multiarray_umath*.so"))  # loaded by `import numpy`
    assert os.path.realpath(umath) in files and all(os.path.isabs(f) and f.endswith(".so") for f in files)


def test_the_check_accepts_a_right_gemm_and_refuses_a_wrong_one():
    right = {np.dtype(t): reference_gemm(t) for t in (np.float32, np.float64)}
    assert blas.works(fake_library(right))
    nothing = {**right, np.dtype(np.float64): lambda *args: None}  # float64 left as it was
    assert not blas.works(fake_library(nothing))
    slightly_off = {np.dtype(t): reference_gemm(t, error=1e-3) for t in (np.float32, np.float64)}
    assert not blas.works(fake_library(slightly_off))
    no_float32 = {**right, np.dtype(np.float32): lambda *args: None}  # each dtype is checked in its own
    assert not blas.works(fake_library(no_float32))
    rounding = {np.dtype(t): reference_gemm(t, error=3e-5) for t in (np.float32, np.float64)}
    assert blas.works(fake_library(rounding))  # float32 sums in another order differ in the 5th digit


def test_leading_dimension():
    x = np.zeros((3, 5))
    assert blas.leading_dimension(x) == 5
    assert blas.leading_dimension(x[:, :2]) == 5  # rows of a wider matrix: each row contiguous, 5 apart
    assert blas.leading_dimension(x[1:, 1:4]) == 5
    assert blas.leading_dimension(x.T) is None  # rows not contiguous
    assert blas.leading_dimension(x[:, ::2]) is None
    assert blas.leading_dimension(np.broadcast_to(np.zeros(4), (3, 4))) is None  # rows overlap
    overlapping = np.lib.stride_tricks.as_strided(np.zeros(10), shape=(3, 4), strides=(8, 8))
    assert blas.leading_dimension(overlapping) is None  # each row starts one element after the last
    odd = np.lib.stride_tricks.as_strided(np.zeros(8), shape=(2, 1), strides=(12, 8))
    assert blas.leading_dimension(odd) is None  # rows not a whole number of elements apart
    assert blas.leading_dimension(np.zeros((3, 4), np.float32)[:, 1:]) == 4


@pytest.mark.parametrize("layout", ["contiguous", "row slices", "transposed views"])
def test_gemm_tn_takes_any_strides(layout):
    rng = np.random.default_rng(2)
    A, B = rng.normal(size=(6, 3)), rng.normal(size=(6, 4))
    if layout == "row slices":
        A, B = np.hstack([A, rng.normal(size=(6, 2))])[:, :3], np.hstack([B, rng.normal(size=(6, 1))])[:, :4]
    elif layout == "transposed views":
        A, B = np.asfortranarray(A), np.asfortranarray(B)
    C = rng.normal(size=(3, 4))
    expected = 0.5 * C - 2.0 * (A.T @ B)
    blas.gemm_tn(-2.0, A, B, 0.5, C)
    np.testing.assert_allclose(C, expected, rtol=1e-12)


@pytest.fixture
def calls(monkeypatch):
    """Every call of NumPy's BLAS by gemm_tn, which still happens."""
    seen, real = [], blas.call_gemm
    monkeypatch.setattr(blas, "call_gemm", lambda *args: seen.append(args) or real(*args))
    return seen


def test_gemm_tn_uses_blas_for_every_matrix_it_can(calls):
    for k, m, n, dtype in ((5, 3, 4, np.float64), (4, 6, 2, np.float32), (1, 1, 1, np.float64)):
        A, B, C = np.ones((k, m), dtype), np.ones((k, n), dtype), np.ones((m, n), dtype)
        blas.gemm_tn(1.0, A, B, 1.0, C)
        np.testing.assert_array_equal(C, k + 1)
    assert len(calls) == 3


def fallback_cases():
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    return {
        "C not contiguous": (A, B, np.asfortranarray(rng.normal(size=(3, 4)))),
        "float16": (A.astype(np.float16), B.astype(np.float16), np.ones((3, 4), np.float16)),
        "A float32": (A.astype(np.float32), B, rng.normal(size=(3, 4))),
        "B float32": (A, B.astype(np.float32), rng.normal(size=(3, 4))),
        "C float32": (A, B, rng.normal(size=(3, 4)).astype(np.float32)),
    }


@pytest.mark.parametrize("case", list(fallback_cases()))
def test_gemm_tn_falls_back_to_numpy_where_blas_cannot_be_used(monkeypatch, case):
    A, B, C = fallback_cases()[case]
    seen = []
    monkeypatch.setattr(blas, "call_gemm", lambda *args: seen.append(args))  # BLAS would be wrong here
    expected = (0.5 * C - 2.0 * (A.T @ B)).astype(C.dtype)
    blas.gemm_tn(-2.0, A, B, 0.5, C)
    assert seen == []
    rtol = 1e-2 if C.dtype == np.float16 else 1e-6
    np.testing.assert_allclose(C, expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize(
    "shapes", [((5, 3), (5, 4), (2, 4)), ((5, 3), (5, 4), (3, 2)), ((5, 3), (6, 4), (3, 4))], ids=str
)
def test_gemm_tn_refuses_shapes_that_do_not_fit_without_calling_blas(monkeypatch, shapes):
    seen = []
    monkeypatch.setattr(blas, "call_gemm", lambda *args: seen.append(args))  # BLAS would write out of bounds
    A, B, C = (np.ones(shape) for shape in shapes)
    with pytest.raises(ValueError):
        blas.gemm_tn(1.0, A, B, 1.0, C)
    assert seen == []


@pytest.mark.parametrize("beta", [0.0, 1.0, 0.5, 2.0])
@pytest.mark.parametrize("found", [True, False], ids=["blas", "numpy fallback"])
def test_gemm_tn_formula(monkeypatch, found, beta):
    if not found:
        monkeypatch.setattr(blas, "library", lambda: None)
    rng = np.random.default_rng(4)
    A, B, C = rng.normal(size=(5, 3)), rng.normal(size=(5, 4)), rng.normal(size=(3, 4))
    expected = -2.0 * (A.T @ B) + (beta * C if beta else 0.0)
    if beta == 0.0:
        C[0, 0] = np.nan  # with beta = 0, C's old values are ignored
    blas.gemm_tn(-2.0, A, B, beta, C)
    np.testing.assert_allclose(C, expected, rtol=1e-12)
