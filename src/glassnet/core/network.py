"""A fully connected network: its layers, step 1 (initialize), and the seven steps as its methods.

The steps themselves are the functions of ``glassnet/core/steps.py`` (read that first); a Network holds
what they work on (its layers, loss, bias mode, dropout) and calls them:

1. ``initialize``        draw weights and biases (or take given values with ``set_parameters``)
2. ``forward``           z = a_prev @ W + b and a = f(z), layer by layer
3. ``loss``              E, e.g. sum of 1/2 (t - a)^2
4.-5. ``backward``       every delta, from the output layer back, then every gradient
6. ``update``            w <- w - lr * dE/dw
7. repeat until converged: ``glassnet.core.training.fit``

``train_step`` runs 2 to 6 (``steps.step``) and ``traced_step`` records every number of one step.

Shapes: data (batch, features); weights W (inputs, units); z = a_prev @ W + b; a = f(z).

>>> import numpy as np
>>> net = Network([2, 2, 2], seed=0)
>>> x = np.array([[0.05, 0.10]]); t = np.array([[0.01, 0.99]])
>>> E_before = net.step(x, t, 0.5)
>>> net.loss(net.forward(x), t) < E_before
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from copy import deepcopy
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from . import steps
from .activations import get_activation
from .checks import (
    BIAS_MODES,
    DTYPES,
    as_batch,
    check_choice,
    check_dropout,
    check_dtype,
    check_memory,
    check_sizes,
    require_finite,
)
from .errors import GlassnetError
from .initializers import INITIALIZERS, glorot_bound, initialize_weights
from .layers import Dense, Dropout
from .losses import Loss, get_loss
from .naming import ParameterRef, neuron_names, parameter_refs
from .optimizers import SGD, Optimizer
from .options import OPTIONS

if TYPE_CHECKING:
    from .trace import StepTrace

__all__ = ["BIAS_MODES", "DTYPES", "Dense", "Network", "ParameterRef", "neuron_names"]

Array = NDArray[np.floating]


class Network:
    """A fully connected feed-forward network with its loss.

    Parameters
    ----------
    sizes : list of int
        Neurons per layer, inputs first: ``[2, 2, 2]`` is the worked example.
    activation : str or list of str
        Hidden-layer activation(s): sigmoid, tanh, relu, leaky_relu, softmax, identity.
    output_activation : str, optional
        Defaults to softmax for categorical_crossentropy, sigmoid for binary_crossentropy, and
        ``activation`` otherwise.
    loss : str
        half_sse, mse, binary_crossentropy or categorical_crossentropy.
    bias : str
        ``per_neuron`` (the usual), ``shared`` (one per layer, as the worked example draws b1, b2)
        or ``none``.
    train_biases : bool
        False freezes the biases, as the classic write-up of the worked example does.
    init : str
        auto, uniform (in ``init_range``), xavier, he or glorot (see ``initializers``).
    seed : int, optional
        Seeds the numpy Generator that draws the initial weights (``fit`` has its own seed for
        shuffling and dropout).
    dtype : str
        float64 (default) or float32.
    dropout : float
        While training (when a Generator is passed to ``forward``), each hidden neuron's output is
        zeroed with this probability and the others scaled by 1 / (1 - dropout) ("inverted dropout").
    """

    layers: list[Dense]
    _last: steps.Step | None  # what the latest forward pass (and step) computed
    _dropout: Dropout | None

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "sigmoid",
        output_activation: str | None = None,
        loss: str | Loss = "half_sse",
        bias: str = "per_neuron",
        train_biases: bool = True,
        init: str = "auto",
        init_range: tuple[float, float] = (-0.5, 0.5),
        seed: int | None = None,
        dtype: DTypeLike = "float64",
        dropout: float = 0.0,
    ) -> None:
        self.sizes = check_sizes(sizes)
        self.dropout = check_dropout(dropout)
        self.loss_fn = get_loss(loss)
        self.activations = [get_activation(a) for a in self._activation_names(activation, output_activation)]
        self.bias = check_choice(bias, BIAS_MODES, "bias mode")
        if not isinstance(train_biases, (bool, np.bool_)):  # "no" would be true
            raise GlassnetError(
                f"train_biases must be True or False; received: train_biases={train_biases!r}"
            )
        self.train_biases = bool(train_biases)
        check_choice(init, INITIALIZERS, "initializer")
        self.dtype = check_dtype(dtype)
        self.layers = []
        self.initialize(init=init, seed=seed, init_range=init_range)

    def _activation_names(self, activation: str | Sequence[str], output: str | None) -> list[str]:
        """One activation name per layer: the hidden ones, then the output's (defaulted from the loss)."""
        if isinstance(activation, str):
            get_activation(activation)  # validated even when there is no hidden layer
            hidden = [activation] * (len(self.sizes) - 2)
        else:  # one name per hidden layer; anything else is refused in the table's words
            names = activation if isinstance(activation, (list, tuple)) else [activation]
            hidden = [OPTIONS["activation"].check(name) for name in names]
        if len(hidden) != len(self.sizes) - 2:
            raise GlassnetError(
                f"expected one hidden activation per hidden layer ({len(self.sizes) - 2}); "
                f"received: activation={activation!r}"
            )
        if output is None:
            defaults = {"categorical_crossentropy": "softmax", "binary_crossentropy": "sigmoid"}
            output = defaults.get(self.loss_fn.name, hidden[-1] if hidden else "sigmoid")
        last = get_activation(output).name
        if self.loss_fn.name.endswith("crossentropy") and last not in ("sigmoid", "softmax"):
            raise GlassnetError(
                f"{self.loss_fn.name} takes the log of the outputs, so they must lie in (0, 1): use a "
                f"sigmoid or softmax output layer; received: output_activation={last!r}"
            )
        if last == "softmax" and self.sizes[-1] == 1:
            raise GlassnetError(
                "a softmax over a single unit always outputs 1.0, so the output layer could learn nothing: "
                f"give it at least 2 units or use a sigmoid output; received: sizes={self.sizes}"
            )
        return [*hidden, output]

    # ------------------------------------------------------------------ step 1: initialize
    def initialize(
        self, init: str = "auto", seed: int | None = None, init_range: tuple[float, float] = (-0.5, 0.5)
    ) -> None:
        """Step 1: draw every weight (and, for ``uniform`` and ``glorot``, every bias) from a seeded
        Generator.

        Biases start at 0 for xavier/he (the usual), uniform in ``init_range`` for ``uniform``, and uniform
        in the weights' range for ``glorot`` (scikit-learn MLP's scheme: biases that start apart place the
        ReLUs' kinks apart, which matters on small data sets).
        Use ``set_parameters`` afterwards to give explicit values.
        """
        check_memory(self.sizes, self.dtype, copies=2, what="its weights and their gradients")
        rng = np.random.default_rng(OPTIONS["seed"].check(seed, none=True))
        self.layers = []
        for inputs, units, act in zip(self.sizes[:-1], self.sizes[1:], self.activations, strict=True):
            # glorot follows scikit-learn: every layer's range is set by the hidden activation
            kind = self.activations[0].name if init == "glorot" else act.name
            W = initialize_weights(init, inputs, units, rng, kind, init_range, self.dtype)
            b: Array | None = None
            if self.bias != "none":
                n = units if self.bias == "per_neuron" else 1
                if init == "uniform":
                    b = rng.uniform(*init_range, size=n).astype(self.dtype)
                elif init == "glorot":
                    r = glorot_bound(inputs, units, kind)
                    b = rng.uniform(-r, r, size=n).astype(self.dtype)
                else:
                    b = np.zeros(n, self.dtype)
            self.layers.append(Dense(W, b, act))
        self._rebuild()

    # ------------------------------------------------------------------ step 2: forward
    def forward(self, x: Array, rng: np.random.Generator | None = None) -> Array:
        """Step 2 (``steps.forward``): for each layer, z = a_prev @ W + b and a = f(z). Returns a_L.

        ``x`` has shape (batch, inputs) and the network's dtype (see ``as_inputs``). Given a Generator
        ``rng`` and a dropout rate, hidden outputs are dropped out (training). Every array of the pass stays
        readable in ``last_step``.
        """
        x = self.as_inputs(x)  # a 1-D row is one example; lists become arrays; a wrong width is refused
        self._last = steps.forward(self.layers, x, self._dropout, rng)
        return self._last.a[-1]

    # ------------------------------------------------------------------ step 3: loss
    def loss(self, a: Array, t: Array, z: Array | None = None) -> float:
        """Step 3: E, the loss of outputs ``a`` against targets ``t`` (mean over the batch).

        Given the output layer's net inputs ``z`` too, cross-entropies are computed from them
        (log-softmax, softplus), which stays exact for net inputs of any size.
        """
        return self.loss_fn.value(a, t, z, self.activations[-1])

    # ------------------------------------------------------------------ steps 4 to 6a: backward
    def backward(self, t: Array) -> None:
        """Steps 4, 5 and 6a after ``forward`` (``steps.backward``, ``steps.gradients``): every delta, then
        every gradient, readable in ``last_step`` (and by name with ``gradient``) until the next forward.
        ``t`` holds the targets of the rows ``forward`` was given, shape (batch, outputs)."""
        s = self.last_step
        t = self.as_targets(t)
        if t.shape[0] != s.a[0].shape[0]:
            raise GlassnetError(
                f"expected one target row per input row of the latest forward ({s.a[0].shape[0]}); "
                f"received {t.shape[0]}"
            )
        steps.backward(s, self.layers, self.loss_fn, t)  # steps 4 and 5
        steps.gradients(s, self.layers)  # step 6a

    # ------------------------------------------------------------------ step 6b: update
    def update(self, optimizer: Optimizer | float) -> None:
        """Step 6b after ``backward``: change every trainable weight and bias, w <- w - lr * dE/dw for plain
        SGD."""
        if not isinstance(optimizer, Optimizer):
            optimizer = SGD(optimizer)
        s = self.last_step
        if not s.grad_W:
            raise GlassnetError("run backward(t) before update: there are no gradients yet")
        if s.updated:
            raise GlassnetError(
                "these gradients were already applied to the weights; run forward(x) and backward(t) again"
            )
        steps.update(optimizer, self.layers, s.grad_W, s.grad_b, self.train_biases)
        s.updated = True

    # ------------------------------------------------------------------ steps 2 to 6 together
    def train_step(
        self,
        x: Array,
        t: Array,
        optimizer: Optimizer,
        rng: np.random.Generator | None = None,
        w: Array | None = None,
        form_gradients: bool = False,
    ) -> float:
        """Steps 2-6 (``steps.step``) on a batch whose arrays were checked once (the training loop's path).

        ``rng`` draws the dropout masks (no dropout without it). ``w`` (batch,) weighs the examples: E
        becomes the batch mean of w_i E_i (see ``Loss``); without it every example weighs 1. Returns E
        before the update; when E is not finite it makes no update, so the weights stay finite.
        ``form_gradients`` keeps every dE/dW in ``last_step`` (otherwise BLAS may form them inside the
        update).
        """
        self._last = steps.step(
            self.layers,
            self.loss_fn,
            x,
            t,
            optimizer,
            train_biases=self.train_biases,
            w=w,
            dropout=self._dropout,
            rng=rng,
            form_gradients=form_gradients,
        )
        return self._last.E

    def step(self, x: Any, t: Any, optimizer: Optimizer | float) -> float:
        """``train_step`` on one example or batch given in any array-like form, checked first.

        ``optimizer`` is an Optimizer or a learning rate for plain gradient descent. Returns E as it was
        before the update.
        """
        x, t = self.as_inputs(x), self.as_targets(t)
        self.loss_fn.check_targets(t)
        if x.shape[0] != t.shape[0]:
            raise GlassnetError(f"inputs and targets differ in batch size: {x.shape[0]} != {t.shape[0]}")
        E = self.train_step(x, t, optimizer if isinstance(optimizer, Optimizer) else SGD(optimizer))
        if not math.isfinite(E):
            self.check_finite(x, t)
            raise GlassnetError(
                f"the loss became {E} (diverged); the weights were left as they were: "
                "try a lower learning rate"
            )
        return E

    def traced_step(self, x: Any, t: Any, optimizer: Optimizer | float) -> StepTrace:
        """``step`` on one example, recording every number it computed (see ``StepTrace``)."""
        from .trace import record_step

        return record_step(self, x, t, optimizer)

    # ------------------------------------------------------------------ what the latest step computed
    @property
    def last_step(self) -> steps.Step:
        """Every array of the latest forward pass (and of backward and the update, if they ran)."""
        if self._last is None:
            raise GlassnetError("run forward(x) before computing deltas or gradients")
        return self._last

    @property
    def last_output(self) -> Array | None:
        """The outputs of the latest ``forward``, or None before any."""
        return None if self._last is None else self._last.a[-1]

    @property
    def last_values(self) -> list[tuple[Array, Array]]:
        """(z, f(z)) of every layer in the latest ``forward`` (f(z) before any dropout); [] before any."""
        return [] if self._last is None else list(zip(self._last.z, self._last.out, strict=True))

    @property
    def trainable(self) -> list[Array]:
        """The arrays an update changes (every W, and every b unless biases are frozen), in order."""
        return steps.trainable(self.layers, self.train_biases)

    def _rebuild(self) -> None:
        """Forget the latest step after parameters were (re)created."""
        self._last = None
        self._dropout = Dropout(self.dropout) if self.dropout > 0.0 else None

    # ------------------------------------------------------------------ predicting
    def predict(self, x: Any) -> Array:
        """The network's outputs for ``x`` (batch, inputs), as a new (batch, outputs) array."""
        x = self.as_inputs(x)
        require_finite(x, "input")
        return steps.forward(self.layers, x).a[-1]

    def propagate(self, x: Array) -> list[tuple[Array, Array]]:
        """Step 2 without dropout, leaving ``last_step`` alone: (z, a) for every layer."""
        s = steps.forward(self.layers, x)
        return list(zip(s.z, s.out, strict=True))

    # ------------------------------------------------------------------ checks at the edges
    def as_inputs(self, x: Any) -> Array:
        """Return ``x`` as a (batch, inputs) array of the network's dtype, or raise GlassnetError."""
        return as_batch(x, self.sizes[0], self.dtype, "input")

    def as_targets(self, t: Any) -> Array:
        """Return ``t`` as a (batch, outputs) array of the network's dtype, or raise GlassnetError. The
        step functions compute on any targets; ``step``, ``traced_step`` and ``fit`` also refuse targets a
        loss cannot take (``Loss.check_targets``)."""
        return as_batch(t, self.sizes[-1], self.dtype, "target")

    def check_finite(self, x: Array, t: Array) -> None:
        """Raise GlassnetError naming the first row of ``x`` or ``t`` that holds NaN or inf."""
        require_finite(x, "input")
        require_finite(t, "target")

    # ------------------------------------------------------------------ names and values of parameters
    @property
    def neuron_names(self) -> list[list[str]]:
        """Names per layer (inputs first), e.g. [['i1', 'i2'], ['h1', 'h2'], ['o1', 'o2']]."""
        return neuron_names(self.sizes)

    @cached_property
    def parameter_refs(self) -> list[ParameterRef]:
        """Every weight and bias with its name (w1, w2, ... then b1, b2, ...): see ``naming``."""
        return parameter_refs(self.sizes, self.bias)

    def array_of(self, ref: ParameterRef) -> Array:
        """The array that holds parameter ``ref`` (a layer's W or b)."""
        layer = self.layers[ref.layer]
        array = layer.W if ref.kind == "weight" else layer.b
        assert array is not None  # a bias ref exists only where the layer has biases
        return array

    def grad_of(self, ref: ParameterRef) -> Array:
        """The array that holds dE/d(parameter ``ref``) (a layer's dE/dW or dE/db) after ``backward`` or a
        traced step; ``gradient`` gives one parameter's by name."""
        s = self.last_step
        if not s.grad_W:
            raise GlassnetError(
                "no gradients were formed: run backward(t) after forward(x), or use traced_step; a plain "
                "step lets BLAS form them inside the update and keeps none (fit: keep_gradients=True)"
            )
        grad = s.grad_W[ref.layer] if ref.kind == "weight" else s.grad_b[ref.layer]
        assert grad is not None
        return grad

    def gradient(self, name: str) -> float:
        """dE/d(parameter ``name``), e.g. ``net.gradient("w5")``, after ``backward`` or a traced step."""
        ref = self.ref(name)
        return float(self.grad_of(ref)[ref.index])

    def ref(self, name: str) -> ParameterRef:
        """The parameter called ``name`` (w1, w2, ..., b1, ...), or GlassnetError naming the known ones."""
        for ref in self.parameter_refs:
            if ref.name == name:
                return ref
        names = [ref.name for ref in self.parameter_refs]
        raise GlassnetError(
            f"unknown parameter {name!r}; this network has {', '.join(names[:12])}"
            + (", ..." if len(names) > 12 else "")
        )

    def parameters(self) -> dict[str, float]:
        """Every parameter's current value by name, e.g. {'w1': 0.15, ..., 'b1': 0.35}."""
        return {ref.name: float(self.array_of(ref)[ref.index]) for ref in self.parameter_refs}

    def set_parameters(self, values: Mapping[str, float]) -> None:
        """Give parameters explicit values by name (step 1 with given values); others keep theirs."""
        for name, value in values.items():
            ref = self.ref(name)
            v = float(value)
            if not math.isfinite(v):
                raise GlassnetError(f"parameter values must be finite; received: {name}={value!r}")
            self.array_of(ref)[ref.index] = v

    def get_weights(self) -> list[tuple[Array, Array | None]]:
        """Copies of (W, b) per layer."""
        return [(layer.W.copy(), None if layer.b is None else layer.b.copy()) for layer in self.layers]

    def set_weights(self, weights: Sequence[tuple[Array, Array | None]]) -> None:
        """Copy (W, b) per layer into the network; shapes must match."""
        if len(weights) != len(self.layers):
            raise GlassnetError(f"expected {len(self.layers)} (W, b) pairs; received {len(weights)}")
        for l, (layer, (W, b)) in enumerate(zip(self.layers, weights, strict=True)):
            W = np.asarray(W)
            if W.shape != layer.W.shape:
                raise GlassnetError(f"layer {l + 1}: expected W of shape {layer.W.shape}; received {W.shape}")
            layer.W[...] = W
            if layer.b is not None:
                got = None if b is None else np.shape(b)
                if got != layer.b.shape:
                    raise GlassnetError(f"layer {l + 1}: expected b of shape {layer.b.shape}; received {got}")
                layer.b[...] = b

    def astype(self, dtype: DTypeLike) -> Network:
        """A copy of this network whose parameters and arithmetic use ``dtype`` (float32 or float64)."""
        copy = deepcopy(self)
        copy.dtype = check_dtype(dtype)
        copy.layers = [
            Dense(layer.W.astype(dtype), None if layer.b is None else layer.b.astype(dtype), layer.activation)
            for layer in self.layers
        ]
        copy._rebuild()
        return copy

    def __repr__(self) -> str:
        acts = ",".join(a.name for a in self.activations)
        return (
            f"Network(sizes={self.sizes}, activations=[{acts}], loss={self.loss_fn.name!r}, "
            f"bias={self.bias!r}, train_biases={self.train_biases}, dtype={self.dtype.name!r}"
            + (f", dropout={self.dropout})" if self.dropout else ")")
        )
