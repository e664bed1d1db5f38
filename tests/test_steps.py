"""The step functions of core/steps.py called directly (the engine's results are checked against plain
NumPy in test_engine_vs_plain_numpy.py)."""

from glassnet.core.network import Network
from glassnet.core.steps import trainable


def test_trainable_lists_each_weight_matrix_then_its_bias_where_there_is_one():
    net = Network([2, 3, 1], seed=0)
    W1, W2 = (layer.W for layer in net.layers)
    b1, b2 = (layer.b for layer in net.layers)
    assert [p is q for p, q in zip(trainable(net.layers), [W1, b1, W2, b2], strict=True)] == [True] * 4
    assert [p is q for p, q in zip(trainable(net.layers, False), [W1, W2], strict=True)] == [True] * 2
    no_bias = Network([2, 3, 1], bias="none", seed=0)
    assert len(trainable(no_bias.layers, True)) == 2 and len(no_bias.trainable) == 2
