"""The worked example and small networks explained: ``demo``, ``explain`` and ``gradcheck``."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from glassnet.core.examples import worked_example
from glassnet.core.gradcheck import gradient_check
from glassnet.core.network import Network
from glassnet.core.optimizers import SGD
from glassnet.core.trace import StepTrace
from glassnet.core.training import EpochInfo, fit

from ..explain import render
from ..explain.writeup import check_size
from .common import escape, rich_console

GRADCHECK_LIMIT = 1e-6


def _outputs_json(net: Network, x: np.ndarray, t: np.ndarray, updates: int) -> dict[str, Any]:
    """The loss, outputs and parameters after ``updates`` updates, as JSON-ready values."""
    out = net.predict(x)[0]
    result: dict[str, Any] = {"updates": updates, "E_total": net.loss(out[None, :], t)}
    result.update({f"out_o{k + 1}": float(v) for k, v in enumerate(out)})
    result["parameters"] = net.parameters()
    return result


def _train_with_progress(
    console: Any, net: Network, x: np.ndarray, t: np.ndarray, opt: SGD, **kwargs: Any
) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    epochs = kwargs["epochs"]  # the run's (one update per epoch): the first, explained, is one of them
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
        task = progress.add_task("train", total=epochs, loss="-", completed=kwargs["resume"].epoch)

        def on_epoch(info: EpochInfo) -> None:
            if info.epoch % 100 == 0 or info.epoch == epochs:
                progress.update(task, completed=info.epoch, loss=render.fmt(info.loss))

        result = fit(net, x, t, opt, on_epoch=on_epoch, shuffle=False, **kwargs)
        progress.update(task, completed=result.epochs, loss=render.fmt(result.loss))
    return result


def cmd_demo(args: argparse.Namespace) -> int:
    """The worked example's first step in full, then trained until converged (or ``--json``)."""
    net, x, t, lr = worked_example(update_biases=args.update_biases)
    if args.json:
        if args.iterations is None:
            print(render.to_json(net.traced_step(x, t, lr)))
        else:
            fit(net, x, t, SGD(lr), epochs=args.iterations, shuffle=False)
            print(json.dumps(_outputs_json(net, x, t, args.iterations), indent=2))
        return 0
    console = rich_console()
    variant = (
        "biases b1, b2 updated too" if args.update_biases else "biases frozen, as in the classic write-up"
    )
    console.rule(f"[bold]The worked example: a 2-2-2 sigmoid network, eta = {lr} ({variant})")
    opt, traces = SGD(lr), list[StepTrace]()
    first = fit(  # the run's first update, every number recorded
        net,
        x,
        t,
        opt,
        epochs=None,
        max_updates=1,
        shuffle=False,
        trace=lambda k: True,
        on_trace=traces.append,
    )
    console.print(render.to_rich(traces[0]))
    total = args.iterations if args.iterations is not None else args.max_updates
    if total > 1:
        kwargs: dict[str, Any] = {"epochs": total, "resume": first.state}  # one update per epoch
        if args.iterations is None:
            kwargs.update(loss_tol=args.loss_tol, weight_tol=args.weight_tol)
        result = _train_with_progress(console, net, x, t, opt, **kwargs)
        updates = result.updates
        last = result.history[-1]
        tol, wtol = args.loss_tol, args.weight_tol
        why = {
            "loss_tolerance": f"E_total was {render.fmt(last.loss)} <= tolerance {tol:g} "
            f"when update {updates:,} was computed",
            "weights_converged": f"every weight has converged: none moved more than {wtol:g} "
            f"in update {updates:,}",
            "diverged": result.message,
        }.get(result.reason, f"it made the {updates:,} updates asked for")
    else:
        updates, why = 1, "it made the 1 update asked for"
    summary = _outputs_json(net, x, t, updates)
    outputs = ", ".join(f"out_o{k + 1} = {render.fmt(summary[f'out_o{k + 1}'])}" for k in range(2))
    console.print(f"after {updates:,} updates: E_total = {render.fmt(summary['E_total'])}; {outputs}")
    console.print(f"stopped because {why}")
    return 0


# ---------------------------------------------------------------------------------------------- explain
def random_example(net: Network, rng: np.random.Generator, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """``batch`` random inputs in [0, 1) and targets that suit the network's loss and output activation."""
    x = rng.uniform(0.0, 1.0, size=(batch, net.sizes[0]))
    outputs = net.sizes[-1]
    if net.loss_fn.name == "categorical_crossentropy":
        t = np.eye(outputs)[rng.integers(0, outputs, size=batch)]
    elif net.loss_fn.name == "binary_crossentropy" or net.activations[-1].name == "sigmoid":
        t = rng.uniform(0.0, 1.0, size=(batch, outputs))
    else:
        t = rng.uniform(-1.0, 1.0, size=(batch, outputs))
    return x, t


def network_from_args(args: argparse.Namespace) -> Network:
    """The network the network options describe (see parser.add_network_options)."""
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
    """One training step of the network the options describe, every number shown; with ``--model``, one
    row of a CSV file through a saved model (``row.cmd_explain_row``)."""
    from .row import cmd_explain_row, wants_row

    if wants_row(args):
        return cmd_explain_row(args)
    for name, value in getattr(args, "network_defaults", {}).items():
        if getattr(args, name) is None:  # not given: the default
            setattr(args, name, value)
    if args.lr is None:
        args.lr = 0.5
    check_size(args.layers, args.bias)
    net = network_from_args(args)
    rng = np.random.default_rng(args.seed)
    x, t = random_example(net, rng, 1)
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
        console = rich_console()
        console.rule(f"[bold]One step of {escape(repr(net))}")
        console.print(render.to_rich(trace))
    return 0


# ---------------------------------------------------------------------------------------------- gradcheck
def cmd_gradcheck(args: argparse.Namespace) -> int:
    """Backpropagation against central differences; exit status 1 above ``GRADCHECK_LIMIT``."""
    net = network_from_args(args)
    x, t = random_example(net, np.random.default_rng(args.seed), args.batch)
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
