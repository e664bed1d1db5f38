"""The explorer in a real browser: Debian's chromium driven by Playwright."""

import itertools
import socket
import threading
import time
from pathlib import Path

import pytest

from glassnet.interfaces.web.app import create_app

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


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


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    return page, errors


def test_step_the_worked_example_and_read_the_chain_rule(server, browser):
    page, errors = open_page(browser, server)
    page.get_by_test_id("step").click()
    page.wait_for_function("document.querySelector('[data-testid=steps]').textContent === '1'")
    assert page.get_by_test_id("total-error").inner_text() == "0.298371109"
    w5 = page.get_by_test_id("param-w5").inner_text()
    assert abs(float(w5) - 0.35891648) < 1e-9 and len(w5.replace("0.", "")) >= 9
    assert page.get_by_test_id("param-w1").inner_text() == "0.149780716"
    page.locator('[data-param="w5"] text').click()
    chain = page.get_by_test_id("chain-rule").inner_text()
    assert "dE/dw5 = dE/dout_o1 × dout_o1/dnet_o1 × dnet_o1/dw5" in chain
    assert "0.741365070 × 0.186815602 × 0.593269992" in chain and "0.0821670406" in chain
    assert "w5: 0.400000000 → 0.358916480" in chain
    assert page.get_by_test_id("out-o1").text_content() == "out 0.751365070"
    seven = page.get_by_test_id("seven-steps").inner_text()
    for heading in (
        "1. Initialize",
        "2. Forward propagation",
        "3. Loss",
        "4. Backpropagation, output layer",
        "5. Backpropagation, hidden layers",
        "6. Update",
        "7. Repeat",
    ):
        assert heading in seven
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer-worked-example.png"), full_page=True)
    assert errors == []
    page.close()


def test_train_xor_to_convergence(server, browser):
    page, errors = open_page(browser, server)
    page.get_by_test_id("dataset").select_option("xor")
    assert page.get_by_test_id("layers").input_value() == "4"  # the preset for xor
    page.get_by_test_id("apply").click()
    page.wait_for_function("document.querySelectorAll('[data-testid^=param-]').length === 2*4 + 4*2 + 4 + 2")
    page.get_by_test_id("converge").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=converged]').textContent.startsWith('converged')",
        timeout=60_000,
    )
    assert float(page.get_by_test_id("data-loss").inner_text()) <= 0.01
    assert page.locator("#curve polyline").count() == 1
    page.get_by_test_id("train").click()
    page.wait_for_function("Number(document.querySelector('[data-testid=steps]').textContent) > 100")
    page.screenshot(path=str(ARTIFACTS / "explorer-xor.png"), full_page=True)
    assert errors == []
    page.close()


def test_two_tabs_train_two_networks(server, browser):
    a, _ = open_page(browser, server)
    b, _ = open_page(browser, server)
    a.get_by_test_id("train").click()
    a.wait_for_function("document.querySelector('[data-testid=steps]').textContent === '100'")
    b.get_by_test_id("step").click()
    b.wait_for_function("document.querySelector('[data-testid=steps]').textContent === '1'")
    assert b.get_by_test_id("total-error").inner_text() == "0.298371109"  # untouched by the other tab
    a.get_by_test_id("reset").click()
    a.wait_for_function("document.querySelector('[data-testid=steps]').textContent === '0'")
    assert a.get_by_test_id("param-w5").inner_text() == "0.400000000"
    a.close()
    b.close()


def test_moons_shows_a_decision_boundary_and_errors_show_in_the_page(server, browser):
    page, errors = open_page(browser, server)
    page.get_by_test_id("dataset").select_option("moons")
    page.get_by_test_id("apply").click()
    page.wait_for_function("!document.getElementById('boundary-box').hidden")
    page.get_by_test_id("train").click()
    page.wait_for_function("document.querySelector('[data-testid=steps]').textContent === '100'")
    page.get_by_test_id("layers").fill("4,40")
    page.get_by_test_id("apply").click()
    alert = page.get_by_role("alert")
    alert.wait_for(state="visible")
    assert alert.inner_text().startswith("hidden layers:") and "16" in alert.inner_text()
    assert errors == []
    page.close()


MEASURE = """() => {
  const svg = document.getElementById('network');
  const [, , W, H] = svg.getAttribute('viewBox').split(' ').map(Number);
  const box = (t) => { const b = t.getBBox(); return [b.x, b.y, b.width, b.height, t.textContent]; };
  return {
    W, H,
    texts: [...svg.querySelectorAll('text.value, text.note')].map(box),
    circles: [...svg.querySelectorAll('circle')].map(
      (c) => [c.cx.baseVal.value, c.cy.baseVal.value, c.r.baseVal.value]),
  };
}"""


@pytest.mark.parametrize("viewport", [1500, 390])
@pytest.mark.parametrize(
    ("dataset", "layers", "neurons"), [("worked-example", "2", 6), ("xor", "4", 8), ("moons", "8,8", 20)]
)
def test_the_network_labels_meet_nothing(server, browser, dataset, layers, neurons, viewport):
    from glassnet.interfaces.layout import Box

    page = browser.new_page(viewport={"width": viewport, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    page.get_by_test_id("dataset").select_option(dataset)
    page.get_by_test_id("layers").fill(layers)
    page.get_by_test_id("apply").click()
    page.wait_for_function(f"document.querySelectorAll('#network g.neuron').length === {neurons}")
    page.get_by_test_id("step").click()
    page.wait_for_function("document.querySelector('[data-testid=steps]').textContent === '1'")
    m = page.evaluate(MEASURE)
    page.screenshot(path=str(ARTIFACTS / f"explorer-{dataset}-{viewport}.png"), full_page=True)
    page.close()
    assert errors == []
    texts = [(Box(*b[:4]), b[4]) for b in m["texts"]]
    if dataset == "worked-example" and viewport == 1500:  # every weight, bias, net input and output fits
        assert len(texts) == 8 + 2 + 2 * 4 + 2
    elif dataset == "worked-example":  # a phone's width: the inputs, neurons and biases still fit
        assert len(texts) >= 2 + 2 * 4 + 2 + 4
    assert len(texts) >= 10
    for box, text in texts:
        assert box.inside(m["W"], m["H"]), text
        assert not any(box.meets_circle(*c) for c in m["circles"]), text
    for (a, ta), (b, tb) in itertools.combinations(texts, 2):
        assert not a.meets(b), (ta, tb)


def test_the_csv_fields_show_only_for_the_csv_dataset(server, browser):
    page, errors = open_page(browser, server)
    assert not page.get_by_test_id("csv-file").is_visible()  # the worked example: no upload field
    assert not page.locator("#target-row").is_visible()
    page.get_by_test_id("dataset").select_option("csv")
    page.wait_for_function("!document.querySelector('#csv-row').hidden")
    assert page.get_by_test_id("csv-file").is_visible()
    page.get_by_test_id("dataset").select_option("xor")
    page.wait_for_function("document.querySelector('#csv-row').hidden")
    assert not page.get_by_test_id("csv-file").is_visible()
    assert not errors
    page.close()
