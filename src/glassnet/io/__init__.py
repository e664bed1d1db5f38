"""Files and data, on top of the core: reading CSV files and the named datasets (``data``), the strict
schema of what a file may hold (``schema``), model files (``modelfile``), training checkpoints
(``checkpoint``) and ONNX export (``onnx_export``). Nothing here explains or shows anything."""
