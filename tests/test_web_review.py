"""The explorer's server under a reviewer's odd cases: time travel after many small requests."""

from itertools import pairwise

import pytest
from fastapi.testclient import TestClient

from glassnet.interfaces.web import app as web


@pytest.fixture
def client():
    return TestClient(web.create_app(["testserver"]))


def new(client, **settings):
    response = client.post("/api/sessions", json=settings)
    assert response.status_code == 201, response.text
    return response.json()["session"]


def test_checkpoints_stay_spread_over_a_run_of_small_requests(monkeypatch):
    """Play sends requests of a few steps each (max_ms): each one leaves a checkpoint at its start. Thinning
    them must not widen the spacing without end, or time travel replays the whole run from step 0."""
    monkeypatch.setattr(web, "CHECKPOINTS", 20)
    monkeypatch.setattr(web, "CHECKPOINT_EVERY", 3)
    s = web.Session(web.Settings())
    while s.steps < 600:
        s.train(web.TrainRequest(steps=2))
    steps = [c.step for c in s.checkpoints]
    assert len(steps) <= 20
    assert max(b - a for a, b in pairwise(steps)) <= 4 * 600 // 20, steps
    assert s.interval <= 4 * 600 // 20
