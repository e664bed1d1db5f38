"""What the page draws, as JSON: the state of a session (``state``), the network's drawing, every neuron's map
of the input plane and the decision boundary. Every number is one the core computed in the session's run
(the trace is ``StepTrace.to_dict()``, the same as ``glassnet explain --json``); the page recomputes none."""

from __future__ import annotations

import base64
import math
from dataclasses import asdict
from typing import Any

import numpy as np

from glassnet.core.errors import GlassnetError
from glassnet.core.network import Network

from ..explain.layout import Layout, network_layout
from .dataset import Data
from .requests import (
    MAX_BATCH,
    MAX_HIDDEN_LAYERS,
    MAX_MS,
    MAX_NEURONS,
    MAX_STEPS_PER_REQUEST,
    MAX_UPLOAD_CHARS,
    MAX_UPLOAD_ROWS,
)
from .session import CONVERGE_STEPS, Session

MAP_RESOLUTION = 20  # each neuron's map: 20 x 20 points of the input plane
BOUNDARY_RESOLUTION = 48
DENSE = 8  # layers wider than this show only each neuron's output; its net input moves to the hover
MAX_DRAWN_HEIGHT = 720  # the picture grows taller than this only when its neurons need the room
BOUNDED = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # the others: [-m, m]

LIMITS = {
    "hidden_layers": MAX_HIDDEN_LAYERS,
    "neurons": MAX_NEURONS,
    "steps": MAX_STEPS_PER_REQUEST,
    "upload_chars": MAX_UPLOAD_CHARS,
    "upload_rows": MAX_UPLOAD_ROWS,
    "batch_size": MAX_BATCH,
    "l2": 1.0,
    "noise": 0.5,
    "test_ratio": 0.5,
    "converge_steps": CONVERGE_STEPS,
    "max_ms": MAX_MS,
}


def precise(x: float | None) -> str:
    """A number as the page prints it (its ``fmt``): 9 significant digits, in exponent form below 1e-4 and
    from 1e9 on ("–" for None, "0" for 0).

    >>> precise(0.4), precise(0.75136507), precise(123.456), precise(-1.5e-7), precise(0.0), precise(5e-5)
    ('0.400000000', '0.751365070', '123.456000', '-1.50000000e-7', '0', '5.00000000e-5')
    """
    if x is None:
        return "–"
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else "Infinity" if x > 0 else "-Infinity"
    mantissa, exponent = f"{x:.8e}".split("e")
    e = int(exponent)
    if abs(x) < 1e-4 or e >= 9:
        return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return f"{x:.{8 - e}f}"


EXACT_LABELS = 60  # up to this many labels, the layout is placed for the exact texts
VALUE_ROOM = 15  # characters a value's label is placed for: "-0.000779273383", "-1.50000000e-10"


def drawing(
    net: Network, trace: dict[str, Any] | None, width: int, cache: dict[Any, Layout]
) -> dict[str, Any]:
    """Where the page draws the network (``layout.network_layout``, in the page's monospace 10px font):
    weights labelled ``name=value`` on their edges, biases beside a neuron, above each neuron its net input
    and output after a step (only its output in dense networks), above each input its value.

    A small network's labels are placed for the texts shown. A larger one's are placed with room for values
    of ``VALUE_ROOM`` characters, so that while training the same places serve frame after frame
    (``cache``, computed once per width and kind of notes; placing 900 labels takes a quarter second): only
    the texts change."""
    values = net.parameters()
    refs = net.parameter_refs
    dense = max(net.sizes) > DENSE
    text = {r.name: (f"{r.name}=", precise(values[r.name])) for r in refs}
    notes: dict[str, list[tuple[str, str]]] = {}
    if trace is not None:
        for layer in trace["layers"]:
            for n in layer["neurons"]:
                a = ("", precise(n["a"]))
                notes[n["name"]] = [a] if dense else [("net ", precise(n["z"])), ("out ", a[1])]
        for name, value in trace["inputs"].items():
            notes[name] = [("", precise(value))]

    exact = len(text) + sum(map(len, notes.values())) <= EXACT_LABELS  # small: placed for the texts shown

    def room(parts: tuple[str, str]) -> str:
        return parts[0] + "0" * (len(parts[1]) if exact else VALUE_ROOM)

    key = (width, tuple(room(t) for t in text.values()), tuple((k, *map(room, v)) for k, v in notes.items()))
    layout = cache.get(key)
    if layout is None:
        layout = network_layout(
            net.neuron_names,
            [(r.name, r.source or "", r.targets[0], room(text[r.name])) for r in refs if r.kind == "weight"],
            [(r.name, r.targets, room(text[r.name])) for r in refs if r.kind == "bias"],
            width,
            neuron_notes={name: [room(line) for line in lines] for name, lines in notes.items()},
            font_size=10,
            monospace=True,
            radius=16,
            max_height=MAX_DRAWN_HEIGHT,
        )
        cache.clear()  # one layout per session: the newest
        cache[key] = layout
    shown = asdict(layout)
    for label in shown["labels"]:  # the places were made for the room; the texts are the values
        name, _, line = label["key"].partition("#")
        if label["kind"] in ("weight", "bias") and name in text:
            label["text"] = "".join(text[name])
        elif name in notes and line.isdigit() and int(line) < len(notes[name]):
            label["text"] = "".join(notes[name][int(line)])
    return {"dense": dense, **shown}


