"""glassnet: a neural network you can see through, and train fast.

>>> from glassnet import Network
>>> Network([2, 2, 2]).sizes
[2, 2, 2]
"""

from .core.errors import GlassnetError
from .core.network import Network
from .core.optimizers import SGD
from .core.training import FitResult, fit
from .explain import writeup as _writeup  # noqa: F401 (registers StepTrace.writeup())

__all__ = ["SGD", "FitResult", "GlassnetError", "Network", "fit"]
__version__ = "0.1.0"

if "IPython" in __import__("sys").modules:  # inside Jupyter/IPython: draw networks and traces
    from .explain.notebook import register as _register

    _register()
