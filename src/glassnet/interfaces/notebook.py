"""The notebook view: a network as an SVG diagram, a step trace as the seven steps in HTML tables.

In Jupyter this registers itself when glassnet is imported, so a ``Network`` in a cell's last line draws
itself and a ``StepTrace`` shows its seven steps. Both views render what the objects hold; the trace view
formats the trace's own numbers (see ``render.sections``).
"""

from __future__ import annotations

import html
import math
from typing import Any

from glassnet.core.network import Network
from glassnet.core.trace import StepTrace

from .render import fmt, sections

MAX_LABELLED_EDGES = 60
MAX_DRAWN_NEURONS = 24  # per layer; wider layers show their first neurons and a count


def network_svg(net: Network, width: int = 720) -> str:
    """An SVG diagram: neurons labelled i1/h1/o1..., every weight an edge labelled with its name and value,
    blue for positive and red for negative weights, wider for larger magnitudes; biases beside neurons."""
    names = net.neuron_names
    shown = [layer[:MAX_DRAWN_NEURONS] for layer in names]
    tallest = max(len(layer) for layer in shown)
    height = 70 * tallest + 50
    gap = (width - 120) / max(1, len(names) - 1)
    pos: dict[str, tuple[float, float]] = {}
    for l, layer in enumerate(shown):
        x = 60 + l * gap
        top = (height - 70 * (len(layer) - 1)) / 2
        for k, name in enumerate(layer):
            pos[name] = (x, top + 70 * k)
    params = net.parameters()
    refs = net.parameter_refs
    weights = [r for r in refs if r.kind == "weight" and r.source in pos and r.targets[0] in pos]
    largest = max((abs(params[r.name]) for r in weights), default=1.0) or 1.0
    label_edges = len(weights) <= MAX_LABELLED_EDGES
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{html.escape(repr(net))}</title>",
    ]
    for i, ref in enumerate(weights):
        (x1, y1), (x2, y2) = pos[ref.source or ""], pos[ref.targets[0]]
        w = params[ref.name]
        colour = "#2b6cb0" if w >= 0 else "#c53030"
        stroke = 0.5 + 4.5 * math.sqrt(abs(w) / largest)
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="{stroke:.2f}" opacity="0.75"><title>{ref.name} = {fmt(w)}</title></line>'
        )
        if label_edges:
            # Labels sit near the source on falling edges and near the target on rising ones, so the
            # labels of two crossing edges do not meet at the crossing; fan-ins are staggered.
            t = 0.5 if abs(y2 - y1) < 1 else 0.22 + 0.06 * (i % 3) if y2 > y1 else 0.78 - 0.06 * (i % 3)
            lx, ly = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
            parts.append(
                f'<text x="{lx:.1f}" y="{ly - 3:.1f}" text-anchor="middle" fill="{colour}">'
                f"{ref.name}={fmt(w)}</text>"
            )
    biases = {t: r for r in refs if r.kind == "bias" for t in r.targets}
    for name, (x, y) in pos.items():
        fill = "#edf2f7" if name.startswith("i") else "#fefcbf" if name.startswith("h") else "#c6f6d5"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="17" fill="{fill}" stroke="#2d3748"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-weight="bold">{name}</text>'
        )
        if name in biases:
            b = biases[name]
            parts.append(
                f'<text x="{x:.1f}" y="{y + 31:.1f}" text-anchor="middle" fill="#4a5568">'
                f"{b.name}={fmt(params[b.name])}</text>"
            )
    for l, layer in enumerate(names):
        if len(layer) > MAX_DRAWN_NEURONS:
            x = 60 + l * gap
            more = len(layer) - MAX_DRAWN_NEURONS
            parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle">+{more} more</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _split(line: str) -> tuple[str, str, str, str]:
    """'lhs = formula = numbers = value' into its four parts (missing parts are empty)."""
    pieces = line.split(" = ")
    if len(pieces) >= 4:
        return pieces[0], pieces[1], " = ".join(pieces[2:-1]), pieces[-1]
    if len(pieces) == 3:
        return pieces[0], pieces[1], "", pieces[2]
    if len(pieces) == 2:
        return pieces[0], "", "", pieces[1]
    return line, "", "", ""


def trace_html(trace: StepTrace | dict[str, Any]) -> str:
    """The seven steps of a traced step as HTML: one table per step, formulas with their numbers."""
    out = ['<div class="glassnet-trace">']
    for s in sections(trace):
        out.append(f"<h4>Step {s.number}. {html.escape(s.title)}</h4>")
        out.append(
            "<table><thead><tr><th>quantity</th><th>formula</th><th>with numbers</th><th>value</th>"
            "</tr></thead><tbody>"
        )
        for line in s.lines:
            cells = "".join(f"<td><code>{html.escape(part)}</code></td>" for part in _split(line))
            out.append(f"<tr>{cells}</tr>")
        out.append("</tbody></table>")
    out.append("</div>")
    return "\n".join(out)


def register(ipython: Any = None) -> bool:
    """Teach IPython/Jupyter to draw networks and traces; returns whether an IPython shell was found."""
    if ipython is None:
        try:
            from IPython.core.getipython import get_ipython
        except ImportError:
            return False
        ipython = get_ipython()
    if ipython is None:
        return False
    formatters = ipython.display_formatter.formatters
    formatters["image/svg+xml"].for_type(Network, network_svg)
    formatters["text/html"].for_type(StepTrace, trace_html)
    return True


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext glassnet.interfaces.notebook``"""
    register(ipython)
