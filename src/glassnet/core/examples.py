"""The classic worked example: a 2-2-2 sigmoid network, inputs 0.05, 0.10, targets 0.01, 0.99.

Biases are shared per layer (b1 feeds h1 and h2, b2 feeds o1 and o2) and, as in the classic write-up,
frozen unless ``update_biases`` is True. The learning rate is 0.5 and the loss E = sum of 1/2 (t - out)^2.

>>> net, x, t, lr = worked_example()
>>> out = net.forward(x)
>>> [round(float(v), 9) for v in out[0]]
[0.75136507, 0.772928465]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .network import Network

INPUTS = (0.05, 0.10)
TARGETS = (0.01, 0.99)
LEARNING_RATE = 0.5
PARAMETERS = {
    "w1": 0.15,
    "w2": 0.20,
    "w3": 0.25,
    "w4": 0.30,
    "w5": 0.40,
    "w6": 0.45,
    "w7": 0.50,
    "w8": 0.55,
    "b1": 0.35,
    "b2": 0.60,
}


def worked_example(
    update_biases: bool = False,
) -> tuple[Network, NDArray[np.float64], NDArray[np.float64], float]:
    """Return (network, x, t, learning_rate) for the worked example, with its given starting values."""
    net = Network([2, 2, 2], activation="sigmoid", loss="half_sse", bias="shared", train_biases=update_biases)
    net.set_parameters(PARAMETERS)
    return net, np.array([INPUTS]), np.array([TARGETS]), LEARNING_RATE
