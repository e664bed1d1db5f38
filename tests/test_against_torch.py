"""glassnet against PyTorch: the same networks, the same numbers (float64).

Each test builds a network in glassnet and copies its weights into PyTorch: a ``torch.nn.Linear`` per
layer, whose weight is glassnet's W (inputs, units) transposed; a bias shared by a layer's neurons is one
extra parameter of shape (1,). Then it compares

- every dE/dW and dE/db of one batch with autograd's, to 1e-10 relative, for every hidden activation x
  output activation x loss (cross-entropies only after sigmoid or softmax outputs) x bias mode, on one
  example and on a batch of 5;
- the weights after each of 3 steps on the same batch with torch.optim's, to 1e-9 relative: SGD, momentum
  0.9, Nesterov and Adam, with and without weight decay (glassnet decays the weight matrices only, so in
  PyTorch the biases sit in a parameter group without it), through the path that forms every dE/dW and,
  for the rules that allow it, the fused one (BLAS forms dE/dW inside the update);
- a classifier trained 3 epochs by ``glassnet.fit`` with the same loop written in PyTorch, to 1e-8.

The PyTorch side is written from PyTorch's own pieces (its layers, activations, losses and optimizers),
not from glassnet's formulas. An absolute floor applies only where a value is ~0: below the relative
tolerance times the largest value of its kind in that network, a difference that small passes too (a bias
shared by a softmax layer's neurons has a gradient that is exactly 0 in exact arithmetic, ~1e-17 on
either side).

PyTorch is in no locked environment (PyPI's default Linux wheel is a CUDA build of several GB): these
tests run in ``bash scripts/test --cross`` and are skipped elsewhere; that mode sets GLASSNET_CROSS=1,
under which a missing torch is an error, never a skip. A test runs many cases (each assertion names its
case), so that the default run skips a few hundred tests, not thousands.
"""

import os
import zlib

import numpy as np
import pytest

from glassnet.core import optimizers
from glassnet.core.activations import ACTIVATIONS
from glassnet.core.losses import LOSSES
from glassnet.core.network import BIAS_MODES, Network
from glassnet.core.optimizers import SGD, Adam, Momentum, make_optimizer
from glassnet.core.training import fit

try:
    import torch
except ModuleNotFoundError:
    if os.environ.get("GLASSNET_CROSS") == "1":
        raise  # bash scripts/test --cross: the cross-check must run, so a missing torch fails it
    torch = None

pytestmark = pytest.mark.skipif(
    torch is None, reason="needs PyTorch, which no locked environment holds: run `bash scripts/test --cross`"
)

GRAD_RTOL = 1e-10
STEP_RTOL = 1e-9
FIT_RTOL = 1e-8

CROSS_ENTROPY_OUTPUTS = ("sigmoid", "softmax")  # they take log(a), so a must lie in (0, 1)
OUTPUTS_AND_LOSSES = [
    pytest.param(f, loss, id=f"{f}-{loss}")
    for loss in LOSSES
    for f in ACTIVATIONS
    if not loss.endswith("crossentropy") or f in CROSS_ENTROPY_OUTPUTS
]
BATCHES = [1, 5]


# ------------------------------------------------------------------------------------- the two networks
def random_case(hidden: str, output: str, loss: str, bias: str, batch: int):
    """A random glassnet network with one or two hidden layers, a batch (x, t) for it, and the Generator
    that drew them (seeded by the case, so each case is the same network every run)."""
    label = f"{hidden}-{output}-{loss}-{bias}-{batch}"
    rng = np.random.default_rng(zlib.crc32(label.encode()))
    sizes = [int(rng.integers(1, 5))]
    sizes += [int(rng.integers(1, 6)) for _ in range(int(rng.integers(1, 3)))]
    sizes += [int(rng.integers(2 if output == "softmax" else 1, 5))]  # a 1-unit softmax is always 1
    net = Network(
        sizes,
        activation=hidden,
        output_activation=output,
        loss=loss,
        bias=bias,
        init="uniform",  # biases too, so that one that is ignored shows
        init_range=(-0.8, 0.8),
        seed=int(rng.integers(2**32)),
    )
    x = rng.normal(size=(batch, sizes[0]))
    if loss == "categorical_crossentropy":
        t = rng.dirichlet(np.ones(sizes[-1]), size=batch)  # rows of probabilities that sum to 1
    else:
        t = rng.uniform(0.0, 1.0, size=(batch, sizes[-1]))  # in [0, 1], as binary_crossentropy needs
    return net, x, t, rng, f"{label} sizes={sizes}"


