"""The shared network layout: no label meets another label or a neuron, nothing leaves the canvas; checked
on the layout's own boxes and, in a real browser, on the boxes the drawn SVG texts occupy."""

import itertools
import re
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from glassnet.core.examples import worked_example
from glassnet.core.network import Network
from glassnet.explain.drawing import network_svg, trace_svg
from glassnet.explain.layout import Box, Layout, network_layout
from glassnet.explain.render import fmt

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
WIDTHS = (1280, 390)


def networks():
    return {
        "worked-example": worked_example()[0],  # 2-2-2 with shared biases
        "2-4-3": Network([2, 4, 3], bias="per_neuron", seed=0),
        "xor": Network([2, 4, 1], activation="tanh", bias="per_neuron", seed=0),
        "2-8-8-1": Network([2, 8, 8, 1], bias="per_neuron", seed=0),
        "2-16-16-16-16-1": Network([2, 16, 16, 16, 16, 1], bias="per_neuron", seed=0),
    }


def layout_of(net: Network, width: float) -> Layout:
    values = net.parameters()
    refs = net.parameter_refs
    return network_layout(
        net.neuron_names,
        [
            (r.name, r.source, r.targets[0], f"{r.name}={fmt(values[r.name])}")
            for r in refs
            if r.kind == "weight"
        ],
        [(r.name, r.targets, f"{r.name}={fmt(values[r.name])}") for r in refs if r.kind == "bias"],
        width,
    )


def problems(layout: Layout) -> list[str]:
    """Every overlap of two labels, of a label and a neuron, and everything outside the canvas."""
    found = []
    for a, b in itertools.combinations(layout.labels, 2):
        if a.box.meets(b.box):
            found.append(f"{a.key} meets {b.key}")
    for label in layout.labels:
        found += [
            f"{label.key} meets {n.name}" for n in layout.neurons if label.box.meets_circle(n.x, n.y, n.r)
        ]
        if not label.box.inside(layout.width, layout.height):
            found.append(f"{label.key} leaves the canvas")
    for n in layout.neurons:
        if not Box(n.x - n.r, n.y - n.r, 2 * n.r, 2 * n.r).inside(layout.width, layout.height):
            found.append(f"{n.name} leaves the canvas")
    return found


def test_the_checker_finds_overlaps():
    lay = layout_of(worked_example()[0], 720)
    w1, w2 = lay.label("w1"), lay.label("w2")
    assert w1 is not None and w2 is not None and problems(lay) == []
    moved = replace(lay, labels=[*lay.labels, replace(w2, key="copy", box=w1.box)])
    assert "w1 meets copy" in problems(moved)
    h1 = lay.neurons[2]
    on_h1 = replace(w1, key="on-h1", box=Box(h1.x + h1.r - 2, h1.y - 3, 30, 6))
    assert "on-h1 meets h1" in problems(replace(lay, labels=[on_h1]))
    assert "w1 leaves the canvas" in problems(replace(lay, width=w1.box.x + 1))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(networks()))
def test_labels_meet_nothing_and_stay_on_the_canvas(name, width):
    net = networks()[name]
    lay = layout_of(net, width)
    assert problems(lay) == []
    assert lay.width == width and len(lay.edges) == sum(r.kind == "weight" for r in net.parameter_refs)
    keys = [label.key for label in lay.labels]
    assert len(set(keys)) == len(keys) and not set(keys) & set(lay.hidden)
    assert sorted([*keys, *lay.hidden]) == sorted(r.name for r in net.parameter_refs)
    placed = {label.key: label for label in lay.labels}
    ends = {e.key: e for e in lay.edges}
    pos = {n.name: n for n in lay.neurons}
    for key, label in placed.items():
        cx, cy = label.box.x + label.box.w / 2, label.box.y + label.box.h / 2
        if label.kind == "weight":  # on its edge: the box's centre on the segment
            e = ends[key]
            cross = (e.x2 - e.x1) * (cy - e.y1) - (e.y2 - e.y1) * (cx - e.x1)
            assert abs(cross) / ((e.x2 - e.x1) ** 2 + (e.y2 - e.y1) ** 2) ** 0.5 < 0.01
            assert min(e.x1, e.x2) < cx < max(e.x1, e.x2)
        else:  # beside its neuron
            n = pos[label.neuron or ""]
            assert ((cx - n.x) ** 2 + (cy - n.y) ** 2) ** 0.5 < n.r + label.box.w / 2 + label.box.h + 4
    if len(net.parameter_refs) <= 40:
        assert lay.hidden == []  # the small networks have room for every label
    else:
        assert len(lay.labels) >= 20  # the large ones label some


@pytest.mark.parametrize("width", [720, 390])
def test_the_worked_example_labels_every_weight_and_bias(width):
    net, x, t, lr = worked_example()
    lay = layout_of(net, width)
    assert lay.hidden == [] and {label.key for label in lay.labels} == {f"w{k}" for k in range(1, 9)} | {
        "b1",
        "b2",
    }
    trace = net.traced_step(x, t, lr).to_dict()  # nine-digit values after the step
    for which in ("old", "new"):
        svg = trace_svg(trace, which, width=width)
        assert svg.count('class="label weight"') == 8 and svg.count('class="label bias"') == 2
    assert "w5=0.35891648" in trace_svg(trace, "new", width) and "w5=0.4" in trace_svg(trace, "old", width)


