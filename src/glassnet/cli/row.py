"""``glassnet explain --model MODEL --data FILE.csv --row N``: one row through a saved model, in numbers."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from glassnet.core.errors import GlassnetError

from ..explain.rowexplain import TOP_K, explain_row, read_row, to_rich
from ..io.modelfile import load_model
from .common import rich_console, strict_json
from .reading import csv_options, reading_progress, tell

NETWORK_FLAGS = {
    "layers": "--layers",
    "activation": "--activation",
    "output_activation": "--output-activation",
    "loss": "--loss",
    "bias": "--bias",
    "freeze_biases": "--freeze-biases",
    "seed": "--seed",
    "input": "--input",
    "target": "--target",
    "markdown": "--markdown",
}
ROW_FLAGS = {
    "model": "--model",
    "data": "--data",
    "row": "--row",
    "top": "--top",
    "sep": "--sep",
    "decimal": "--decimal",
}


def wants_row(args: argparse.Namespace) -> bool:
    """Whether ``explain`` was given an option of the saved-model form; refuses those options without
    --model."""
    given = [flag for name, flag in ROW_FLAGS.items() if getattr(args, name, None) is not None]
    if given and args.model is None:
        raise GlassnetError(
            f"{', '.join(given)}: these explain a row through a saved model and need --model MODEL "
            "(with --data FILE.csv and --row N)"
        )
    return bool(given)


def explanation_from_args(args: argparse.Namespace, full_step: bool = False) -> dict[str, Any]:
    """Check the saved-model options, read the row and explain it (see ``rowexplain.explain_row``)."""
    conflicts = [
        flag for name, flag in NETWORK_FLAGS.items() if getattr(args, name, None) not in (None, False)
    ]
    if conflicts:
        raise GlassnetError(
            f"--model explains a saved model, whose network is fixed; it cannot be used with "
            f"{', '.join(conflicts)} (options of a new network's step)"
        )
    missing = [flag for flag in ("--data", "--row") if getattr(args, flag[2:]) is None]
    if missing:
        raise GlassnetError(
            f"--model needs {' and '.join(missing)}: e.g. --data file.csv --row 1 (rows count from 1, the "
            "first data row after the header)"
        )
    model = load_model(args.model)
    with reading_progress() as on_progress:
        found = read_row(model, args.data, args.row, on_progress=on_progress, **csv_options(args))
    tell(found.table, args.data)
    if found.note:
        print(f"note: {found.note}", file=sys.stderr)
    return explain_row(
        model,
        found.features,
        target=found.target,
        lr=args.lr,
        top_k=args.top or TOP_K,
        row=args.row,
        source=args.data,
        model_path=args.model,
        target_note=found.note,
        full_step=full_step,
    )


def cmd_explain_row(args: argparse.Namespace) -> int:
    """One row of a CSV file through a saved model: the rich view, or ``--json``."""
    explanation = explanation_from_args(args)
    if args.json:
        print(strict_json(explanation))
        return 0
    rich_console().print(to_rich(explanation))
    return 0
