"""The README's Python tour runs as written."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
RUNNABLE = [
    b for b in BLOCKS if "from glassnet import Network" in b or "from glassnet.core.model import train" in b
]


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(RUNNABLE[0], id="tour"),
        pytest.param(RUNNABLE[1], id="real data", marks=pytest.mark.needs("sklearn")),
    ],
)
def test_readme_block_runs(block, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert out.strip()


def test_the_fashion_mnist_command_is_the_one_the_recipe_benchmark_measures():
    """The README's accuracy range comes from benchmarks/fashion_recipe.py: both must run the same command."""
    spec = importlib.util.spec_from_file_location("fashion_recipe", ROOT / "benchmarks" / "fashion_recipe.py")
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    assert f"{recipe.RECIPE} --seed 0 --save fashion.safetensors" in README
