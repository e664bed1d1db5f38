"""The step trace: every number one training step computed, as a plain JSON-ready structure.

The terminal, Markdown, notebook and web views all render this one object; none recomputes the maths.
Recording happens only in ``Network.traced_step``: a plain ``Network.step`` pays nothing for it.

>>> from glassnet.core.examples import worked_example
>>> net, x, t, lr = worked_example()
>>> trace = net.traced_step(x, t, lr)
>>> round(trace.loss_total, 9), round(trace.parameter("w5").new, 8)
(0.298371109, 0.35891648)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .errors import GlassnetError
from .naming import ParameterKind
from .optimizers import SGD, Optimizer

if TYPE_CHECKING:
    from .network import Network


DeltaForm = Literal["chain_rule", "simplified", "softmax_jacobian"]

#: Views of a trace, by name, that the interfaces register: ``glassnet.explain.writeup`` registers
#: "writeup" when it is imported (``import glassnet`` does). The core renders nothing itself.
VIEWS: dict[str, Callable[..., Any]] = {}


@dataclass
class NeuronTrace:
    """One neuron in one step: net input z, output a, dE/da, da/dz and delta = dE/dz.

    For a hidden neuron, ``dE_da_terms`` lists each downstream contribution delta_j * w (old weights).
    """

    name: str
    layer: int
    z: float
    a: float
    dE_da: float
    da_dz: float
    delta: float
    bias: str | None = None
    dE_da_terms: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class LayerTrace:
    """A layer's neurons, and how their deltas were formed: ``delta_form`` is "chain_rule" (dE/da times
    da/dz), "simplified" (a matched loss and output activation: a - t) or "softmax_jacobian"; ``delta_rule``
    writes that out for a reader."""

    index: int
    activation: str
    delta_rule: str
    delta_form: DeltaForm
    neurons: list[NeuronTrace]


@dataclass
class ParameterTrace:
    """One weight or bias: old value, chain-rule factors, gradient and new value.

    For a weight w from neuron s to neuron n:  dE/dw = dE/da_n * da_n/dz_n * dz_n/dw, with dz_n/dw = a_s.
    For a bias:  dE/db = sum of the deltas of the neurons it feeds (``targets``).
    """

    name: str
    kind: ParameterKind
    layer: int
    source: str | None
    targets: list[str]
    old: float
    dE_da: float | None
    da_dz: float | None
    dz_dw: float
    grad: float
    new: float


@dataclass
class StepTrace:
    """Everything one training step on one example computed."""

    sizes: list[int]
    activations: list[str]
    loss: str
    bias: str
    train_biases: bool
    optimizer: str
    learning_rate: float
    inputs: dict[str, float]
    targets: dict[str, float]
    layers: list[LayerTrace]
    loss_terms: dict[str, float]
    loss_total: float
    loss_after: float
    parameters: list[ParameterTrace]

    def parameter(self, name: str) -> ParameterTrace:
        """The record of parameter ``name`` (e.g. 'w5')."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise GlassnetError(f"no parameter named {name!r} in this trace")

    def neuron(self, name: str) -> NeuronTrace:
        """The record of neuron ``name`` (e.g. 'h1', 'o2')."""
        for layer in self.layers:
            for n in layer.neurons:
                if n.name == name:
                    return n
        raise GlassnetError(f"no neuron named {name!r} in this trace")

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of lists, strings and floats (full float64 precision), ready for json.dumps: what
        ``dataclasses.asdict`` gives, twice as fast (a 4 x 16 network's trace is 20,000 values)."""
        plain: dict[str, Any] = _plain(self)
        return plain

    def writeup(self, **options: Any) -> Any:
        """This step as a write-up: a document with every formula typeset and every number worked out,
        which displays itself in a notebook and saves itself (``.save("step.html")`` or ".pdf").
        ``exercise=True`` blanks the outputs and all that follows from them, ``blank="dE/dw5"`` (as the
        CLI's --blank) chooses, and ``key=True`` gives the answer key; see
        ``glassnet.explain.writeup`` for the rest."""
        view = VIEWS.get("writeup")
        if view is None:
            raise GlassnetError("no write-up view is loaded: import glassnet.explain.writeup first")
        return view(self, **options)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(x: Any) -> Any:
    """``x`` with every dataclass turned into a dict, lists and tuples and dicts copied (``asdict``'s
    result for the plain values a trace holds)."""
    names = _FIELDS.get(type(x))
    if names is None and is_dataclass(x) and not isinstance(x, type):
        names = _FIELDS[type(x)] = tuple(f.name for f in fields(x))
    if names is not None:
        return {name: _plain(getattr(x, name)) for name in names}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_plain(v) for v in x)
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


def _delta_form(net: Network, layer: int) -> tuple[str, DeltaForm]:
    """How ``layer``'s deltas are formed, as text for a reader and as a value to branch on."""
    act = net.activations[layer]
    if layer == len(net.layers) - 1 and net.loss_fn.pairs_with(act):
        outputs = net.sizes[-1]
        if net.loss_fn.name == "binary_crossentropy" and outputs > 1:
            return f"(out - target) / {outputs}", "simplified"
        return "out - target", "simplified"
    if not act.elementwise:
        return "softmax Jacobian: out * (dE/dout - sum(dE/dout * out))", "softmax_jacobian"
    return "dE/dout * dout/dnet", "chain_rule"


