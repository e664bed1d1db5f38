"""The names and versions of glassnet's file formats, declared once.

The schema (``schema``), model files (``modelfile``) and checkpoints (``checkpoint``) all need them; this
module imports none of those, so that they need not import each other.

>>> MODEL_FORMAT, MODEL_FORMAT_VERSION, CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION
('glassnet-model', 2, 'glassnet-checkpoint', 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

MODEL_FORMAT = "glassnet-model"
MODEL_FORMAT_VERSION = 2  # 2: class labels as the data had them (modelfile's notes); format 1 still loads
CHECKPOINT_FORMAT = "glassnet-checkpoint"
CHECKPOINT_FORMAT_VERSION = 1
CHECKPOINT_FILE = "checkpoint.safetensors"  # the one file of a checkpoint folder

# The safetensors dtypes a glassnet file holds: the network's float64 or float32, and the example order.
SAFETENSORS_DTYPES: dict[str, np.dtype[Any]] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "I64": np.dtype("<i8"),
}
