"""The ``glassnet`` command line.

Bad input never shows a traceback: the command prints one line starting ``error:`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

from glassnet.core.activations import ACTIVATIONS
from glassnet.core.errors import GlassnetError
from glassnet.core.examples import worked_example
from glassnet.core.gradcheck import gradient_check
from glassnet.core.losses import LOSSES
from glassnet.core.network import BIAS_MODES, Network
from glassnet.core.optimizers import SGD
from glassnet.core.training import EpochInfo, fit

from . import render

EXIT_BAD_INPUT = 2
GRADCHECK_LIMIT = 1e-6


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one ``error:`` line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _layers(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers >= 1, e.g. 3,4,2; received: {text!r}"
        ) from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected at least two comma-separated integers >= 1, e.g. 3,4,2; received: {text!r}"
        )
    return sizes


def _numbers(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers; received: {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected finite numbers; received: {text!r}")
    return values


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0; received: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0; received: {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; received: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1; received: {text!r}")
    return value


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


# ---------------------------------------------------------------------------------------------- demo
def _outputs_json(net: Network, x: np.ndarray, t: np.ndarray, updates: int) -> dict[str, Any]:
    out = net.predict(x)[0]
    result: dict[str, Any] = {"updates": updates, "E_total": net.loss(out[None, :], t)}
    result.update({f"out_o{k + 1}": float(v) for k, v in enumerate(out)})
    result["parameters"] = net.parameters()
    return result


def _train_with_progress(
    console: Any, net: Network, x: np.ndarray, t: np.ndarray, lr: float, **kwargs: Any
) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    epochs = kwargs["epochs"]
    until = [TimeRemainingColumn()] if "loss_tol" not in kwargs else [TextColumn("until converged")]
    with Progress(
        TextColumn("[bold]training[/bold]"),
        BarColumn(),
        TextColumn("update {task.completed:,.0f}/{task.total:,.0f}"),
        TextColumn("E = {task.fields[loss]}"),
        TimeElapsedColumn(),
        *until,
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("train", total=epochs, loss="-")

        def on_epoch(info: EpochInfo) -> None:
            if info.epoch % 100 == 0 or info.epoch == epochs:
                progress.update(task, completed=info.epoch, loss=render.fmt(info.loss))

        result = fit(net, x, t, SGD(lr), on_epoch=on_epoch, shuffle=False, **kwargs)
        progress.update(task, completed=result.epochs, loss=render.fmt(result.loss))
    return result


def cmd_demo(args: argparse.Namespace) -> int:
    net, x, t, lr = worked_example(update_biases=args.update_biases)
    if args.json:
        if args.iterations is None:
            print(render.to_json(net.traced_step(x, t, lr)))
        else:
            fit(net, x, t, SGD(lr), epochs=args.iterations, shuffle=False)
            print(json.dumps(_outputs_json(net, x, t, args.iterations), indent=2))
        return 0
    console = _console()
    variant = (
        "biases b1, b2 updated too" if args.update_biases else "biases frozen, as in the classic write-up"
    )
    console.rule(f"[bold]The worked example: a 2-2-2 sigmoid network, eta = {lr} ({variant})")
    trace = net.traced_step(x, t, lr)
    console.print(render.to_rich(trace))
    remaining = (args.iterations - 1) if args.iterations is not None else args.max_updates - 1
    if remaining > 0:
        kwargs: dict[str, Any] = {"epochs": remaining}
        if args.iterations is None:
            kwargs.update(loss_tol=args.loss_tol, weight_tol=args.weight_tol)
        result = _train_with_progress(console, net, x, t, lr, **kwargs)
        updates, why = result.epochs + 1, result.message
        if args.iterations is not None:
            why = f"completed the {args.iterations} updates asked for"
    else:
        updates, why = 1, "completed the 1 update asked for"
    summary = _outputs_json(net, x, t, updates)
    outputs = ", ".join(f"out_o{k + 1} = {render.fmt(summary[f'out_o{k + 1}'])}" for k in range(2))
    console.print(f"after {updates:,} updates: E_total = {render.fmt(summary['E_total'])}; {outputs}")
    console.print(f"stopped because {why}")
    return 0


# ---------------------------------------------------------------------------------------------- explain
def _random_example(net: Network, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(0.0, 1.0, size=(batch, net.sizes[0]))
    outputs = net.sizes[-1]
    if net.loss_fn.name == "categorical_crossentropy":
        t = np.eye(outputs)[rng.integers(0, outputs, size=batch)]
    elif net.loss_fn.name == "binary_crossentropy" or net.activations[-1].name == "sigmoid":
        t = rng.uniform(0.0, 1.0, size=(batch, outputs))
    else:
        t = rng.uniform(-1.0, 1.0, size=(batch, outputs))
    return x, t


def _network_from_args(args: argparse.Namespace) -> Network:
    return Network(
        args.layers,
        activation=args.activation,
        output_activation=args.output_activation,
        loss=args.loss,
        bias=args.bias,
        train_biases=not args.freeze_biases,
        seed=args.seed,
    )


def cmd_explain(args: argparse.Namespace) -> int:
    net = _network_from_args(args)
    rng = np.random.default_rng(args.seed)
    x, t = _random_example(net, rng, 1)
    if args.input is not None:
        x = net.as_inputs(args.input)
    if args.target is not None:
        t = net.as_targets(args.target)
    trace = net.traced_step(x, t, args.lr)
    if args.json:
        print(render.to_json(trace))
    elif args.markdown:
        print(render.to_markdown(trace))
    else:
        console = _console()
        console.rule(f"[bold]One step of {escape(repr(net))}")
        console.print(render.to_rich(trace))
    return 0


# ---------------------------------------------------------------------------------------------- gradcheck
def cmd_gradcheck(args: argparse.Namespace) -> int:
    net = _network_from_args(args)
    x, t = _random_example(net, np.random.default_rng(args.seed), args.batch)
    report = gradient_check(net, x, t)
    worst = report.worst
    kinks = sum(e.at_kink for e in report.entries)
    print(
        f"largest relative error {report.max_relative_error:.3e} over {len(report.entries)} parameters "
        f"(at {worst.name}: backprop {worst.analytic:.12g}, finite differences {worst.numeric:.12g})"
        + (f"; {kinks} at a ReLU kink left out" if kinks else "")
    )
    if report.max_relative_error > GRADCHECK_LIMIT:
        print(f"FAILED: above the limit {GRADCHECK_LIMIT:g}")
        return 1
    print(f"ok: within {GRADCHECK_LIMIT:g}")
    return 0


# ---------------------------------------------------------------------------------------------- parser
def _add_network_options(p: argparse.ArgumentParser, layers: str) -> None:
    p.add_argument(
        "--layers", type=_layers, default=_layers(layers), help=f"sizes, inputs first (default {layers})"
    )
    p.add_argument("--activation", choices=list(ACTIVATIONS), default="sigmoid", help="hidden activation")
    p.add_argument("--output-activation", choices=list(ACTIVATIONS), default=None)
    p.add_argument("--loss", choices=list(LOSSES), default="half_sse")
    p.add_argument("--bias", choices=BIAS_MODES, default="per_neuron")
    p.add_argument("--freeze-biases", action="store_true", help="do not update the biases")
    p.add_argument("--seed", type=int, default=0)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="glassnet", description="A glass-box neural network: see every number of every step."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="the worked example, step by step, then trained to convergence")
    demo.add_argument("--json", action="store_true", help="print the first step's full trace as JSON")
    demo.add_argument("--iterations", type=_count, default=None, help="make exactly N updates")
    demo.add_argument("--update-biases", action="store_true", help="update the shared biases b1 and b2 too")
    demo.add_argument("--loss-tol", type=_positive, default=1e-5, help="stop when E <= this (default 1e-5)")
    demo.add_argument(
        "--weight-tol",
        type=_positive,
        default=1e-9,
        help="stop when no weight moves more than this in an update (default 1e-9)",
    )
    demo.add_argument("--max-updates", type=_count, default=1_000_000)
    demo.set_defaults(func=cmd_demo)

    explain = sub.add_parser("explain", help="one training step of any small network, explained")
    _add_network_options(explain, "2,2,2")
    explain.add_argument("--input", type=_numbers, default=None, help="comma-separated input values")
    explain.add_argument("--target", type=_numbers, default=None, help="comma-separated target values")
    explain.add_argument("--lr", type=_positive, default=0.5, help="learning rate (default 0.5)")
    form = explain.add_mutually_exclusive_group()
    form.add_argument("--markdown", action="store_true")
    form.add_argument("--json", action="store_true")
    explain.set_defaults(func=cmd_explain)

    grad = sub.add_parser("gradcheck", help="backpropagation against central differences, every parameter")
    _add_network_options(grad, "3,4,2")
    grad.add_argument("--batch", type=_count, default=4, help="examples in the checked batch (default 4)")
    grad.set_defaults(func=cmd_gradcheck)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except GlassnetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
