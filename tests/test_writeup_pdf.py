"""The write-up as a PDF, through the command line: printed by Chromium (Playwright) on A4 or Letter, read
back with poppler's pdfinfo and pdftotext. The page size is right, the text holds the classic figures and
every number of the HTML, nothing is printed in the side margins, and a failed run leaves no file.

A missing chromium or poppler-utils fails these tests with what to install; scripts/test installs both.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from glassnet import cli

from .conftest import CHROMIUM

MARGIN = 12 / 25.4 * 72  # write_pdf's left and right margins (12 mm), in points

CLASSIC_FIGURES = (
    "0.3775",
    "0.593269992",
    "1.105905967",
    "0.75136507",
    "0.298371109",
    "0.082167041",
    "0.35891648",
    "0.291027774",
    "0.291027924",
)


def write(args: list[str]) -> int:
    return cli.main(["writeup", *args])


@pytest.fixture(scope="module")
def tools():
    assert Path(CHROMIUM).exists(), "install Debian's chromium package (scripts/test does)"
    for tool in ("pdfinfo", "pdftotext"):
        assert shutil.which(tool), f"{tool} is missing: install Debian's poppler-utils (scripts/test does)"


def pdf_text(path: Path) -> str:
    """The PDF's text with U+2212 as '-' and no whitespace (MathML lays numbers out in pieces)."""
    run = ["pdftotext", "-enc", "UTF-8", str(path), "-"]
    out = subprocess.run(run, capture_output=True, text=True, check=True)
    return re.sub(r"\s+", "", out.stdout.replace("\u2212", "-"))


def page_size(path: Path) -> tuple[float, float, int]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    pages = re.search(r"Pages:\s+(\d+)", info)
    assert size and pages, info
    return float(size.group(1)), float(size.group(2)), int(pages.group(1))


def numbers_of(page: str) -> list[str]:
    """The text of every number the document takes from the trace (``<mn data-key=...>``)."""
    found = re.findall(r'<mn data-key="[^"]*">([^<]*)</mn>', page)
    assert found
    return sorted({html.unescape(n).replace("\u2212", "-") for n in found})


def text_extent(path: Path) -> tuple[float, float]:
    """The leftmost and rightmost edge of any word on any page, in points."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True)
    boxes = re.findall(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', out.stdout)
    assert boxes
    return min(float(a) for a, _ in boxes), max(float(b) for _, b in boxes)


@pytest.mark.usefixtures("tools")
@pytest.mark.parametrize(
    ("paper", "expected"),
    [(None, ((595, 596), (841, 843))), ("letter", ((612, 612.5), (792, 792.5)))],
    ids=["a4-default", "letter"],
)
def test_the_worked_example_as_a_pdf(tmp_path, capsys, paper, expected):
    pdf, page = tmp_path / "worked-example.pdf", tmp_path / "worked-example.html"
    assert write(["-o", str(pdf), *(["--paper", paper] if paper else [])]) == 0
    assert write(["-o", str(page)]) == 0
    assert f"wrote {pdf}" in capsys.readouterr().out
    assert pdf.read_bytes().startswith(b"%PDF-")
    width, height, pages = page_size(pdf)
    (w_lo, w_hi), (h_lo, h_hi) = expected
    assert w_lo <= width < w_hi and h_lo <= height < h_hi, (width, height)
    assert pages >= 2
    text = pdf_text(pdf)
    for figure in CLASSIC_FIGURES:
        assert figure in text, f"{figure} is not in the PDF's text"
    missing = [n for n in numbers_of(page.read_text(encoding="utf-8")) if n not in text]
    assert missing == [], f"numbers of the HTML missing from the PDF: {missing}"
    # nothing printed in the side margins (12 mm = 34 pt) or beyond the paper
    left, right = text_extent(pdf)
    assert left >= MARGIN - 1 and right <= width - MARGIN + 1, (left, right, width)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["worked-example.html", "worked-example.pdf"]


@pytest.mark.usefixtures("tools")
def test_an_exercise_as_a_pdf_has_its_blanks_and_its_key_the_answers(tmp_path):
    pdf = tmp_path / "exercise.pdf"
    assert write(["-o", str(pdf), "--exercise", "--paper", "letter"]) == 0
    key = tmp_path / "exercise-key.pdf"
    assert page_size(pdf)[:2] == page_size(key)[:2] == (612.0, 792.0)
    sheet, answers = pdf_text(pdf), pdf_text(key)
    assert "(1)" in sheet and "answer(1)" in answers
    assert "0.298371109" not in sheet and "0.298371109" in answers  # the error is blanked, and answered


@pytest.mark.parametrize(
    "where",
    ["missing-folder", "a-folder", "chromium-fails"],
)
def test_a_failed_pdf_leaves_no_file_and_says_why_in_one_line(tmp_path, capsys, monkeypatch, where):
    target = tmp_path / "out.pdf"
    if where == "missing-folder":
        target = tmp_path / "no-such-folder" / "out.pdf"
    elif where == "a-folder":
        target.mkdir()
    else:  # the browser cannot start: the failure comes in the middle of printing
        monkeypatch.setattr(shutil, "which", lambda name: str(tmp_path / "no-such-chromium"))
    before = sorted(tmp_path.rglob("*"))
    assert write(["-o", str(target)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert sorted(tmp_path.rglob("*")) == before  # no PDF, no partial file


@pytest.mark.usefixtures("tools")
def test_a_notebook_saves_a_pdf_inside_its_event_loop(tmp_path):
    """A Jupyter kernel runs an asyncio loop, where Playwright's sync API alone would refuse to start."""
    import asyncio

    from glassnet.core.examples import worked_example

    net, x, t, lr = worked_example()
    page = net.traced_step(x, t, lr).writeup()
    target = tmp_path / "step.pdf"

    async def in_the_kernel() -> None:
        page.save(str(target), paper="letter")

    asyncio.run(in_the_kernel())
    assert page_size(target)[:2] == (612.0, 792.0)
    assert "0.298371109" in pdf_text(target)


@pytest.mark.usefixtures("tools")
@pytest.mark.parametrize(
    "network",
    [
        ["--layers", "4,16,16,3", "--activation", "relu", "--loss", "categorical_crossentropy"],
        ["--layers", "20,30,10"],
    ],
    ids=["relu-4-16-16-3", "sigmoid-20-30-10"],
)
def test_a_larger_network_prints_within_the_margins_with_every_number(tmp_path, network):
    pdf, page = tmp_path / "step.pdf", tmp_path / "step.html"
    assert write(["-o", str(pdf), *network]) == 0
    assert write(["-o", str(page), *network]) == 0
    width, _, pages = page_size(pdf)
    left, right = text_extent(pdf)
    assert left >= MARGIN - 1 and right <= width - MARGIN + 1, (left, right, width, pages)
    text = pdf_text(pdf)
    missing = [n for n in numbers_of(page.read_text(encoding="utf-8")) if n not in text]
    assert missing == [], f"numbers of the HTML missing from the PDF: {missing[:20]}"
