"""The worked example, digit for digit (reference values in tests/reference.py)."""

import json

import numpy as np
import pytest

from glassnet.core.examples import worked_example
from glassnet.core.training import fit
from glassnet.explain.render import to_json

from .reference import (
    BIASES_FROZEN,
    BIASES_UPDATED,
    BIASES_UPDATED_PARAMS_AFTER_1,
    PUBLISHED_ROUND_1_ERROR,
    STEP_1_AFTER_UPDATE,
    STEP_1_BACKWARD,
    STEP_1_FORWARD,
)

REL_STEP = 1e-12
REL_TRAIN = 1e-9


def close(value, expected, rel):
    return value == pytest.approx(expected, rel=rel, abs=0)


@pytest.fixture
def trace():
    net, x, t, lr = worked_example()
    return net.traced_step(x, t, lr)


def test_first_forward_pass(trace):
    for name in ("h1", "h2", "o1", "o2"):
        n = trace.neuron(name)
        assert close(n.z, STEP_1_FORWARD[f"net_{name}"], REL_STEP)
        assert close(n.a, STEP_1_FORWARD[f"out_{name}"], REL_STEP)
    assert close(trace.loss_terms["o1"], STEP_1_FORWARD["E_o1"], REL_STEP)
    assert close(trace.loss_terms["o2"], STEP_1_FORWARD["E_o2"], REL_STEP)
    assert close(trace.loss_total, STEP_1_FORWARD["E_total"], REL_STEP)


def test_first_backward_pass(trace):
    w5 = trace.parameter("w5")
    assert close(w5.dE_da, STEP_1_BACKWARD["dE_dout_o1"], REL_STEP)
    assert close(w5.da_dz, STEP_1_BACKWARD["dout_o1_dnet_o1"], REL_STEP)
    assert close(w5.dz_dw, STEP_1_BACKWARD["dnet_o1_dw5"], REL_STEP)
    for name in ("o1", "o2", "h1", "h2"):
        assert close(trace.neuron(name).delta, STEP_1_BACKWARD[f"delta_{name}"], REL_STEP)
    for name in ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2"):
        assert close(trace.parameter(name).grad, STEP_1_BACKWARD[f"dE_d{name}"], REL_STEP)


def test_first_update(trace):
    for name, expected in STEP_1_AFTER_UPDATE.items():
        assert close(trace.parameter(name).new, expected, REL_STEP), name
    assert close(trace.loss_after, BIASES_FROZEN[1]["E_total"], REL_TRAIN)
    # The classic write-up's printed round-1 error comes from a different (sequential) program.
    assert abs(trace.loss_after - PUBLISHED_ROUND_1_ERROR) > 1e-7


def test_first_update_with_biases():
    net, x, t, lr = worked_example(update_biases=True)
    net.step(x, t, lr)
    for name, expected in BIASES_UPDATED_PARAMS_AFTER_1.items():
        assert close(net.parameters()[name], expected, REL_STEP), name


@pytest.mark.parametrize("update_biases, table", [(False, BIASES_FROZEN), (True, BIASES_UPDATED)])
@pytest.mark.parametrize("updates", [1, 10000])
def test_after_updates(update_biases, table, updates):
    net, x, t, lr = worked_example(update_biases=update_biases)
    result = fit(net, x, t, lr, epochs=updates, shuffle=False)
    assert result.updates == updates and result.reason == "max_epochs"
    out = net.predict(x)
    expected = table[updates]
    assert close(net.loss(out, t), expected["E_total"], REL_TRAIN)
    assert close(float(out[0, 0]), expected["out_o1"], REL_TRAIN)
    assert close(float(out[0, 1]), expected["out_o2"], REL_TRAIN)


def test_trace_json_keeps_full_precision(trace):
    data = json.loads(to_json(trace))
    assert data["loss_total"] == trace.loss_total
    w5 = next(p for p in data["parameters"] if p["name"] == "w5")
    assert w5["grad"] == trace.parameter("w5").grad
    assert close(w5["grad"], STEP_1_BACKWARD["dE_dw5"], REL_STEP)


def test_names_follow_the_worked_example(trace):
    w = {p.name: (p.source, p.targets[0]) for p in trace.parameters if p.kind == "weight"}
    assert w == {
        "w1": ("i1", "h1"),
        "w2": ("i2", "h1"),
        "w3": ("i1", "h2"),
        "w4": ("i2", "h2"),
        "w5": ("h1", "o1"),
        "w6": ("h2", "o1"),
        "w7": ("h1", "o2"),
        "w8": ("h2", "o2"),
    }
    assert trace.parameter("b1").targets == ["h1", "h2"]
    assert trace.parameter("b2").targets == ["o1", "o2"]


def test_step_and_traced_step_agree():
    net_a, x, t, lr = worked_example(update_biases=True)
    net_b, _, _, _ = worked_example(update_biases=True)
    for _ in range(3):
        E_a = net_a.step(x, t, lr)
        E_b = net_b.traced_step(x, t, lr).loss_total
        assert E_a == E_b
    assert net_a.parameters() == net_b.parameters()
    assert np.array_equal(net_a.predict(x), net_b.predict(x))
