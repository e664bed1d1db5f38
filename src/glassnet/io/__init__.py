"""Files and data, on top of the core: reading CSV files and the named datasets (``data``), the strict
schema of what a file may hold (``schema``), model files (``modelfile``), training checkpoints
(``checkpoint``) and ONNX export (``onnx_export``). Nothing here explains or shows anything.

The names below are loaded from their module on first use (ONNX export needs the ``onnx`` extra).
"""

from glassnet.lazy import exports

PUBLIC = {
    "Table": "data",
    "Dataset": "data",
    "read_csv": "data",
    "read_idx": "data",
    "load": "data",
    "generate": "data",
    "save_model": "modelfile",
    "load_model": "modelfile",
    "ModelFileError": "modelfile",
    "save_checkpoint": "checkpoint",
    "load_checkpoint": "checkpoint",
    "export_onnx": "onnx_export",
}
__all__ = [name for name in PUBLIC if name != "export_onnx"]  # export_onnx needs the onnx extra


__getattr__, __dir__ = exports(globals(), {name: f"{__name__}.{module}" for name, module in PUBLIC.items()})
