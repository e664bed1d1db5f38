"""The folder layout is the dependency rule: the numeric core imports NumPy, the standard library and
itself; the interfaces depend on the core, never the reverse."""

import ast
import sys
from pathlib import Path

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
    module.write_text("def f():\n    from glassnet.interfaces import render\n")
    assert "glassnet.interfaces" in imports_of(module)
