"""Reading CSV input for a command: the ``--sep``/``--decimal`` options, a progress bar for large files, and
the notes on what was detected or ignored (plain lines on stderr)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..io.data import Table

PROGRESS_FROM_BYTES = 20 << 20


def csv_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``sep`` and ``decimal`` keyword arguments of ``read_csv`` from a command's options."""
    return {"sep": getattr(args, "sep", None), "decimal": getattr(args, "decimal", None)}


def separator(text: str) -> str:
    """The ``--sep`` option: one character, or ``tab``/``\\t`` for a tab."""
    sep = "\t" if text in ("tab", "\\t") else text
    if len(sep) != 1 or sep in '"\r\n':
        raise argparse.ArgumentTypeError(f"expected one character such as ';' or 'tab'; received: {text!r}")
    return sep


@contextmanager
def reading_progress(console: Any = None) -> Iterator[Callable[[int, int], None]]:
    """An ``on_progress`` callback that draws a rich progress bar (on stderr, or ``console``) for files over
    20 MB, only on a terminal; the bar goes away when reading ends."""
    from .common import rich_console

    console = console or rich_console(stderr=True)
    if not console.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("reading"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task: list[Any] = []

    def on_progress(done: int, total: int) -> None:
        if total < PROGRESS_FROM_BYTES:
            return
        if not task:
            progress.start()
            task.append(progress.add_task("read", total=total))
        progress.update(task[0], completed=done)

    try:
        yield on_progress
    finally:
        if task:
            progress.stop()


def tell(table: Table, source: str) -> None:
    """Say on stderr, once, what was detected about a file's format and which columns were not read."""
    name = "standard input" if source == "-" else source
    if table.notes:
        print(f"note: read {name} as {' '.join(table.notes)}", file=sys.stderr)
    if table.ignored:
        shown = ", ".join(table.ignored[:10]) + (", ..." if len(table.ignored) > 10 else "")
        print(
            f"note: ignored {len(table.ignored)} column(s) of {name} the model does not use: {shown}",
            file=sys.stderr,
        )
