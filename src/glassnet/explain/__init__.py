"""What a person reads, computed from what the core returned: the formulas of a step (``formulas``), its
rendering for the terminal and HTML (``render``), write-ups (``writeup``), one row's explanation
(``rowexplain``), where a network's neurons go and its pictures (``layout``, ``drawing``), training plots
(``plots``, the ``plot`` extra) and the notebook view (``notebook``). None of them recomputes the maths.

The names below are loaded from their module on first use.
"""

from importlib import import_module
from typing import Any

PUBLIC = {
    "to_rich": "render",
    "to_markdown": "render",
    "to_json": "render",
    "writeup_html": "writeup",
    "Writeup": "writeup",
    "explain_row": "rowexplain",
    "network_svg": "drawing",
    "trace_svg": "drawing",
    "plot_training": "plots",
}
__all__ = list(PUBLIC)


def __dir__() -> list[str]:
    return sorted({*globals(), *PUBLIC})  # the names loaded on first use too (help, dir, completion)


def __getattr__(name: str) -> Any:
    if name in PUBLIC:
        return getattr(import_module(f"{__name__}.{PUBLIC[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
