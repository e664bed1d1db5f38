"""The explorer trains only through ``fit``: what the page shows is the update that was made. Each step is
recomputed here from the previous step's parameters and the rows the page names, with the core's own
functions (core/steps.py), independently of the page's trace."""

import re

import numpy as np
import pytest

from glassnet.core import steps
from glassnet.core.network import Network
from glassnet.core.optimizers import SGD
from glassnet.core.training import evaluate
from glassnet.web.dataset import load_data
from glassnet.web.requests import Settings

MOONS = {
    "dataset": "moons",
    "hidden_layers": [8, 8],
    "activation": "tanh",
    "loss": "categorical_crossentropy",
    "learning_rate": 0.05,
    "bias": "per_neuron",
    "test_ratio": 0.3,
}


def new(client, **settings):
    response = client.post("/api/sessions", json=settings)
    assert response.status_code == 201, response.text
    return response.json()["session"]


def values(state):
    return {p["name"]: p["value"] for p in state["parameters"]}


def network(settings, parameters):
    """A network of the session's shape holding ``parameters`` (the values the page shows)."""
    net = Network(
        [2, *settings["hidden_layers"], 2], activation=settings["activation"], loss=settings["loss"],
        bias="per_neuron" if settings["bias"] == "per_neuron" else "shared",
        train_biases=settings["bias"] != "frozen",
    )  # fmt: skip
    net.set_parameters(parameters)
    return net


@pytest.mark.parametrize("batch_size", [1, 10])
def test_the_rows_the_trace_shows_are_the_rows_whose_update_was_applied(client, batch_size):
    """Steps 1-30 of a shuffled run (with batches of 10, across two ends of an epoch of 140 rows): each
    step's new parameters are steps.step on the previous step's parameters and the rows the trace names."""
    settings = {**MOONS, "batch_size": batch_size}
    sid = new(client, **settings)
    data = load_data(Settings(**settings))
    before = values(client.get(f"/api/sessions/{sid}").json())
    seen = []
    for k in range(1, 31):
        state = client.post(f"/api/sessions/{sid}/step").json()
        trace = state["trace"]
        rows = trace["batch"]["rows"] if batch_size > 1 else [trace["row"]]
        assert len(rows) == batch_size and rows[0] == trace["row"]
        assert list(trace["inputs"].values()) == list(data.X[rows[0]])  # steps 2-5 show the first row
        net = network(settings, before)
        s = steps.step(net.layers, net.loss_fn, data.X[rows], data.T[rows], SGD(0.05))
        after = values(state)
        assert after == pytest.approx(net.parameters(), rel=1e-12, abs=1e-15), k
        assert (trace["batch"]["loss"] if batch_size > 1 else trace["loss_total"]) == pytest.approx(
            s.E, rel=1e-12
        )
        seen += rows
        before = after
    epoch = seen[:140]
    assert len(set(epoch)) == len(epoch) and epoch != sorted(epoch)  # each row once per epoch, shuffled
    if batch_size == 10:
        assert sorted(epoch) == list(range(140))


def test_dead_relus_on_moons_end_stuck_within_5000_steps(client):
    """/?dataset=moons&activation=relu&layers=2&seed=3&lr=1: both hidden ReLUs die; "Train until
    converged" must end stuck, in fit's words, not run to the limit."""
    sid = new(
        client, **{**MOONS, "activation": "relu", "hidden_layers": [2], "seed": 3, "learning_rate": 1.0}
    )
    for _ in range(5):
        response = client.post(
            f"/api/sessions/{sid}/train", json={"steps": 1000, "until_converged": True, "loss_tol": 0.05}
        )
        state = response.json()
        if state["stopped"]:
            break
    stopped = state["stopped"]
    assert stopped["kind"] == "stuck" and state["steps"] <= 5000, stopped
    assert "no unit of hidden layer 1 has a slope other than 0 on any training row" in stopped["message"]
    assert (
        f"the loss over the training data {state['loss']:.6g} is still above the tolerance 0.05"
        in (stopped["message"])
    )
    assert state["converged"] is None


def test_the_converged_message_quotes_the_loss_the_page_shows(client):
    sid = new(client, **MOONS)
    for _ in range(40):
        state = client.post(
            f"/api/sessions/{sid}/train", json={"steps": 5000, "until_converged": True, "loss_tol": 0.3}
        ).json()
        if state["stopped"]:
            break
    assert state["stopped"]["kind"] == "converged", state["stopped"]
    quoted = re.match(
        r"the loss over the training data (\S+) <= tolerance 0.3 after ([\d,]+) updates", state["converged"]
    )
    assert quoted is not None, state["converged"]
    assert quoted[1] == f"{state['loss']:.6g}" and float(quoted[1]) <= 0.3
    assert int(quoted[2].replace(",", "")) == state["steps"] == state["history"][-1][0]
    assert state["history"][-1][1] == state["loss"]  # the curve ends at the same number


