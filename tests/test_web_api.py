"""The explorer's API through FastAPI's TestClient."""

import base64
import sys

import numpy as np
import pytest
from fastapi.testclient import TestClient

from glassnet.cli import main
from glassnet.core.examples import worked_example
from glassnet.web import app as web_app
from glassnet.web import session

from .reference import STEP_1_AFTER_UPDATE, STEP_1_FORWARD


def new(client, **settings):
    response = client.post("/api/sessions", json=settings)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_page_and_its_assets(client):
    page = client.get("/")
    assert page.status_code == 200 and 'data-testid="step"' in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200


def test_step_on_the_worked_example_is_the_trace(client):
    state = new(client)
    assert state["sizes"] == [2, 2, 2] and state["steps"] == 0 and state["trace"] is None
    state = client.post(f"/api/sessions/{state['session']}/step").json()
    trace = state["trace"]
    assert trace["loss_total"] == pytest.approx(STEP_1_FORWARD["E_total"], rel=1e-12)
    values = {p["name"]: p["value"] for p in state["parameters"]}
    assert values["w5"] == pytest.approx(STEP_1_AFTER_UPDATE["w5"], rel=1e-12)
    net, x, t, lr = worked_example()
    extra = {"row": 0, "l2": 0.0}  # the example's row and the step's L2, beside the trace itself
    assert {k: trace[k] for k in extra} == extra
    core = {k: v for k, v in trace.items() if k not in extra}
    assert core == net.traced_step(x, t, lr).to_dict()  # exactly what glassnet explain / --json give


def test_two_sessions_are_separate_networks(client):
    a, b = new(client), new(client)
    client.post(f"/api/sessions/{a['session']}/train", json={"steps": 50})
    assert client.get(f"/api/sessions/{a['session']}").json()["steps"] == 50
    assert client.get(f"/api/sessions/{b['session']}").json()["steps"] == 0


def test_train_reset_and_history(client):
    s = new(
        client,
        dataset="moons",
        hidden_layers=[8, 8],
        activation="tanh",
        loss="categorical_crossentropy",
        learning_rate=0.05,
        bias="per_neuron",
    )
    state = client.post(f"/api/sessions/{s['session']}/train", json={"steps": 100}).json()
    assert state["steps"] == 100 and state["trace"] is not None and len(state["history"]) >= 2
    assert state["two_d"] and state["classes"] == ["0", "1"]
    grid = client.get(f"/api/sessions/{s['session']}/boundary", params={"resolution": 10}).json()
    assert len(base64.b64decode(grid["data"])) == 10 * 10 and len(grid["points"]) == 200
    state = client.post(f"/api/sessions/{s['session']}/reset").json()
    assert state["steps"] == 0 and state["trace"] is None


def test_train_xor_until_converged(client):
    s = new(
        client,
        dataset="xor",
        hidden_layers=[4],
        activation="tanh",
        loss="categorical_crossentropy",
        learning_rate=0.2,
        bias="per_neuron",
    )
    for _ in range(20):
        state = client.post(
            f"/api/sessions/{s['session']}/train",
            json={"steps": 2000, "until_converged": True, "loss_tol": 0.01},
        ).json()
        if state["converged"]:
            break
    assert state["converged"] and state["loss"] <= 0.01


def test_csv_upload(client):
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{'yes' if a > b else 'no'}" for a, b in rng.normal(size=(60, 2)))
    state = new(client, dataset="csv", csv="a,b,label\n" + rows, hidden_layers=[3], bias="per_neuron")
    assert state["sizes"] == [2, 3, 2] and state["classes"] == ["no", "yes"]
    numbers = "\n".join(f"{a:.3f},{2 * a:.4f}" for a in rng.normal(size=40))
    assert new(client, dataset="csv", csv="x,y\n" + numbers, loss="mse")["sizes"] == [1, 2, 1]


PRICES = "".join(f"{k},{k % 7},{k * 1.37:.2f}\n" for k in range(40))  # a regression target


