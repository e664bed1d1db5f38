"""The explorer's charts (static/charts.js) in a real browser, drawn from states the real server sends.

Each test creates a session through the HTTP API, trains it, fetches its state and hands that state to one
of charts.js's functions inside the page (``import('/static/charts.js')`` on a fresh element), then checks
what was drawn: positions, texts, test ids and pixel colours.
"""

import json
import urllib.request

import pytest

from .test_web_timeline import MOONS


@pytest.fixture(scope="module")
def page(server, browser):
    """The explorer's page: charts.js is imported from it, so it is served as the page serves it."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(server)
    yield page
    page.close()


def call(server, method, path, body=None):
    """One request to the explorer's API (``?width=640``): the JSON it answers."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{server}{path}?width=640", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def session(server, settings, steps=0):
    """A new session with ``settings``, trained ``steps`` steps: its state."""
    state = call(server, "POST", "api/sessions", settings)
    if steps:
        state = call(server, "POST", f"api/sessions/{state['session']}/train", {"steps": steps})
    return state


def neuron_names(state):
    """The hidden and output neurons' names."""
    return [name for layer in state["names"][1:] for name in layer]


# -------------------------------------------------------------------------------------------- the loss curve
CURVE = """async (state) => {
  const m = await import('/static/charts.js');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.style.width = '300px'; svg.style.height = '180px';
  document.body.append(svg);
  m.drawCurve(svg, state);
  const xs = (line) => line.getAttribute('points').trim().split(' ').map((p) => Number(p.split(',')[0]));
  const frame = svg.querySelector('.chart-axes rect');
  const left = Number(frame.getAttribute('x')), width = Number(frame.getAttribute('width'));
  const train = svg.querySelector('.chart-train'), test = svg.querySelector('[data-testid=test-loss]');
  const marker = svg.querySelector('.chart-viewing');
  const result = {
    viewBox: svg.getAttribute('viewBox'), left, right: left + width,
    train: xs(train), test: test ? xs(test) : null, polylines: svg.querySelectorAll('polyline').length,
    colours: [...svg.querySelectorAll('polyline')].map((p) => p.getAttribute('stroke')),
    yTicks: [...svg.querySelectorAll('.chart-y-tick')].map((t) => t.textContent),
    xTicks: [...svg.querySelectorAll('.chart-x-tick')].map((t) => t.textContent),
    legend: [...svg.querySelectorAll('.chart-legend-item text')].map((t) => t.textContent),
    marker: marker ? Number(marker.getAttribute('x1')) : null,
    viewingLoss: svg.querySelector('.chart-viewing-loss') !== null,
  };
  svg.remove();
  return result;
}"""


