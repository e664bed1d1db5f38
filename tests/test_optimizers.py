"""Each optimizer's update formula, rewritten independently."""

import numpy as np
import pytest

from glassnet.core.errors import GlassnetError
from glassnet.core.optimizers import SGD


def test_sgd_formula():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 2))
    g = rng.normal(size=(3, 2))
    expected = w - 0.1 * g
    SGD(0.1).update([w], [g])
    np.testing.assert_array_equal(w, expected)


def test_sgd_leaves_gradients_alone():
    w, g = np.ones(3), np.full(3, 2.0)
    SGD(0.5).update([w], [g])
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(w, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1", None, True])
def test_bad_learning_rates(lr):
    with pytest.raises(GlassnetError, match="learning rate"):
        SGD(lr)
