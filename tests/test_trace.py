"""The step trace: what one step computed, taken from the step itself."""

import numpy as np
import pytest

from glassnet.core.network import Network
from glassnet.core.optimizers import SGD


@pytest.mark.parametrize(
    "loss, output, form",
    [
        ("half_sse", "sigmoid", "chain_rule"),
        ("categorical_crossentropy", "softmax", "simplified"),
        ("binary_crossentropy", "sigmoid", "simplified"),
        ("mse", "softmax", "softmax_jacobian"),
    ],
)
def test_each_layer_says_how_its_deltas_were_formed(loss, output, form):
    net = Network([2, 3, 2], activation="tanh", output_activation=output, loss=loss, seed=0)
    trace = net.traced_step([0.3, -0.2], [0.0, 1.0], 0.1)
    assert [layer.delta_form for layer in trace.layers] == ["chain_rule", form]


def test_the_trace_holds_the_numbers_of_the_step_it_ran():
    """A traced step and a plain step from the same weights leave identical networks and gradients."""
    traced, plain = (Network([3, 4, 2], activation="relu", loss="mse", seed=5) for _ in range(2))
    x, t = np.array([[0.5, -1.0, 2.0]]), np.array([[0.2, -0.4]])
    trace = traced.traced_step(x, t, 0.05)
    E = plain.train_step(x, t, SGD(0.05), form_gradients=True)
    assert trace.loss_total == E
    assert traced.parameters() == plain.parameters()
    for ref in plain.parameter_refs:
        assert trace.parameter(ref.name).grad == float(plain.grad_of(ref)[ref.index])
    hidden = plain.last_step
    assert [n.dE_da for n in trace.layers[0].neurons] == hidden.dE_da[0][0].tolist()
    assert [n.delta for n in trace.layers[1].neurons] == hidden.delta[1][0].tolist()
