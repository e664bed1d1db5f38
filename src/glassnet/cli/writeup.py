"""``glassnet writeup``: one training step as a document (HTML with MathML, or PDF), an exercise with its
answer key, or a class set of exercise variants."""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.core.errors import GlassnetError
from glassnet.core.examples import worked_example

from ..explain import writeup
from ..io.files import atomic_write
from .common import check_save_path
from .example import network_from_args, random_example
from .parser import NETWORK_DEFAULTS
from .row import explanation_from_args, wants_row

SUFFIXES = (".html", ".htm", ".pdf")
MAX_STUDENTS = 500  # a class set; more is surely a slip
PDF_BATCH = 20  # documents printed per browser start, so a class set is written as it goes


def _outputs(path: str, students: int | None, exercise: bool) -> list[tuple[Path, Path | None]]:
    """(document, answer key) paths: FILE, or FILE and FILE-key, or FILE-1 and FILE-1-key ... FILE-N."""
    target = Path(path)
    stem, suffix = target.with_suffix(""), target.suffix
    if students is not None:
        return [
            (Path(f"{stem}-{k}{suffix}"), Path(f"{stem}-{k}-key{suffix}")) for k in range(1, students + 1)
        ]
    return [(target, Path(f"{stem}-key{suffix}") if exercise else None)]


def cmd_writeup(args: argparse.Namespace) -> int:
    """Write the step as a document; see the module docstring."""
    path = args.output
    if Path(path).suffix.lower() not in SUFFIXES:
        raise GlassnetError(f"cannot write {path!r}: expected a file name ending in .html or .pdf")
    exercise = args.exercise or args.students is not None or args.blank is not None
    if args.students is not None and args.students > MAX_STUDENTS:
        raise GlassnetError(f"--students {args.students}: at most {MAX_STUDENTS} variants in one run")
    if args.students is not None and (args.input is not None or args.target is not None):
        raise GlassnetError(
            "--students draws each student's own inputs and targets: leave out --input and --target"
        )
    if wants_row(args):
        if exercise:
            raise GlassnetError(
                "--exercise, --blank and --students write exercises on a new network; --model explains a "
                "saved model's row: use one or the other"
            )
        check_save_path(path, [args.model, args.data])
        page = writeup.row_writeup_html(explanation_from_args(args, full_step=True))
        if Path(path).suffix.lower() == ".pdf":
            writeup.write_pdf(page, path, args.paper)
        else:
            atomic_write(path, page.encode())
        print(f"wrote {path}")
        return 0
    outputs = _outputs(path, args.students, exercise)
    for doc, key in outputs:
        check_save_path(str(doc))
        if key is not None:
            check_save_path(str(key))

    given = [name for name in NETWORK_DEFAULTS if getattr(args, name) not in (None, False)]
    worked = not given and args.input is None and args.target is None and args.lr is None
    for name, default in NETWORK_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    x: Any
    t: Any
    if worked and args.students is None:
        if args.seed:
            print(
                "note: the worked example has given weights and example, so --seed changes nothing "
                "(it draws a network's weights when a network option is given, or --students' variants)",
                file=sys.stderr,
            )
        net, x, t, lr = worked_example()
        title = "Backpropagation, step by step: the classic worked example"
        note = writeup.CLASSIC_NOTE
    else:
        if worked:  # a class set of the worked example's network, each with its own numbers
            net, _, _, lr = worked_example()
        else:
            writeup.check_size(args.layers, args.bias)
            net = network_from_args(args)
            lr = 0.5 if args.lr is None else args.lr
        x, t = random_example(net, np.random.default_rng(args.seed), 1)
        if args.input is not None:
            x = net.as_inputs(args.input)
        if args.target is not None:
            t = net.as_targets(args.target)
        if not worked and args.students is None:
            given_values = "the given" if args.input is not None else "a random"
            print(
                f"note: a {'-'.join(map(str, net.sizes))} network with random weights (seed {args.seed}) "
                f"and {given_values} example; with no network option: the classic worked example",
                file=sys.stderr,
            )
        title, note = "", ""
    rng = np.random.default_rng(args.seed)
    pdf = Path(path).suffix.lower() == ".pdf"
    documents: list[tuple[str, Path]] = []
    said: list[str] = []

    def flush() -> None:
        """Write the documents made so far (HTML one by one, PDFs with one browser per batch), then say so."""
        if pdf:
            writeup.write_pdfs([(page, str(target)) for page, target in documents], args.paper)
        else:
            for page, target in documents:
                atomic_write(target, page.encode())
        for line in said:
            print(line)
        documents.clear()
        said.clear()

    for k, (doc, key) in enumerate(outputs, start=1):
        if args.students is not None:
            net, x_row, t_row = writeup.exercise_variant(net, rng, lr)
            x, t = np.array([x_row]), np.array([t_row])
        trace = copy.deepcopy(net).traced_step(x, t, lr)  # the network keeps its starting weights
        if not exercise:
            documents.append((writeup.writeup_html(trace, title=title, note=note), doc))
        else:
            what = args.blank if args.blank is not None else writeup.default_blanks(trace)
            try:
                keys = writeup.blank_keys(trace, what)
            except ValueError as exc:
                raise GlassnetError(str(exc)) from None
            blanks = {name: n for n, name in enumerate(keys, start=1)}
            student = f", student {k} of {args.students}" if args.students is not None else ""
            for target, is_key in ((doc, False), (key, True)):
                assert target is not None
                heading = (
                    "Exercise: one step of backpropagation" + student + (" (answer key)" if is_key else "")
                )
                page = writeup.writeup_html(
                    trace, title=heading, exercise=writeup.Exercise(blanks, key=is_key)
                )
                documents.append((page, target))
        said.append(f"wrote {doc}" + (f" and its answer key {key}" if key is not None else ""))
        if len(documents) >= (PDF_BATCH if pdf else 1):
            flush()
    flush()
    return 0
