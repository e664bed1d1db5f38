"""The seven steps in plain NumPy, written independently of glassnet: the tests' oracle.

Every step a short function that returns new arrays, with the names of the maths, and every formula
written out here (it imports nothing of glassnet), the way a learner writes them after the classic
backpropagation tutorial (Nielsen's ``backprop``). The tests compare glassnet's engine
(``glassnet.core.steps``) with these on random networks of every activation, loss and bias mode.

Shapes: data x (batch, features); W (inputs, units); b (units,) per neuron, (1,) when one bias is
shared by the layer's neurons, or None; z = a_prev @ W + b and a = f(z), both (batch, units).

The steps: 1. initialize (the caller gives the weights), 2. ``forward``, 3. ``loss``,
4. ``output_delta``, 5. ``hidden_delta``, 6. ``backward`` (gradients) and ``update``, 7. repeat ``step``.

The worked example (2-2-2 sigmoid, half_sse, biases b1 = 0.35 and b2 = 0.60 shared and frozen, lr 0.5).
``W[i, j]`` is the weight from neuron i of the layer before to neuron j: w1 = i1->h1, w2 = i2->h1, ...

>>> import numpy as np
>>> W1 = np.array([[0.15, 0.25],   # w1 w3
...                [0.20, 0.30]])  # w2 w4
>>> W2 = np.array([[0.40, 0.50],   # w5 w7
...                [0.45, 0.55]])  # w6 w8
>>> weights, biases, fs = [W1, W2], [np.array([0.35]), np.array([0.60])], ["sigmoid", "sigmoid"]
>>> x, t = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])
>>> zs, activations = forward(weights, biases, fs, x)
>>> [round(float(a), 9) for a in activations[-1][0]]    # out_o1, out_o2
[0.75136507, 0.772928465]
>>> round(loss("half_sse", activations[-1], t), 9)        # E_total
0.298371109
>>> grad_W, grad_b = backward(weights, biases, fs, "half_sse", zs, activations, t)
>>> round(float(grad_W[1][0, 0]), 9)                      # dE/dw5
0.082167041
>>> weights, biases = update(weights, biases, grad_W, grad_b, lr=0.5, train_biases=False)
>>> round(float(weights[1][0, 0]), 8)                     # w5 after the update
0.35891648
>>> E, weights, biases = step(weights, biases, fs, "half_sse", x, t, lr=0.5, train_biases=False)
>>> round(E, 9)                                           # E_total after one update, before the second
0.291027774
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

# ------------------------------------------------------------------ activations: a = f(z) and da/dz
LEAKY_ALPHA = 0.01  # leaky_relu's slope for z <= 0, as in activations.py


def sigmoid(z: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z: Array) -> Array:
    return sigmoid(z) * (1.0 - sigmoid(z))


def tanh_prime(z: Array) -> Array:
    return 1.0 - np.tanh(z) ** 2


def relu(z: Array) -> Array:
    return np.where(z > 0, z, 0.0)


def relu_prime(z: Array) -> Array:
    return np.where(z > 0, 1.0, 0.0)


def leaky_relu(z: Array) -> Array:
    return np.where(z > 0, z, LEAKY_ALPHA * z)


def leaky_relu_prime(z: Array) -> Array:
    return np.where(z > 0, 1.0, LEAKY_ALPHA)


def identity(z: Array) -> Array:
    return z


def identity_prime(z: Array) -> Array:
    return np.ones_like(z)


def softmax(z: Array) -> Array:
    """e^{z_k} / sum_j e^{z_j} per row.

    Subtracting the row's max first changes nothing in exact arithmetic and keeps e^z from overflowing.
    """
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


#: name -> (f, f'). Softmax has no f': each a_k depends on every z_j of its row (see ``times_da_dz``).
ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array] | None]] = {
    "sigmoid": (sigmoid, sigmoid_prime),  # f' = a (1 - a)
    "tanh": (np.tanh, tanh_prime),  # f' = 1 - a^2
    "relu": (relu, relu_prime),  # f' = 1 where z > 0, else 0
    "leaky_relu": (leaky_relu, leaky_relu_prime),  # f' = 1 where z > 0, else alpha
    "identity": (identity, identity_prime),  # f' = 1
    "softmax": (softmax, None),  # da_k/dz_j = a_k (1[k = j] - a_j)
}


def times_da_dz(f: str, z: Array, dE_da: Array) -> Array:
    """The chain rule through an activation: dE/dz = dE/da * da/dz, shape (batch, units)."""
    f_prime = ACTIVATIONS[f][1]
    if f_prime is not None:
        return dE_da * f_prime(z)  # elementwise: a_j depends on z_j alone
    # softmax: dE/dz_j = sum_k dE/da_k * da_k/dz_j, with the full Jacobian of each example
    delta = np.empty_like(dE_da)
    for n, a in enumerate(softmax(z)):
        jacobian = np.diag(a) - np.outer(a, a)  # jacobian[k, j] = da_k/dz_j
        delta[n] = dE_da[n] @ jacobian
    return delta


# ------------------------------------------------------------------ losses: E and dE/da
# E is the mean over the batch of each example's loss; with one example it is the classic E_total.
# n = outputs per example (a.shape[1]), m = examples in the batch (a.shape[0]).
def loss(name: str, a: Array, t: Array) -> float:
    """Step 3: E for outputs ``a`` and targets ``t``, both (batch, outputs).

    half_sse                  E = 1/m sum 1/2 (t - a)^2
    mse                       E = 1/m sum 1/n (t - a)^2
    binary_crossentropy       E = -1/m sum 1/n (t log a + (1 - t) log(1 - a))
    categorical_crossentropy  E = -1/m sum t log a
    """
    m, n = a.shape
    if name == "half_sse":
        return float(np.sum(0.5 * (t - a) ** 2)) / m
    if name == "mse":
        return float(np.sum((t - a) ** 2)) / (m * n)
    if name == "binary_crossentropy":
        return -float(np.sum(t * np.log(a) + (1 - t) * np.log(1 - a))) / (m * n)
    if name == "categorical_crossentropy":
        return -float(np.sum(t * np.log(a))) / m
    raise ValueError(f"unknown loss {name!r}")


def loss_prime(name: str, a: Array, t: Array) -> Array:
    """dE/da, shape (batch, outputs): the derivative of each line of ``loss``."""
    m, n = a.shape
    if name == "half_sse":
        return (a - t) / m
    if name == "mse":
        return 2 * (a - t) / (m * n)
    if name == "binary_crossentropy":
        return (a - t) / (a * (1 - a)) / (m * n)
    if name == "categorical_crossentropy":
        return -t / a / m
    raise ValueError(f"unknown loss {name!r}")


# ------------------------------------------------------------------ the steps
def forward(
    weights: Sequence[Array], biases: Sequence[Array | None], fs: Sequence[str], x: Array
) -> tuple[list[Array], list[Array]]:
    """Step 2: z = a_prev @ W + b and a = f(z), layer by layer, starting from a = x.

    Returns ``zs`` (one z per layer) and ``activations`` (x first, then one a per layer: one longer).
    """
    a = x
    zs, activations = [], [x]
    for W, b, f in zip(weights, biases, fs, strict=True):
        z = a @ W if b is None else a @ W + b
        a = ACTIVATIONS[f][0](z)
        zs.append(z)
        activations.append(a)
    return zs, activations


def output_delta(loss_name: str, f: str, z: Array, a: Array, t: Array) -> Array:
    """Step 4: delta_L = dE/dz_L = dE/da_L * da_L/dz_L, shape (batch, outputs)."""
    return times_da_dz(f, z, loss_prime(loss_name, a, t))


def hidden_delta(delta_next: Array, W_next: Array, f: str, z: Array) -> Array:
    """Step 5: delta_l = (delta_{l+1} @ W_{l+1}^T) * f'(z_l), with W_{l+1} as it was before the update."""
    return times_da_dz(f, z, delta_next @ W_next.T)


