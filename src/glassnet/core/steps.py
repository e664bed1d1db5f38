"""Steps 2 to 6 of learning from a batch: the functions that train every glassnet network.

Read this first. ``Network.step`` and ``train_step``, the training loop ``fit``, ``traced_step``, the
gradient check, the attribution of a trained row and the explorer all run these functions; nothing else
in glassnet computes a forward pass, a loss, a delta or a gradient. Each function takes arrays, returns
new ones, and uses the names of the maths.

Shapes: data x (batch, features); W (inputs, units); b (units,) per neuron, (1,) when one bias is shared
by the layer's neurons, or None; z = a_prev @ W + b and a = f(z), both (batch, units).

1. initialize     ``Network.initialize`` (network.py, with initializers.py), or given values
2. ``forward``        z_l = a_{l-1} @ W_l + b_l and a_l = f(z_l), layer by layer, a_0 = x
3. ``loss``           E = 1/m sum_i w_i E_i, e.g. E_i = sum of 1/2 (t - a)^2 (losses.py)
4. ``output_delta``   delta_L = dE/da_L * da_L/dz_L  ((a - t) / m for the canonical pairs)
5. ``hidden_delta``   delta_l = (delta_{l+1} @ W_{l+1}^T) * f'(z_l), with W_{l+1} before this step's update

E is the mean over the m examples of the batch, so dE/da, and with it every delta, carries the factor 1/m
(w_i/m with example weights): summing a_prev^T @ delta over the batch in step 6 then gives the gradient
of the mean. f'(z) is each activation's ``derivative`` (activations.py); ``Activation.backward`` is the
chain rule dE/da * f'(z) that steps 4 and 5 call.
6. ``gradients``      dE/dW_l = a_{l-1}^T @ delta_l, dE/db_l = the sum of delta_l;
   ``update``         w <- w - lr * dE/dw for plain gradient descent (optimizers.py has the others)
7. repeat until converged: ``glassnet.core.training.fit``

``step`` runs 2 to 6 and returns a ``Step``: every array it computed. When nobody reads the gradients
(no trace) and the optimizer allows it, step 6 is fused: BLAS forms a_{l-1}^T @ delta_l inside the
update, in one pass over W (``blas.gemm_tn``); the traced step forms every dE/dW.

The worked example (2-2-2 sigmoid, half_sse, biases b1 = 0.35 and b2 = 0.60 shared and frozen, lr 0.5).
``W[i, j]`` is the weight from neuron i of the layer before to neuron j: w1 = i1->h1, w2 = i2->h1, ...

>>> import numpy as np
>>> from glassnet.core.steps import forward, loss, backward, gradients, update, step
>>> from glassnet.core.layers import Dense
>>> from glassnet.core.activations import Sigmoid
>>> from glassnet.core.losses import HalfSSE
>>> from glassnet.core.optimizers import SGD
>>> W1 = np.array([[0.15, 0.25],   # w1 w3
...                [0.20, 0.30]])  # w2 w4
>>> W2 = np.array([[0.40, 0.50],   # w5 w7
...                [0.45, 0.55]])  # w6 w8
>>> layers = [Dense(W1, np.array([0.35]), Sigmoid()), Dense(W2, np.array([0.60]), Sigmoid())]
>>> x, t = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])
>>> s = forward(layers, x)
>>> [round(float(a), 9) for a in s.a[-1][0]]              # out_o1, out_o2
[0.75136507, 0.772928465]
>>> round(loss(s, HalfSSE(), t), 9)                       # E_total
0.298371109
>>> backward(s, layers, HalfSSE(), t)                     # steps 4 and 5
>>> grad_W, grad_b = gradients(s, layers)                 # step 6a
>>> round(float(grad_W[1][0, 0]), 9)                      # dE/dw5
0.082167041
>>> update(SGD(0.5), layers, grad_W, grad_b, train_biases=False)
>>> round(float(W2[0, 0]), 8)                             # w5 after the update
0.35891648
>>> round(step(layers, HalfSSE(), x, t, SGD(0.5), train_biases=False).E, 9)  # E before the second update
0.291027774
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
from numpy.typing import NDArray

from .activations import Activation
from .blas import FUSE_MIN
from .layers import Dense, Dropout
from .losses import Loss
from .optimizers import Gradient, Optimizer, Outer

__all__ = [
    "Step",
    "backward",
    "forward",
    "gradients",
    "hidden_delta",
    "loss",
    "output_delta",
    "step",
    "update",
]

Array = NDArray[np.floating]


@dataclass(slots=True)
class Step:
    """Every array one step computed; list index l is the l-th layer after the inputs (0-based).

    - ``a``      the activations: a[0] = x, a[l + 1] = what layer l passes on (f(z_l), times the dropout
      mask while training with dropout), so ``a`` is one longer than the layers
    - ``z``      net inputs z_l = a[l] @ W_l + b_l
    - ``out``    f(z_l), before any dropout (what da/dz is a function of)
    - ``masks``  each layer's dropout mask, or None
    - ``terms``  the loss of each example and output, (batch, outputs), and ``E`` the batch's loss
    - ``dE_da``  dE/d out_l per layer; None for an output layer whose canonical pair never forms it
    - ``delta``  dE/dz_l per layer
    - ``grad_W``, ``grad_b``  dE/dW_l and dE/db_l (None without a bias), when step 6a formed them
    - ``updated``  whether step 6b has applied these gradients to the weights
    """

    a: list[Array]
    z: list[Array] = field(default_factory=list)
    out: list[Array] = field(default_factory=list)
    masks: list[Array | None] = field(default_factory=list)
    terms: Array | None = None
    E: float = float("nan")
    dE_da: list[Array | None] = field(default_factory=list)
    delta: list[Array] = field(default_factory=list)
    grad_W: list[Array] = field(default_factory=list)
    grad_b: list[Array | None] = field(default_factory=list)
    updated: bool = False


def product(A: Array, B: Array) -> Array:
    """A @ B. Through ``ndarray.dot``, the same BLAS call with the same result, because NumPy's ``@``
    costs 0.9 us a call on tiny arrays against 0.3 (the worked example's step: 26 us instead of 29) and
    takes 450 us against 90 for a_prev^T @ delta of a 784 x 512 layer on a batch of one. But ``dot``
    multiplies by a one-element operand as by a number, and BLAS then makes 0 x inf or 0 x NaN 0:
    those products go to ``@``, which keeps the NaN."""
    if A.size == 1 or B.size == 1:
        return A @ B
    return A.dot(B)


# ---------------------------------------------------------------------------------------- step 2: forward
def forward(
    layers: Sequence[Dense],
    x: Array,
    dropout: Dropout | None = None,
    rng: np.random.Generator | None = None,
) -> Step:
    """Step 2: z = a_prev @ W + b and a = f(z), layer by layer, starting from a = x (batch, inputs).

    With ``dropout`` and a Generator ``rng`` (training), each hidden layer's outputs are multiplied by a
    fresh dropout mask. Returns the ``Step`` with ``a``, ``z``, ``out`` and ``masks`` filled in.
    """
    s = Step([x])
    a = x
    hidden = len(layers) - 1
    for l, layer in enumerate(layers):
        z = product(a, layer.W)  # a @ W
        if layer.b is not None:
            z += layer.b
        a = out = layer.activation.forward(z)
        mask = None
        if dropout is not None and rng is not None and l < hidden:
            mask = dropout.mask(rng, out)  # dropout while training: a = f(z) * mask
            a = out * mask
        s.z.append(z)
        s.out.append(out)
        s.masks.append(mask)
        s.a.append(a)
    return s


# ------------------------------------------------------------------------------------------- step 3: loss
def loss(s: Step, loss_fn: Loss, t: Array, f: Activation | None = None, w: Array | None = None) -> float:
    """Step 3: E for the outputs of ``s`` against targets ``t`` (batch, outputs), the mean over the batch
    (weighted by ``w`` (batch,) if given). Given the output activation ``f``, cross-entropies are computed
    from the net inputs (see ``Loss.terms``). Stores ``terms`` and ``E`` in ``s``."""
    s.terms = loss_fn.terms(s.a[-1], t, s.z[-1], f)
    s.E = loss_fn.mean(s.terms, w)
    return s.E


# --------------------------------------------------------------------------------- steps 4 and 5: deltas
def output_delta(
    loss_fn: Loss, f: Activation, z: Array, a: Array, t: Array, w: Array | None = None
) -> tuple[Array | None, Array]:
    """Step 4: delta_L = dE/dz_L = dE/da_L * da_L/dz_L, shape (batch, outputs). Returns (dE/da_L, delta_L).

    For a canonical pair (sigmoid + binary or softmax + categorical cross-entropy) the product collapses
    to a - t (``Loss.pair_delta``), cheaper and exact where a (1 - a) underflows; dE/da_L is then None.
    """
    if loss_fn.pairs_with(f):
        return None, loss_fn.batch_mean(loss_fn.pair_delta(a, t), w)
    dE_da = loss_fn.grad(a, t, w)
    return dE_da, f.backward(z, a, dE_da)


def hidden_delta(
    delta_next: Array, W_next: Array, f: Activation, z: Array, out: Array, mask: Array | None = None
) -> tuple[Array, Array]:
    """Step 5: delta_l = (delta_{l+1} @ W_{l+1}^T) * f'(z_l). Returns (dE/da_l, delta_l).

    dE/da_l sums, for each neuron, delta_j * w over the paths to the next layer; W_{l+1} must be as it
    was before this step's update. Through a dropout mask, dE/d out = dE/da * mask.
    """
    dE_da = product(delta_next, W_next.T)  # delta_{l+1} @ W_{l+1}^T
    if mask is not None:
        dE_da *= mask
    return dE_da, f.backward(z, out, dE_da)


def backward(s: Step, layers: Sequence[Dense], loss_fn: Loss, t: Array, w: Array | None = None) -> None:
    """Steps 4 and 5 after ``forward``: every layer's dE/da and delta, from the output back, into ``s``."""
    last = len(layers) - 1
    dE_da, delta = output_delta(loss_fn, layers[-1].activation, s.z[-1], s.a[-1], t, w)  # step 4
    s.dE_da, s.delta = [dE_da], [delta]
    for l in range(last - 1, -1, -1):  # step 5, from the last hidden layer back to the first
        dE_da, delta = hidden_delta(
            delta, layers[l + 1].W, layers[l].activation, s.z[l], s.out[l], s.masks[l]
        )
        s.dE_da.insert(0, dE_da)
        s.delta.insert(0, delta)


# ----------------------------------------------------------------------------------- step 6: the update
def bias_gradient(delta: Array, b: Array | None) -> Array | None:
    """dE/db = delta summed over the batch, shape (units,); a bias of shape (1,) feeds every neuron of its
    layer, so its gradient is summed over the layer's neurons too; None where there is no bias."""
    if b is None:
        return None
    if b.shape == (1,):
        return np.add.reduce(delta.ravel(), keepdims=True)
    return delta.sum(axis=0)


def gradients(
    s: Step, layers: Sequence[Dense], fused: bool = False
) -> tuple[list[Gradient], list[Array | None]]:
    """Step 6a: dE/dW_l = a_{l-1}^T @ delta_l (inputs, units): the sum over the batch of a_prev_i *
    delta_j; and ``bias_gradient``. Returned, and stored in ``s`` (``grad_W`` only when formed).

    ``fused=True`` leaves each dE/dW of at least ``blas.FUSE_MIN`` weights as an ``Outer`` for BLAS to form
    inside the update (step 6b); smaller ones are formed here, where NumPy is faster.
    """
    grad_W: list[Gradient] = []
    s.grad_b = []
    for a_prev, delta, layer in zip(s.a, s.delta, layers, strict=False):  # s.a[-1]: the outputs
        if fused and layer.W.size >= FUSE_MIN:
            grad_W.append(Outer(a_prev, delta))
        else:
            grad_W.append(product(a_prev.T, delta))  # a_prev^T @ delta
        s.grad_b.append(bias_gradient(delta, layer.b))
    if not fused:
        s.grad_W = cast(list[Array], grad_W)  # every one formed
    return grad_W, s.grad_b


def trainable(layers: Sequence[Dense], train_biases: bool = True) -> list[Array]:
    """The arrays an update changes, in the optimizer's order: W_1, b_1, W_2, b_2, ... (the biases only
    where they exist and are trained)."""
    arrays: list[Array] = []
    for layer in layers:
        arrays.append(layer.W)
        if layer.b is not None and train_biases:
            arrays.append(layer.b)
    return arrays


def update(
    optimizer: Optimizer,
    layers: Sequence[Dense],
    grad_W: Sequence[Gradient],
    grad_b: Sequence[Array | None],
    train_biases: bool = True,
) -> None:
    """Step 6b: change every weight and bias in place; plain gradient descent is w <- w - lr * dE/dw.
    With ``train_biases=False`` the biases stay as they are (frozen, as in the classic worked example)."""
    params: list[Array] = []
    grads: list[Gradient] = []
    for layer, dW, db in zip(layers, grad_W, grad_b, strict=True):
        params.append(layer.W)
        grads.append(dW)
        if layer.b is not None and train_biases:
            assert db is not None
            params.append(layer.b)
            grads.append(db)
    optimizer.update(params, grads)  # in the order of ``trainable``


# ------------------------------------------------------------------------------------- steps 2 to 6
def step(
    layers: Sequence[Dense],
    loss_fn: Loss,
    x: Array,
    t: Array,
    optimizer: Optimizer,
    *,
    train_biases: bool = True,
    w: Array | None = None,
    dropout: Dropout | None = None,
    rng: np.random.Generator | None = None,
    form_gradients: bool = False,
) -> Step:
    """Steps 2-6 on one batch: x (batch, inputs), t (batch, outputs), ``w`` (batch,) the examples' weights.
    Returns the ``Step`` with E as it was before the update. When E is not finite there is no update, so
    the weights stay finite.

    Step 6 is fused (BLAS forms dE/dW inside the update) unless ``form_gradients`` asks for every dE/dW
    in ``Step.grad_W`` (a trace) or the optimizer needs them formed (Adam squares them).
    """
    s = forward(layers, x, dropout, rng)  # step 2
    loss(s, loss_fn, t, layers[-1].activation, w)  # step 3
    if not math.isfinite(s.E):
        return s
    backward(s, layers, loss_fn, t, w)  # steps 4 and 5
    fused = optimizer.fuses and not form_gradients
    grad_W, grad_b = gradients(s, layers, fused)  # step 6a (inside 6b when fused)
    update(optimizer, layers, grad_W, grad_b, train_biases)  # step 6b
    s.updated = True
    return s
