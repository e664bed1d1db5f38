"""The import paths of glassnet 0.1, before the interfaces were split into ``glassnet.io``,
``glassnet.explain``, ``glassnet.cli``, ``glassnet.web`` and ``glassnet.sklearn``. Each old module still
imports, as the module it became, with a DeprecationWarning; they go in the next release."""

from __future__ import annotations

import importlib
import sys
import warnings

MOVED = {
    "data": "glassnet.io.data",
    "schema": "glassnet.io.schema",
    "modelfile": "glassnet.io.modelfile",
    "checkpoint": "glassnet.io.checkpoint",
    "onnx_export": "glassnet.io.onnx_export",
    "formulas": "glassnet.explain.formulas",
    "render": "glassnet.explain.render",
    "writeup": "glassnet.explain.writeup",
    "rowexplain": "glassnet.explain.rowexplain",
    "drawing": "glassnet.explain.drawing",
    "layout": "glassnet.explain.layout",
    "plots": "glassnet.explain.plots",
    "notebook": "glassnet.explain.notebook",
    "estimators": "glassnet.sklearn",
    "cli": "glassnet.cli",
    "web": "glassnet.web",
}


def moved(name: str) -> None:
    """Make the old module ``name`` (glassnet.interfaces.X) the module it became, with a warning."""
    new = MOVED[name.rsplit(".", 1)[-1]]
    warnings.warn(f"{name} is now {new}; the old name goes in the next release", DeprecationWarning, 3)
    sys.modules[name] = importlib.import_module(new)
