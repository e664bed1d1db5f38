"""The explorer's run over time, through its API: live batches, convergence in words, time travel, weights
set by hand, settings changed between steps, neuron maps and the boundary, and the bound on work."""

import base64
import threading
import time

import numpy as np
import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from glassnet.core.network import Network
from glassnet.web import app as web_app
from glassnet.web import requests, security, session, views

from .reference import STEP_1_AFTER_UPDATE, STEP_1_FORWARD

MOONS = {
    "dataset": "moons",
    "hidden_layers": [8, 8],
    "activation": "tanh",
    "loss": "categorical_crossentropy",
    "learning_rate": 0.05,
    "bias": "per_neuron",
}


def new(client, **settings):
    response = client.post("/api/sessions", json=settings)
    assert response.status_code == 201, response.text
    return response.json()["session"]


def train(client, sid, **request):
    response = client.post(f"/api/sessions/{sid}/train", json=request)
    assert response.status_code == 200, response.text
    return response.json()


def values(state):
    return {p["name"]: p["value"] for p in state["parameters"]}


def test_the_worked_example_converges_in_18096_steps_through_timed_batches(client):
    sid = new(client, learning_rate=0.5)
    frames = 0
    while True:
        state = train(client, sid, steps=5000, until_converged=True, loss_tol=1e-5, max_ms=50)
        frames += 1
        if state["stopped"]:
            break
    # fit judges the loss over the data after each step (the one the page shows): 9.99964e-06 after step
    # 18,095, the E_total that step 18,096 would start from (the classic run's 18,096th update)
    assert state["steps"] == 18095 and state["stopped"]["kind"] == "converged"
    assert (
        state["converged"]
        == state["stopped"]["message"]
        == "the loss over the training data 9.99964e-06 <= tolerance 1e-05 after 18,095 updates (epoch 18095)"
    )
    assert f"{state['loss']:.6g}" == "9.99964e-06"
    assert frames > 1  # the page saw it on the way
    history = state["history"]
    assert history[0][0] == 0 and history[0][1] == pytest.approx(STEP_1_FORWARD["E_total"], rel=1e-12)
    assert history[-1][0] == 18095 and len(history) <= session.HISTORY_POINTS
    assert [h[0] for h in history] == sorted({h[0] for h in history})
    # the same run in exact-step requests (as a reload replays it) ends with the same weights
    again = new(client, learning_rate=0.5)
    for _ in range(3):
        last = train(client, again, steps=5000)
    last = train(client, again, steps=3095)
    assert values(last) == values(state) and last["trace"] == state["trace"]


def test_stuck_relus_are_not_called_converged(client):
    sid = new(client, dataset="xor", hidden_layers=[4], activation="relu", loss="mse", learning_rate=10)
    for _ in range(40):
        state = train(client, sid, steps=5000, until_converged=True, loss_tol=0.01)
        if state["stopped"]:
            break
    stopped = state["stopped"]
    assert stopped["kind"] == "stuck" and state["loss"] == 0.5, stopped  # every ReLU died at once
    assert state["converged"] is None and "converged" not in stopped["message"]
    assert "still above the tolerance 0.01" in stopped["message"] and "ReLU" in stopped["message"]


def test_a_tolerance_never_reached_stops_at_the_limit_and_says_so(client, monkeypatch):
    monkeypatch.setattr(session, "CONVERGE_STEPS", 300)
    sid = new(client, **MOONS)
    for _ in range(5):
        state = train(client, sid, steps=200, until_converged=True, loss_tol=1e-9)
        if state["stopped"]:
            break
    assert state["stopped"]["kind"] == "limit" and state["steps"] == 300
    assert state["stopped"]["message"] == (
        f"reached the maximum of 300 updates; the loss over the training data is {state['loss']:.6g}, still "
        "above the tolerance 1e-09"
    )


@pytest.mark.parametrize("batch_size", [1, 7])
def test_time_travel_recomputes_each_step_exactly(client, monkeypatch, batch_size):
    monkeypatch.setattr(session, "CHECKPOINT_EVERY", 16)  # so that most steps are replayed from a checkpoint
    monkeypatch.setattr(session, "TRACES_KEPT", 2)
    sid = new(client, **MOONS, batch_size=batch_size, test_ratio=0.25)
    live = {}
    for k in range(1, 41):
        state = client.post(f"/api/sessions/{sid}/step").json()
        live[k] = state
    train(client, sid, steps=260)
    for k in (1, 2, 15, 16, 17, 33, 40):
        past = client.get(f"/api/sessions/{sid}/steps/{k}").json()
        assert past["viewing"] == k and not past["live"] and past["steps"] == 300
        assert past["trace"] == live[k]["trace"], k
        assert values(past) == values(live[k]), k
        assert past["loss"] == pytest.approx(live[k]["loss"], rel=1e-12)
        assert past["test_loss"] == pytest.approx(live[k]["test_loss"], rel=1e-12)
        assert past["maps"] == live[k]["maps"] and past["boundary"] == live[k]["boundary"]
    assert client.get(f"/api/sessions/{sid}/steps/301").status_code == 400
    assert client.get(f"/api/sessions/{sid}/steps/0").status_code == 422
    if batch_size > 1:
        batch = live[3]["trace"]["batch"]
        assert batch["size"] == 7 and len(set(batch["rows"])) == 7
        assert batch["new"] == values(live[3])  # the update is the batch's