@pytest.mark.parametrize(
    "body, status, words",
    [
        (
            {"hidden_layers": [4, 4, 4, 4, 4]},
            422,
            "hidden layers: 5 layers given; the explorer draws at most 4",
        ),
        ({"hidden_layers": [17]}, 422, "hidden layers: layer 1 has 17 neurons; each layer takes 1 to 16"),
        ({"hidden_layers": [4, 0]}, 422, "hidden layers: layer 2 has 0 neurons; each layer takes 1 to 16"),
        ({"hidden_layers": ["x"]}, 422, "hidden layers: layer 1 has 'x' neurons; expected a whole number"),
        ({"learning_rate": 0}, 422, "learning rate: expected more than 0; received an integer 0"),
        ({"learning_rate": "fast"}, 422, "learning rate: "),
        ({"batch_size": 65}, 422, "batch size: expected at most 64; received an integer 65"),
        ({"dataset": "mnist"}, 422, "dataset"),
        ({"activation": "swish"}, 422, "activation"),
        ({"surprise": 1}, 422, "surprise"),
        ({"dataset": "csv"}, 400, "choose a CSV file"),
        ({"dataset": "csv", "csv": "a,b,c\n1,x,0\n"}, 400, "non-numeric value 'x'"),
        ({"dataset": "csv", "csv": "a,b\n" + "1,2\n" * 10}, 400, "classes"),
        ({"dataset": "csv", "csv": "x" * 100_001}, 422, "CSV file: expected at most 100000 characters"),
        ({"dataset": "csv", "csv": ""}, 400, "the CSV file is empty"),
        (
            {"dataset": "csv", "loss": "categorical_crossentropy", "csv": "a,b,price\n" + PRICES},
            400,
            "choose the loss mse or half_sse",
        ),
    ],
)
def test_bad_settings_get_a_4xx_with_a_message(client, body, status, words):
    response = client.post("/api/sessions", json=body)
    assert response.status_code == status and words in response.json()["detail"]
    assert "body." not in response.json()["detail"]  # the page's words, not the request's structure


