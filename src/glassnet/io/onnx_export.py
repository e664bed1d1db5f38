"""ONNX export: the whole model as one graph, standardization and output activation included.

Inputs: ``features`` float32 (batch, features), columns in the order of ``model.feature_names``.
Outputs, for a classifier: ``probabilities`` (batch, classes) and ``label`` (batch,), the most probable
class; for a regressor: ``predictions`` (batch, outputs) in target units.

>>> from glassnet.core.model import train
>>> import numpy as np
>>> X = np.random.default_rng(0).normal(size=(50, 2)); y = np.where(X[:, 0] > 0, "a", "b")
>>> model, _ = train(X, y, layers=[4], epochs=1)
>>> [o.name for o in to_onnx(model).graph.output]
['probabilities', 'label']
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from glassnet.core.errors import GlassnetError
from glassnet.core.model import Model

from .files import atomic_write

OPSET = 17
ONNX_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "identity": "Identity"}


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise GlassnetError("ONNX export needs the onnx package: pip install 'glassnet[onnx]'") from None
    return onnx


def to_onnx(model: Model) -> Any:
    """The model as an ``onnx.ModelProto`` (float32 throughout)."""
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    initializers: list[Any] = []

    def const(name: str, array: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(kind: str, inputs: list[str], output: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(kind, inputs, [output], **attributes))
        return output

    def f32(array: np.ndarray) -> np.ndarray:
        return array.astype(np.float32)

    current = "features"
    if model.scaler is not None:
        current = op("Sub", [current, const("feature_mean", f32(model.scaler.mean))], "centered")
        current = op("Div", [current, const("feature_scale", f32(model.scaler.scale))], "standardized")
    net = model.network
    for l, layer in enumerate(net.layers):
        n = l + 1
        z = op("MatMul", [current, const(f"W{n}", f32(layer.W))], f"xW{n}")
        if layer.b is not None:
            z = op("Add", [z, const(f"b{n}", f32(layer.b))], f"z{n}")
        act = layer.activation
        if act.name == "softmax":
            current = op("Softmax", [z], f"a{n}", axis=-1)
        elif act.name == "leaky_relu":
            current = op("LeakyRelu", [z], f"a{n}", alpha=float(getattr(act, "alpha", 0.01)))
        else:
            current = op(ONNX_ACTIVATIONS[act.name], [z], f"a{n}")
    batch = "batch"
    if model.task == "classification":
        assert model.classes is not None
        op("Identity", [current], "probabilities")
        op("ArgMax", ["probabilities"], "class_index", axis=1, keepdims=0)
        classes = model.classes
        if all(isinstance(c, (bool, np.bool_)) for c in classes):
            label_type = TensorProto.BOOL
            const("classes", np.asarray(classes, dtype=bool))
        elif all(isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) for c in classes):
            label_type = TensorProto.INT64
            too_big = [c for c in classes if not -(2**63) <= c < 2**63]
            if too_big:
                raise GlassnetError(
                    f"class {too_big[0]} does not fit ONNX's int64 labels; expected integers from -2**63 to "
                    "2**63 - 1"
                )
            const("classes", np.asarray(classes, dtype=np.int64))
        elif all(
            isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, bool) for c in classes
        ):
            label_type = TensorProto.DOUBLE
            const("classes", np.asarray(classes, dtype=np.float64))
        else:
            label_type = TensorProto.STRING
            names: list[Any] = [str(c).encode() for c in model.classes]
            initializers.append(helper.make_tensor("classes", TensorProto.STRING, [len(names)], names))
        op("Gather", ["classes", "class_index"], "label", axis=0)
        outputs = [
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [batch, len(model.classes)]),
            helper.make_tensor_value_info("label", label_type, [batch]),
        ]
    else:
        target = model.target_scaler
        if target is not None:
            current = op("Mul", [current, const("target_scale", f32(target.scale))], "scaled")
            current = op("Add", [current, const("target_mean", f32(target.mean))], "unscaled")
        op("Identity", [current], "predictions")
        outputs = [helper.make_tensor_value_info("predictions", TensorProto.FLOAT, [batch, net.sizes[-1]])]
    graph = helper.make_graph(
        nodes,
        "glassnet",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [batch, net.sizes[0]])],
        outputs,
        initializers,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="glassnet")
    proto.ir_version = 8  # readable by every onnxruntime that knows opset 17
    proto.doc_string = f"glassnet {model.task} {net!r}"
    meta = {"feature_names": model.feature_names, "target_name": model.target_name, "classes": model.classes}
    helper.set_model_props(proto, {"glassnet": json.dumps(meta)})
    onnx.checker.check_model(proto)
    return proto


def export_onnx(model: Model, path: str | os.PathLike[str]) -> None:
    """Write the model as an .onnx file (atomically)."""
    atomic_write(path, to_onnx(model).SerializeToString())
