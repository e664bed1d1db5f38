"""The explorer's charts (static/charts.js) in a real browser, drawn from states the real server sends.

Each test creates a session through the HTTP API, trains it, fetches its state and hands that state to one
of charts.js's functions inside the page (``import('/static/charts.js')`` on a fresh element), then checks
what was drawn: positions, texts, test ids and pixel colours.
"""

import json
import socket
import threading
import time
import urllib.request

import pytest

from glassnet.interfaces.web.app import create_app

MOONS = {
    "dataset": "moons",
    "hidden_layers": [8, 8],
    "activation": "tanh",
    "loss": "categorical_crossentropy",
    "learning_rate": 0.05,
    "bias": "per_neuron",
}


@pytest.fixture(scope="module")
def server():
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the explorer did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(10)


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
    assert len(curve["yTicks"]) >= 2 and all(float(t) > 0 for t in curve["yTicks"])
    assert curve["xTicks"][0] == "0" and len(curve["xTicks"]) >= 3
    assert curve["marker"] is None  # live

    # looking back at step 1500: a marker halfway; the history is the whole run
    back = call(server, "GET", f"api/sessions/{state['session']}/steps/1500")
    assert back["live"] is False and back["viewing"] == 1500
    curve = page.evaluate(CURVE, back)
    assert curve["marker"] == pytest.approx((left + right) / 2, abs=0.1)
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
