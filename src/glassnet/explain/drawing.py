"""A network as an SVG diagram, drawn where ``layout.network_layout`` places things.

Works from plain data, so a ``Network``, a step trace's dict (``StepTrace.to_dict()``) and a saved model
draw alike: ``parameters_svg`` takes per-layer neuron names and a list of parameters (name, kind, source,
targets, value); ``network_svg`` and ``trace_svg`` build those from a network or a trace.

>>> svg = trace_svg({"sizes": [1, 1], "parameters": [
...     {"name": "w1", "kind": "weight", "source": "i1", "targets": ["o1"], "old": 0.5, "new": 0.4}]})
>>> "w1=0.5" in svg, svg.count("<circle")
(True, 2)
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from glassnet.core.naming import neuron_names
from glassnet.core.network import Network

from .layout import Layout, network_layout
from .render import fmt

POSITIVE, NEGATIVE = "#2b6cb0", "#c53030"
FILLS = {"i": "#edf2f7", "h": "#fefcbf", "o": "#c6f6d5"}


def edge_colour(value: float) -> str:
    """Blue for positive (and zero) weights, red for negative ones."""
    return POSITIVE if value >= 0 else NEGATIVE


def parameters_svg(
    names: Sequence[Sequence[str]],
    parameters: Sequence[Mapping[str, Any]],
    width: int = 720,
    *,
    title: str = "",
    font_size: float = 11,
    weight_labels: bool = True,
) -> str:
    """An SVG diagram of a network given as plain data.

    Parameters
    ----------
    names : per layer, the neurons' names.
    parameters : dicts with ``name``, ``kind`` ("weight" or "bias"), ``source``, ``targets`` and ``value``.
    width : the picture's width in pixels; its height follows from the layout.

    Every weight is an edge, blue for positive and red for negative, wider for larger magnitudes, labelled
    ``name=value`` where there is room (``weight_labels=False``: nowhere, for a dense drawing whose values
    are given elsewhere); biases are labelled beside a neuron they feed. Every value is also in a hover (an
    SVG ``<title>``), so a label without room loses nothing.
    """
    values = {str(p["name"]): float(p["value"]) for p in parameters}
    weights = [p for p in parameters if p["kind"] == "weight"]
    biases = [p for p in parameters if p["kind"] == "bias"]
    layout = network_layout(
        names,
        [(p["name"], p["source"], p["targets"][0], f"{p['name']}={fmt(p['value'])}") for p in weights],
        [(p["name"], tuple(p["targets"]), f"{p['name']}={fmt(p['value'])}") for p in biases],
        width,
        font_size=font_size,
    )
    if not weight_labels:
        layout = replace(layout, labels=[label for label in layout.labels if label.kind != "weight"])
    hovers: dict[str, list[str]] = {}
    for p in biases:
        for t in p["targets"]:
            hovers.setdefault(t, []).append(f"{p['name']} = {fmt(p['value'])}")
    return layout_svg(layout, values, title=title, hovers=hovers)


def layout_svg(
    layout: Layout,
    values: Mapping[str, float],
    *,
    title: str = "",
    hovers: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """Draw a layout: ``values`` holds each weight's value (its colour and stroke width); ``hovers`` extra
    lines for a neuron's hover (its bias, its notes)."""
    w, h = layout.width, layout.height
    weights = [abs(values[e.key]) for e in layout.edges if e.key in values]
    largest = max(weights, default=1.0) or 1.0
    labels = {label.key: label for label in layout.labels}
    family = "monospace" if layout.monospace else "sans-serif"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:g}" height="{h:g}" viewBox="0 0 {w:g} {h:g}" '
        f'font-family="{family}" font-size="{layout.font_size:g}">'
    ]
    if title:
        parts.append(f"<title>{html.escape(title)}</title>")
    for e in layout.edges:
        v = values.get(e.key, 0.0)
        stroke = 0.5 + 4.5 * math.sqrt(abs(v) / largest) if math.isfinite(v) else 0.5
        parts.append(
            f'<line x1="{e.x1:.1f}" y1="{e.y1:.1f}" x2="{e.x2:.1f}" y2="{e.y2:.1f}" '
            f'stroke="{edge_colour(v)}" stroke-width="{stroke:.2f}" opacity="0.75">'
            f"<title>{e.key} = {fmt(v)}</title></line>"
        )
    for n in layout.neurons:
        fill = FILLS.get(n.name[0], "#ffffff")
        hover = [n.name, *(hovers or {}).get(n.name, ())]
        parts.append(
            f'<circle cx="{n.x:.1f}" cy="{n.y:.1f}" r="{n.r:g}" fill="{fill}" stroke="#2d3748">'
            f"<title>{html.escape(chr(10).join(hover))}</title></circle>"
        )
        parts.append(
            f'<text class="name" x="{n.x:.1f}" y="{n.y + 0.35 * n.name_size:.1f}" text-anchor="middle" '
            f'font-weight="bold" font-size="{n.name_size:g}" pointer-events="none">{n.name}</text>'
        )
    for label in labels.values():
        colour = edge_colour(values.get(label.key, 0.0)) if label.kind == "weight" else "#4a5568"
        box = label.box  # a white ground, so that edges passing under a label do not cross its text
        parts.append(
            f'<rect class="halo" x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
            'rx="2" fill="white" opacity="0.88"/>'
        )
        parts.append(
            f'<text class="label {label.kind}" data-label="{html.escape(label.key)}" '
            f'x="{label.x:.1f}" y="{label.y:.1f}" text-anchor="middle" fill="{colour}">'
            f"{html.escape(label.text)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def network_svg(net: Network, width: int = 720) -> str:
    """A network's diagram: neurons i1/h1/o1..., every weight an edge labelled with its name and value.

    >>> network_svg(Network([2, 1], bias="none", seed=0)).count("<line ")
    2
    """
    values = net.parameters()
    parameters = [
        {"name": r.name, "kind": r.kind, "source": r.source, "targets": r.targets, "value": values[r.name]}
        for r in net.parameter_refs
    ]
    return parameters_svg(net.neuron_names, parameters, width, title=repr(net))


def trace_svg(
    trace: Mapping[str, Any], which: str = "old", width: int = 720, weight_labels: bool = True
) -> str:
    """A step trace's network (``StepTrace.to_dict()``) with its parameters before (``which="old"``) or
    after (``"new"``) the step's update."""
    if which not in ("old", "new"):
        raise ValueError(f"which is 'old' or 'new', not {which!r}")
    parameters = [{**p, "value": p[which]} for p in trace["parameters"]]
    label = "before" if which == "old" else "after"
    return parameters_svg(
        neuron_names(trace["sizes"]),
        parameters,
        width,
        title=f"the network {label} this step's update",
        weight_labels=weight_labels,
    )
