"""One row of a CSV file through a saved model, in numbers: a plain JSON-ready explanation, its terminal
rendering (rich) and an HTML fragment.

``explain_row(model, X, row, ...)`` builds the explanation of one row of raw features: the features by name
with the model's mean and scale and the standardized values the network sees, the forward pass in the
network's own numbers (per layer: neuron, z, a), the prediction (class label and probability, or value in
target units), each source's contribution to the net inputs (``glassnet.core.attribution``: top k by
magnitude, the rest as a count and a sum) and, when the row has a target, the loss on the row and one
traced gradient-descent step on a copy of the network (the model is never changed). ``read_row`` reads
that row from a CSV file; rows are numbered as a reader counts data rows: row 1 is the first row after the
header (blank lines are not counted).
"""

from __future__ import annotations

import copy
import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.core.attribution import RULE, input_contributions, layer_contributions, path_contributions
from glassnet.core.errors import GlassnetError
from glassnet.core.model import Model
from glassnet.core.network import Network

from ..io.data import Table, read_csv, select_features, target_values

TOP_K = 10
DEFAULT_LR = 0.01
FULL_STEP_PARAMETERS = 200  # up to this many parameters the step is shown in full (the seven steps)
WRITEUP_STEP_PARAMETERS = 150_000  # the write-up works out every number of a step up to this size
ROWS = 64  # an HTML table of a layer lists its first neurons and counts the rest
MAX_PATHS = 5_000_000  # more paths than this are not listed (input shares still are)
SHOWN_ROWS = 20  # a terminal table longer than this shows its top k rows and a summary line
ROW_NUMBERING = "row 1 is the first data row after the header; blank lines are not counted"


@dataclass
class CsvRow:
    """One row of a CSV file as ``read_row`` found it: its raw features (in the model's order), its
    target value or None, how many data rows the file has, and what the reader noticed."""

    features: NDArray[np.float64]
    target: Any
    rows: int
    table: Table
    note: str | None = None


def read_row(
    model: Model, path: str, row: int, *, read: Callable[..., Table] = read_csv, **options: Any
) -> CsvRow:
    """Row ``row`` (1 = the first data row after the header) of the CSV file ``path``, with the model's
    feature columns (an error names any that are missing) and its target column when the file has one.

    ``options`` go to ``read_csv`` (``sep``, ``decimal``, ``on_progress``).
    """
    if row < 1:
        raise GlassnetError(f"--row counts data rows from 1 (the first row after the header); received {row}")
    table = read(path, model.target_name, require_target=False, features=model.feature_names, **options)
    note = None
    if model.target_name in table.ignored and path == "-":  # standard input cannot be read twice
        note = f"the target column {model.target_name!r} is not read from standard input; give a file"
    elif model.target_name in table.ignored:  # the file has the target column: read it too
        try:
            table = read(path, model.target_name, features=model.feature_names, **options)
        except GlassnetError as exc:
            note = f"the target column {model.target_name!r} was not used: {exc}"
    X = select_features(table, model.feature_names, path)
    if row > len(X):
        raise GlassnetError(
            f"row {row} is out of range: {path!r} has {len(X):,} data row{'s' if len(X) != 1 else ''} "
            f"(rows count from 1, the first row after the header)"
        )
    target = table.y[row - 1] if len(table.y) == len(X) else None
    return CsvRow(np.asarray(X[row - 1], dtype=np.float64), target, len(X), table, note)


# ---------------------------------------------------------------------------------------------- building
def _plain(value: Any) -> Any:
    """A label or number as plain Python (numpy scalars become int, float, str or bool)."""
    return value.item() if isinstance(value, np.generic) else value


def _top(values: NDArray[np.float64], k: int) -> tuple[NDArray[np.intp], dict[str, Any]]:
    """The indices of the k largest |values| (largest first), and the rest as a count and a sum."""
    flat = values.ravel()
    if flat.size > k:
        part = np.argpartition(-np.abs(flat), k - 1)[:k]
    else:
        part = np.arange(flat.size)
    order = part[np.argsort(-np.abs(flat[part]), kind="stable")]
    rest = np.ones(flat.size, dtype=bool)
    rest[order] = False
    return order, {"count": int(rest.sum()), "sum": float(flat[rest].sum())}


