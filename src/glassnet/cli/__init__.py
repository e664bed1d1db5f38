"""The ``glassnet`` command line.

Bad input never shows a traceback: the command prints one line starting ``error:`` and exits with status 2.
A command given ``--threads N`` runs with NumPy's BLAS held to N threads (the explorer: for as long as it
serves), and the count it had is restored when the command ends.

``parser`` holds every command's options; each group of commands has its module: ``example`` (demo, explain,
gradcheck), ``writeup`` (a step as a document), ``row`` (explain --model: one CSV row through a saved model),
``train`` (with ``settings`` of a checkpoint and ``signals``), ``saved`` (evaluate, predict, export) and
``explore``; ``common`` is what they share.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from glassnet.core import blas
from glassnet.core.errors import GlassnetError

from .example import cmd_demo, cmd_explain, cmd_gradcheck
from .explore import cmd_explore
from .parser import EXIT_BAD_INPUT, build_parser
from .saved import cmd_evaluate, cmd_export, cmd_predict
from .train import cmd_train
from .writeup import cmd_writeup

EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE, the status of a shell tool whose reader went away

__all__ = ["COMMANDS", "EXIT_BAD_INPUT", "build_parser", "main"]

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": cmd_demo,
    "explain": cmd_explain,
    "gradcheck": cmd_gradcheck,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "predict": cmd_predict,
    "export": cmd_export,
    "explore": cmd_explore,
    "writeup": cmd_writeup,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        with blas.threads(getattr(args, "threads", None)):  # export computes nothing: it has no --threads
            return COMMANDS[args.command](args)
    except GlassnetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`glassnet predict ... | head`): stop quietly, as a command killed by
        # SIGPIPE does, and point stdout at /dev/null so that Python's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