def record_step(net: Network, x: Any, t: Any, optimizer: Optimizer | float) -> StepTrace:
    """Run steps 2-6 on one example with ``Network.train_step`` and record what it computed.

    The net inputs, outputs, dE/da, deltas, loss terms and gradients are the arrays the step itself
    returned (``Network.last_step``). What the step never forms is derived here for the learner to read:
    da/dz per neuron (the activation's ``derivative``, the f' its chain rule multiplied by), each
    downstream path's share delta_j * w of a hidden neuron's dE/da, and dE/da of an output layer whose
    delta is the canonical pair's a - t.
    """
    x = net.as_inputs(x)
    t = net.as_targets(t)
    net.loss_fn.check_targets(t)
    if x.shape[0] != 1 or t.shape[0] != 1:
        raise GlassnetError(
            f"a step trace follows one example; received a batch of {x.shape[0]} inputs, {t.shape[0]} targets"
        )
    net.check_finite(x, t)
    opt = optimizer if isinstance(optimizer, Optimizer) else SGD(optimizer)
    names = net.neuron_names
    refs = net.parameter_refs
    old = net.parameters()
    old_W = [layer.W.copy() for layer in net.layers]  # the weights of step 5, before the update
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite loss is reported below, in words
        loss_total = net.train_step(x, t, opt, form_gradients=True)  # steps 2-6
    if not math.isfinite(loss_total):
        raise GlassnetError(
            f"the loss became {loss_total} (diverged); the weights were left as they were: "
            "try a lower learning rate"
        )
    s = net.last_step
    last = len(net.layers) - 1
    output_dE_da = s.dE_da[-1] if s.dE_da[-1] is not None else net.loss_fn.grad(s.a[-1], t)
    assert s.terms is not None
    terms = s.terms[0]

    bias_of = {target: ref.name for ref in refs if ref.kind == "bias" for target in ref.targets}
    weight_name = {(ref.layer, ref.index): ref.name for ref in refs if ref.kind == "weight"}
    layers: list[LayerTrace] = []
    by_neuron: dict[str, NeuronTrace] = {}
    for l, layer in enumerate(net.layers):
        dE_da_l = output_dE_da if l == last else s.dE_da[l]
        assert dE_da_l is not None
        dE_da = dE_da_l[0]
        da_dz = layer.activation.derivative(s.z[l], s.out[l])[0]
        neurons = []
        for k, name in enumerate(names[l + 1]):
            paths = []
            if l < last:
                for j, via in enumerate(names[l + 2]):
                    d, w = float(s.delta[l + 1][0, j]), float(old_W[l + 1][k, j])
                    paths.append(
                        {
                            "via": via,
                            "weight": weight_name[(l + 1, (k, j))],
                            "delta": d,
                            "w": w,
                            "value": d * w,
                        }
                    )
            neuron = NeuronTrace(
                name,
                l + 1,
                float(s.z[l][0, k]),
                float(s.out[l][0, k]),
                float(dE_da[k]),
                float(da_dz[k]),
                float(s.delta[l][0, k]),
                bias_of.get(name),
                paths,
            )
            neurons.append(neuron)
            by_neuron[name] = neuron
        layers.append(LayerTrace(l + 1, layer.activation.name, *_delta_form(net, l), neurons))
    values = {n: float(a) for n, a in zip(names[0], x[0], strict=True)}
    values.update({name: n.a for name, n in by_neuron.items()})

    new = net.parameters()
    params = []
    for ref in refs:
        grad = float(net.grad_of(ref)[ref.index])
        if ref.kind == "weight":
            assert ref.source is not None
            target = by_neuron[ref.targets[0]]
            params.append(
                ParameterTrace(
                    ref.name,
                    "weight",
                    ref.layer + 1,
                    ref.source,
                    [target.name],
                    old[ref.name],
                    target.dE_da,
                    target.da_dz,
                    values[ref.source],
                    grad,
                    new[ref.name],
                )
            )
        else:
            params.append(
                ParameterTrace(
                    ref.name,
                    "bias",
                    ref.layer + 1,
                    None,
                    list(ref.targets),
                    old[ref.name],
                    None,
                    None,
                    1.0,
                    grad,
                    new[ref.name],
                )
            )
    z_after, a_after = net.propagate(x)[-1]
    return StepTrace(
        sizes=list(net.sizes),
        activations=[a.name for a in net.activations],
        loss=net.loss_fn.name,
        bias=net.bias,
        train_biases=net.train_biases,
        optimizer=opt.name,
        learning_rate=opt.lr,
        inputs=values_for(names[0], x[0]),
        targets=values_for(names[-1], t[0]),
        layers=layers,
        loss_terms=values_for(names[-1], terms),
        loss_total=loss_total,
        loss_after=net.loss(a_after, t, z_after),
        parameters=params,
    )


def values_for(names: list[str], row: np.ndarray) -> dict[str, float]:
    """{name: float(value)} for one row of values."""
    return {n: float(v) for n, v in zip(names, row, strict=True)}