def weight_name(sizes: Sequence[int], layer: int, source: int, target: int) -> str:
    """The name of the weight from neuron ``source`` to neuron ``target`` of layer ``layer`` (0 = the
    first layer of weights), numbered as ``glassnet.core.naming`` numbers them.

    >>> weight_name([2, 2, 2], 1, 0, 0)
    'w5'
    """
    before = sum(sizes[m] * sizes[m + 1] for m in range(layer))
    return f"w{before + target * sizes[layer] + source + 1}"


def _bias_names(network: Network) -> list[list[str | None]]:
    """Per layer, the name of each neuron's bias (None without biases)."""
    names: list[list[str | None]] = [[None] * units for units in network.sizes[1:]]
    for ref in network.parameter_refs:
        if ref.kind == "bias":
            for target in ref.targets:
                layer = ref.layer
                names[layer][network.neuron_names[layer + 1].index(target)] = ref.name
    return names


def _target_encoded(model: Model, value: Any) -> tuple[Any, NDArray[Any]]:
    """The target read as the model reads it (a class label, e.g. 3 for the text '3', or a number), and as
    the network sees it: one-hot for a class, standardized for a number."""
    task = "classification" if model.task == "classification" else "regression"
    values = target_values(np.asarray([value], dtype=object), task, like=model.classes)
    return _plain(values[0]), model.encode_targets(values)


def explain_row(
    model: Model,
    features: Sequence[float] | NDArray[Any],
    *,
    target: Any = None,
    lr: float | None = None,
    top_k: int = TOP_K,
    row: int | None = None,
    source: str | None = None,
    model_path: str | None = None,
    target_note: str | None = None,
    full_step: bool = False,
) -> dict[str, Any]:
    """The explanation of one row of raw ``features`` (in the order of ``model.feature_names``), as a
    plain JSON-ready dict (keys in the module's docstring and README); ``target`` (raw label or value)
    adds the loss and a traced step with learning rate ``lr`` (default: the model's ``lr`` setting, else
    0.01). ``row``, ``source``, ``model_path`` and ``target_note`` (why a row has no target) are recorded
    as given. The step's full trace is kept for networks of up to FULL_STEP_PARAMETERS parameters, or
    with ``full_step`` up to WRITEUP_STEP_PARAMETERS (the write-up shows large layers as tables). The model
    is not changed.
    """
    if top_k < 1:
        raise GlassnetError(f"top k must be an integer >= 1; received {top_k!r}")
    net = model.network
    names = net.neuron_names
    raw = np.asarray(features, dtype=np.float64).reshape(1, -1)
    x = model.network_inputs(raw)  # (1, inputs) in the network's dtype: what predict uses
    forward = net.propagate(x)
    x64 = np.asarray(x[0], dtype=np.float64)
    scaler = model.scaler
    feature_rows = [
        {
            "name": name,
            "input": names[0][i],
            "raw": float(raw[0, i]),
            "mean": None if scaler is None else float(scaler.mean[i]),
            "scale": None if scaler is None else float(scaler.scale[i]),
            "standardized": float(x64[i]),
        }
        for i, name in enumerate(model.feature_names)
    ]
    layers_out = [
        {
            "layer": l + 1,
            "activation": net.activations[l].name,
            "neurons": [
                {"name": n, "z": float(z[0, k]), "a": float(a[0, k])} for k, n in enumerate(names[l + 1])
            ],
        }
        for l, (z, a) in enumerate(forward)
    ]
    out = np.asarray(forward[-1][1][0], dtype=np.float64)
    outputs = names[-1]
    prediction: dict[str, Any]
    if model.task == "classification":
        assert model.classes is not None
        k = int(np.argmax(out))
        prediction = {
            "class": _plain(model.classes[k]),
            "output": outputs[k],
            "probability": float(out[k]),
            "probabilities": [
                {"class": _plain(c), "output": outputs[j], "probability": float(out[j])}
                for j, c in enumerate(model.classes)
            ],
        }
    else:
        values = model.target_scaler.inverse(out) if model.target_scaler is not None else out
        prediction = {
            "value": float(values[0]) if values.size == 1 else [float(v) for v in values],
            "outputs": [
                {"output": outputs[j], "network_output": float(out[j]), "value": float(values[j])}
                for j in range(len(outputs))
            ],
            "target_mean": None if model.target_scaler is None else float(model.target_scaler.mean[0]),
            "target_scale": None if model.target_scaler is None else float(model.target_scaler.scale[0]),
        }
    explanation: dict[str, Any] = {
        "kind": "glassnet row explanation",
        "model": model_path,
        "data": source,
        "row": row,
        "row_numbering": ROW_NUMBERING,
        "task": model.task,
        "target_name": model.target_name,
        "network": {
            "sizes": list(net.sizes),
            "activations": [a.name for a in net.activations],
            "loss": net.loss_fn.name,
            "bias": net.bias,
            "dtype": net.dtype.name,
            "parameters": _count(net),
        },
        "standardized": scaler is not None,
        "features": feature_rows,
        "forward": layers_out,
        "prediction": prediction,
        "contributions": _contributions(model, x64, top_k),
        "top_k": top_k,
        "target": None,
        "target_note": target_note,
        "loss": None,
        "step": None,
    }
    if target is not None:
        value, t = _target_encoded(model, target)
        explanation["target"] = {
            "value": value,
            "encoded": {o: float(v) for o, v in zip(outputs, t[0], strict=True)},
            "encoding": "one-hot over the classes"
            if model.task == "classification"
            else "standardized with the model's target mean and scale"
            if model.target_scaler is not None
            else "as it is (the model does not standardize its target)",
        }
        z_out, a_out = forward[-1]
        explanation["loss"] = net.loss(a_out, net.as_targets(t), z_out)
        explanation["step"] = _step(model, x, t, lr, top_k, full_step)
    return explanation


