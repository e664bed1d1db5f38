"""The step functions of core/steps.py called directly (the engine's results are checked against plain
NumPy in test_engine_vs_plain_numpy.py)."""

import numpy as np
import pytest

from glassnet.core import optimizers
from glassnet.core.blas import gemm_tn
from glassnet.core.network import Network
from glassnet.core.optimizers import SGD, Momentum
from glassnet.core.steps import step, trainable


def test_trainable_lists_each_weight_matrix_then_its_bias_where_there_is_one():
    net = Network([2, 3, 1], seed=0)
    W1, W2 = (layer.W for layer in net.layers)
    b1, b2 = (layer.b for layer in net.layers)
    assert [p is q for p, q in zip(trainable(net.layers), [W1, b1, W2, b2], strict=True)] == [True] * 4
    assert [p is q for p, q in zip(trainable(net.layers, False), [W1, W2], strict=True)] == [True] * 2
    no_bias = Network([2, 3, 1], bias="none", seed=0)
    assert len(trainable(no_bias.layers, True)) == 2 and len(no_bias.trainable) == 2


@pytest.mark.parametrize("make", [lambda: SGD(0.1, weight_decay=0.01), lambda: Momentum(0.1, nesterov=True)])
@pytest.mark.parametrize("sizes", [[64, 64, 3], [63, 64, 3]], ids=["64x64: fused", "63x64: formed"])
def test_a_fused_update_equals_the_formed_one_and_fuses_64x64_weights_and_more(monkeypatch, make, sizes):
    calls = []
    monkeypatch.setattr(optimizers, "gemm_tn", lambda *args: calls.append(1) or gemm_tn(*args))
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(5, sizes[0])), rng.random((5, 3))
    fused, formed = Network(sizes, seed=0), Network(sizes, seed=0)
    opt_fused, opt_formed = make(), make()
    for _ in range(2):
        step(fused.layers, fused.loss_fn, x, t, opt_fused)
        step(formed.layers, formed.loss_fn, x, t, opt_formed, form_gradients=True)
    for a, b in zip(fused.trainable, formed.trainable, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert len(calls) == (2 if sizes[0] == 64 else 0)  # one update of W1 per step, through BLAS
