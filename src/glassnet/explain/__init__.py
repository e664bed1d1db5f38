"""What a person reads, computed from what the core returned: the formulas of a step (``formulas``), its
rendering for the terminal and HTML (``render``), write-ups (``writeup``), one row's explanation
(``rowexplain``), where a network's neurons go and its pictures (``layout``, ``drawing``), training plots
(``plots``, the ``plot`` extra) and the notebook view (``notebook``). None of them recomputes the maths.

The names below are loaded from their module on first use.
"""

from glassnet.lazy import exports

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


__getattr__, __dir__ = exports(globals(), {name: f"{__name__}.{module}" for name, module in PUBLIC.items()})
