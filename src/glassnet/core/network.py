"""A fully connected network and the seven steps of learning from an example.

Shapes: data (batch, features); weights W (inputs, units); z = a_prev @ W + b; a = f(z).

The steps, in the order a learner meets them:

1. ``initialize``       draw weights and biases (or take given values)
2. ``forward``          z = a_prev @ W + b and a = f(z), layer by layer
3. ``loss``             E, e.g. sum of 1/2 (t - a)^2
4. ``output_delta``     delta_L = dE/da_L * da_L/dz_L
5. ``hidden_deltas``    delta_l = (delta_{l+1} @ W_{l+1}^T) * f'(z_l), with the weights before this step
6. ``gradients`` and ``update``   dE/dW_l = a_{l-1}^T @ delta_l;  w <- w - lr * dE/dw
7. repeat until converged: see ``glassnet.core.training.fit``

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
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from .activations import Activation, get_activation
from .errors import GlassnetError
from .initializers import INITIALIZERS, initialize_weights
from .losses import Loss, get_loss
from .optimizers import SGD, Optimizer

if TYPE_CHECKING:
    from .trace import StepTrace

Array = NDArray[np.floating]

BIAS_MODES = ("per_neuron", "shared", "none")
DTYPES = ("float64", "float32")


@dataclass
class Dense:
    """One fully connected layer: z = a_prev @ W + b, a = activation(z).

    W has shape (inputs, units); b has shape (units,) per neuron, (1,) when shared by the layer,
    or is None. ``grad_W`` and ``grad_b`` hold dE/dW and dE/db after ``Network.gradients``.
    """

    W: Array
    b: Array | None
    activation: Activation
    grad_W: Array = field(init=False, repr=False)
    grad_b: Array | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.grad_W = np.zeros_like(self.W)
        self.grad_b = None if self.b is None else np.zeros_like(self.b)

    @property
    def inputs(self) -> int:
        return int(self.W.shape[0])

    @property
    def units(self) -> int:
        return int(self.W.shape[1])


@dataclass(frozen=True)
class ParameterRef:
    """Where a named parameter lives: ``layers[layer].W[index]`` or ``layers[layer].b[index]``."""

    name: str
    kind: str  # "weight" or "bias"
    layer: int
    index: tuple[int, ...]
    source: str | None  # the sending neuron (weights) or None (biases)
    targets: tuple[str, ...]  # the receiving neuron(s)


class _Buffers:
    """Per-batch-size work arrays, reused from step to step so training allocates little."""

    def __init__(self, layers: Sequence[Dense], batch: int, dtype: np.dtype[Any]) -> None:
        self.z = [np.empty((batch, layer.units), dtype) for layer in layers]
        self.a: list[Array] = [np.empty((batch, layers[0].inputs), dtype)]
        self.a += [np.empty((batch, layer.units), dtype) for layer in layers]
        self.grad_a = [np.empty((batch, layer.units), dtype) for layer in layers]
        self.delta: list[Array] = [self.grad_a[i] for i in range(len(layers))]
        self.ones = np.ones(batch, dtype)
        # Dropout: a hidden layer's output before dropout, and the mask (0 or 1/(1-p)) applied to it.
        self.pre: list[Array] = self.a[1:]
        self.mask: list[Array] = []
        self.dropped = False

    def enable_dropout(self) -> None:
        if not self.mask:
            self.pre = [np.empty_like(a) for a in self.a[1:]]
            self.mask = [np.empty_like(a) for a in self.a[1:]]


def _check_int_sizes(sizes: Sequence[int]) -> list[int]:
    try:
        values = list(sizes)
    except TypeError:
        raise GlassnetError(
            f"layer sizes must be a list of integers >= 1; received: sizes={sizes!r}"
        ) from None
    if len(values) < 2:
        raise GlassnetError(
            f"a network needs at least an input and an output size; received: sizes={values!r}"
        )
    for s in values:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise GlassnetError(f"layer sizes must be integers >= 1; received: sizes={values!r}")
    return [int(s) for s in values]


def _require_finite(arr: Array, what: str) -> None:
    """Raise GlassnetError quoting the first row that holds NaN or inf (never the whole array)."""
    finite = np.isfinite(arr)
    if not finite.all():
        row = int(np.flatnonzero(~finite.all(axis=1))[0])
        raise GlassnetError(
            f"{what} contains NaN or inf (first in row {row} of {arr.shape[0]}); "
            f"received: {arr[row].tolist()!r}"
        )


def neuron_names(sizes: Sequence[int]) -> list[list[str]]:
    """Human names per layer: inputs i1.., hidden h1.. (h{layer}_{k} with several hidden layers), outputs o1..

    >>> neuron_names([2, 2, 2])
    [['i1', 'i2'], ['h1', 'h2'], ['o1', 'o2']]
    >>> neuron_names([1, 2, 1, 1])
    [['i1'], ['h1_1', 'h1_2'], ['h2_1'], ['o1']]
    """
    hidden = len(sizes) - 2
    names = [[f"i{k + 1}" for k in range(sizes[0])]]
    for layer in range(1, len(sizes) - 1):
        prefix = "h" if hidden == 1 else f"h{layer}_"
        names.append([f"{prefix}{k + 1}" for k in range(sizes[layer])])
    names.append([f"o{k + 1}" for k in range(sizes[-1])])
    return names


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
        auto, uniform (in ``init_range``), xavier or he.
    seed : int, optional
        Seeds the numpy Generator that draws the initial weights (``fit`` has its own seed for
        shuffling and dropout).
    dtype : str
        float64 (default) or float32.
    dropout : float
        While training (when a Generator is passed to ``forward``), each hidden neuron's output is
        zeroed with this probability and the others scaled by 1 / (1 - dropout) ("inverted dropout").
    """

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
        self.sizes = _check_int_sizes(sizes)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise GlassnetError(f"dropout must be a rate in [0, 1); received: dropout={dropout!r}")
        self.dropout = float(dropout)
        self.loss_fn = get_loss(loss)
        if isinstance(activation, str):
            get_activation(activation)  # validated even when there is no hidden layer
            hidden = [activation] * (len(self.sizes) - 2)
        else:
            hidden = list(activation)
        if len(hidden) != len(self.sizes) - 2:
            raise GlassnetError(
                f"expected one hidden activation per hidden layer ({len(self.sizes) - 2}); "
                f"received: activation={activation!r}"
            )
        if output_activation is None:
            defaults = {"categorical_crossentropy": "softmax", "binary_crossentropy": "sigmoid"}
            output_activation = defaults.get(self.loss_fn.name, hidden[-1] if hidden else "sigmoid")
        self.activations = [get_activation(a) for a in [*hidden, output_activation]]
        last = self.activations[-1].name
        if self.loss_fn.name.endswith("crossentropy") and last not in ("sigmoid", "softmax"):
            raise GlassnetError(
                f"{self.loss_fn.name} takes the log of the outputs, so they must lie in (0, 1): use a "
                f"sigmoid or softmax output layer; received: output_activation={last!r}"
            )
        if bias not in BIAS_MODES:
            raise GlassnetError(f"unknown bias mode {bias!r}; expected one of {', '.join(BIAS_MODES)}")
        self.bias = bias
        self.train_biases = bool(train_biases)
        if init not in INITIALIZERS:
            raise GlassnetError(f"unknown initializer {init!r}; expected one of {', '.join(INITIALIZERS)}")
        if np.dtype(dtype).name not in DTYPES:
            raise GlassnetError(f"unsupported dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
        self.dtype = np.dtype(dtype)
        self.layers: list[Dense] = []
        self.initialize(init=init, seed=seed, init_range=init_range)

    # ------------------------------------------------------------------ step 1: initialize
    def initialize(
        self, init: str = "auto", seed: int | None = None, init_range: tuple[float, float] = (-0.5, 0.5)
    ) -> None:
        """Step 1: draw every weight (and, for ``uniform``, every bias) from a seeded Generator.

        Biases start at 0 for xavier/he (the usual) and uniform in ``init_range`` for ``uniform``.
        Use ``set_parameters`` afterwards to give explicit values.
        """
        rng = np.random.default_rng(seed)
        self.layers = []
        for inputs, units, act in zip(self.sizes[:-1], self.sizes[1:], self.activations, strict=True):
            W = initialize_weights(init, inputs, units, rng, act.name, init_range).astype(self.dtype)
            b: Array | None = None
            if self.bias != "none":
                n = units if self.bias == "per_neuron" else 1
                b = (
                    rng.uniform(*init_range, size=n).astype(self.dtype)
                    if init == "uniform"
                    else np.zeros(n, self.dtype)
                )
            self.layers.append(Dense(W, b, act))
        self._rebuild()

    def _rebuild(self) -> None:
        """Refresh the lists the hot loop walks after parameters were (re)created."""
        self._buffers: dict[int, _Buffers] = {}
        self.trainable: list[Array] = []
        """The arrays an update changes (every W, and every b unless biases are frozen), in order."""
        self.trainable_grads: list[Array] = []
        """dE/d(each array of ``trainable``), filled by ``backward``."""
        for layer in self.layers:
            self.trainable.append(layer.W)
            self.trainable_grads.append(layer.grad_W)
            if layer.b is not None and layer.grad_b is not None and self.train_biases:
                self.trainable.append(layer.b)
                self.trainable_grads.append(layer.grad_b)
        self._last: _Buffers | None = None

    # ------------------------------------------------------------------ names of neurons and parameters
    @property
    def neuron_names(self) -> list[list[str]]:
        """Names per layer (inputs first), e.g. [['i1', 'i2'], ['h1', 'h2'], ['o1', 'o2']]."""
        return neuron_names(self.sizes)

    @cached_property
    def parameter_refs(self) -> list[ParameterRef]:
        """Every weight and bias with its name, in the order w1, w2, ... then biases b1, b2, ...

        Weights are numbered layer by layer, within a layer by receiving neuron, then by sending neuron.
        Biases are numbered b1, b2, ... per layer when shared, or per neuron.
        """
        names = self.neuron_names
        weights: list[ParameterRef] = []
        biases: list[ParameterRef] = []
        for l, layer in enumerate(self.layers):
            for j in range(layer.units):
                for i in range(layer.inputs):
                    name = f"w{len(weights) + 1}"
                    weights.append(ParameterRef(name, "weight", l, (i, j), names[l][i], (names[l + 1][j],)))
            if layer.b is None:
                continue
            if self.bias == "shared":
                biases.append(ParameterRef(f"b{len(biases) + 1}", "bias", l, (0,), None, tuple(names[l + 1])))
            else:
                for j in range(layer.units):
                    name = f"b{len(biases) + 1}"
                    biases.append(ParameterRef(name, "bias", l, (j,), None, (names[l + 1][j],)))
        return weights + biases

    def _array_of(self, ref: ParameterRef) -> Array:
        layer = self.layers[ref.layer]
        array = layer.W if ref.kind == "weight" else layer.b
        assert array is not None  # a bias ref exists only where the layer has biases
        return array

    def parameters(self) -> dict[str, float]:
        """Every parameter's current value by name, e.g. {'w1': 0.15, ..., 'b1': 0.35}."""
        return {ref.name: float(self._array_of(ref)[ref.index]) for ref in self.parameter_refs}

    def set_parameters(self, values: Mapping[str, float]) -> None:
        """Give parameters explicit values by name (step 1 with given values); others keep theirs."""
        refs = {ref.name: ref for ref in self.parameter_refs}
        for name, value in values.items():
            if name not in refs:
                raise GlassnetError(
                    f"unknown parameter {name!r}; this network has {', '.join(list(refs)[:12])}"
                    + (", ..." if len(refs) > 12 else "")
                )
            v = float(value)
            if not math.isfinite(v):
                raise GlassnetError(f"parameter values must be finite; received: {name}={value!r}")
            ref = refs[name]
            self._array_of(ref)[ref.index] = v

    def astype(self, dtype: DTypeLike) -> Network:
        """A copy of this network whose parameters and arithmetic use ``dtype`` (float32 or float64)."""
        if np.dtype(dtype).name not in DTYPES:
            raise GlassnetError(f"unsupported dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
        copy = deepcopy(self)
        copy.dtype = np.dtype(dtype)
        copy.layers = [
            Dense(layer.W.astype(dtype), None if layer.b is None else layer.b.astype(dtype), layer.activation)
            for layer in self.layers
        ]
        copy._rebuild()
        return copy

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

    # ------------------------------------------------------------------ input checks (the edges)
    def as_inputs(self, x: Any) -> Array:
        """Return ``x`` as a (batch, inputs) array of the network's dtype, or raise GlassnetError."""
        return self._as_batch(x, self.sizes[0], "input")

    def as_targets(self, t: Any) -> Array:
        """Return ``t`` as a (batch, outputs) array of the network's dtype, or raise GlassnetError."""
        return self._as_batch(t, self.sizes[-1], "target")

    def _as_batch(self, x: Any, width: int, what: str) -> Array:
        if not (isinstance(x, np.ndarray) and x.dtype == self.dtype):
            try:
                x = np.asarray(x, dtype=self.dtype)
            except (TypeError, ValueError):
                raise GlassnetError(f"{what} must be numeric; received: {x!r}") from None
        if x.ndim == 1:
            x = x.reshape(1, -1)
        if x.ndim != 2 or x.shape[1] != width or x.shape[0] == 0:
            raise GlassnetError(
                f"expected {what} of shape (batch, {width}) or ({width},); received shape {x.shape}"
            )
        return x

    def _check_finite(self, x: Array, t: Array) -> None:
        for what, arr in (("input", x), ("target", t)):
            _require_finite(arr, what)

    # ------------------------------------------------------------------ step 2: forward
    def forward(self, x: Array, rng: np.random.Generator | None = None) -> Array:
        """Step 2: for each layer, z = a_prev @ W + b and a = f(z). Returns the output a_L.

        ``x`` has shape (batch, inputs) and the network's dtype (see ``as_inputs``). Given a Generator
        ``rng`` and a dropout rate, hidden outputs are dropped out (training). The returned array is the
        network's own buffer, overwritten by the next forward pass: copy it to keep it.
        """
        buf = self._buffers.get(x.shape[0])
        if buf is None:
            buf = self._buffers[x.shape[0]] = _Buffers(self.layers, x.shape[0], self.dtype)
        drop = rng is not None and self.dropout > 0.0
        if drop:
            buf.enable_dropout()
        buf.dropped = drop
        last = len(self.layers) - 1
        a = buf.a[0] = x
        for l, layer in enumerate(self.layers):
            z = np.matmul(a, layer.W, out=buf.z[l])
            if layer.b is not None:
                z += layer.b
            if drop and l < last:
                assert rng is not None
                pre = layer.activation.forward(z, out=buf.pre[l])
                mask = buf.mask[l]
                rng.random(out=mask, dtype=mask.dtype)
                np.greater_equal(mask, self.dropout, out=mask)
                mask *= 1.0 / (1.0 - self.dropout)
                a = np.multiply(pre, mask, out=buf.a[l + 1])
            else:
                a = layer.activation.forward(z, out=buf.a[l + 1])
        self._last = buf
        return a

    @property
    def last_output(self) -> Array | None:
        """The outputs of the latest ``forward`` (the network's own buffer), or None before any."""
        return None if self._last is None else self._last.a[-1]

    @property
    def last_values(self) -> list[tuple[Array, Array]]:
        """(z, f(z)) of every layer in the latest ``forward`` (f(z) before any dropout); [] before any."""
        if self._last is None:
            return []
        return [
            (self._last.z[l], self._last.pre[l] if l < len(self.layers) - 1 else self._last.a[-1])
            for l in range(len(self.layers))
        ]

    def predict(self, x: Any) -> Array:
        """The network's outputs for ``x`` (batch, inputs), as a new (batch, outputs) array."""
        x = self.as_inputs(x)
        _require_finite(x, "input")
        return self.propagate(x)[-1][1]

    def propagate(self, x: Array) -> list[tuple[Array, Array]]:
        """Step 2 into new arrays: (z, a) for every layer, leaving the network's buffers alone."""
        a = x
        values: list[tuple[Array, Array]] = []
        for layer in self.layers:
            z = a @ layer.W
            if layer.b is not None:
                z += layer.b
            a = layer.activation.forward(z)
            values.append((z, a))
        return values

    # ------------------------------------------------------------------ step 3: loss
    def loss(self, a: Array, t: Array, z: Array | None = None) -> float:
        """Step 3: E, the loss of outputs ``a`` against targets ``t`` (mean over the batch).

        Given the output layer's net inputs ``z`` too, cross-entropies are computed from them
        (log-softmax, softplus), which stays exact for net inputs of any size.
        """
        if z is None:
            return self.loss_fn.value(a, t)
        return self.loss_fn.value_from(z, a, t, self.activations[-1])

    # ------------------------------------------------------------------ step 4: output layer
    def output_delta(self, t: Array) -> Array:
        """Step 4: delta_L = dE/dz_L = dE/da_L * da_L/dz_L (simplified to a - t for matched pairs)."""
        buf = self._require_forward()
        layer = self.layers[-1]
        delta = self.loss_fn.delta(buf.z[-1], buf.a[-1], t, layer.activation)
        buf.delta[-1] = delta
        return delta

    # ------------------------------------------------------------------ step 5: hidden layers
    def hidden_deltas(self) -> list[Array]:
        """Step 5: delta_l = (delta_{l+1} @ W_{l+1}^T) * f'(z_l), from the last hidden layer back.

        Uses the weights as they are now, before this step's update. Returns every layer's delta.
        """
        buf = self._require_forward()
        layers = self.layers
        for l in range(len(layers) - 2, -1, -1):
            grad_a = np.matmul(buf.delta[l + 1], layers[l + 1].W.T, out=buf.grad_a[l])
            if buf.dropped:
                grad_a *= buf.mask[l]  # through the dropout: dE/d(pre) = dE/da * mask
                buf.delta[l] = layers[l].activation.backward(buf.z[l], buf.pre[l], grad_a)
            else:
                buf.delta[l] = layers[l].activation.backward(buf.z[l], buf.a[l + 1], grad_a)
        return buf.delta

    # ------------------------------------------------------------------ step 6: gradients and update
    def gradients(self) -> None:
        """Step 6a: dE/dW_l = a_{l-1}^T @ delta_l and dE/db_l = sum of delta_l (over the batch, and over
        the layer's neurons when the bias is shared). Stored in each layer's grad_W and grad_b."""
        buf = self._require_forward()
        for l, layer in enumerate(self.layers):
            delta = buf.delta[l]
            np.matmul(buf.a[l].T, delta, out=layer.grad_W)
            if layer.grad_b is not None:
                if self.bias == "shared":
                    layer.grad_b[0] = delta.sum()
                else:  # the column sums of delta, as a matrix-vector product: 1^T @ delta
                    np.matmul(buf.ones, delta, out=layer.grad_b)

    def _grads_all(self) -> list[Array]:
        """Every gradient array, frozen biases' included."""
        return [g for layer in self.layers for g in (layer.grad_W, layer.grad_b) if g is not None]

    def update(self, optimizer: Optimizer | float) -> None:
        """Step 6b: change every trainable weight and bias, w <- w - lr * dE/dw for plain SGD."""
        if not isinstance(optimizer, Optimizer):
            optimizer = SGD(optimizer)
        optimizer.update(self.trainable, self.trainable_grads)

    def _require_forward(self) -> _Buffers:
        if self._last is None:
            raise GlassnetError("run forward(x) before computing deltas or gradients")
        return self._last

    # ------------------------------------------------------------------ one whole step
    def step(self, x: Any, t: Any, optimizer: Optimizer | float) -> float:
        """Steps 2-6 on one example or batch: forward, loss, deltas, gradients, update.

        ``optimizer`` is an Optimizer or a learning rate for plain gradient descent. Returns E as it was
        before the update.
        """
        x = self._as_batch(x, self.sizes[0], "input")
        t = self._as_batch(t, self.sizes[-1], "target")
        if x.shape[0] != t.shape[0]:
            raise GlassnetError(f"inputs and targets differ in batch size: {x.shape[0]} != {t.shape[0]}")
        if not isinstance(optimizer, Optimizer):
            optimizer = SGD(optimizer)
        E = self.train_step(x, t, optimizer)
        if not math.isfinite(E):
            self._check_finite(x, t)
            raise GlassnetError(
                f"the loss became {E} (diverged); the weights were left as they were: "
                "try a lower learning rate"
            )
        return E

    def train_step(
        self, x: Array, t: Array, optimizer: Optimizer, rng: np.random.Generator | None = None
    ) -> float:
        """``step`` without the checks, for loops that validated their data once (the training loop).

        ``rng`` draws the dropout masks (no dropout without it). Returns E before the update; when E is
        not finite it makes no update, so the weights stay finite.
        """
        a = self.forward(x, rng)  # step 2
        E = self.loss(a, t, self._last.z[-1] if self._last is not None else None)  # step 3
        if not math.isfinite(E):
            return E
        self.output_delta(t)  # step 4
        self.hidden_deltas()  # step 5
        self.gradients()  # step 6a
        optimizer.update(self.trainable, self.trainable_grads)  # step 6b
        return E

    def traced_step(self, x: Any, t: Any, optimizer: Optimizer | float) -> StepTrace:
        """``step`` on one example, recording every number it computed (see ``StepTrace``)."""
        from .trace import record_step

        return record_step(self, x, t, optimizer)

    def __repr__(self) -> str:
        acts = ",".join(a.name for a in self.activations)
        return (
            f"Network(sizes={self.sizes}, activations=[{acts}], loss={self.loss_fn.name!r}, "
            f"bias={self.bias!r}, train_biases={self.train_biases}, dtype={self.dtype.name!r}"
            + (f", dropout={self.dropout})" if self.dropout else ")")
        )
