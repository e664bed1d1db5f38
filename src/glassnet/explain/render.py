"""Render a step trace (``StepTrace.to_dict()``) as the seven steps: terminal (rich), Markdown or JSON.

Every number shown comes from the trace; nothing here recomputes the maths. ``sections`` builds each step's
equations once, as formula trees (see ``formulas``); the terminal writes them as plain text, Markdown as
LaTeX and the write-up as MathML, e.g.

    dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5 = 0.74136507 * 0.186815602 * 0.593269992 = 0.082167041
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from glassnet.core.trace import StepTrace

from .formulas import (
    BigSum,
    Call,
    Deriv,
    Equation,
    Frac,
    Neg,
    Node,
    Num,
    Paren,
    Power,
    Product,
    Sum,
    Sup,
    Sym,
    Word,
    fmt,
    neuron_value,
    param,
    signed_sum,
)

__all__ = ["Section", "fmt", "sections", "to_json", "to_markdown", "to_rich", "value_at"]

LEAKY_ALPHA = 0.01  # leaky_relu's slope below 0, as in core.activations


@dataclass
class Section:
    """One of the seven steps: a title, a sentence or two saying what it does, the rule in symbols
    (``rules``: pairs of sides) and the equations that work it out with this step's numbers."""

    number: int
    title: str
    equations: list[Equation]
    intro: str = ""
    rules: list[tuple[Node, Node]] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        """The equations as plain text, one per line."""
        return [eq.text() for eq in self.equations] or ["(none)"]


def _as_dict(trace: StepTrace | dict[str, Any]) -> dict[str, Any]:
    return trace.to_dict() if isinstance(trace, StepTrace) else trace


def value_at(trace: StepTrace | dict[str, Any], key: str) -> float:
    """The trace's number that a formula's number came from, by its key: "inputs.i1", "targets.o1",
    "loss_terms.o1", "loss_total", "loss_after", "learning_rate", "neurons.h1.z" (z, a, dE_da, da_dz,
    delta), "neurons.h1.dE_da_terms.o1" (the share delta_o1 * w that reaches h1 from o1) and
    "parameters.w5.grad" (old, grad, new, dE_da, da_dz, dz_dw). A leading "-" negates.

    >>> from glassnet.core.examples import worked_example
    >>> net, x, t, lr = worked_example()
    >>> fmt(value_at(net.traced_step(x, t, lr), "parameters.w5.grad"))
    '0.082167041'
    """
    d = _as_dict(trace)
    if key.startswith("-"):
        return -value_at(d, key[1:])
    head, _, rest = key.partition(".")
    if head in ("inputs", "targets", "loss_terms"):
        return float(d[head][rest])
    if head in ("loss_total", "loss_after", "learning_rate") and not rest:
        return float(d[head])
    if head == "neurons":
        name, _, attr = rest.partition(".")
        neuron = next(n for layer in d["layers"] for n in layer["neurons"] if n["name"] == name)
        if attr.startswith("dE_da_terms."):
            via = attr.split(".", 1)[1]
            return float(next(c["value"] for c in neuron["dE_da_terms"] if c["via"] == via))
        return float(neuron[attr])
    if head == "parameters":
        name, _, attr = rest.partition(".")
        return float(next(p[attr] for p in d["parameters"] if p["name"] == name))
    raise KeyError(f"no number {key!r} in a step trace")


# ------------------------------------------------------------------------- the symbols of the steps
E, E_TOTAL, ETA, ONE, TWO = Sym("E"), Sym("E", "total"), Sym("η", "", "eta"), Num(1), Num(2)
MINUS_SECOND = frozenset({1})  # a Sum's second term is subtracted: a - b


def _net(n: str) -> Sym:
    return Sym("net", n)


def _out(n: str) -> Sym:
    return Sym("out", n)


def _target(n: str) -> Sym:
    return Sym("target", n)


def _delta(n: str) -> Sym:
    return Sym("δ", n, f"delta_{n}")


def _minus(a: Node, b: Node) -> Sum:
    return Sum([a, b], MINUS_SECOND)