def backward(
    weights: Sequence[Array],
    biases: Sequence[Array | None],
    fs: Sequence[str],
    loss_name: str,
    zs: Sequence[Array],
    activations: Sequence[Array],
    t: Array,
) -> tuple[list[Array], list[Array | None]]:
    """Steps 4, 5 and 6a: every layer's delta, then its gradients.

    dE/dW_l = a_{l-1}^T @ delta_l, shape (inputs, units): the sum over the batch of a_prev_i * delta_j.
    dE/db_l = delta_l summed over the batch, shape (units,); a bias of shape (1,) feeds every neuron
    of its layer, so its gradient is summed over the layer's neurons too; None where there is no bias.
    Returns ``grad_W`` and ``grad_b``, one per layer.
    """
    L = len(weights)
    deltas = [output_delta(loss_name, fs[-1], zs[-1], activations[-1], t)]  # step 4
    for l in range(L - 2, -1, -1):  # step 5, from the last hidden layer back to the first
        deltas.insert(0, hidden_delta(deltas[0], weights[l + 1], fs[l], zs[l]))
    grad_W: list[Array] = []
    grad_b: list[Array | None] = []
    for a_prev, delta, b in zip(activations[:-1], deltas, biases, strict=True):  # step 6a
        grad_W.append(a_prev.T @ delta)
        if b is None:
            grad_b.append(None)
        elif b.shape == (1,):
            grad_b.append(np.array([delta.sum()]))
        else:
            grad_b.append(delta.sum(axis=0))
    return grad_W, grad_b


def update(
    weights: Sequence[Array],
    biases: Sequence[Array | None],
    grad_W: Sequence[Array],
    grad_b: Sequence[Array | None],
    lr: float,
    train_biases: bool = True,
) -> tuple[list[Array], list[Array | None]]:
    """Step 6b: gradient descent, w <- w - lr * dE/dw and b <- b - lr * dE/db, into new arrays.

    With ``train_biases=False`` the biases stay as they are (frozen, as in the classic worked example).
    """
    new_weights = [W - lr * dW for W, dW in zip(weights, grad_W, strict=True)]
    new_biases = [
        b if b is None or db is None or not train_biases else b - lr * db
        for b, db in zip(biases, grad_b, strict=True)
    ]
    return new_weights, new_biases


def step(
    weights: Sequence[Array],
    biases: Sequence[Array | None],
    fs: Sequence[str],
    loss_name: str,
    x: Array,
    t: Array,
    lr: float,
    train_biases: bool = True,
) -> tuple[float, list[Array], list[Array | None]]:
    """Steps 2-6 on one batch. Returns E (before the update) and the updated weights and biases.

    Step 7 is calling it again with what it returned, until E is small enough.
    """
    zs, activations = forward(weights, biases, fs, x)  # step 2
    E = loss(loss_name, activations[-1], t)  # step 3
    grad_W, grad_b = backward(weights, biases, fs, loss_name, zs, activations, t)  # steps 4, 5, 6a
    new_weights, new_biases = update(weights, biases, grad_W, grad_b, lr, train_biases)  # step 6b
    return E, new_weights, new_biases