def test_step_one_of_the_worked_example_read_back_after_many(client):
    sid = new(client)
    train(client, sid, steps=1000)
    past = client.get(f"/api/sessions/{sid}/steps/1").json()
    assert past["trace"]["loss_total"] == pytest.approx(STEP_1_FORWARD["E_total"], rel=1e-12)
    assert values(past)["w5"] == pytest.approx(STEP_1_AFTER_UPDATE["w5"], rel=1e-12)
    w5 = next(p for p in past["trace"]["parameters"] if p["name"] == "w5")
    assert (w5["dE_da"], w5["da_dz"], w5["dz_dw"]) == pytest.approx(
        (0.741365070, 0.186815602, 0.593269992), abs=1e-9
    )
    assert client.get(f"/api/sessions/{sid}").json()["steps"] == 1000  # reading the past changes nothing


def test_memory_stays_bounded_over_a_long_run(client, monkeypatch):
    monkeypatch.setattr(session, "CHECKPOINT_EVERY", 4)
    monkeypatch.setattr(session, "CHECKPOINTS", 20)
    monkeypatch.setattr(session, "HISTORY_POINTS", 50)
    monkeypatch.setattr(session, "TRACES_KEPT", 5)
    sid = new(client)
    for _ in range(30):
        train(client, sid, steps=97)
        client.get(f"/api/sessions/{sid}/steps/{np.random.default_rng(0).integers(1, 97)}")
    state = client.get(f"/api/sessions/{sid}").json()
    assert state["steps"] == 2910 and len(state["history"]) <= 51
    assert state["history"][0][0] == 0 and state["history"][-1][0] == 2910


def test_a_weight_set_by_hand_shows_the_next_step_at_once_and_replays(client):
    sid = new(client)
    train(client, sid, steps=3)
    state = client.post(f"/api/sessions/{sid}/parameters", json={"name": "w5", "value": 0.5}).json()
    assert values(state)["w5"] == 0.5 and state["events"] == [[3, {"set": {"w5": 0.5}}]]
    preview = state["preview"]
    net = Network([2, 2, 2], activation="sigmoid", loss="half_sse", bias="shared", train_biases=False)
    net.set_parameters(values(state))
    expected = net.traced_step([[0.05, 0.10]], [[0.01, 0.99]], 0.5).to_dict()
    assert {k: v for k, v in preview.items() if k not in ("row", "l2")} == expected
    out = {n["name"]: n["a"] for layer in preview["layers"] for n in layer["neurons"]}
    labels = {label["key"]: label["text"] for label in state["layout"]["labels"]}
    assert labels["o1#1"] == f"out {views.precise(out['o1'])}"  # the drawing shows the new forward pass
    assert state["loss"] == pytest.approx(preview["loss_total"], rel=1e-12)  # and the loss at once
    stepped = client.post(f"/api/sessions/{sid}/step").json()
    assert stepped["trace"] == state["preview"] and stepped["preview"] is None
    train(client, sid, steps=50)
    assert client.get(f"/api/sessions/{sid}/steps/4").json()["trace"] == stepped["trace"]  # after the edit
    before = client.get(f"/api/sessions/{sid}/steps/3").json()
    assert values(before)["w5"] != 0.5  # before it
    bad = client.post(f"/api/sessions/{sid}/parameters", json={"name": "w99", "value": 1.0})
    assert bad.status_code == 400 and "no parameter 'w99'" in bad.json()["detail"]


def test_training_settings_apply_from_the_next_step_and_are_recorded(client):
    sid = new(
        client, dataset="xor", hidden_layers=[4], activation="tanh", learning_rate=0.2, bias="per_neuron"
    )
    train(client, sid, steps=5)
    state = client.patch(f"/api/sessions/{sid}/training", json={"learning_rate": 5.0, "l2": 0.01}).json()
    assert state["training"] == {"learning_rate": 5.0, "batch_size": 1, "l2": 0.01}
    assert state["events"] == [[5, {"learning_rate": 5.0, "l2": 0.01}]]
    step = client.post(f"/api/sessions/{sid}/step").json()
    assert step["trace"]["learning_rate"] == 5.0 and step["trace"]["l2"] == 0.01
    w = next(p for p in step["trace"]["parameters"] if p["kind"] == "weight")
    assert w["new"] == pytest.approx(w["old"] - 5.0 * (w["grad"] + 0.01 * w["old"]), rel=1e-12)
    assert client.get(f"/api/sessions/{sid}/steps/5").json()["trace"]["learning_rate"] == 0.2
    state = client.post(f"/api/sessions/{sid}/reset").json()
    assert state["steps"] == 0 and state["training"]["learning_rate"] == 5.0 and state["events"] == []


