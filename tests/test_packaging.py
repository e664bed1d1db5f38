"""The package builds as a wheel that installs into a fresh virtual environment and runs the demo."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("build.env")  # not the build/ folder a setuptools build leaves here
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (path,) = out.glob("glassnet-*.whl")
    return path


def test_wheel_declares_the_extras_and_ships_its_files(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith("METADATA"))).decode()
        entry_points = z.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    for extra in ("sklearn", "onnx", "web", "plot", "all", "dev"):
        assert f"Provides-Extra: {extra}" in meta
    assert "glassnet/py.typed" in names and "glassnet/core/network.py" in names
    for asset in ("index.html", "app.js", "style.css"):  # the explorer's page ships in the wheel
        assert f"glassnet/web/static/{asset}" in names
    assert "glassnet = glassnet.cli:main" in entry_points


def test_wheel_installs_into_a_fresh_venv_and_runs_the_demo(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / "bin"
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        check=True,
        timeout=600,
    )
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import glassnet; print(glassnet.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert str(venv) in where  # the wheel's copy, not this checkout
    run = subprocess.run(
        [str(bin_dir / "glassnet"), "demo", "--iterations", "10000", "--json"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    result = json.loads(run.stdout)
    assert result["updates"] == 10000
    assert abs(result["E_total"] - 3.51018778297885e-05) < 1e-12
