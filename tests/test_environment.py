"""The environments scripts/test makes hold what they should: every extra, and the versions the lock names."""

import os
import re
import tomllib
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODE = os.environ.get("GLASSNET_TEST_ENV")

# One importable module of each extra's packages and of the test tools: in the full environments nothing
# may be skipped for want of them (conftest.py leaves out what needs a missing module).
EXTRAS = [
    "matplotlib",
    "sklearn",
    "onnx",
    "onnxruntime",
    "fastapi",
    "uvicorn",
    "multipart",
    "pandas",
    "distributed",
    "nbclient",
    "nbformat",
    "ipykernel",
    "IPython",
    "build.env",
    "playwright",
    "schemathesis",
    "hypothesis",
]


@pytest.mark.skipif(MODE not in ("locked", "latest"), reason="only in the full environments of scripts/test")
def test_every_extra_is_installed():
    assert [name for name in EXTRAS if find_spec(name) is None] == []


def locked_versions(name: str) -> set[str]:
    """The versions uv.lock names for a package (more than one where Python versions need different ones)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {p["version"] for p in lock["package"] if p["name"] == name}


@pytest.mark.skipif(MODE != "locked", reason="only in the locked environment of scripts/test")
@pytest.mark.parametrize("name", ["numpy", "pytest", "mypy", "ruff", "ipython", "hypothesis", "scikit-learn"])
def test_the_locked_versions_are_the_ones_installed(name):
    assert version(name) in locked_versions(name)


@pytest.mark.skipif(MODE != "oldest", reason="only in the oldest environment of scripts/test")
@pytest.mark.parametrize("name", ["numpy", "rich", "safetensors", "pydantic"])
def test_the_oldest_versions_are_the_declared_lower_bounds(name):
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (bound,) = [re.fullmatch(rf"{name}>=([\d.]+)", d).group(1) for d in declared if d.startswith(name)]
    assert [int(p) for p in version(name).split(".")] == [*map(int, bound.split(".")), 0, 0][:3]