def test_the_worked_example_with_per_neuron_biases_keeps_the_tutorials_weights(client):
    state = client.post("/api/sessions", json={"bias": "per_neuron"}).json()
    assert values(state) == {
        **{
            f"w{k}": v for k, v in zip(range(1, 9), (0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55), strict=True)
        },
        "b1": 0.35,
        "b2": 0.35,
        "b3": 0.6,
        "b4": 0.6,
    }
    step = client.post(f"/api/sessions/{state['session']}/step").json()
    assert step["trace"]["loss_total"] == pytest.approx(STEP_1_FORWARD["E_total"], rel=1e-12)


def test_names_and_standardization_for_learners(client):
    iris = client.post(
        "/api/sessions", json={"dataset": "iris", "hidden_layers": [3], "test_ratio": 0.2}
    ).json()
    assert iris["outputs"] == ["setosa", "versicolor", "virginica"] and iris["classes"] == iris["outputs"]
    assert iris["features"][0] == "sepal length (cm)" and iris["standardized"]
    assert iris["output_activation"] == "sigmoid" and iris["examples"] == 120 and iris["test_examples"] == 30
    step = client.post(f"/api/sessions/{iris['session']}/step").json()
    row, raw = step["example"]["row"], step["example"]["raw"]
    mean, scale = np.array(step["standardization"]["mean"]), np.array(step["standardization"]["scale"])
    assert np.allclose((np.array(list(raw.values())) - mean) / scale, list(step["trace"]["inputs"].values()))
    assert step["trace"]["row"] == row
    semicolons = "a;b;label\n" + "".join(f"{k % 5};{k % 3};{'yes' if k % 2 else 'no'}\n" for k in range(30))
    csv = client.post("/api/sessions", json={"dataset": "csv", "csv": semicolons, "hidden_layers": [2]})
    assert csv.status_code == 201 and csv.json()["features"] == ["a", "b"]
    prices = "size,rooms,price\n" + "".join(f"{k},{k % 4},{10 + 2.5 * k:.2f}\n" for k in range(40))
    reg = client.post("/api/sessions", json={"dataset": "csv", "csv": prices, "loss": "mse"}).json()
    assert (
        reg["task"] == "regression" and reg["outputs"] == ["price"] and reg["output_activation"] == "identity"
    )
    trained = train(client, reg["session"], steps=400)
    assert trained["loss"] < reg["loss"]  # it learns, rather than saturating an output at 1.0


def test_neuron_maps_are_each_neurons_output_over_the_plane(client):
    sid = new(client, **MOONS)
    state = train(client, sid, steps=30)
    maps = state["maps"]
    names = [n for layer in state["names"][1:] for n in layer]
    assert sorted(maps["neurons"]) == sorted(names) and len(names) == 18
    res = maps["resolution"]
    h = maps["neurons"]["h1_1"]
    assert (h["lo"], h["hi"]) == (-1.0, 1.0)  # tanh's range
    data = np.frombuffer(base64.b64decode(h["data"]), dtype=np.uint8).reshape(res, res)
    # the corner at the bottom left is (x lo, y lo): recompute that neuron's output there
    net = Network([2, 8, 8, 2], activation="tanh", loss="categorical_crossentropy", bias="per_neuron")
    net.set_parameters(values(state))
    raw = np.array([[maps["x"][0], maps["y"][0]]])
    mean, scale = np.array(state["standardization"]["mean"]), np.array(state["standardization"]["scale"])
    a = net.propagate((raw - mean) / scale)[0][1][0, 0]
    assert abs(data[0, 0] - round((a + 1) / 2 * 255)) <= 1