def _plane(data: Data, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x range, y range, grid points row by row from the bottom) over the raw data, with a margin."""
    raw = np.vstack([data.raw_X, data.raw_test]) if len(data.raw_test) else data.raw_X
    lo, hi = raw.min(axis=0), raw.max(axis=0)
    pad = (hi - lo) * 0.1 + 1e-9
    lo, hi = lo - pad, hi + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    return np.array([lo[0], hi[0]]), np.array([lo[1], hi[1]]), np.c_[gx.ravel(), gy.ravel()]


def _bytes(values: np.ndarray, lo: float, hi: float) -> str:
    """Values in [lo, hi] as base64 bytes 0..255 (NaN as the middle)."""
    scaled = np.nan_to_num((values - lo) / (hi - lo), nan=0.5, posinf=1.0, neginf=0.0)
    return base64.b64encode(np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8).tobytes()).decode()


def neuron_maps(net: Network, data: Data) -> dict[str, Any]:
    """Each hidden and output neuron's output over the input plane (TensorFlow Playground's view)."""
    xs, ys, grid = _plane(data, MAP_RESOLUTION)
    inputs = data.scaler.transform(grid) if data.scaler is not None else grid
    neurons: dict[str, Any] = {}
    with np.errstate(over="ignore", invalid="ignore"):
        values = net.propagate(inputs)
    for names, (_, a), activation in zip(net.neuron_names[1:], values, net.activations, strict=True):
        for k, name in enumerate(names):
            column = np.asarray(a[:, k], dtype=np.float64)
            if activation.name in BOUNDED:
                lo, hi = BOUNDED[activation.name]
            else:
                finite = column[np.isfinite(column)]
                m = float(np.max(np.abs(finite))) if finite.size else 1.0
                lo, hi = -max(m, 1e-12), max(m, 1e-12)
            neurons[name] = {"lo": lo, "hi": hi, "data": _bytes(column, lo, hi)}
    return {"resolution": MAP_RESOLUTION, "x": xs.tolist(), "y": ys.tolist(), "neurons": neurons}


def boundary(net: Network, data: Data, resolution: int = BOUNDARY_RESOLUTION) -> dict[str, Any]:
    """The decision over the input plane: for two classes the second class's score in [0, 1], 0.5 where
    the outputs tie (so outputs that are not probabilities stay on the palette); else the predicted class."""
    if not data.two_d:
        raise GlassnetError("a decision boundary needs a dataset with 2 features and classes")
    xs, ys, grid = _plane(data, resolution)
    with np.errstate(over="ignore", invalid="ignore"):
        out = net.predict(data.scaler.transform(grid) if data.scaler is not None else grid)
    two = out.shape[1] == 2
    if two:
        encoded = _bytes(np.clip(0.5 + (out[:, 1] - out[:, 0]) / 2, 0.0, 1.0), 0.0, 1.0)
    else:
        index = np.argmax(np.nan_to_num(out, nan=-np.inf), axis=1)
        encoded = base64.b64encode(index.astype(np.uint8).tobytes()).decode()
    index_of = {c: k for k, c in enumerate(data.classes)}
    points = [[float(a), float(b), index_of[c], 0] for (a, b), c in zip(data.raw_X, data.labels, strict=True)]
    points += [
        [float(a), float(b), index_of[c], 1]
        for (a, b), c in zip(data.raw_test, data.labels_test, strict=True)
    ]
    return {
        "resolution": resolution,
        "x": xs.tolist(),
        "y": ys.tolist(),
        "axes": data.features,
        "classes": data.classes,
        "kind": "two" if two else "many",
        "data": encoded,
        "points": points,
    }


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def state(session_id: str, s: Session, width: int = 640, viewing: int | None = None) -> dict[str, Any]:
    """Everything the page draws, as JSON: the live state, or (``viewing``) the state right after that
    step."""
    live = viewing is None or viewing == s.steps
    step = s.steps if viewing is None else viewing
    net, trace = s.net, s.traces.get(step) if live else None
    if step > 0 and (trace is None or not live):
        trace, after = s.at(step)
        s.keep_trace(step, trace)
        if not live:
            net = after
    loss, test_loss = s.losses(net) if not live else s.history.points[-1][1:]
    values = net.parameters()
    d = s.data
    example = None
    if trace is not None and d.task != "worked-example":
        row = trace["row"]
        example = {"row": row, "raw": dict(zip(d.features, map(float, d.raw_X[row]), strict=True))}
    return {
        "session": session_id,
        "version": s.version,
        "settings": s.settings.model_dump(exclude={"csv"}),
        "training": asdict(s.training),
        "sizes": net.sizes,
        "names": net.neuron_names,
        "activations": [a.name for a in net.activations],
        "output_activation": net.activations[-1].name,
        "task": d.task,
        "features": d.features,
        "outputs": d.outputs,
        "classes": d.classes,
        "standardized": d.scaler is not None,
        "standardization": (
            {"mean": d.scaler.mean.tolist(), "scale": d.scaler.scale.tolist()}
            if d.scaler is not None
            else None
        ),
        "examples": len(d.X),
        "test_examples": len(d.X_test),
        "parameters": [
            {
                "name": r.name,
                "kind": r.kind,
                "layer": r.layer + 1,
                "source": r.source,
                "targets": list(r.targets),
                "value": values[r.name],
            }
            for r in net.parameter_refs
        ],
        "layout": drawing(net, s.preview if live and s.preview is not None else trace, width, s.layouts),
        "steps": s.steps,
        "viewing": step,
        "live": live,
        "loss": _finite(loss),
        "test_loss": _finite(test_loss),
        "history": [[k, _finite(a), _finite(b)] for k, a, b in s.history.points],
        "trace": trace,
        "example": example,
        "preview": s.preview if live else None,
        "converged": s.stopped["message"] if s.stopped and s.stopped["kind"] == "converged" else None,
        "stopped": s.stopped,
        "two_d": d.two_d,
        "maps": neuron_maps(net, d) if d.two_d else None,
        "boundary": boundary(net, d) if d.two_d else None,
        "events": [[k, e] for k, e in s.events],
        "limits": LIMITS,
    }