def test_a_batch_chain_rule_shows_the_mean_gradient_the_update_applied(client):
    """A 4 x 16 network in batches of 10: the gradients shown for step 6 are the batch's mean gradients,
    the ones the update applied: w_new = w_old - lr * dE/dw for every parameter, and each equals the mean of
    the batch's examples' gradients recomputed with the core's functions."""
    settings = {**MOONS, "hidden_layers": [16, 16, 16, 16], "batch_size": 10, "learning_rate": 0.1}
    sid = new(client, **settings)
    data = load_data(Settings(**settings))
    client.post(f"/api/sessions/{sid}/train", json={"steps": 2})
    before = values(client.get(f"/api/sessions/{sid}").json())
    state = client.post(f"/api/sessions/{sid}/step").json()
    trace, after = state["trace"], values(state)
    batch = trace["batch"]
    assert batch["new"] == after and {p["name"]: p["old"] for p in trace["parameters"]} == before
    for name, grad in batch["grads"].items():
        assert after[name] == pytest.approx(before[name] - 0.1 * grad, rel=1e-9, abs=1e-15), name
    each = []
    for row in batch["rows"]:
        net = network(settings, before)
        steps.step(net.layers, net.loss_fn, data.X[[row]], data.T[[row]], SGD(1.0))
        each.append({k: before[k] - v for k, v in net.parameters().items()})  # one example's gradient
    mean = {k: float(np.mean([g[k] for g in each])) for k in before}
    assert batch["grads"] == pytest.approx(mean, rel=1e-9, abs=1e-12)
    first = {p["name"]: p["grad"] for p in trace["parameters"]}
    assert first == pytest.approx(each[0], rel=1e-9, abs=1e-12)  # the chain rule worked for the first row
    net = network(settings, after)
    assert batch["loss_after"] == pytest.approx(
        evaluate(net, data.X[batch["rows"]], data.T[batch["rows"]])[0]
    )


def test_a_diverged_state_shows_one_loss_in_the_curve_the_panel_and_its_trace(client):
    """Moons at learning rate 10 (identity units, cross-entropy) diverges: the state shown is the last finite
    one, and its loss over the data is the curve's last point and the panel's number, computed from the net
    inputs as fit does (never clipped at -log of a tiny probability, 227.96); E_total is the loss of the
    step's example, recomputed from the previous step's weights."""
    settings = {**MOONS, "activation": "identity", "learning_rate": 10.0, "batch_size": 1}
    sid = new(client, **settings)
    data = load_data(Settings(**settings))
    state = client.post(f"/api/sessions/{sid}/train", json={"steps": 200}).json()
    assert state["stopped"]["kind"] == "diverged"
    k = state["steps"]
    loss = evaluate(network(settings, values(state)), data.X, data.T)[0]
    assert state["loss"] == state["history"][-1][1] == loss > 228
    previous = client.get(f"/api/sessions/{sid}/steps/{k - 1}").json()
    net = network(settings, values(previous))
    x, t = data.X[[state["trace"]["row"]]], data.T[[state["trace"]["row"]]]
    assert state["trace"]["loss_total"] == pytest.approx(
        steps.step(net.layers, net.loss_fn, x, t, SGD(10.0)).E
    )
    past = client.get(f"/api/sessions/{sid}/steps/{k}").json()
    assert past["loss"] == pytest.approx(state["loss"], rel=1e-12) and past["trace"] == state["trace"]


def test_the_step_a_divergence_names_is_the_first_that_diverges(client):
    """ "diverged at step k + 1, shown at step k": a run of exactly k steps ends finite, one of k + 1 steps
    diverges (moons, ReLUs at learning rate 10: an update overflows mid-epoch, after the newest snapshot)."""
    settings = {**MOONS, "activation": "relu", "learning_rate": 10.0}
    state = client.post(f"/api/sessions/{new(client, **settings)}/train", json={"steps": 1000}).json()
    assert state["stopped"]["kind"] == "diverged"
    k = state["steps"]
    assert f"diverged at step {k + 1}" in state["stopped"]["message"] and k % 100 != 0  # not a snapshot
    exact = client.post(f"/api/sessions/{new(client, **settings)}/train", json={"steps": k}).json()
    assert exact["stopped"] is None and values(exact) == values(state)
    one_more = client.post(f"/api/sessions/{new(client, **settings)}/train", json={"steps": k + 1}).json()
    assert one_more["stopped"]["kind"] == "diverged" and one_more["steps"] == k


def test_a_new_batch_size_starts_a_new_epoch_whose_rows_the_trace_shows(client):
    """Three steps of one row, then batches of 10: the epoch in progress is cut short, and the next 14
    updates are a whole new epoch (each of the 140 rows once), each the update of the rows its trace names."""
    sid = new(client, **MOONS)
    data = load_data(Settings(**MOONS))
    for _ in range(3):
        before = client.post(f"/api/sessions/{sid}/step").json()
    changed = client.patch(f"/api/sessions/{sid}/training", json={"batch_size": 10}).json()
    assert changed["training"]["batch_size"] == 10
    seen = []
    for _ in range(14):
        state = client.post(f"/api/sessions/{sid}/step").json()
        rows = state["trace"]["batch"]["rows"]
        net = network(MOONS, values(before))
        steps.step(net.layers, net.loss_fn, data.X[rows], data.T[rows], SGD(0.05))
        assert values(state) == pytest.approx(net.parameters(), rel=1e-12, abs=1e-15)
        seen += rows
        before = state
    assert sorted(seen) == list(range(140))
