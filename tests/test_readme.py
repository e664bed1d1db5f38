"""The README's Python tour runs as written."""

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
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