def _activation(act: str, n: dict[str, Any]) -> list[Node]:
    """out = f(net): the rule in symbols, then with the neuron's net input."""
    key, z, net = f"neurons.{n['name']}.z", n["z"], _net(n["name"])
    if act == "sigmoid":
        return [
            Frac(ONE, Sum([ONE, Power(Sym("e"), Neg(net))])),
            Frac(ONE, Sum([ONE, Power(Sym("e"), Num(-z, f"-{key}"))])),
        ]
    if act == "tanh":
        return [Call("tanh", (net,)), Call("tanh", (Num(z, key),))]
    if act == "relu":
        return [Call("max", (Num(0), net)), Call("max", (Num(0), Num(z, key)))]
    if act == "leaky_relu":
        below = Product([Num(LEAKY_ALPHA), Num(z, key)])
        return [Word(f"net if net > 0, else {LEAKY_ALPHA} net"), Num(z, key) if z > 0 else below]
    if act == "softmax":
        return [Frac(Power(Sym("e"), net), BigSum("k", Power(Sym("e"), Sym("net", "k"))))]
    return [net, Num(z, key)]


def _derivative(act: str, n: dict[str, Any]) -> list[Node]:
    """dout/dnet: the rule in symbols, then with the neuron's output."""
    out, a = _out(n["name"]), Num(n["a"], f"neurons.{n['name']}.a")
    if act in ("sigmoid", "softmax"):  # softmax: the diagonal of its Jacobian, da_k/dz_k
        return [Product([out, Paren(_minus(ONE, out))]), Product([a, Paren(_minus(ONE, a))])]
    if act == "tanh":
        return [_minus(ONE, Power(out, TWO)), _minus(ONE, Power(a, TWO))]
    if act == "relu":
        return [Word("1 if net > 0, else 0")]
    if act == "leaky_relu":
        return [Word(f"1 if net > 0, else {LEAKY_ALPHA}")]
    return [ONE]


def _loss_term(loss: str, o: str, t: float, a: float, outputs: int) -> list[Node]:
    """E_o for one output: the rule, then with its target and output."""
    target, out = _target(o), _out(o)
    tn, an, n = Num(t, f"targets.{o}"), Num(a, f"neurons.{o}.a"), Num(outputs)

    def squared(x: Node, y: Node) -> Node:
        return Power(Paren(_minus(x, y)), TWO)

    def bce(tt: Node, oo: Node) -> Node:
        inner = Sum(
            [
                Product([tt, Call("ln", (oo,))]),
                Product([Paren(_minus(ONE, tt)), Call("ln", (_minus(ONE, oo),))]),
            ]
        )
        return Frac(Neg(Paren(inner)), n)

    if loss == "half_sse":
        half = Frac(ONE, TWO)
        return [Product([half, squared(target, out)]), Product([half, squared(tn, an)])]
    if loss == "mse":
        return [Frac(squared(target, out), n), Frac(squared(tn, an), n)]
    if loss == "binary_crossentropy":
        return [bce(target, out), bce(tn, an)]
    return [Neg(Product([target, Call("ln", (out,))])), Neg(Product([tn, Call("ln", (an,))]))]


def _loss_grad(loss: str, o: str, t: float, a: float, outputs: int) -> list[Node]:
    """dE/dout_o: the rule, then with its target and output."""
    target, out = _target(o), _out(o)
    tn, an, n = Num(t, f"targets.{o}"), Num(a, f"neurons.{o}.a"), Num(outputs)
    if loss == "half_sse":
        return [_minus(out, target), _minus(an, tn)]
    if loss == "mse":
        return [
            Frac(Product([TWO, Paren(_minus(out, target))]), n),
            Frac(Product([TWO, Paren(_minus(an, tn))]), n),
        ]
    if loss == "binary_crossentropy":
        return [
            Frac(_minus(out, target), Product([out, Paren(_minus(ONE, out)), n])),
            Frac(_minus(an, tn), Product([an, Paren(_minus(ONE, an)), n])),
        ]
    return [Neg(Frac(target, out)), Neg(Frac(tn, an))]