def test_bounds_on_training_requests(client):
    s = new(client)
    assert client.post(f"/api/sessions/{s['session']}/train", json={"steps": 5001}).status_code == 422
    assert client.post(f"/api/sessions/{s['session']}/train", json={"steps": 0}).status_code == 422
    assert client.get(f"/api/sessions/{s['session']}/boundary").status_code == 400  # not a 2-D dataset
    assert (
        client.get(f"/api/sessions/{s['session']}/boundary", params={"resolution": 10**6}).status_code == 422
    )
    assert (
        client.post(
            "/api/sessions", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )


def test_unknown_sessions_and_eviction(client, monkeypatch):
    assert client.post("/api/sessions/nope/step").status_code == 404
    monkeypatch.setattr(web_app, "MAX_SESSIONS", 3)
    app_client = TestClient(web_app.create_app(["testserver"]))
    first = new(app_client)["session"]
    for _ in range(3):
        new(app_client)
    assert app_client.get(f"/api/sessions/{first}").status_code == 404


def test_divergence_stops_at_the_last_finite_state_and_says_so(client):
    s = new(
        client,
        dataset="iris",
        hidden_layers=[8],
        activation="identity",
        loss="mse",
        learning_rate=10,
        bias="per_neuron",
    )
    response = client.post(f"/api/sessions/{s['session']}/train", json={"steps": 5000})
    assert response.status_code == 200  # the page gets the state it must show, not only an error
    state = response.json()
    assert state["stopped"]["kind"] == "diverged" and "learning rate 10" in state["stopped"]["message"]
    assert f"shown at step {state['steps']}" in state["stopped"]["message"]
    assert state["steps"] < 5000 and all(np.isfinite(p["value"]) for p in state["parameters"])
    assert state["history"][-1][0] == state["steps"]  # (its loss may be too large to show: None)
    again = client.get(f"/api/sessions/{s['session']}").json()
    assert again["steps"] == state["steps"] and again["parameters"] == state["parameters"]
    if state["steps"]:  # its trace is that step's
        assert state["trace"] is not None and all(np.isfinite(p["new"]) for p in state["trace"]["parameters"])


def test_moons_at_learning_rate_10_diverges_in_words_and_a_lower_rate_applies_at_once(client):
    s = new(client, dataset="moons", hidden_layers=[8, 8], activation="identity", loss="half_sse",
            learning_rate=10, bias="per_neuron")  # fmt: skip
    state = client.post(f"/api/sessions/{s['session']}/train", json={"steps": 100}).json()
    assert state["stopped"]["kind"] == "diverged"
    message = state["stopped"]["message"]
    k = state["steps"]  # the steps before the one that diverged stay
    assert k >= 2 and f"diverged at step {k + 1}" in state["stopped"]["message"]
    assert f"shown at step {k}, its last finite state" in state["stopped"]["message"]
    assert [h[0] for h in state["history"]] == list(range(k + 1))
    assert all(np.isfinite(p["value"]) for p in state["parameters"])
    past = client.get(f"/api/sessions/{s['session']}/steps/{k}").json()
    assert past["parameters"] == state["parameters"] and past["trace"] == state["trace"]
    state = client.patch(f"/api/sessions/{s['session']}/training", json={"learning_rate": 0.01}).json()
    assert state["training"]["learning_rate"] == 0.01 and state["stopped"] is None
    assert "lower the learning rate, then press Reset" in message
    state = client.post(f"/api/sessions/{s['session']}/reset").json()  # Reset keeps the rate as set
    assert state["steps"] == 0 and state["settings"]["learning_rate"] == 0.01
    state = client.post(f"/api/sessions/{s['session']}/train", json={"steps": 100}).json()
    assert state["stopped"] is None and state["trace"]["learning_rate"] == 0.01 and state["steps"] == 100


def test_a_loss_over_all_the_data_of_inf_is_shown_as_none_not_a_crash(client, monkeypatch):
    s = new(client, dataset="xor", hidden_layers=[4], bias="per_neuron")
    monkeypatch.setattr(session.Session, "losses", lambda self, net=None: (float("inf"), None))
    response = client.post(f"/api/sessions/{s['session']}/train", json={"steps": 10})
    assert response.status_code == 200 and response.json()["loss"] is None


def test_steps_in_several_requests_are_the_steps_of_one(client):
    xor = {
        "dataset": "xor",
        "hidden_layers": [4],
        "activation": "tanh",
        "learning_rate": 0.2,
        "bias": "per_neuron",
    }
    a, b = new(client, **xor)["session"], new(client, **xor)["session"]
    for steps in (1, 1, 1, 10, 3, 7):  # across the ends of passes over the 4 examples
        client.post(f"/api/sessions/{a}/train", json={"steps": steps})
    whole = client.post(f"/api/sessions/{b}/train", json={"steps": 23}).json()
    parts = client.get(f"/api/sessions/{a}").json()
    assert parts["steps"] == whole["steps"] == 23
    assert parts["parameters"] == whole["parameters"] and parts["trace"] == whole["trace"]


def test_the_choices_come_from_the_core_and_each_one_works(client):
    from glassnet.core.activations import ACTIVATIONS
    from glassnet.core.losses import LOSSES
    from glassnet.io.data import DATASETS

    options = client.get("/api/options").json()
    assert options["activations"] == [a for a in ACTIVATIONS if a != "softmax"]
    assert options["losses"] == list(LOSSES)
    assert options["bias"] == ["per_neuron", "shared", "frozen"]
    assert set(options["datasets"]) - {"worked-example", "csv"} <= set(DATASETS)
    for dataset in options["datasets"][:-1]:  # all but csv, which needs an upload
        assert (
            client.post("/api/sessions", json={"dataset": dataset, "hidden_layers": [3]}).status_code == 201
        )
    for name in ("activation", "loss", "bias"):
        for choice in options[{"activation": "activations", "loss": "losses", "bias": "bias"}[name]]:
            body = {"dataset": "moons", name: choice}
            if choice.endswith("crossentropy"):
                body["activation"] = "sigmoid"
            assert client.post("/api/sessions", json=body).status_code == 201, (name, choice)


def test_no_files_beyond_its_own_assets(client):
    for path in (
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2f..%2fpyproject.toml",
        "/etc/passwd",
    ):
        assert client.get(path).status_code == 404


def test_explore_command_rejects_a_bad_port(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["explore", "--port", "99999"])
    assert stop.value.code == 2 and "port" in capsys.readouterr().err


def explorer():
    """A client of the explorer's API (skips where the ``web`` extra is not installed)."""
    testclient = pytest.importorskip("fastapi.testclient")
    from glassnet.web.app import create_app

    return testclient.TestClient(create_app(["testserver"]))


def test_iris_in_the_explorer_without_scikit_learn(monkeypatch):
    client = explorer()
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    response = client.post("/api/sessions", json={"dataset": "iris"})
    assert response.status_code == 400 and "scikit-learn" in response.json()["detail"]


def test_explorer_rejects_a_non_finite_regression_target():
    csv = "x,y\n" + "\n".join(f"{k},{k * 2}" for k in range(30)) + "\n31,1e400\n"
    response = explorer().post("/api/sessions", json={"dataset": "csv", "csv": csv})
    assert response.status_code == 400 and "1e400" in response.json()["detail"]


# ------------------------------------------------------------------ only the user's own browser drives it
def test_a_foreign_host_is_refused_and_loopback_is_served():
    app = web_app.create_app()
    for base in ("http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"):
        assert TestClient(app, base_url=base).get("/api/options").status_code == 200
    rebound = TestClient(app, base_url="http://evil.example")  # DNS rebinding: a page's own name for us
    response = rebound.get("/")
    assert response.status_code == 400 and "host 'evil.example' is not served" in response.json()["detail"]
    assert rebound.post("/api/sessions", json={"dataset": "xor"}).status_code == 400
    assert (
        TestClient(web_app.create_app(["*"]), base_url="http://192.168.1.5:8765").get("/").status_code == 200
    )


def test_the_host_allow_list_is_starlettes_and_every_interface_still_refuses_a_domain():
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app = web_app.create_app(["*"])
    assert any(issubclass(m.cls, TrustedHostMiddleware) for m in app.user_middleware)
    for name in ("evil.example", "192.168.1.5.evil.example"):  # a rebinding page names its own domain
        response = TestClient(app, base_url=f"http://{name}:8765").get("/api/options")
        assert (
            response.status_code == 400 and f"host '{name}:8765' is not served" in response.json()["detail"]
        )
    assert "and any IP address" in response.json()["detail"]
    assert TestClient(app, base_url="http://[fe80::1]:8765").get("/api/options").status_code == 200


def test_a_foreign_page_cannot_change_sessions():
    client = TestClient(web_app.create_app(), base_url="http://127.0.0.1:8765")
    settings = {"dataset": "xor"}
    foreign = client.post("/api/sessions", json=settings, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and "cannot change the explorer's sessions" in foreign.json()["detail"]
    own = client.post("/api/sessions", json=settings, headers={"Origin": "http://127.0.0.1:8765"})
    assert own.status_code == 201
    session = own.json()["session"]
    assert (
        client.post(f"/api/sessions/{session}/step", headers={"Origin": "http://evil.example"}).status_code
        == 403
    )
    # reading carries no Origin check (a cross-origin page cannot read the reply anyway)
    assert (
        client.get(f"/api/sessions/{session}", headers={"Origin": "http://evil.example"}).status_code == 200
    )
    assert client.post(f"/api/sessions/{session}/step").status_code == 200  # no Origin: curl, scripts
