"""The README's first command, exactly as written there, sets up a fresh clone and runs the worked example.

The command is read from README.md, so the two cannot drift apart. It runs in a clone of this repository's
committed HEAD (what a newcomer gets), outside any virtual environment this suite runs in, with the first
`python3` on PATH; it installs glassnet into the clone's own `.venv` from the package index.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def first_command() -> str:
    """The first shell block of the README's "Two commands" section."""
    section = README.split("## Two commands", 1)[1]
    return re.search(r"```bash\n(.*?)\n```", section, flags=re.S).group(1).strip()


def test_the_first_command_is_one_line_that_runs_the_demo():
    command = first_command()
    assert "\n" not in command and "demo" in command


def outside_this_environment() -> dict[str, str]:
    """This process's environment without the virtual environment the suite runs in."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    ours = Path(sys.prefix).resolve()
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and not Path(p).resolve().is_relative_to(ours)
    )
    return env


def test_the_first_command_in_a_fresh_clone_prints_the_worked_example(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to clone")
    clone = tmp_path / "glassnet"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    done = subprocess.run(
        ["bash", "-c", first_command()],
        cwd=clone,
        env=outside_this_environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"E_total = E_o1 \+ E_o2 = 0\.274811083 \+ 0\.023560026 = 0\.298371109", done.stdout)
    # glassnet went into the clone's own .venv, where the README says it is, and runs from there.
    installed = subprocess.run(
        [str(clone / ".venv" / "bin" / "glassnet"), "demo", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stderr
    assert json.loads(installed.stdout)["loss_total"] == pytest.approx(0.298371109, abs=5e-10)


@pytest.mark.parametrize("python", ["/nonexistent/python3", "/bin/false", "python3 -I"])
def test_a_bad_python_is_one_error_line(python):
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo")],
        env={**outside_this_environment(), "PYTHON": python},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert repr(python) in done.stderr or f"'{python}'" in done.stderr


def test_a_lock_that_no_longer_matches_pyproject_is_refused_with_the_command_that_fixes_it(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to clone")
    clone = tmp_path / "glassnet"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    pyproject = clone / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"rich>=13"', '"rich>=13.5"'))
    done = subprocess.run(
        ["bash", "scripts/test"],
        cwd=clone,
        env=outside_this_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 2
    assert "error: uv.lock does not match pyproject.toml; run 'bash scripts/uv lock'" in done.stderr
    assert not (clone / ".venv").exists()