@pytest.mark.parametrize("activation, loss", [("identity", "half_sse"), ("tanh", "mse"), ("relu", "mse")])
def test_the_boundary_stays_on_the_palette_for_any_output(client, activation, loss):
    sid = new(client, **{**MOONS, "activation": activation, "loss": loss, "learning_rate": 0.01})
    state = train(client, sid, steps=200)
    b = state["boundary"]
    data = np.frombuffer(base64.b64decode(b["data"]), dtype=np.uint8)
    assert b["kind"] == "two" and data.size == b["resolution"] ** 2
    assert b["axes"] == ["x1", "x2"] and b["classes"] == ["0", "1"]
    net = Network([2, 8, 8, 2], activation=activation, loss=loss, bias="per_neuron")
    net.set_parameters(values(state))
    xs, ys = np.linspace(*b["x"], b["resolution"]), np.linspace(*b["y"], b["resolution"])
    grid = np.array([[x, y] for y in ys for x in xs])
    mean, scale = np.array(state["standardization"]["mean"]), np.array(state["standardization"]["scale"])
    out = net.predict((grid - mean) / scale)
    decided = out[:, 1] > out[:, 0]
    clear = np.abs(out[:, 1] - out[:, 0]) > 0.01
    assert np.array_equal((data > 128)[clear], decided[clear])  # the colour's side is the predicted class


def test_after_divergence_the_boundary_has_no_holes(client):
    sid = new(client, **{**MOONS, "activation": "identity", "loss": "half_sse", "learning_rate": 10})
    state = train(client, sid, steps=300)
    assert state["stopped"]["kind"] == "diverged"
    grid = client.get(f"/api/sessions/{sid}/boundary").json()
    assert len(base64.b64decode(grid["data"])) == grid["resolution"] ** 2


def test_the_work_all_sessions_may_queue_is_bounded():
    work = security.Work(workers=1, queued=1)
    inside, release = threading.Event(), threading.Event()

    def hold():
        with work.slot():
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait(10)
    waiter = threading.Thread(target=lambda: work.slot().__enter__() and None)  # waits for the worker
    waiter.start()
    waiting, give_up = threading.Event(), time.monotonic() + 60  # a bound for a broken queue, not a wait
    while work.count != 2:  # the waiter has taken its place in the queue (however slow the machine)
        assert waiter.is_alive() and time.monotonic() < give_up, "the waiter never joined the queue"
        waiting.wait(0.01)
    with pytest.raises(HTTPException) as refused, work.slot():
        pass
    assert refused.value.status_code == 429 and "busy" in refused.value.detail
    release.set()
    holder.join(10)
    waiter.join(10)


def test_the_classic_write_up_is_served_with_its_note(client):
    page = client.get("/writeup")
    assert page.status_code == 200 and 'id="classic-note"' in page.text and "0.291027924" in page.text


def test_a_large_networks_labels_have_room_for_every_value_the_page_prints():
    """The layout of a large network is placed once with room for VALUE_ROOM characters per value."""
    values = np.concatenate([-np.logspace(-99, 99, 40_000), np.logspace(-99, 99, 40_000), [0.0]])
    assert max(len(views.precise(float(x))) for x in values) <= views.VALUE_ROOM


@pytest.mark.parametrize("requests", [[5000], [3], [1] * 6], ids=["one", "exact", "steps"])
def test_divergence_ends_in_the_same_finite_state_however_it_is_trained(client, requests):
    sid = new(client, dataset="moons", hidden_layers=[16, 16, 16, 16], activation="identity", loss="mse",
              learning_rate=10)  # fmt: skip
    for steps in requests:
        state = train(client, sid, steps=steps)
    assert state["stopped"]["kind"] == "diverged" and state["loss"] is not None  # finite: the last finite
    k = state["steps"]
    assert f"diverged at step {k + 1}" in state["stopped"]["message"]
    assert state["history"][-1] == [k, state["loss"], None]


def test_a_large_network_keeps_few_whole_traces():
    s = session.Session(
        requests.Settings(dataset="spirals", hidden_layers=[16, 16, 16, 16], activation="tanh")
    )
    for _ in range(12):
        s.train(requests.TrainRequest(steps=1))
    assert len(s.traces) == max(4, session.TRACE_BUDGET // len(s.net.parameter_refs)) < 12


def test_any_address_serves_ip_addresses_and_this_machines_names_but_not_other_names():
    import socket

    client = TestClient(web_app.create_app(["*"]))
    for host in ("192.0.2.7:8000", "[2001:db8::1]:8000", "localhost:8000", socket.gethostname()):
        assert client.get("/api/options", headers={"host": host}).status_code == 200, host
    refused = client.post("/api/sessions", json={}, headers={"host": "evil.example:8000"})
    assert refused.status_code == 400 and "any IP address" in refused.json()["detail"]


def test_malformed_json_and_a_busy_server_are_told_in_words(client):
    sid = new(client)
    bad = client.post(
        f"/api/sessions/{sid}/train", content=b'{"steps":', headers={"content-type": "application/json"}
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith("the request body is not valid JSON")
    work = security.Work(workers=1, queued=0)
    with work.slot(), pytest.raises(HTTPException) as busy, work.slot():
        pass
    assert busy.value.headers == {"Retry-After": "1"}
