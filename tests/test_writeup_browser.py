"""The write-up in a real browser (Debian's chromium driven by Playwright): nothing overflows a laptop's
or a phone's screen or the content box of a printed A4 or Letter page, the MathML is really laid out, and
the document loads nothing. The PDF itself is tested in test_writeup_pdf.py.

A missing chromium fails these tests with what to install; scripts/test installs it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from glassnet import cli

WIDTHS = (1280, 390)  # a laptop and a phone

#: Paper sizes in CSS pixels (96 per inch) and the margins write_pdf prints with (12 mm left and right).
MM = 96 / 25.4
PAPERS = {"a4": 210 * MM, "letter": 8.5 * 96}
SIDE_MARGIN = 12 * MM

#: The documents checked: the classic worked example, an exercise, and two larger networks.
DOCUMENTS = {
    "worked-example": [],
    "exercise": ["--exercise"],
    "exercise-key": ["--exercise"],  # the answer key the exercise writes beside it
    "relu-4-16-16-3": ["--layers", "4,16,16,3", "--activation", "relu", "--loss", "categorical_crossentropy"],
    "sigmoid-20-30-10": ["--layers", "20,30,10"],
}


def write(args: list[str]) -> int:
    return cli.main(["writeup", *args])


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("writeups")
    paths = {}
    for name, options in DOCUMENTS.items():
        if name == "exercise-key":
            paths[name] = folder / "exercise-key.html"
            continue
        path = folder / f"{name}.html"
        assert write(["-o", str(path), *options]) == 0
        paths[name] = path
    assert paths["exercise-key"].exists()
    return paths


def open_document(browser, path: Path, width: int, media: str = "screen"):
    """The document in a fresh page of ``width`` CSS pixels; every request it makes is recorded."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.emulate_media(media=media)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert requests == [path.as_uri()], f"the document loaded more than itself: {requests}"
    assert errors == []
    return page


# What sticks out of the viewport. On a screen, content inside a .table-wrap scrolls sideways by design (a
# wide table on a phone) and only the .table-wrap itself must fit; paper does not scroll, so printed, the
# table inside must fit too. Hidden elements (the drawing not shown at this width) have
# no box and are left out.
OVERFLOW = """
(printed) => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('.eq, math, svg, table, figure, .table-wrap, .rule, img, pre')) {
    if (!printed && !el.classList.contains('table-wrap') && el.closest('.table-wrap')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -0.5 || r.right > width + 0.5) {
      const where = el.closest('[data-quantity]');
      out.push(`${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className} ` +
               `${where ? where.dataset.quantity : ''} [${r.left.toFixed(1)}, ${r.right.toFixed(1)}]`);
    }
  }
  return {
    width,
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
    out: out.slice(0, 20),
    count: out.length,
  };
}
"""


def assert_fits(page, what: str, printed: bool = False) -> dict:
    found = page.evaluate(OVERFLOW, printed)
    assert found["scrollWidth"] <= found["width"], f"{what}: the page scrolls sideways: {found}"
    assert found["count"] == 0, f"{what}: {found['count']} elements stick out of {found['width']}px: {found}"
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_nothing_overflows_the_screen(browser, documents, name, width):
    page = open_document(browser, documents[name], width)
    assert_fits(page, f"{name} at {width}px")
    # the drawing shown is the one for this width, and it fits too
    shown = page.evaluate(
        "[...document.querySelectorAll('figure svg')].filter(s => s.getBoundingClientRect().width > 0).length"
    )
    assert shown == 1
    page.close()


@pytest.mark.parametrize("paper", list(PAPERS))
@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_nothing_is_cut_off_at_the_printed_margins(browser, documents, name, paper):
    """Print media at the width of the page's content box (the paper less write_pdf's margins)."""
    content = int(PAPERS[paper] - 2 * SIDE_MARGIN)  # rounded down: the stricter width
    page = open_document(browser, documents[name], content, media="print")
    found = assert_fits(page, f"{name} printed on {paper} ({content}px wide)", printed=True)
    assert found["width"] == content
    # print shows the wide drawing, scaled down to the page
    assert page.evaluate("getComputedStyle(document.querySelector('.drawing-wide')).display") == "block"
    page.close()


@pytest.mark.parametrize("name", ["worked-example", "exercise", "relu-4-16-16-3"])
def test_mathml_is_laid_out(browser, documents, name):
    page = open_document(browser, documents[name], 1280)
    m = page.evaluate(
        """() => {
      const math = document.querySelector('.eq math');
      const frac = document.querySelector('mfrac');
      const [num, den] = frac.children;
      const line = parseFloat(getComputedStyle(document.querySelector('p')).lineHeight);
      const box = e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom,
                                                                      width: r.width, height: r.height}; };
      return {display: getComputedStyle(math).display, math: box(math), frac: box(frac),
              num: box(num), den: box(den), line, fontSize: parseFloat(getComputedStyle(frac).fontSize),
              fracs: document.querySelectorAll('mfrac').length};
    }"""
    )
    # MathML Core: a math element is laid out as math, not as unknown inline text
    assert m["display"] in ("inline math", "block math"), m
    assert m["math"]["width"] > 0 and m["math"]["height"] > 0, m
    # a fraction stacks its numerator over its denominator: taller than a line of text
    assert m["frac"]["height"] > m["line"], m
    assert m["num"]["bottom"] <= m["den"]["top"] + 1, m
    page.close()


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_no_script_and_no_external_url(documents, name):
    text = documents[name].read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert not re.search(r"\son\w+\s*=", text), "an event handler attribute"
    urls = set(re.findall(r"(?:https?:|ftp:|data:|file:)?//[^\s\"'<>)]+", text, flags=re.I))
    namespaces = {"http://www.w3.org/2000/svg", "http://www.w3.org/1998/Math/MathML"}
    assert urls <= namespaces, f"external references: {sorted(urls - namespaces)}"
    for attr in re.findall(r"\s(?:src|href|xlink:href|action|srcset)\s*=\s*\"([^\"]*)\"", text, flags=re.I):
        assert attr.startswith("#"), f"a reference out of the document: {attr}"
    assert "@import" not in text and "url(" not in text