def _count(net: Network) -> int:
    """Every parameter of ``net``, frozen biases included."""
    return sum(layer.W.size + (0 if layer.b is None else layer.b.size) for layer in net.layers)


def _contributions(model: Model, x: NDArray[np.float64], top_k: int) -> dict[str, Any]:
    """Each source's share of every net input (top k by magnitude), layer by layer and input to output."""
    net = model.network
    names = net.neuron_names
    feature_of = dict(zip(names[0], model.feature_names, strict=True))
    biases = _bias_names(net)
    layers = layer_contributions(net, x)
    layer_rows = []
    for l, layer in enumerate(layers):
        neurons = []
        for j, name in enumerate(names[l + 1]):
            order, rest = _top(layer.products[:, j], top_k)
            neurons.append(
                {
                    "name": name,
                    "z": float(layer.z[j]),
                    "bias": float(layer.bias[j]),
                    "bias_name": biases[l][j],
                    "terms": [
                        {
                            "source": names[l][s],
                            "feature": feature_of.get(names[l][s]),
                            "a": float(layer.sources[s]),
                            "weight": weight_name(net.sizes, l, int(s), j),
                            "w": float(layer.weights[s, j]),
                            "value": float(layer.products[s, j]),
                        }
                        for s in order
                    ],
                    "rest": rest,
                }
            )
        layer_rows.append({"layer": l + 1, "neurons": neurons})
    shares = input_contributions(net, x).layers[-1]
    last = layers[-1]
    to_outputs = []
    for o, name in enumerate(names[-1]):
        order, rest = _top(shares.inputs[:, o], top_k)
        to_outputs.append(
            {
                "output": name,
                "z": float(last.z[o]),
                "bias_share": float(shares.bias[:, o].sum()),
                "bias_share_by_layer": [float(v) for v in shares.bias[:, o]],
                "inputs": [
                    {
                        "input": names[0][i],
                        "feature": feature_of[names[0][i]],
                        "value": float(shares.inputs[i, o]),
                    }
                    for i in order
                ],
                "rest": rest,
            }
        )
    count = math.prod(net.sizes)
    paths: list[dict[str, Any]] | None = None
    if count <= MAX_PATHS:
        P = path_contributions(net, x)
        paths = []
        for o, name in enumerate(names[-1]):
            order, rest = _top(P[..., o], top_k)
            index = np.unravel_index(order, P.shape[:-1])
            paths.append(
                {
                    "output": name,
                    "paths": [
                        {
                            "path": [feature_of[names[0][int(index[0][n])]]]
                            + [names[m][int(index[m][n])] for m in range(1, len(index))]
                            + [name],
                            "value": float(P[(*(int(ix[n]) for ix in index), o)]),
                        }
                        for n in range(len(order))
                    ],
                    "rest": rest,
                }
            )
    return {
        "rule": RULE,
        "arithmetic": "float64 (the forward pass above is in the network's dtype)",
        "layers": layer_rows,
        "inputs_to_outputs": to_outputs,
        "paths": paths,
        "paths_count": count,
        "paths_note": None
        if paths is not None
        else f"{count:,} paths are more than {MAX_PATHS:,}: not listed",
    }


