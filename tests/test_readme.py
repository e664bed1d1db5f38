"""The README's Python tour runs as written."""

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
RUNNABLE = [
    b for b in BLOCKS if "from glassnet import Network" in b or "from glassnet import load, load_model" in b
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


WRITEUP = README[README.index("## Write-ups: the walkthrough for any network") :]
WRITEUP = WRITEUP[: WRITEUP.index("\n## ")]
WRITEUP_COMMANDS = [
    line.split("#")[0].strip() for line in WRITEUP.splitlines() if line.startswith("glassnet writeup ")
]


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(c, id=c.split()[3], marks=[pytest.mark.needs("playwright")] if ".pdf" in c else [])
        for c in WRITEUP_COMMANDS
    ],
)
def test_readme_writeup_command_runs(command, tmp_path, monkeypatch, capsys):
    """Each ``glassnet writeup`` command of the README writes what the README says it does."""
    from glassnet import cli

    monkeypatch.chdir(tmp_path)
    args = shlex.split(command)[1:]
    assert cli.main(args) == 0
    output = Path(args[args.index("-o") + 1])
    stem, suffix = output.stem, output.suffix
    if "--students" in args:
        count = int(args[args.index("--students") + 1])
        expected = {f"{stem}-{k}{suffix}" for k in range(1, count + 1)}
        expected |= {f"{stem}-{k}-key{suffix}" for k in range(1, count + 1)}
    elif "--exercise" in args or "--blank" in args:
        expected = {output.name, f"{stem}-key{suffix}"}
    else:
        expected = {output.name}
    assert {p.name for p in tmp_path.iterdir()} == expected
    assert capsys.readouterr().out.startswith("wrote ")


def test_readme_has_the_writeup_commands():
    assert len(WRITEUP_COMMANDS) >= 6
    assert "glassnet writeup -o worked-example.html" in WRITEUP_COMMANDS


def test_readme_writeup_block_runs(tmp_path, monkeypatch):
    (block,) = [b for b in BLOCKS if ".writeup()" in b]
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "step.html").read_text(encoding="utf-8").startswith("<!doctype html>")
