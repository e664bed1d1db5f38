"""The explorer's drawing stays readable at every size the page allows: in Chromium at 1440x900, 1280x720
and 390x844, for the worked example, xor with 4 hidden neurons, moons with 8,8 and a 4 x 16 network, no
visible text of the drawing meets another or a neuron's circle (its own name inside its own circle aside),
and nothing is cut off."""

import itertools
from pathlib import Path

import pytest

from glassnet.explain.layout import Box

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
SIZES = [(1440, 900), (1280, 720), (390, 844)]
NETWORKS = [  # dataset, hidden layers, neurons drawn
    ("worked-example", "2", 6),
    ("xor", "4", 8),
    ("moons", "8,8", 20),
    ("spirals", "16,16,16,16", 68),
]


# Every text of the drawing that is shown (not display:none, not empty), with the neuron it names if it is
# a neuron's own name (drawn inside its circle), and every circle with its neuron.
MEASURE = """() => {
  const svg = document.getElementById('network');
  const [, , W, H] = svg.getAttribute('viewBox').split(' ').map(Number);
  const shown = (t) => t.textContent.trim() && t.getClientRects().length > 0
    && getComputedStyle(t).visibility !== 'hidden' && getComputedStyle(t).display !== 'none';
  const texts = [...svg.querySelectorAll('text')].filter(shown).map((t) => {
    const b = t.getBBox();
    const g = t.closest('[data-neuron]');
    const name = g && g.getAttribute('data-neuron');
    const own = name && t.textContent.trim() === name ? name : null;
    return [b.x, b.y, b.width, b.height, t.textContent, own];
  });
  const circles = [...svg.querySelectorAll('[data-neuron] > circle')].map((c) => [
    c.cx.baseVal.value, c.cy.baseVal.value, c.r.baseVal.value,
    c.closest('[data-neuron]').getAttribute('data-neuron')]);
  const rect = svg.getBoundingClientRect();
  return {W, H, texts, circles, right: rect.right, pageWidth: document.documentElement.clientWidth};
}"""


def open_network(browser, server, size, dataset, layers, neurons):
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    page.get_by_test_id("dataset").select_option(dataset)
    page.get_by_test_id("layers").fill(layers)
    page.get_by_test_id("layers").press("Tab")
    page.get_by_test_id("apply").click()
    page.wait_for_function(
        f"document.querySelectorAll('#network [data-neuron] > circle').length === {neurons}"
    )
    page.get_by_test_id("step").click()
    page.wait_for_function("document.querySelector('[data-testid=steps]').textContent === '1'")
    page.wait_for_function("document.querySelectorAll('#network text.note').length > 0")
    return page, errors


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize(
    ("dataset", "layers", "neurons"), NETWORKS, ids=[n[0] + "-" + n[1] for n in NETWORKS]
)
def test_no_text_of_the_drawing_meets_another_or_a_neuron(server, browser, size, dataset, layers, neurons):
    page, errors = open_network(browser, server, size, dataset, layers, neurons)
    m = page.evaluate(MEASURE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"overlap-{dataset}-{size[0]}.png"), full_page=True)
    page.close()
    assert errors == []
    texts = [(Box(*t[:4]), t[4], t[5]) for t in m["texts"]]
    labels = [t for t in texts if t[2] is None]
    assert len(labels) >= {"worked-example": 16, "xor": 10, "moons": 20, "spirals": 20}[dataset]
    if dataset == "worked-example" and size[0] >= 1280:  # every weight, bias, net input and output fits
        assert len(labels) == 8 + 2 + 2 * 4 + 2
    assert m["right"] <= m["pageWidth"] + 0.5  # the drawing is not cut off by the page
    for box, text, _ in texts:
        assert box.inside(m["W"], m["H"]), text
    for box, text, own in texts:
        for x, y, r, neuron in m["circles"]:
            if neuron != own:
                assert not box.meets_circle(x, y, r), (text, neuron)
    meetings = [(ta, tb) for (a, ta, _), (b, tb, _) in itertools.combinations(texts, 2) if a.meets(b)]
    assert meetings == []
    print(f"{dataset} {layers} at {size[0]}x{size[1]}: {len(labels)} labels, {len(texts)} texts, 0 overlaps")
