"""The explorer's server under a reviewer's odd cases: time travel after many small requests, and a weight
edit whose next step diverges."""

import json
from itertools import pairwise

from glassnet.core.errors import GlassnetError
from glassnet.web import app as web_app
from glassnet.web import requests, session

from .test_web_timeline import new


def test_checkpoints_stay_spread_over_a_run_of_small_requests(monkeypatch):
    """Play sends requests of a few steps each (max_ms): each one leaves a checkpoint at its start. Thinning
    them must not widen the spacing without end, or time travel replays the whole run from step 0."""
    monkeypatch.setattr(session, "CHECKPOINTS", 20)
    monkeypatch.setattr(session, "CHECKPOINT_EVERY", 3)
    s = session.Session(requests.Settings())
    while s.steps < 600:
        s.train(requests.TrainRequest(steps=2))
    steps = [c.step for c in s.checkpoints]
    assert len(steps) <= 20
    assert max(b - a for a, b in pairwise(steps)) <= 4 * 600 // 20, steps
    assert s.interval <= 4 * 600 // 20


def test_an_edit_whose_next_step_diverges_is_applied_without_a_preview(client):
    """The preview of a step that diverges is no reason to refuse the edit (it is made either way)."""
    sid = new(
        client, dataset="moons", hidden_layers=[8, 8], activation="identity", loss="half_sse",
        learning_rate=10, bias="per_neuron", test_ratio=0.3,
    )  # fmt: skip
    for _ in range(5):  # the loss grows to about 1e281 by step 3; step 5 diverges and is rolled back
        assert client.post(f"/api/sessions/{sid}/step").status_code == 200
    before = client.get(f"/api/sessions/{sid}").json()
    assert before["stopped"]["kind"] == "diverged"
    response = client.post(f"/api/sessions/{sid}/parameters", json={"name": "w1", "value": 0.5})
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["version"] == before["version"] + 1
    assert after["preview"] is None or after["preview"]["parameters"]  # none when that step diverges
    assert after["events"][-1] == [before["steps"], {"set": {"w1": 0.5}}]


def test_the_traces_kept_for_a_large_network_stay_within_a_few_megabytes():
    """A 4 x 16 network's step trace is about 400 kB of JSON (1 MB in memory); 256 of them per session, and
    64 sessions, would take gigabytes. Each request keeps one (its last step's); any can be recomputed."""
    s = session.Session(
        requests.Settings(
            dataset="spirals", hidden_layers=[16, 16, 16, 16], activation="tanh",
            loss="categorical_crossentropy", bias="per_neuron", learning_rate=0.1, batch_size=10,
        )
    )  # fmt: skip
    for _ in range(40):
        s.train(requests.TrainRequest(steps=1))
    assert s.steps in s.traces  # the newest is kept
    assert sum(len(json.dumps(trace)) for trace in s.traces.values()) < 10_000_000


def test_reset_builds_its_answer_under_the_new_sessions_lock(client, monkeypatch):
    """The new session is in the registry before the answer is built, so a request already on its way (Play)
    may train it meanwhile: the answer must be built under the session's lock, as every other one is."""
    sid = new(client)
    client.post(f"/api/sessions/{sid}/train", json={"steps": 3})
    built = web_app.state

    def state(session_id, s, *args, **kwargs):
        assert s.lock.locked(), "state built without the session's lock"
        return built(session_id, s, *args, **kwargs)

    monkeypatch.setattr(web_app, "state", state)
    response = client.post(f"/api/sessions/{sid}/reset")
    assert response.status_code == 200 and response.json()["steps"] == 0


def test_a_changed_setting_leaves_no_stale_preview(client):
    """The preview is the next step with a weight set by hand; once the learning rate changes, that step
    would be another one, so the preview goes (the contract: null unless right after an edit)."""
    sid = new(client)
    edited = client.post(f"/api/sessions/{sid}/parameters", json={"name": "w5", "value": 0.5}).json()
    assert edited["preview"] is not None
    changed = client.patch(f"/api/sessions/{sid}/training", json={"learning_rate": 0.1}).json()
    assert changed["preview"] is None


def test_an_edit_stands_when_the_step_it_previews_diverges(client, monkeypatch):
    sid = new(client)

    def diverges(*args, **kwargs):
        raise GlassnetError("the step diverged")

    monkeypatch.setattr(session, "traced_update", diverges)
    response = client.post(f"/api/sessions/{sid}/parameters", json={"name": "w5", "value": 9.0})
    assert response.status_code == 200 and response.json()["preview"] is None
    assert {p["name"]: p["value"] for p in response.json()["parameters"]}["w5"] == 9.0
