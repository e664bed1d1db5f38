"""Render a step trace (``StepTrace.to_dict()``) as the seven steps: terminal (rich), Markdown or JSON.

Every number shown comes from the trace; nothing here recomputes the maths. Formulas are written out with
their numbers filled in, e.g.

    dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5 = 0.74136507 * 0.186815602 * 0.593269992 = 0.082167041
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from glassnet.core.trace import StepTrace

MAX_TERMS = 6  # longer sums are shortened: first terms, "...", last term

DERIVATIVE_TEXT = {
    "sigmoid": "out (1 - out)",
    "tanh": "1 - out^2",
    "relu": "1 if net > 0 else 0",
    "leaky_relu": "1 if net > 0 else alpha",
    "identity": "1",
    "softmax": "out (1 - out)",
}
LOSS_TERM_TEXT = {
    "half_sse": "1/2 (target - out)^2",
    "mse": "(target - out)^2 / n",
    "binary_crossentropy": "-(target log(out) + (1 - target) log(1 - out)) / n",
    "categorical_crossentropy": "-target log(out)",
}
LOSS_GRAD_TEXT = {
    "half_sse": "out - target",
    "mse": "2 (out - target) / n",
    "binary_crossentropy": "(out - target) / (out (1 - out) n)",
    "categorical_crossentropy": "-target / out",
}


def fmt(x: float) -> str:
    """A number as the classic write-up prints it: 9 decimals, trailing zeros dropped; 9 significant
    digits for very small or large values.

    >>> fmt(0.0821670405642308), fmt(0.74136507), fmt(0.4), fmt(-0.0380982365), fmt(0.000438567734474347)
    ('0.082167041', '0.74136507', '0.4', '-0.038098237', '0.000438568')
    >>> fmt(3.51018778297885e-05), fmt(1.0), fmt(0.0)
    ('3.51018778e-05', '1', '0')
    """
    if x == 0:
        return "0"
    if 1e-4 <= abs(x) < 1e6:
        text = f"{x:.9f}".rstrip("0").rstrip(".")
        return text
    return f"{x:.9g}"


def _paren(x: float) -> str:
    return f"({fmt(x)})" if x < 0 else fmt(x)


def _out(neuron: str, d: dict[str, Any]) -> str:
    """How the classic write-up names a neuron's value: i1 for inputs, out_h1 for the others."""
    return neuron if neuron in d["inputs"] else f"out_{neuron}"


def _join(terms: list[str], sep: str = " + ") -> str:
    if len(terms) > MAX_TERMS:
        terms = [*terms[: MAX_TERMS - 1], "...", terms[-1]]
    return sep.join(terms)


@dataclass
class Section:
    """One of the seven steps: a title and its lines of formulas."""

    number: int
    title: str
    lines: list[str]


def _as_dict(trace: StepTrace | dict[str, Any]) -> dict[str, Any]:
    return trace.to_dict() if isinstance(trace, StepTrace) else trace


