"""The folder layout is the dependency rule: the numeric core imports NumPy, the standard library and
itself; io, explain and the front ends depend on the layers below them, never the reverse (the layers
themselves are import-linter contracts in pyproject.toml, which scripts/test checks)."""

import ast
import importlib
import sys
import warnings
from pathlib import Path

import pytest

import glassnet

CORE = Path(glassnet.__file__).parent / "core"


def imports_of(path: Path) -> set[str]:
    """Every module an import statement of ``path`` names, at any depth (lazy imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def test_the_core_imports_only_numpy_the_standard_library_and_itself():
    allowed = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    for path in sorted(CORE.glob("*.py")):
        for name in imports_of(path):
            if name.startswith("."):
                assert not name.startswith(".."), f"{path.name} imports {name}: outside the core"
                continue
            top = name.split(".")[0]
            assert top in allowed or name.startswith("glassnet.core"), f"{path.name} imports {name}"


def test_the_check_sees_lazy_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from glassnet.explain import render\n")
    assert "glassnet.explain" in imports_of(module)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("glassnet.interfaces.data", "glassnet.io.data"),
        ("glassnet.interfaces.modelfile", "glassnet.io.modelfile"),
        ("glassnet.interfaces.render", "glassnet.explain.render"),
        ("glassnet.interfaces.rowexplain", "glassnet.explain.rowexplain"),
        ("glassnet.interfaces.cli", "glassnet.cli"),
    ],
)
def test_the_old_import_paths_still_work_for_one_release_with_a_deprecation_warning(old, new):
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} is now {new}"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.import_module(old)  # warned once, then it is the new module


def test_the_readmes_old_from_imports_still_work():
    sys.modules.pop("glassnet.interfaces.onnx_export", None)
    with pytest.warns(DeprecationWarning):
        from glassnet.interfaces.onnx_export import export_onnx  # noqa: F401
    from glassnet.interfaces.data import read_idx
    from glassnet.io.data import read_idx as new_read_idx

    assert read_idx is new_read_idx
