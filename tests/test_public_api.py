"""The curated public API: what ``glassnet``, ``glassnet.io`` and ``glassnet.explain`` export by name."""

import importlib
import subprocess
import sys

import pytest

import glassnet


@pytest.mark.parametrize("package", ["glassnet", "glassnet.io", "glassnet.explain"])
def test_every_exported_name_resolves_to_the_object_its_module_defines(package):
    module = importlib.import_module(package)
    table = getattr(module, "LAZY", None) or {
        name: f"{package}.{sub}" for name, sub in getattr(module, "PUBLIC", {}).items()
    }
    for name in module.__all__:
        value = getattr(module, name)
        if name in table:
            assert value is getattr(importlib.import_module(table[name]), name)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        module.nothing_here  # noqa: B018


def test_the_readme_tour_runs_from_the_top_level_names():
    net, x, t, lr = glassnet.worked_example()
    assert isinstance(net, glassnet.Network)
    result = glassnet.fit(net, x, t, glassnet.SGD(lr), epochs=3)
    assert isinstance(result, glassnet.FitResult) and result.epochs == 3
    assert glassnet.load_model is importlib.import_module("glassnet.io.modelfile").load_model


def test_importing_glassnet_loads_neither_the_front_ends_nor_the_optional_extras():
    code = (
        "import sys, glassnet; "
        "print(sorted(m for m in ('glassnet.cli', 'glassnet.web', 'glassnet.sklearn', 'sklearn', 'onnx', "
        "'matplotlib', 'fastapi', 'glassnet.io.onnx_export') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