def sections(trace: StepTrace | dict[str, Any]) -> list[Section]:
    """The seven steps of one traced training step, each as lines of formulas with numbers."""
    d = _as_dict(trace)
    params = d["parameters"]
    weights_into: dict[str, list[dict[str, Any]]] = {}
    bias_of: dict[str, dict[str, Any]] = {}
    for p in params:
        if p["kind"] == "weight":
            weights_into.setdefault(p["targets"][0], []).append(p)
        else:
            for target in p["targets"]:
                bias_of[target] = p
    value = dict(d["inputs"])
    for layer in d["layers"]:
        value.update({n["name"]: n["a"] for n in layer["neurons"]})
    neurons = {n["name"]: n for layer in d["layers"] for n in layer["neurons"]}
    loss = d["loss"]
    lr = d["learning_rate"]

    # 1. initialize
    init = [
        f"{p['name']} = {fmt(p['old'])}   ({p['source']} -> {p['targets'][0]})"
        if p["kind"] == "weight"
        else f"{p['name']} = {fmt(p['old'])}   (bias of {', '.join(p['targets'])})"
        for p in params
    ]
    init = (
        [f"{k} = {fmt(v)}   (input)" for k, v in d["inputs"].items()]
        + [f"target_{k} = {fmt(v)}" for k, v in d["targets"].items()]
        + init
    )

    # 2. forward
    forward = []
    for layer in d["layers"]:
        for n in layer["neurons"]:
            ws = weights_into.get(n["name"], [])
            names = [f"{w['name']}*{_out(w['source'], d)}" for w in ws]
            nums = [f"{fmt(w['old'])}*{_paren(value[w['source']])}" for w in ws]
            b = bias_of.get(n["name"])
            if b is not None:
                names.append(f"{b['name']}*1")
                nums.append(f"{_paren(b['old'])}*1")
            name = n["name"]
            forward.append(f"net_{name} = {_join(names)} = {_join(nums)} = {fmt(n['z'])}")
            forward.append(f"out_{name} = {layer['activation']}(net_{name}) = {fmt(n['a'])}")

    # 3. loss
    outputs = d["layers"][-1]["neurons"]
    loss_lines = [
        f"E_{o['name']} = {LOSS_TERM_TEXT[loss]} with target {fmt(d['targets'][o['name']])}, "
        f"out {fmt(o['a'])} = {fmt(d['loss_terms'][o['name']])}"
        for o in outputs
    ]
    loss_lines.append(
        f"E_total = {_join([f'E_{o}' for o in d['loss_terms']])} = "
        f"{_join([_paren(v) for v in d['loss_terms'].values()])} = {fmt(d['loss_total'])}"
    )

    # 4./5. backward: deltas, then the chain rule for every parameter
    def delta_lines(layer: dict[str, Any], output: bool) -> list[str]:
        lines = []
        act = layer["activation"]
        for n in layer["neurons"]:
            name = n["name"]
            if output:
                lines.append(f"dE/dout_{name} = {LOSS_GRAD_TEXT[loss]} = {fmt(n['dE_da'])}")
            else:
                terms = n["dE_da_terms"]
                symbols = _join(["delta_{via}*{weight}".format(**c) for c in terms])
                numbers = _join([f"{_paren(c['delta'])}*{_paren(c['w'])}" for c in terms])
                lines.append(f"dE/dout_{name} = {symbols} = {numbers} = {fmt(n['dE_da'])}")
            lines.append(f"dout_{name}/dnet_{name} = {DERIVATIVE_TEXT[act]} = {fmt(n['da_dz'])}")
            rule = layer["delta_rule"]
            if layer["delta_form"] == "chain_rule":
                lines.append(
                    f"delta_{name} = dE/dout_{name} * dout_{name}/dnet_{name} = "
                    f"{_paren(n['dE_da'])} * {_paren(n['da_dz'])} = {fmt(n['delta'])}"
                )
            else:
                lines.append(f"delta_{name} = {rule} = {fmt(n['delta'])}")
        return lines

    def chain_lines(layer_index: int) -> list[str]:
        product_rule = d["layers"][layer_index - 1]["delta_form"] == "chain_rule"
        lines = []
        for p in params:
            if p["layer"] != layer_index:
                continue
            if p["kind"] == "weight":
                n = p["targets"][0]
                if product_rule:
                    lines.append(
                        f"dE/d{p['name']} = dE/dout_{n} * dout_{n}/dnet_{n} * dnet_{n}/d{p['name']} = "
                        f"{_paren(p['dE_da'])} * {_paren(p['da_dz'])} * {_paren(p['dz_dw'])} = "
                        f"{fmt(p['grad'])}"
                    )
                else:
                    lines.append(
                        f"dE/d{p['name']} = delta_{n} * dnet_{n}/d{p['name']} = "
                        f"{_paren(neurons[n]['delta'])} * {_paren(p['dz_dw'])} = {fmt(p['grad'])}"
                    )
            else:
                lines.append(
                    f"dE/d{p['name']} = {_join([f'delta_{t}' for t in p['targets']])} = "
                    f"{_join([_paren(neurons[t]['delta']) for t in p['targets']])} = {fmt(p['grad'])}"
                )
        return lines

    n_layers = len(d["layers"])
    output_lines = delta_lines(d["layers"][-1], True) + chain_lines(n_layers)
    hidden_lines: list[str] = []
    for layer in reversed(d["layers"][:-1]):
        hidden_lines += delta_lines(layer, False) + chain_lines(layer["index"])
    if not hidden_lines:
        hidden_lines = ["(no hidden layers)"]

    # 6. update
    update = []
    for p in params:
        name = p["name"]
        if p["kind"] == "bias" and not d["train_biases"]:
            update.append(f"{name} = {fmt(p['old'])}   (frozen: biases are not updated)")
        elif d["optimizer"] == "sgd":
            update.append(
                f"{name}+ = {name} - eta * dE/d{name} = {fmt(p['old'])} - {fmt(lr)} * {_paren(p['grad'])} = "
                f"{fmt(p['new'])}"
            )
        else:
            update.append(
                f"{name}+ = {d['optimizer']}({name}, dE/d{name}) = {fmt(p['new'])}   (was {fmt(p['old'])})"
            )

    # 7. repeat
    repeat = [
        f"E_total before this step = {fmt(d['loss_total'])}",
        f"E_total after the update = {fmt(d['loss_after'])}",
        "repeat steps 2-6 over the data until the loss is small enough or every weight has stopped moving",
    ]
    return [
        Section(1, "Initialize", init),
        Section(2, "Forward propagation", forward),
        Section(3, f"Loss ({loss})", loss_lines),
        Section(4, "Backpropagation: output layer", output_lines),
        Section(5, "Backpropagation: hidden layers (weights before this step)", hidden_lines),
        Section(6, f"Update ({d['optimizer']}, eta = {fmt(lr)})", update),
        Section(7, "Repeat", repeat),
    ]


def to_markdown(trace: StepTrace | dict[str, Any]) -> str:
    """The seven steps as Markdown: a heading per step and its formulas in a code block."""
    parts = ["# One training step, explained", ""]
    for s in sections(trace):
        parts += [f"## {s.number}. {s.title}", "", "```", *s.lines, "```", ""]
    return "\n".join(parts)


def to_json(trace: StepTrace | dict[str, Any]) -> str:
    """The trace as JSON, every number at full float64 precision."""
    return json.dumps(_as_dict(trace), indent=2)


def to_rich(trace: StepTrace | dict[str, Any]) -> Any:
    """The seven steps as a rich renderable (a group of panels) for the terminal."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    panels = [
        Panel(Text("\n".join(s.lines)), title=f"[bold]Step {s.number}. {s.title}[/bold]", title_align="left")
        for s in sections(trace)
    ]
    return Group(*panels)
