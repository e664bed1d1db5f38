"""The notebook view: a network as an SVG diagram, a step trace as the seven steps in HTML tables.

In Jupyter this registers itself when glassnet is imported, so a ``Network`` in a cell's last line draws
itself and a ``StepTrace`` shows its seven steps. Both views render what the objects hold; the trace view
formats the trace's own numbers (see ``render.sections``).
"""

from __future__ import annotations

import html
from typing import Any

from glassnet.core.network import Network
from glassnet.core.trace import StepTrace

from .drawing import network_svg, trace_svg
from .render import sections

__all__ = ["network_svg", "register", "trace_html", "trace_svg"]


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
    """``%load_ext glassnet.explain.notebook``"""
    register(ipython)
