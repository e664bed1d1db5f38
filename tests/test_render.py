"""Renderers show the trace's numbers; they never recompute them."""

import json

import pytest

from glassnet.core.examples import worked_example
from glassnet.core.network import Network
from glassnet.explain.render import fmt, sections, to_json, to_markdown, to_rich

from .reference import BIASES_FROZEN, STEP_1_AFTER_UPDATE, STEP_1_BACKWARD, STEP_1_FORWARD


def worked_trace():
    net, x, t, lr = worked_example()
    return net.traced_step(x, t, lr)


def test_seven_sections_in_order():
    titles = [s.title for s in sections(worked_trace())]
    assert [s.number for s in sections(worked_trace())] == list(range(1, 8))
    assert titles[0] == "Initialize" and titles[1] == "Forward propagation" and titles[-1] == "Repeat"


def plain_text(trace):
    return "\n".join(line for s in sections(trace) for line in s.lines)


def test_plain_formulas_with_numbers():
    text = plain_text(worked_trace())
    assert "net_h1 = w1*i1 + w2*i2 + b1*1 = 0.15*0.05 + 0.2*0.1 + 0.35*1 = 0.3775" in text
    assert "net_o1 = w5*out_h1 + w6*out_h2 + b2*1" in text
    # a negative share is subtracted, never "+ -0.019"; the paths' shares are written before their sum
    assert (
        "dE/dout_h1 = delta_o1*w5 + delta_o2*w7 = 0.138498562*0.4 - 0.038098237*0.5 "
        "= 0.055399425 - 0.019049118 = 0.036350306" in text
    )
    assert "dE/dw1 = dE/dout_h1 * dout_h1/dnet_h1 * dnet_h1/dw1 = 0.036350306 * 0.241300709 * 0.05" in text
    assert "w7+ = w7 - eta * dE/dw7 = 0.5 - 0.5*(-0.02260254) = 0.51130127" in text
    assert "b1+ = b1 = 0.35   (frozen: biases are not updated)" in text
    assert "+ -" not in text and "= -" not in text.replace("= -0.", "")


def test_markdown_writes_formulas_as_latex():
    md = to_markdown(worked_trace())
    assert (
        r"- $\frac{\partial E}{\partial w_{5}} = "
        r"\frac{\partial E}{\partial \mathrm{out}_{\mathrm{o1}}} \cdot " in md
    )
    assert r"0.74136507 \times 0.186815602 \times 0.593269992 = 0.082167041$" in md
    assert r"0.138498562 \times 0.4 - 0.038098237 \times 0.5" in md
    assert "```" not in md and md.count("$") % 2 == 0


def test_one_term_is_not_repeated():
    """A one-output loss reads E_total = E_o1 = value, never E_total = E_o1 = x = x."""
    net = Network([2, 2, 1], seed=0)
    text = plain_text(net.traced_step([0.5, 0.1], [0.3], 0.1))
    line = next(line for line in text.splitlines() if line.startswith("E_total = "))
    assert line.count("=") == 2, line


def test_renderers_use_the_trace_numbers():
    data = worked_trace().to_dict()
    data["parameters"][4]["grad"] = 1.25  # w5: a renderer that recomputed would not show this
    assert "= 1.25$" in to_markdown(data) and "= 1.25" in plain_text(data)


def test_json_keeps_the_first_step_at_full_precision():
    data = json.loads(to_json(worked_trace()))
    neurons = {n["name"]: n for layer in data["layers"] for n in layer["neurons"]}
    params = {p["name"]: p for p in data["parameters"]}
    for name in ("h1", "h2", "o1", "o2"):
        assert neurons[name]["z"] == pytest.approx(STEP_1_FORWARD[f"net_{name}"], rel=1e-13, abs=0)
        assert neurons[name]["a"] == pytest.approx(STEP_1_FORWARD[f"out_{name}"], rel=1e-13, abs=0)
        assert neurons[name]["delta"] == pytest.approx(STEP_1_BACKWARD[f"delta_{name}"], rel=1e-12, abs=0)
    for k in range(1, 9):
        w = params[f"w{k}"]
        assert w["grad"] == pytest.approx(STEP_1_BACKWARD[f"dE_dw{k}"], rel=1e-12, abs=0)
        assert w["new"] == pytest.approx(STEP_1_AFTER_UPDATE[f"w{k}"], rel=1e-13, abs=0)
    assert data["loss_total"] == pytest.approx(STEP_1_FORWARD["E_total"], rel=1e-13, abs=0)
    assert data["loss_after"] == pytest.approx(BIASES_FROZEN[1]["E_total"], rel=1e-12, abs=0)


def test_softmax_cross_entropy_uses_the_simplified_delta():
    net = Network([2, 3, 3], activation="relu", loss="categorical_crossentropy", seed=0)
    text = plain_text(net.traced_step([0.5, -0.2], [0, 1, 0], 0.1))
    assert "delta_o1 = out_o1 - target_o1 = " in text
    assert "dE/dw7 = delta_o1 * dnet_o1/dw7 = " in text


def test_rich_renderable_prints():
    from rich.console import Console

    console = Console(record=True, width=160)
    console.print(to_rich(worked_trace()))
    assert "Step 4. Backpropagation: output layer" in console.export_text()


def test_large_sums_are_shortened():
    net = Network([20, 2, 1], seed=0)
    text = plain_text(net.traced_step([0.1] * 20, [0.5], 0.1))
    assert "+ ... +" in text


def test_fmt():
    assert fmt(0.298371108760003) == "0.298371109"
    assert fmt(-2.0) == "-2"


def test_a_narrow_or_piped_console_wraps_the_panels_and_loses_no_number():
    from rich.console import Console

    trace = worked_trace()
    console = Console(record=True, width=60, soft_wrap=True)  # soft_wrap: how the CLI prints off a terminal
    console.print(to_rich(trace))
    text = "".join(console.export_text().split())  # wrapped lines joined up again
    text = text.replace("│", "")
    for p in trace.parameters:
        assert fmt(p.grad) in text and fmt(p.new) in text, p.name