def _step(
    model: Model, x: NDArray[Any], t: NDArray[Any], lr: float | None, top_k: int, full_step: bool = False
) -> dict[str, Any]:
    """One traced gradient-descent step on this row, on a copy of the network: the summary, and the full
    trace for a small network."""
    stored = model.settings.get("lr")
    if lr is not None:
        rate, said = float(lr), "given with --lr"
    elif isinstance(stored, (int, float)) and not isinstance(stored, bool) and stored > 0:
        rate, said = float(stored), "the model's training setting lr"
    else:
        rate, said = DEFAULT_LR, f"default {DEFAULT_LR}: the model file stores no learning rate"
    net = copy.deepcopy(model.network)
    trace = net.traced_step(x, t, rate)
    grads = np.array([p.grad for p in trace.parameters], dtype=np.float64)
    order, rest = _top(grads, top_k)
    full = len(trace.parameters) <= (WRITEUP_STEP_PARAMETERS if full_step else FULL_STEP_PARAMETERS)
    return {
        "optimizer": "sgd",
        "learning_rate": rate,
        "learning_rate_source": said,
        "note": "one plain gradient-descent step on this row alone, on a copy of the network; "
        "the model is not changed",
        "loss": trace.loss_total,
        "loss_after": trace.loss_after,
        "parameters": len(trace.parameters),
        "largest_gradients": [
            {
                "name": p.name,
                "kind": p.kind,
                "source": p.source,
                "targets": p.targets,
                "old": p.old,
                "grad": p.grad,
                "new": p.new,
            }
            for p in (trace.parameters[int(i)] for i in order)
        ],
        "rest": rest,
        "full": full,
        "trace": trace.to_dict() if full else None,
    }


# ---------------------------------------------------------------------------------------------- rendering
def _fmt(value: Any) -> str:
    """A number as the step trace prints it (9 decimals or 9 significant digits); other values as text."""
    from .render import fmt

    if isinstance(value, float):
        return fmt(value)
    return "-" if value is None else str(value)


def _where(e: dict[str, Any]) -> str:
    row = "" if e["row"] is None else f"row {e['row']} of "
    return f"{row}{e['data'] or 'the given features'}"


def prediction_text(e: dict[str, Any]) -> str:
    """The prediction in one line, e.g. "predicted class 'setosa' (o1) with probability 0.97"."""
    p = e["prediction"]
    if e["task"] == "classification":
        return f"predicted class {p['class']!r} ({p['output']}) with probability {_fmt(p['probability'])}"
    digits = ".7g" if e["network"]["dtype"] == "float32" else ".9g"  # what the model's arithmetic holds
    scaled = p.get("target_mean") is not None
    return "predicted " + ", ".join(
        f"{e['target_name']} = {format(v['value'], digits)} "
        f"(network output {v['output']} = {_fmt(v['network_output'])}"
        + (
            f", in target units: mean {format(p['target_mean'], digits)} + scale "
            f"{format(p['target_scale'], digits)} × {v['output']})"
            if scaled
            else ")"
        )
        for v in p["outputs"]
    )


def _focus(e: dict[str, Any]) -> list[int]:
    """The outputs whose contributions the terminal shows: the predicted class, or every output (<= 3)."""
    outputs = [n["name"] for n in e["forward"][-1]["neurons"]]
    if e["task"] == "classification":
        return [outputs.index(e["prediction"]["output"])]
    return list(range(min(3, len(outputs))))


def _rest_text(rest: dict[str, Any], what: str) -> str | None:
    return None if not rest["count"] else f"({rest['count']:,} more {what}: sum {_fmt(rest['sum'])})"


