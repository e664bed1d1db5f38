"""The documents committed under docs/ are what the current code writes."""

from pathlib import Path

from glassnet import cli

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "docs" / "worked-example.html"
REGENERATE = "glassnet writeup -o docs/worked-example.html"


def test_the_committed_worked_example_is_current(tmp_path, capsys):
    fresh = tmp_path / "worked-example.html"
    assert cli.main(["writeup", "-o", str(fresh)]) == 0
    assert COMMITTED.exists(), f"docs/worked-example.html is missing: run `{REGENERATE}` and commit it"
    assert fresh.read_bytes() == COMMITTED.read_bytes(), (
        f"docs/worked-example.html is out of date: run `{REGENERATE}` and commit it"
    )