def test_wide_layers_show_their_first_neurons_and_a_count():
    lay = layout_of(Network([2, 30, 1], seed=0), 720)
    assert [n.name for n in lay.neurons if n.layer == 1] == [f"h{k}" for k in range(1, 25)]
    assert lay.more == [0, 6, 0]
    more = lay.label("more#1")
    assert more is not None and more.text == "+6 more" and problems(lay) == []


def test_height_grows_with_the_tallest_layer_and_notes_sit_above_their_neuron():
    small, tall = layout_of(Network([2, 2, 1], seed=0), 720), layout_of(Network([2, 12, 1], seed=0), 720)
    assert tall.height > small.height * 3
    lay = network_layout(
        [["i1"], ["o1"]], [], [], 300, neuron_notes={"o1": ["net 0.3775", "out 0.593269992"]}
    )
    net, out = lay.label("o1#0"), lay.label("o1#1")
    (o1,) = [n for n in lay.neurons if n.name == "o1"]
    assert net is not None and out is not None and net.y < out.y < o1.y - o1.r and problems(lay) == []


def test_the_layout_is_plain_data():
    data = asdict(layout_of(worked_example()[0], 720))
    assert set(data) >= {"width", "height", "neurons", "edges", "labels", "hidden"}
    assert set(data["labels"][0]["box"]) == {"x", "y", "w", "h"}


def test_network_svg_halo_and_hover():
    svg = network_svg(worked_example()[0])
    # each of the 10 labels stands on a white ground of its own box, drawn just before it
    assert svg.count('class="halo"') == 10 and svg.count("<rect") == 10
    assert re.search(r'<rect class="halo"[^>]*/>\s*<text class="label weight" data-label="w1"', svg)
    assert "<title>w7 = 0.5</title>" in svg and "b1 = 0.35" in svg  # hovers carry every value
    with pytest.raises(ValueError, match="'old' or 'new'"):
        trace_svg({"sizes": [1, 1], "parameters": []}, "mid")


# ---------------------------------------------------------------------------------------------- browser
MEASURE = """() => {
  const svg = document.querySelector('svg');
  const [, , W, H] = svg.getAttribute('viewBox').split(' ').map(Number);
  const box = (t) => { const b = t.getBBox(); return {x: b.x, y: b.y, w: b.width, h: b.height}; };
  const labels = [...svg.querySelectorAll('text.label')].map((t) => ({key: t.dataset.label, ...box(t)}));
  const names = [...svg.querySelectorAll('text.name')].map(box);
  const circles = [...svg.querySelectorAll('circle')].map(
    (c) => ({x: c.cx.baseVal.value, y: c.cy.baseVal.value, r: c.r.baseVal.value}));
  return {W, H, labels, names, circles};
}"""


@pytest.mark.needs("playwright")
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(networks()))
def test_drawn_labels_meet_nothing_in_a_browser(browser, name, width):
    net = networks()[name]
    lay = layout_of(net, width)
    page = browser.new_page(viewport={"width": width + 20, "height": 800})
    page.set_content(f"<!doctype html><body style='margin:0'>{network_svg(net, width)}</body>")
    m = page.evaluate(MEASURE)
    if name in ("worked-example", "2-8-8-1"):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{width}.png"), full_page=True)
    page.close()
    assert (m["W"], m["H"]) == (lay.width, lay.height)
    assert len(m["labels"]) == len(lay.labels) > 0 and len(m["circles"]) == len(lay.neurons)
    boxes = {b["key"]: Box(b["x"], b["y"], b["w"], b["h"]) for b in m["labels"]}
    for key, b in boxes.items():  # the estimate is conservative: the drawn text lies within its box
        est = next(label.box for label in lay.labels if label.key == key)
        assert est.x <= b.x and b.x + b.w <= est.x + est.w and est.y <= b.y and b.y + b.h <= est.y + est.h, (
            key
        )
        assert b.w > 0.6 * est.w, key  # and not wildly so
        assert b.inside(m["W"], m["H"]), key
        assert not any(b.meets_circle(c["x"], c["y"], c["r"]) for c in m["circles"]), key
        assert not any(b.meets(Box(n["x"], n["y"], n["w"], n["h"])) for n in m["names"]), key
    for (k1, a), (k2, b) in itertools.combinations(boxes.items(), 2):
        assert not a.meets(b), (k1, k2)
    for n, c in zip(m["names"], m["circles"], strict=True):  # a neuron's name fits its circle
        assert Box(n["x"], n["y"], n["w"], n["h"]).meets_circle(c["x"], c["y"], c["r"])
        assert c["x"] - c["r"] <= n["x"] and n["x"] + n["w"] <= c["x"] + c["r"]