def to_rich(e: dict[str, Any]) -> Any:
    """The explanation as a rich renderable for the terminal; long lists show their top k and a summary
    line, and the step is in full (the seven steps) only for a small network."""
    from rich.console import Group
    from rich.table import Table as RichTable
    from rich.text import Text

    from . import render

    k = e["top_k"]
    parts: list[Any] = [
        Text(f"{_where(e)} ({e['row_numbering']})"),
        Text(
            f"network {'-'.join(map(str, e['network']['sizes']))}, activations "
            f"{','.join(e['network']['activations'])}, loss {e['network']['loss']}, {e['network']['dtype']}"
        ),
    ]
    features = RichTable("feature", "input", "raw", "mean", "scale", "standardized", title="features")
    rows = e["features"]
    shown = rows
    if len(rows) > SHOWN_ROWS:
        shown = sorted(rows, key=lambda r: -abs(r["standardized"]))[:k]
        features.title = f"features: the {k} of {len(rows):,} farthest from the mean (--json lists all)"
    for r in shown:
        features.add_row(
            Text(r["name"]),
            r["input"],
            _fmt(r["raw"]),
            _fmt(r["mean"]),
            _fmt(r["scale"]),
            _fmt(r["standardized"]),
        )
    parts.append(features)

    forward = RichTable(
        "layer", "neuron", "net input z", "output a", title="forward pass (the network's numbers)"
    )
    for layer in e["forward"]:
        neurons = layer["neurons"]
        if len(neurons) > SHOWN_ROWS:
            top = sorted(neurons, key=lambda n: -abs(n["a"]))[:k]
            for n in top:
                forward.add_row(
                    f"{layer['layer']} {layer['activation']}", n["name"], _fmt(n["z"]), _fmt(n["a"])
                )
            forward.add_row("", f"({len(neurons) - k:,} more with smaller |a|)", "", "")
        else:
            for n in neurons:
                forward.add_row(
                    f"{layer['layer']} {layer['activation']}", n["name"], _fmt(n["z"]), _fmt(n["a"])
                )
    parts.append(forward)
    parts.append(Text(prediction_text(e), style="bold"))

    c = e["contributions"]
    small = all(len(layer["neurons"]) <= SHOWN_ROWS for layer in c["layers"])
    lines: list[str] = []
    focus = _focus(e)
    for layer in c["layers"]:
        last = layer is c["layers"][-1]
        if not (small or last):
            continue
        for j, n in enumerate(layer["neurons"]):
            if last and not small and j not in focus:
                continue
            terms = [f"{_fmt(t['value'])} ({t['weight']}*{t['source']})" for t in n["terms"]]
            rest = _rest_text(n["rest"], "terms")
            bias = f"{_fmt(n['bias'])} ({n['bias_name']})" if n["bias_name"] else "0 (no bias)"
            lines.append(
                f"net_{n['name']} = {' + '.join(terms)}{' + ' + rest if rest else ''} + {bias} "
                f"= {_fmt(n['z'])}"
            )
    if not small:
        lines.append(f"(hidden layers' terms: --json lists the top {k} of every neuron)")
    lines.append("")
    lines.append("input to output, each input's share of the output's net input (proportional split, LRP-0):")
    for o in focus:
        out = c["inputs_to_outputs"][o]
        lines.append(f"net_{out['output']} = {_fmt(out['z'])} =")
        for s in out["inputs"]:
            lines.append(f"  {_fmt(s['value']):>15}   {s['feature']} ({s['input']})")
        rest = _rest_text(out["rest"], "inputs")
        if rest:
            lines.append(f"  {'':>15}   {rest}")
        lines.append(f"  {_fmt(out['bias_share']):>15}   the biases' share")
        if c["paths"] is not None and len(e["network"]["sizes"]) > 2:
            paths = c["paths"][o]
            lines.append(f"  largest paths into {out['output']}:")
            for p in paths["paths"]:
                lines.append(f"  {_fmt(p['value']):>15}   {' -> '.join(map(str, p['path']))}")
            rest = _rest_text(paths["rest"], "paths")
            if rest:
                lines.append(f"  {'':>15}   {rest}")
    parts.append(Text("contributions to the net inputs (largest first)", style="bold"))
    parts.append(Text("\n".join(lines)))

    if e["target"] is None:
        why = e.get("target_note") or f"the file has no {e['target_name']!r} column"
        parts.append(Text(f"no target for this row ({why}): no loss and no training step"))
        return Group(*parts)
    t = e["target"]
    encoded = ", ".join(f"{o} = {_fmt(v)}" for o, v in t["encoded"].items())
    parts.append(
        Text(
            f"target {e['target_name']} = {t['value']!r}; as the network sees it ({t['encoding']}): {encoded}"
        )
    )
    parts.append(Text(f"loss ({e['network']['loss']}) on this row: {_fmt(e['loss'])}", style="bold"))
    s = e["step"]
    parts.append(
        Text(
            f"one training step on this row: {s['optimizer']}, learning rate {_fmt(s['learning_rate'])} "
            f"({s['learning_rate_source']}); {s['note']}"
        )
    )
    if s["full"]:
        parts.append(render.to_rich(s["trace"]))
    else:
        grads = RichTable(
            "parameter",
            "from -> to",
            "old",
            "dE/dw",
            "new",
            title=f"the {k} largest gradients of {s['parameters']:,}",
        )
        for g in s["largest_gradients"]:
            link = f"{g['source'] or 'bias'} -> {', '.join(g['targets'])}"
            grads.add_row(g["name"], link, _fmt(g["old"]), _fmt(g["grad"]), _fmt(g["new"]))
        rest = _rest_text(s["rest"], "gradients")
        if rest:
            grads.add_row("", rest, "", "", "")
        parts.append(grads)
        parts.append(
            Text(
                f"E before the step = {_fmt(s['loss'])}, after = {_fmt(s['loss_after'])}; the seven steps "
                f"are shown in full for networks of up to {FULL_STEP_PARAMETERS} parameters (this one has "
                f"{s['parameters']:,}; --json gives the {k} largest gradients)"
            )
        )
    return Group(*parts)


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(_fmt(v))}</td>" for v in r) + "</tr>" for r in rows)
    return (
        f"<table><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def row_html(e: dict[str, Any]) -> str:
    """An HTML fragment (no scripts, every text escaped) of an explanation: tables of the features, the
    forward pass, the prediction and the contributions into the predicted output (or the first outputs)."""
    esc = html.escape
    parts = [
        '<section class="glassnet-row">',
        f"<p>{esc(_where(e))} ({esc(e['row_numbering'])})</p>",
        _table(
            "features",
            ["feature", "input", "raw", "mean", "scale", "standardized"],
            [
                [r["name"], r["input"], r["raw"], r["mean"], r["scale"], r["standardized"]]
                for r in e["features"]
            ],
        ),
        _table(
            "forward pass",
            ["layer", "activation", "neuron", "net input z", "output a"],
            [
                row
                for lay in e["forward"]
                for row in [
                    *(
                        [lay["layer"], lay["activation"], n["name"], n["z"], n["a"]]
                        for n in lay["neurons"][:ROWS]
                    ),
                    *(
                        [[lay["layer"], lay["activation"], f"{len(lay['neurons']) - ROWS:,} more", "", ""]]
                        if len(lay["neurons"]) > ROWS
                        else []
                    ),
                ]
            ],
        ),
        f"<p><strong>{esc(prediction_text(e))}</strong></p>",
    ]
    c = e["contributions"]
    for o in _focus(e):
        out = c["inputs_to_outputs"][o]
        rows: list[list[Any]] = [[s["feature"], s["input"], s["value"]] for s in out["inputs"]]
        if out["rest"]["count"]:
            rows.append([f"{out['rest']['count']} more inputs", "", out["rest"]["sum"]])
        rows.append(["the biases' share", "", out["bias_share"]])
        rows.append(["net input", out["output"], out["z"]])
        parts.append(
            _table(f"each input's share of net_{out['output']}", ["feature", "input", "share"], rows)
        )
        n = c["layers"][-1]["neurons"][o]
        rows = [[t["source"], t["weight"], t["a"], t["w"], t["value"]] for t in n["terms"]]
        if n["rest"]["count"]:
            rows.append([f"{n['rest']['count']} more terms", "", "", "", n["rest"]["sum"]])
        rows.append(["bias", n["bias_name"] or "", "", "", n["bias"]])
        parts.append(_table(f"the terms of net_{n['name']}", ["source", "weight", "a", "w", "a * w"], rows))
    if e["loss"] is not None:
        parts.append(f"<p>loss ({esc(e['network']['loss'])}) on this row: {esc(_fmt(e['loss']))}</p>")
    parts.append("</section>")
    return "\n".join(parts)