class Mirror:
    """``net``'s layers in PyTorch, with ``net``'s current weights: a Linear per layer (weight = W^T), its
    own bias for ``per_neuron``, a separate one-element parameter for ``shared``, none for ``none``."""

    def __init__(self, net: Network) -> None:
        F = torch.nn.functional
        functions = {
            "sigmoid": torch.sigmoid,
            "tanh": torch.tanh,
            "relu": F.relu,
            "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
            "identity": lambda z: z,
            "softmax": lambda z: torch.softmax(z, dim=1),
        }
        self.F = F
        self.fs = [functions[f.name] for f in net.activations]
        self.output, self.loss_name = net.activations[-1].name, net.loss_fn.name
        self.shared = net.bias == "shared"
        self.linears, self.biases = [], []
        for W, b in net.get_weights():
            inputs, units = W.shape
            linear = torch.nn.Linear(inputs, units, bias=net.bias == "per_neuron", dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T))
                if net.bias == "per_neuron":
                    linear.bias.copy_(torch.from_numpy(b))
            self.linears.append(linear)
            if net.bias == "per_neuron":
                self.biases.append(linear.bias)
            elif net.bias == "shared":
                self.biases.append(torch.nn.Parameter(torch.from_numpy(b.copy())))
            else:
                self.biases.append(None)

    def weight_params(self) -> list:
        return [linear.weight for linear in self.linears]

    def bias_params(self) -> list:
        return [b for b in self.biases if b is not None]

    def loss(self, x: np.ndarray, t: np.ndarray):
        """The batch's loss as PyTorch computes it, as a tensor that autograd can differentiate."""
        a, t = torch.from_numpy(x), torch.from_numpy(t)
        for linear, b, f in zip(self.linears, self.biases, self.fs, strict=True):
            z = linear(a)
            if self.shared:
                z = z + b  # one bias shared by the layer's neurons
            a = f(z)
        F = self.F
        if self.loss_name == "half_sse":  # the mean over the batch of sum over outputs 1/2 (t - a)^2
            return (0.5 * (t - a) ** 2).sum(dim=1).mean()
        if self.loss_name == "mse":  # the mean over the batch and the outputs
            return F.mse_loss(a, t)
        if self.loss_name == "binary_crossentropy":  # the mean over the batch and the outputs
            if self.output == "sigmoid":
                return F.binary_cross_entropy_with_logits(z, t)
            return F.binary_cross_entropy(a, t)
        assert self.loss_name == "categorical_crossentropy"  # mean over the batch of -sum t log a
        if self.output == "softmax":
            return F.cross_entropy(z, t)
        return -(t * F.logsigmoid(z)).sum(dim=1).mean()

    def weights(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(W, b) per layer, as glassnet shapes them."""
        return [
            (linear.weight.detach().numpy().T, None if b is None else b.detach().numpy())
            for linear, b in zip(self.linears, self.biases, strict=True)
        ]

    def grads(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """(dE/dW, dE/db) per layer, as glassnet shapes them."""
        return [
            (linear.weight.grad.numpy().T, None if b is None else b.grad.numpy())
            for linear, b in zip(self.linears, self.biases, strict=True)
        ]


def largest(arrays) -> float:
    """The largest |value| among ``arrays`` (None entries skipped): the scale of their kind in a network."""
    return max(float(np.abs(v).max()) for v in arrays if v is not None)


def same_layers(ours, theirs, rtol: float, what: str, case: str) -> None:
    """Each layer's (W, b) equal to ``rtol`` relative; where a value is ~0 (below rtol times the largest
    of them all) the difference must be too."""
    scale = largest([v for pair in theirs for v in pair])
    for l, ((W, b), (W_ref, b_ref)) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(W, W_ref, rtol=rtol, atol=rtol * scale, err_msg=f"{what} W{l + 1}: {case}")
        if b_ref is None:
            assert b is None, f"{what} b{l + 1}: {case}"
        else:
            np.testing.assert_allclose(
                b, b_ref, rtol=rtol, atol=rtol * scale, err_msg=f"{what} b{l + 1}: {case}"
            )


# -------------------------------------------------------------------------------- gradients vs autograd
@pytest.mark.parametrize(("output", "loss"), OUTPUTS_AND_LOSSES)
@pytest.mark.parametrize("hidden", ACTIVATIONS)
def test_gradients_equal_autograd(hidden, output, loss):
    for bias in BIAS_MODES:
        for batch in BATCHES:
            net, x, t, _, case = random_case(hidden, output, loss, bias, batch)
            mirror = Mirror(net)
            E_ref = mirror.loss(x, t)
            E_ref.backward()
            E = net.train_step(x, t, SGD(0.1), form_gradients=True)
            assert E == pytest.approx(E_ref.item(), rel=GRAD_RTOL), case
            s = net.last_step
            ours = list(zip(s.grad_W, s.grad_b, strict=True))
            same_layers(ours, mirror.grads(), GRAD_RTOL, "gradient of", case)


# ------------------------------------------------------------------------ optimizer steps vs torch.optim
def glassnet_optimizer(name: str, lr: float, decay: float):
    if name == "sgd":
        return SGD(lr, weight_decay=decay)
    if name == "adam":
        return Adam(lr, weight_decay=decay)
    return Momentum(lr, momentum=0.9, nesterov=name == "nesterov", weight_decay=decay)


def torch_optimizer(name: str, lr: float, decay: float, mirror: Mirror):
    """torch.optim's rule with glassnet's weight decay: on the weight matrices, not on the biases."""
    groups = [{"params": mirror.weight_params(), "weight_decay": decay}]
    if mirror.bias_params():
        groups.append({"params": mirror.bias_params(), "weight_decay": 0.0})
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr)
    momentum = 0.0 if name == "sgd" else 0.9
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=name == "nesterov")


RULES = [
    pytest.param(name, decay, fused, id=f"{name}-{'decay' if decay else 'no_decay'}-{path}")
    for name in ("sgd", "momentum", "nesterov", "adam")
    for decay in (0.0, 0.1)
    for fused, path in ((False, "formed"), (True, "fused"))
    if not (fused and name == "adam")  # Adam squares dE/dW, so it always forms it
]


def zero_gradient_biases(net: Network) -> list[int]:
    """The layers whose bias has a gradient of exactly 0 in exact arithmetic: one bias shared by a softmax
    layer's neurons (softmax ignores a shift of all its net inputs). Both sides compute ~1e-16 of rounding
    noise for it, and Adam divides that by sqrt(v) + eps (eps = 1e-8): its step moves such a bias by noise
    of up to ~1e-8 lr, different on either side. There the check is that neither side moves it by more
    than 1e-6 lr a step."""
    if net.bias != "shared":
        return []
    return [l for l, f in enumerate(net.activations) if f.name == "softmax"]


def three_steps(net, x, t, rule, lr, decay, fused, case):
    """3 steps of ``rule`` on the same batch by glassnet and by torch.optim, compared after each."""
    mirror = Mirror(net)
    opt, opt_ref = glassnet_optimizer(rule, lr, decay), torch_optimizer(rule, lr, decay, mirror)
    noise = zero_gradient_biases(net) if rule == "adam" else []
    start = net.get_weights()
    for k in range(1, 4):
        opt_ref.zero_grad()
        E_ref = mirror.loss(x, t)
        E_ref.backward()
        opt_ref.step()
        E = net.train_step(x, t, opt, form_gradients=not fused)
        assert bool(net.last_step.grad_W) is not fused, case  # the path asked for is the path taken
        assert E == pytest.approx(E_ref.item(), rel=GRAD_RTOL), f"E before step {k}: {case}"
        ours, theirs = net.get_weights(), mirror.weights()
        for l in noise:
            for side in (ours, theirs):
                assert abs(side[l][1] - start[l][1]).max() <= 1e-6 * lr * k, f"b{l + 1} step {k}: {case}"
                side[l] = (side[l][0], None)
        same_layers(ours, theirs, STEP_RTOL, f"after step {k}:", case)


@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize(("rule", "decay", "fused"), RULES)
def test_three_steps_equal_torch_optim(rule, decay, fused, hidden):
    for param in OUTPUTS_AND_LOSSES:
        output, loss = param.values
        for bias in BIAS_MODES:
            for batch in BATCHES:
                net, x, t, rng, case = random_case(hidden, output, loss, bias, batch)
                lr = float(rng.uniform(0.005, 0.05) if rule == "adam" else rng.uniform(0.05, 0.5))
                case = f"{rule} lr={lr} weight_decay={decay} {'fused' if fused else 'formed'} {case}"
                three_steps(net, x, t, rule, lr, decay, fused, case)


@pytest.mark.parametrize("bias", BIAS_MODES)
@pytest.mark.parametrize(
    ("rule", "decay"), [(r, d) for r in ("sgd", "momentum", "nesterov") for d in (0.0, 0.1)]
)
def test_three_fused_steps_of_a_wide_network_equal_torch_optim(rule, decay, bias, monkeypatch):
    """The fused update on layers wide enough that glassnet hands it to BLAS (one gemm forms dE/dW inside
    the update): 80-64-3, whose first weight matrix has 5,120 weights."""
    calls, gemm_tn = [], optimizers.gemm_tn

    def counted(*args):
        calls.append(args[-1].shape)
        return gemm_tn(*args)

    monkeypatch.setattr(optimizers, "gemm_tn", counted)
    rng = np.random.default_rng(zlib.crc32(f"wide-{rule}-{decay}-{bias}".encode()))
    net = Network(
        [80, 64, 3],
        activation="tanh",
        loss="categorical_crossentropy",
        bias=bias,
        init="uniform",
        init_range=(-0.2, 0.2),
        seed=int(rng.integers(2**32)),
    )
    x, t = rng.normal(size=(5, 80)), rng.dirichlet(np.ones(3), size=5)
    three_steps(net, x, t, rule, 0.1, decay, True, f"{rule} weight_decay={decay} bias={bias} 80-64-3")
    assert (80, 64) in calls  # the first layer's dE/dW was formed by BLAS inside the update


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam"])
def test_network_step_with_named_optimizers_equals_pytorch(name):
    """``Network.step`` with ``make_optimizer``'s rules against PyTorch's cross_entropy on class indices."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 3))
    y = rng.integers(0, 3, size=8)
    T = np.eye(3)[y]
    lr = 0.01 if name == "adam" else 0.1
    make_torch = {
        "sgd": lambda p: torch.optim.SGD(p, lr=lr),
        "momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.9),
        "nesterov": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
        "adam": lambda p: torch.optim.Adam(p, lr=lr),
    }[name]
    net = Network([3, 5, 3], activation="tanh", loss="categorical_crossentropy", seed=1)
    lin = [torch.nn.Linear(3, 5).double(), torch.nn.Linear(5, 3).double()]
    with torch.no_grad():
        for layer, dense in zip(lin, net.layers, strict=True):
            layer.weight.copy_(torch.from_numpy(dense.W.T.copy()))
            layer.bias.copy_(torch.from_numpy(dense.b.copy()))
    topt = make_torch([p for layer in lin for p in layer.parameters()])
    opt = make_optimizer(name, lr)
    for _ in range(3):
        topt.zero_grad()
        logits = lin[1](torch.tanh(lin[0](torch.from_numpy(X))))
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y))
        loss.backward()
        topt.step()
        E = net.step(X, T, opt)
        assert E == pytest.approx(loss.item(), rel=1e-12)
    for layer, dense in zip(lin, net.layers, strict=True):
        np.testing.assert_allclose(dense.W, layer.weight.detach().numpy().T, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(dense.b, layer.bias.detach().numpy(), rtol=1e-10, atol=1e-13)


# ----------------------------------------------------------------------------------- fit vs a torch loop
def test_fit_equals_the_same_loop_in_pytorch():
    """A 4-8-3 tanh classifier, 3 epochs of SGD in batches of 4 in order (the last batch of each epoch has
    2 examples), by ``glassnet.fit`` and by a plain PyTorch loop from the same initial weights."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(18, 4))
    y = rng.integers(0, 3, size=18)
    net = Network([4, 8, 3], activation="tanh", loss="categorical_crossentropy", init="uniform", seed=7)
    initial = net.get_weights()

    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8, dtype=torch.float64),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 3, dtype=torch.float64),
    )
    with torch.no_grad():
        for linear, (W, b) in zip((model[0], model[2]), initial, strict=True):
            linear.weight.copy_(torch.from_numpy(W.T))
            linear.bias.copy_(torch.from_numpy(b))
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(3):
        for start in range(0, 18, 4):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(
                model(X_t[start : start + 4]), y_t[start : start + 4]
            ).backward()
            opt.step()

    result = fit(net, X, np.eye(3)[y], SGD(0.2), epochs=3, batch_size=4, shuffle=False)
    assert (result.reason, result.epochs, result.updates) == ("max_epochs", 3, 15)
    theirs = [(lin.weight.detach().numpy().T, lin.bias.detach().numpy()) for lin in (model[0], model[2])]
    moved = max(float(np.abs(W - W0).max()) for (W, _), (W0, _) in zip(theirs, initial, strict=True))
    assert moved > 1e-2  # training moved the weights, so agreeing says something
    same_layers(net.get_weights(), theirs, FIT_RTOL, "after 3 epochs:", "fit vs torch")
