"""glassnet: a neural network you can see through, and train fast.

The names here are the public API: the network and its training loop (from ``glassnet.core``), and, loaded
when first used, the files and explanations of ``glassnet.io`` and ``glassnet.explain``. The packages are
layers, each importing only the ones before it: ``core`` (NumPy only), ``io``, ``explain``, then the front
ends ``cli``, ``web`` and ``sklearn``.

>>> from glassnet import Network
>>> Network([2, 2, 2]).sizes
[2, 2, 2]
"""

from .core.errors import GlassnetError
from .core.examples import worked_example
from .core.gradcheck import gradient_check
from .core.model import Model, train
from .core.network import Network
from .core.optimizers import SGD, Adam, Momentum, make_optimizer
from .core.training import FitResult, TrainingState, TrainingWarning, fit
from .explain import writeup as _writeup  # noqa: F401 (registers StepTrace.writeup())
from .lazy import exports

# Loaded on first use, so that importing glassnet stays light: name -> module.
LAZY = {
    "load": "glassnet.io.data",
    "read_csv": "glassnet.io.data",
    "load_model": "glassnet.io.modelfile",
    "save_model": "glassnet.io.modelfile",
    "load_checkpoint": "glassnet.io.checkpoint",
    "save_checkpoint": "glassnet.io.checkpoint",
    "export_onnx": "glassnet.io.onnx_export",
    "explain_row": "glassnet.explain.rowexplain",
}

__all__ = [
    "SGD",
    "Adam",
    "FitResult",
    "GlassnetError",
    "Model",
    "Momentum",
    "Network",
    "TrainingState",
    "TrainingWarning",
    "fit",
    "gradient_check",
    "make_optimizer",
    "train",
    "worked_example",
    *(name for name in LAZY if name != "export_onnx"),  # export_onnx needs the onnx extra
]
__version__ = "0.1.0"


__getattr__, __dir__ = exports(globals(), LAZY)


if "IPython" in __import__("sys").modules:  # inside Jupyter/IPython: draw networks and traces
    from .explain.notebook import register as _register

    _register()
