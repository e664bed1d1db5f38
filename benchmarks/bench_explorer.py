"""Speed of the explorer: training the worked example to convergence while the page updates, and a frame of
a 4 x 16 network, on the server alone and in Chromium.

Server (FastAPI's TestClient, in this process): "Train until converged" on the worked example as the page
runs it, in requests of at most ``--frame-ms`` milliseconds each with the whole state (the drawing's layout,
the trace, the loss curve) sent after each; then a 4 x 16 network on spirals, its time per request split
into training and building the state.

Browser (``--browser``, needs Debian's chromium and the web and pdf extras): the page itself, served by
uvicorn. Press "Train until converged" on the worked example and time it until the page says converged,
counting the screen updates; then draw a 4 x 16 network's frame again and again and time each (the page's
``window.glassnetDrawFrame``).

    python benchmarks/bench_explorer.py [--browser] [--frame-ms 60]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import threading
import time

from fastapi.testclient import TestClient

from glassnet.web import app as web_app
from glassnet.web import requests, session, views

SPIRALS_4X16 = {
    "dataset": "spirals",
    "hidden_layers": [16, 16, 16, 16],
    "activation": "tanh",
    "loss": "categorical_crossentropy",
    "learning_rate": 0.03,
    "bias": "per_neuron",
    "test_ratio": 0.3,
}


def server_figures(frame_ms: int) -> dict[str, float]:
    client = TestClient(web_app.create_app(["testserver"]))
    sid = client.post("/api/sessions?width=900", json={"learning_rate": 0.5}).json()["session"]
    started = time.perf_counter()
    frames = 0
    while True:
        state = client.post(
            f"/api/sessions/{sid}/train?width=900",
            json={"steps": 5000, "until_converged": True, "loss_tol": 1e-5, "max_ms": frame_ms},
        ).json()
        frames += 1
        if state["stopped"]:
            break
    seconds = time.perf_counter() - started
    assert state["stopped"]["kind"] == "converged", state["stopped"]
    print(
        f"worked example, train until converged (tolerance 1e-5): {state['steps']:,} steps in "
        f"{seconds:.2f} s "
        f"with {frames} states sent ({frames / seconds:.1f} a second)"
    )
    s = session.Session(requests.Settings(**SPIRALS_4X16))
    s.train(requests.TrainRequest(steps=10))
    views.state("bench", s, 900)  # the layout, made once per width
    train_ms, state_ms, sizes = [], [], []
    for _ in range(10):
        t0 = time.perf_counter()
        s.train(requests.TrainRequest(steps=5000, max_ms=frame_ms))
        t1 = time.perf_counter()
        body = json.dumps(views.state("bench", s, 900))
        t2 = time.perf_counter()
        train_ms.append((t1 - t0) * 1000)
        state_ms.append((t2 - t1) * 1000)
        sizes.append(len(body))
    print(
        f"4 x 16 network on spirals: {statistics.median(train_ms):.0f} ms training per request (limit "
        f"{frame_ms} ms, then one traced step), {statistics.median(state_ms):.0f} ms to build and encode the "
        f"state ({statistics.median(sizes) / 1e3:.0f} kB of JSON)"
    )
    return {
        "converge_steps": state["steps"],
        "converge_seconds": round(seconds, 3),
        "converge_states_per_second": round(frames / seconds, 1),
        "net4x16_train_ms": round(statistics.median(train_ms), 1),
        "net4x16_state_ms": round(statistics.median(state_ms), 1),
    }


def browser_figures() -> dict[str, float]:
    import uvicorn
    from playwright.sync_api import sync_playwright

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(web_app.create_app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    figures: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("body[data-ready=true]", timeout=20_000)
        page.get_by_test_id("tolerance").fill("0.00001")
        frames_before = page.evaluate("window.glassnetFrames")
        started = time.perf_counter()
        page.get_by_test_id("converge").click()
        page.wait_for_function(
            "document.querySelector('[data-testid=converged]').textContent.startsWith('converged')",
            timeout=60_000,
        )
        seconds = time.perf_counter() - started
        frames = page.evaluate("window.glassnetFrames") - frames_before
        steps = int(page.get_by_test_id("steps").inner_text().replace(",", ""))
        print(
            f"in Chromium: Train until converged on the worked example, {steps:,} steps in {seconds:.2f} s, "
            f"{frames} screen updates ({frames / seconds:.1f} a second)"
        )
        page.get_by_test_id("dataset").select_option("spirals")
        page.get_by_test_id("layers").fill("16,16,16,16")
        page.get_by_test_id("layers").press("Tab")
        page.get_by_test_id("apply").click()
        page.wait_for_function("document.querySelectorAll('#network g.neuron').length === 68")
        page.get_by_test_id("step").click()
        page.wait_for_function("document.querySelector('[data-testid=steps]').textContent === '1'")
        times = page.evaluate("() => Array.from({length: 20}, () => window.glassnetDrawFrame())")
        print(
            "in Chromium: a frame of the 4 x 16 network (drawing, neuron maps, tables, curve, boundary) "
            "takes "
            f"{statistics.median(times):.1f} ms (median of 20; slowest {max(times):.1f} ms)"
        )
        browser.close()
        figures = {
            "browser_converge_steps": steps,
            "browser_converge_seconds": round(seconds, 3),
            "browser_updates_per_second": round(frames / seconds, 1),
            "browser_frame_4x16_ms": round(statistics.median(times), 1),
        }
    server.should_exit = True
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browser", action="store_true", help="also measure the page in Chromium")
    parser.add_argument("--frame-ms", type=int, default=60, help="training per request, as the page asks")
    args = parser.parse_args()
    figures = server_figures(args.frame_ms)
    if args.browser:
        figures.update(browser_figures())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