# ------------------------------------------------------------------------------------- the seven steps
class _Steps:
    """Builds the equations of each step from one trace dict."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.d = d
        self.params = d["parameters"]
        self.inputs = d["inputs"]
        self.weights_into: dict[str, list[dict[str, Any]]] = {}
        self.bias_of: dict[str, dict[str, Any]] = {}
        for p in self.params:
            if p["kind"] == "weight":
                self.weights_into.setdefault(p["targets"][0], []).append(p)
            else:
                for target in p["targets"]:
                    self.bias_of[target] = p
        self.value = dict(self.inputs)
        self.value_key = {k: f"inputs.{k}" for k in self.inputs}
        for layer in d["layers"]:
            for n in layer["neurons"]:
                self.value[n["name"]] = n["a"]
                self.value_key[n["name"]] = f"neurons.{n['name']}.a"
        self.neurons = {n["name"]: n for layer in d["layers"] for n in layer["neurons"]}
        self.last = len(d["layers"])
        self.outputs = d["layers"][-1]["neurons"]

    def layer_name(self, index: int) -> str:
        if index == self.last:
            return "output layer"
        return f"hidden layer {index}" if self.last > 2 else "hidden layer"

    def initialize(self) -> list[Equation]:
        d = self.d
        eqs = [
            Equation(f"inputs.{k}", param(k), [], Num(v, f"inputs.{k}"), "input")
            for k, v in self.inputs.items()
        ]
        eqs += [
            Equation(f"targets.{k}", _target(k), [], Num(v, f"targets.{k}"), "target")
            for k, v in d["targets"].items()
        ]
        for p in self.params:
            key = f"parameters.{p['name']}.old"
            if p["kind"] == "weight":
                note = f"{p['source']} → {p['targets'][0]}"
            else:
                note = f"bias of {', '.join(p['targets'])}"
            eqs.append(
                Equation(key, param(p["name"]), [], Num(p["old"], key), note, self.layer_name(p["layer"]))
            )
        return eqs

    def forward(self) -> list[Equation]:
        eqs = []
        for layer in self.d["layers"]:
            group = self.layer_name(layer["index"])
            for n in layer["neurons"]:
                name = n["name"]
                symbols: list[Node] = []
                numbers: list[Node] = []
                for w in self.weights_into.get(name, []):
                    source = w["source"]
                    symbols.append(Product([param(w["name"]), neuron_value(source, self.inputs)]))
                    numbers.append(
                        Product(
                            [
                                Num(w["old"], f"parameters.{w['name']}.old"),
                                Num(self.value[source], self.value_key[source]),
                            ]
                        )
                    )
                b = self.bias_of.get(name)
                if b is not None:
                    symbols.append(Product([param(b["name"]), ONE]))
                    numbers.append(Product([Num(b["old"], f"parameters.{b['name']}.old"), ONE]))
                z = Num(n["z"], f"neurons.{name}.z")
                eqs.append(
                    Equation(z.key, _net(name), [signed_sum(symbols), signed_sum(numbers)], z, group=group)
                )
                a = Num(n["a"], f"neurons.{name}.a")
                eqs.append(Equation(a.key, _out(name), _activation(layer["activation"], n), a, group=group))
        return eqs

    def loss(self) -> list[Equation]:
        d = self.d
        eqs = []
        for o in self.outputs:
            name = o["name"]
            stages = _loss_term(d["loss"], name, d["targets"][name], o["a"], len(self.outputs))
            term = Num(d["loss_terms"][name], f"loss_terms.{name}")
            eqs.append(Equation(term.key, Sym("E", name), stages, term))
        stages = [
            signed_sum([Sym("E", o) for o in d["loss_terms"]]),
            signed_sum([Num(v, f"loss_terms.{o}") for o, v in d["loss_terms"].items()]),
        ]
        eqs.append(Equation("loss_total", E_TOTAL, stages, Num(d["loss_total"], "loss_total")))
        return eqs

    def deltas(self, layer: dict[str, Any]) -> list[Equation]:
        """Each neuron's dE/dout (from the loss, or summed over the paths it feeds), dout/dnet and delta."""
        d = self.d
        eqs = []
        group = self.layer_name(layer["index"])
        outputs = len(self.outputs)
        for n in layer["neurons"]:
            name = n["name"]
            key = f"neurons.{name}"
            dE_da = Num(n["dE_da"], f"{key}.dE_da")
            da_dz = Num(n["da_dz"], f"{key}.da_dz")
            if layer["index"] == self.last:
                stages = _loss_grad(d["loss"], name, d["targets"][name], n["a"], outputs)
            else:
                paths = n["dE_da_terms"]
                stages = [
                    signed_sum([Product([_delta(c["via"]), param(c["weight"])]) for c in paths]),
                    signed_sum(
                        [
                            Product(
                                [
                                    Num(c["delta"], f"neurons.{c['via']}.delta"),
                                    Num(c["w"], f"parameters.{c['weight']}.old"),
                                ]
                            )
                            for c in paths
                        ]
                    ),
                    signed_sum([Num(c["value"], f"{key}.dE_da_terms.{c['via']}") for c in paths]),
                ]
            eqs.append(Equation(dE_da.key, Deriv(E, _out(name)), stages, dE_da, group=group))
            eqs.append(
                Equation(
                    da_dz.key,
                    Deriv(_out(name), _net(name)),
                    _derivative(layer["activation"], n),
                    da_dz,
                    group=group,
                )
            )
            if layer["delta_form"] == "chain_rule":
                stages = [
                    Product([Deriv(E, _out(name)), Deriv(_out(name), _net(name))]),
                    Product([dE_da, da_dz]),
                ]
            elif layer["delta_form"] == "simplified":
                tn, an = Num(d["targets"][name], f"targets.{name}"), Num(n["a"], f"{key}.a")
                symbols, numbers = _minus(_out(name), _target(name)), _minus(an, tn)
                if layer["delta_rule"].endswith(f"/ {outputs}"):
                    stages = [Frac(symbols, Num(outputs)), Frac(numbers, Num(outputs))]
                else:
                    stages = [symbols, numbers]
            else:  # softmax with a loss it does not pair with: the full Jacobian
                sum_k = BigSum("k", Product([Deriv(E, Sym("out", "k")), Sym("out", "k")]))
                stages = [Product([_out(name), Paren(_minus(Deriv(E, _out(name)), sum_k))])]
            delta = Num(n["delta"], f"{key}.delta")
            eqs.append(Equation(delta.key, _delta(name), stages, delta, group=group))
        return eqs

    def gradients(self, index: int) -> list[Equation]:
        """The chain rule for every weight and bias of layer ``index``."""
        layer = self.d["layers"][index - 1]
        product_rule = layer["delta_form"] == "chain_rule"
        group = self.layer_name(index)
        eqs = []
        for p in self.params:
            if p["layer"] != index:
                continue
            name, key = p["name"], f"parameters.{p['name']}"
            stages: list[Node]
            if p["kind"] == "weight":
                n = p["targets"][0]
                through = Deriv(_net(n), param(name))
                dz_dw = Num(p["dz_dw"], self.value_key[p["source"]])  # the value flowing along the weight
                if product_rule:
                    stages = [
                        Product([Deriv(E, _out(n)), Deriv(_out(n), _net(n)), through]),
                        Product(
                            [
                                Num(p["dE_da"], f"neurons.{n}.dE_da"),
                                Num(p["da_dz"], f"neurons.{n}.da_dz"),
                                dz_dw,
                            ]
                        ),
                    ]
                else:
                    stages = [
                        Product([_delta(n), through]),
                        Product([Num(self.neurons[n]["delta"], f"neurons.{n}.delta"), dz_dw]),
                    ]
            else:
                stages = [
                    signed_sum([_delta(t) for t in p["targets"]]),
                    signed_sum([Num(self.neurons[t]["delta"], f"neurons.{t}.delta") for t in p["targets"]]),
                ]
            grad = Num(p["grad"], f"{key}.grad")
            eqs.append(Equation(grad.key, Deriv(E, param(name)), stages, grad, group=group))
        return eqs

    def update(self) -> list[Equation]:
        d = self.d
        eqs = []
        for p in sorted(
            self.params, key=lambda p: p["layer"]
        ):  # layer by layer, its biases after its weights
            name, key = p["name"], f"parameters.{p['name']}"
            group = self.layer_name(p["layer"])
            old, new, after = Num(p["old"], f"{key}.old"), Num(p["new"], f"{key}.new"), Sup(param(name), "+")
            if p["kind"] == "bias" and not d["train_biases"]:
                eqs.append(
                    Equation(new.key, after, [param(name)], new, "frozen: biases are not updated", group)
                )
            elif d["optimizer"] == "sgd":
                stages: list[Node] = [
                    _minus(param(name), Product([ETA, Deriv(E, param(name))])),
                    _minus(
                        old,
                        Product([Num(d["learning_rate"], "learning_rate"), Num(p["grad"], f"{key}.grad")]),
                    ),
                ]
                eqs.append(Equation(new.key, after, stages, new, group=group))
            else:
                stages = [Call(d["optimizer"], (param(name), Deriv(E, param(name))))]
                eqs.append(Equation(new.key, after, stages, new, f"was {fmt(p['old'])}", group))
        return eqs

    def repeat(self) -> list[Equation]:
        d = self.d
        return [
            Equation("loss_total", E_TOTAL, [], Num(d["loss_total"], "loss_total"), "before this step"),
            Equation(
                "loss_after", Sup(E_TOTAL, "+"), [], Num(d["loss_after"], "loss_after"), "after the update"
            ),
        ]