def test_the_curve_spans_every_step_with_test_loss_and_a_marker_when_looking_back(server, page):
    state = session(server, {**MOONS, "test_ratio": 0.2}, steps=3000)
    assert state["steps"] == 3000 and state["history"][-1][0] == 3000 and state["history"][-1][2] is not None
    curve = page.evaluate(CURVE, state)
    assert curve["viewBox"] == "0 0 300 180"  # the svg's own size
    left, right = curve["left"], curve["right"]
    assert right - left > 200
    # step 0 at the left edge, step 3000 at the right: not a sliver at the right end (the old bug)
    assert curve["train"][0] == pytest.approx(left, abs=0.1)
    assert curve["train"][-1] == pytest.approx(right, abs=0.1)
    assert curve["test"] is not None and curve["test"][-1] == pytest.approx(right, abs=0.1)
    assert curve["polylines"] == 2 and curve["colours"][0] != curve["colours"][1]
    assert curve["legend"] == ["training", "test"]
    assert len(curve["yTicks"]) >= 2
    losses = [loss for row in state["history"] for loss in row[1:]]
    assert all(min(losses) / 2 <= float(t) <= max(losses) * 2 for t in curve["yTicks"])  # loss values
    assert curve["xTicks"][0] == "0" and len(curve["xTicks"]) >= 3
    assert curve["marker"] is None  # live

    # looking back at step 1500: a marker halfway; the history is the whole run
    back = call(server, "GET", f"api/sessions/{state['session']}/steps/1500")
    assert back["live"] is False and back["viewing"] == 1500
    curve = page.evaluate(CURVE, back)
    assert curve["marker"] == pytest.approx((left + right) / 2, abs=0.1) and curve["viewingLoss"]
    assert curve["train"][-1] == pytest.approx(right, abs=0.1)

    # a history that does not start at step 0 still places each point at its own step
    later = {**state, "history": state["history"][len(state["history"]) // 2 :]}
    first = later["history"][0][0]
    curve = page.evaluate(CURVE, later)
    assert curve["train"][0] == pytest.approx(left + (right - left) * first / 3000, abs=0.1)


def test_the_curve_without_test_rows_has_one_line_and_skips_non_finite_losses(server, page):
    state = session(server, MOONS, steps=200)
    assert all(row[2] is None for row in state["history"])
    curve = page.evaluate(CURVE, state)
    assert curve["polylines"] == 1 and curve["test"] is None and curve["legend"] == ["training"]
    broken = {**state, "history": [*state["history"][:-1], [150, None, None], state["history"][-1]]}
    broken["history"][1] = [broken["history"][1][0], float("inf"), None]
    curve = page.evaluate(CURVE, broken)
    assert len(curve["train"]) == len(state["history"]) - 1


# -------------------------------------------------------------------------------------------- the boundary
BOUNDARY = """async ([state, focus]) => {
  const m = await import('/static/charts.js');
  const box = document.createElement('figure');
  box.hidden = true;
  box.innerHTML = '<figcaption>decision boundary</figcaption>'
    + '<canvas data-testid="boundary" width="220" height="220"></canvas>';
  document.body.append(box);
  m.drawBoundary(box, state, focus);
  const canvas = box.querySelector('canvas');
  const result = {hidden: box.hidden, testid: canvas && canvas.dataset.testid};
  if (!box.hidden) {
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set();
    for (let k = 0; k < pixels.length; k += 4) colours.add([...pixels.slice(k, k + 4)].join(','));
    const map = focus && state.maps.neurons[focus];
    const palette = map
      ? [...Array(256).keys()].map((b) => m.colourScale(map.lo, map.hi)(map.lo + (map.hi - map.lo) * b / 255))
      : m.boundaryPalette(state.boundary.kind);
    const allowed = new Set(palette.map((rgb) => [...rgb, 255].join(',')));
    const texts = (selector) => [...box.querySelectorAll(selector)].map((t) => t.textContent);
    Object.assign(result, {
      size: [canvas.width, canvas.height],
      colours: colours.size,
      outside: [...colours].filter((c) => !allowed.has(c)),
      caption: box.querySelector('figcaption').textContent, label: canvas.getAttribute('aria-label'),
      axes: [texts('.chart-x-title')[0], texts('.chart-y-title')[0]],
      xTicks: texts('.chart-x-tick'), yTicks: texts('.chart-y-tick'),
      legend: texts('.chart-legend-name'), rows: texts('.chart-legend-rows'),
      swatches: [...box.querySelectorAll('.chart-legend-item:not(.chart-legend-rows) .chart-swatch')]
        .map((s) => getComputedStyle(s).backgroundColor),
      classColours: m.CLASS_COLOURS.map((c) => `rgb(${c.join(', ')})`),
      train: box.querySelectorAll('.chart-train-point').length,
      test: box.querySelectorAll('.chart-test-point').length,
      scale: texts('.chart-scale span'),
      canvasBox: (({width, height}) => [width, height])(canvas.getBoundingClientRect()),
    });
  }
  box.remove();
  return result;
}"""


def three_blobs(rows=90):
    """A CSV of three classes over two features, "length" and "width"."""
    lines = ["length,width,kind"]
    for k in range(rows):
        kind, (cx, cy) = "abc"[k % 3], [(1.0, 1.0), (4.0, 1.5), (2.5, 4.0)][k % 3]
        lines.append(f"{cx + ((k * 7919) % 100) / 80:.3f},{cy + ((k * 104729) % 100) / 80:.3f},{kind}")
    return "\n".join(lines)


def test_the_boundary_of_two_classes_has_axes_a_legend_and_only_palette_colours(server, page):
    state = session(server, {**MOONS, "test_ratio": 0.2}, steps=500)
    assert state["two_d"] and state["boundary"]["kind"] == "two"
    drawn = page.evaluate(BOUNDARY, [state, None])
    assert drawn["hidden"] is False and drawn["testid"] == "boundary"
    assert drawn["size"] == [state["boundary"]["resolution"]] * 2
    assert drawn["outside"] == [] and drawn["colours"] > 10  # a diverging scale, not one flat colour
    assert drawn["axes"] == state["boundary"]["axes"] == state["features"]
    assert len(drawn["xTicks"]) >= 3 and len(drawn["yTicks"]) >= 3
    lo, hi = state["boundary"]["x"]
    assert all(lo - 1 <= float(t) <= hi + 1 for t in drawn["xTicks"])  # raw units
    assert drawn["legend"] == state["classes"]
    assert drawn["swatches"] == drawn["classColours"][: len(state["classes"])]
    assert drawn["train"] == state["examples"] and drawn["test"] == state["test_examples"] > 0
    assert drawn["rows"] == ["training row", "test row"]
    assert drawn["canvasBox"][0] > 200  # shown large, not at its 48 pixels
    assert drawn["caption"].startswith("decision boundary")
    assert drawn["label"].endswith("0 in orange, 1 in blue")  # the colours in words, for a screen reader


def test_the_boundary_of_three_classes_from_a_csv(server, page):
    state = session(
        server,
        {**MOONS, "dataset": "csv", "csv": three_blobs(), "hidden_layers": [6], "test_ratio": 0.2},
        steps=300,
    )
    assert state["two_d"] and state["boundary"]["kind"] == "many"
    drawn = page.evaluate(BOUNDARY, [state, None])
    assert drawn["outside"] == [] and 1 <= drawn["colours"] <= 3
    assert drawn["axes"] == ["length", "width"]
    assert drawn["legend"] == ["a", "b", "c"]
    assert drawn["train"] + drawn["test"] == 90 and drawn["test"] > 0


def test_a_focused_neuron_is_drawn_large_with_its_scale(server, page):
    state = session(server, MOONS, steps=300)
    drawn = page.evaluate(BOUNDARY, [state, "h1_3"])
    assert drawn["size"] == [state["maps"]["resolution"]] * 2
    assert drawn["outside"] == [] and drawn["colours"] > 10
    assert drawn["caption"].startswith("h1_3") and "output" in drawn["caption"]
    assert drawn["scale"] == ["-1", "", "1"]  # tanh's range, lo and hi either side of the bar
    assert drawn["legend"] == [] and drawn["rows"] == []
    assert drawn["axes"] == state["features"]
    assert page.evaluate(BOUNDARY, [state, "no-such-neuron"])["legend"] == state["classes"]


def test_the_boundary_hides_without_two_features(server, page):
    state = session(server, {"dataset": "worked-example"})
    assert state["two_d"] is False
    assert page.evaluate(BOUNDARY, [state, None])["hidden"] is True


# -------------------------------------------------------------------------------------------- neuron maps
# A network picture as the page draws it: a group g[data-neuron] per neuron with its circle and name.
NETWORK = """
  const SVG = 'http://www.w3.org/2000/svg';
  const make = (tag, attrs, text) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const network = (layout) => {
    const svg = make('svg', {viewBox: `0 0 ${layout.width} ${layout.height}`});
    for (const {name, x, y, r} of layout.neurons) {
      const g = make('g', {class: 'neuron', 'data-neuron': name});
      g.append(make('circle', {cx: x, cy: y, r, fill: '#fefcbf'}), make('text', {x, y: y + 4}, name));
      g.append(make('title', {}, `${name}, its values`));  // the page's own tooltip of the neuron
      svg.append(g);
    }
    document.body.append(svg);
    return svg;
  };
"""

MAPS = f"""async (state) => {{
  const m = await import('/static/charts.js');
  {NETWORK}
  const svg = network(state.layout);
  m.drawNeuronMaps(svg, state);
  m.drawNeuronMaps(svg, state);  // drawing again replaces the maps
  const images = [...svg.querySelectorAll('image')].map((image) => {{
    const g = image.closest('g'), circle = g.querySelector('circle');
    const name = g.querySelector('text:last-of-type');
    const clip = document.getElementById(image.getAttribute('clip-path').slice(5, -1));
    return {{
      testid: image.dataset.testid, neuron: g.dataset.neuron, title: image.querySelector('title').textContent,
      bmp: image.getAttribute('href').startsWith('data:image/bmp;base64,'),
      afterCircle: image.previousElementSibling === circle,
      nameOnTop: !!(image.compareDocumentPosition(name) & Node.DOCUMENT_POSITION_FOLLOWING),
      halo: name.getAttribute('stroke'),
      clipped: !!clip && svg.contains(clip) && clip.getAttribute('clipPathUnits') === 'objectBoundingBox',
      box: ['x', 'y', 'width'].map((k) => Number(image.getAttribute(k))),
      circle: ['cx', 'cy', 'r'].map((k) => Number(circle.getAttribute(k))),
    }};
  }});
  svg.remove();
  return images;
}}"""


def test_every_hidden_and_output_neuron_shows_its_map(server, page):
    state = session(server, MOONS, steps=200)
    names = neuron_names(state)
    assert names[:2] == ["h1_1", "h1_2"] and names[-2:] == ["o1", "o2"]
    assert set(state["maps"]["neurons"]) == set(names)
    images = page.evaluate(MAPS, state)
    assert [image["testid"] for image in images] == [f"neuron-map-{name}" for name in names]
    for image, name in zip(images, names, strict=True):
        lo, hi = state["maps"]["neurons"][name]["lo"], state["maps"]["neurons"][name]["hi"]
        assert image["neuron"] == name and image["bmp"] and image["afterCircle"] and image["clipped"]
        about = f"{name}: its output over the input plane ({lo:g} … {hi:g})"
        assert image["title"] == f"{about}\n{name}, its values"  # the map's tooltip keeps the neuron's own
        assert image["nameOnTop"] and image["halo"] == "white"
        cx, cy, r = image["circle"]
        assert image["box"] == [cx - r, cy - r, 2 * r]


def test_the_worked_example_has_no_maps(server, page):
    state = session(server, {"dataset": "worked-example"})
    assert state["maps"] is None
    assert page.evaluate(MAPS, state) == []


TIMING = f"""async (states) => {{
  const m = await import('/static/charts.js');
  {NETWORK}
  const times = [];
  for (const state of states) {{
    const svg = network(state.layout);
    const start = performance.now();
    m.drawNeuronMaps(svg, state);
    times.push(performance.now() - start);
    times.count = svg.querySelectorAll('image').length;
    svg.remove();
  }}
  return {{times, count: times.count}};
}}"""


OTHERS = """async (state) => {
  const m = await import('/static/charts.js');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.style.width = '300px'; svg.style.height = '180px';
  const box = document.createElement('figure');
  box.innerHTML = '<figcaption></figcaption><canvas data-testid="boundary"></canvas>';
  document.body.append(svg, box);
  const time = (draw) => {
    draw();
    const start = performance.now();
    for (let k = 0; k < 10; k++) draw();
    return (performance.now() - start) / 10;
  };
  const curve = time(() => m.drawCurve(svg, state)), boundary = time(() => m.drawBoundary(box, state));
  svg.remove(); box.remove();
  return {curve, boundary};
}"""


def test_drawing_66_maps_is_fast(server, page):
    """Prints the time to draw a 4x16 network's 66 maps: new maps (after each step) and unchanged ones."""
    first = session(server, {**MOONS, "hidden_layers": [16, 16, 16, 16]})
    sid = first["session"]
    states = [first] + [call(server, "POST", f"api/sessions/{sid}/step") for _ in range(9)]
    new = page.evaluate(TIMING, states)
    same = page.evaluate(TIMING, [states[-1]] * 10)
    assert new["count"] == same["count"] == 66
    print(
        f"\n66 neuron maps: {sum(new['times'][1:]) / 9:.2f} ms per frame with new maps "
        f"(first {new['times'][0]:.2f} ms), {sum(same['times']) / 10:.2f} ms with unchanged ones"
    )
    others = page.evaluate(OTHERS, call(server, "POST", f"api/sessions/{sid}/train", {"steps": 3000}))
    print(f"the loss curve: {others['curve']:.2f} ms, the boundary: {others['boundary']:.2f} ms")


DECODED = """async ([state, name]) => {
  const m = await import('/static/charts.js');
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.innerHTML = `<g data-neuron="${name}"><circle cx="20" cy="20" r="16"></circle><text>${name}</text></g>`;
  m.drawNeuronMaps(svg, state);
  const image = new Image();
  image.src = svg.querySelector('image').getAttribute('href');
  await image.decode();
  const n = state.maps.resolution, canvas = document.createElement('canvas');
  canvas.width = canvas.height = n;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const pixels = ctx.getImageData(0, 0, n, n).data;
  const map = state.maps.neurons[name], scale = m.colourScale(map.lo, map.hi);
  const bytes = Uint8Array.from(atob(map.data), (c) => c.charCodeAt(0));
  let wrong = 0;
  for (let row = 0; row < n; row++) for (let col = 0; col < n; col++) {
    const want = scale(map.lo + (map.hi - map.lo) * bytes[row * n + col] / 255);  // row 0 is the bottom
    const at = 4 * ((n - 1 - row) * n + col);
    if (want.some((v, k) => v !== pixels[at + k]) || pixels[at + 3] !== 255) wrong++;
  }
  return {size: [image.width, image.height], wrong};
}"""


def test_a_map_image_holds_the_servers_bytes_in_the_neuron_scale(server, page):
    """Each pixel of the image is its byte's colour, with the server's row 0 at the bottom."""
    state = session(server, {**MOONS, "activation": "relu"}, steps=300)  # an unbounded range: [-m, m]
    for name in ("h1_2", "h2_5", "o2"):
        assert page.evaluate(DECODED, [state, name]) == {"size": [20, 20], "wrong": 0}


EVERYTHING = f"""async (state) => {{
  const m = await import('/static/charts.js');
  {NETWORK}
  const svg = network(state.layout), curve = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const box = document.createElement('figure');
  document.body.append(curve, box);
  m.drawNeuronMaps(svg, state);
  m.drawCurve(curve, state);
  m.drawBoundary(box, state, 'h1_1');
  m.drawBoundary(box, state, null);
  const numbers = [...curve.querySelectorAll('polyline')]
    .flatMap((p) => p.getAttribute('points').split(/[ ,]/));
  const result = {{
    maps: svg.querySelectorAll('image').length, finite: numbers.every((v) => Number.isFinite(Number(v))),
    points: numbers.length / 2, hidden: box.hidden,
  }};
  svg.remove(); curve.remove(); box.remove();
  return result;
}}"""


def test_a_diverged_run_still_draws(server, page):
    """Once the loss overflows the history holds nulls and the maps NaN's middle byte: nothing breaks."""
    settings = {**MOONS, "activation": "identity", "loss": "half_sse", "learning_rate": 10}
    state = session(server, settings, steps=300)
    assert state["stopped"]["kind"] == "diverged"
    drawn = page.evaluate(EVERYTHING, state)
    assert drawn["maps"] == len(neuron_names(state)) and drawn["finite"] and drawn["hidden"] is False
    finite = [row for row in state["history"] if row[1] is not None and row[1] > 0]
    assert drawn["points"] == len(finite)