def sections(trace: StepTrace | dict[str, Any]) -> list[Section]:
    """The seven steps of one traced training step, each as equations with this step's numbers."""
    d = _as_dict(trace)
    steps = _Steps(d)
    hidden: list[Equation] = []
    for layer in reversed(d["layers"][:-1]):
        hidden += steps.deltas(layer) + steps.gradients(layer["index"])
    sgd = d["optimizer"] == "sgd"
    update_intro = (
        "Every parameter moves a small step against its gradient; the learning rate η sets the size of "
        "the step."
    )
    if not d["train_biases"]:
        update_intro += " Biases are held fixed in this run."
    if not sgd:
        update_intro += (
            f" This run uses {d['optimizer']}, which scales each step by running averages of past gradients; "
            "the new values are the ones it computed."
        )
    w_ij, out_j, net_j = Sym("w", "ij"), Sym("out", "j"), Sym("net", "j")
    output = d["layers"][-1]
    output_intro = (
        "The chain rule says how much the total error changes when one weight changes: through the "
        "output the weight feeds (∂E/∂out), that output's activation (∂out/∂net) and the net input the "
        "weight is part of (∂net/∂w, the value flowing along the weight). Their product is the "
        "gradient; the first two factors together are the neuron's delta δ = ∂E/∂net."
    )
    if output["delta_form"] == "simplified" and output["activation"] == "softmax":
        output_intro += (
            f" Here softmax meets {d['loss']}: every output depends on every net input, so δ sums the "
            "paths through all the outputs, and that sum comes to out − target. This is why δ below is "
            "not the product of the single ∂E/∂out and ∂out/∂net shown above it."
        )
    elif output["delta_form"] == "simplified":
        output_intro += (
            f" Here {output['activation']} meets {d['loss']}: the product simplifies, and δ is computed "
            f"as {output['delta_rule']}."
        )
    elif output["delta_form"] == "softmax_jacobian":
        output_intro += (
            " With softmax every output depends on every net input, so δ sums over the outputs (the "
            "softmax Jacobian), as written below."
        )
    return [
        Section(
            1,
            "Initialize",
            steps.initialize(),
            "The network starts from these weights and biases. The example is its inputs, and the targets "
            "are what the outputs should be.",
        ),
        Section(
            2,
            "Forward propagation",
            steps.forward(),
            "Layer by layer, each neuron adds up the values flowing in, each times the weight of its "
            "connection, plus its bias: that sum is its net input. Its activation function turns the net "
            "input into its output.",
            [
                (net_j, Sum([BigSum("i", Product([w_ij, Sym("out", "i")])), Sym("b", "j")])),
                (out_j, Call("f", (net_j,))),
            ],
        ),
        Section(
            3,
            f"Loss ({d['loss']})",
            steps.loss(),
            "The loss measures how far the outputs are from the targets: one term per output, then their "
            "sum.",
        ),
        Section(
            4,
            "Backpropagation: output layer",
            steps.deltas(d["layers"][-1]) + steps.gradients(steps.last),
            output_intro,
            [(Deriv(E, w_ij), Product([Deriv(E, out_j), Deriv(out_j, net_j), Deriv(net_j, w_ij)]))],
        ),
        Section(
            5,
            "Backpropagation: hidden layers (weights before this step)",
            hidden,
            "A hidden neuron's output reaches the error through every neuron it feeds, so ∂E/∂out adds up "
            "one share per path: the delta of the neuron downstream times the weight of the path, as that "
            "weight was before this step's update. From there the chain rule goes on as in the output "
            "layer.",
            [(Deriv(E, out_j), BigSum("k", Product([_delta("k"), Sym("w", "jk")])))],
        ),
        Section(
            6,
            f"Update ({d['optimizer']}, η = {fmt(d['learning_rate'])})",
            steps.update(),
            update_intro,
            [(Sup(Sym("w"), "+"), _minus(Sym("w"), Product([ETA, Deriv(E, Sym("w"))])))] if sgd else [],
        ),
        Section(
            7,
            "Repeat",
            steps.repeat(),
            "With the updated parameters the same example gives a new error. Training repeats steps 2 to 6 "
            "over the data until the loss is small enough or every weight has stopped moving.",
        ),
    ]


def to_markdown(trace: StepTrace | dict[str, Any]) -> str:
    """The seven steps as Markdown: a heading per step, what it does, then every formula as LaTeX ($…$)
    with its numbers."""
    parts = ["# One training step, explained", ""]
    for s in sections(trace):
        parts += [f"## {s.number}. {s.title}", "", s.intro, ""]
        parts += [f"- ${eq.tex()}$" + (f" ({eq.note})" if eq.note else "") for eq in s.equations] or [
            "(none)"
        ]
        parts.append("")
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
        Panel(
            Text("\n".join(s.lines), no_wrap=False, overflow="fold"),  # wrapped, never cut, in a pipe too
            title=f"[bold]Step {s.number}. {s.title}[/bold]",
            title_align="left",
        )
        for s in sections(trace)
    ]
    return Group(*panels)
