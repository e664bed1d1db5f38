"""The ``glassnet`` command line.

Bad input never shows a traceback: the command prints one line starting ``error:`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import signal
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from glassnet.core.activations import ACTIVATIONS
from glassnet.core.errors import GlassnetError
from glassnet.core.examples import worked_example
from glassnet.core.gradcheck import gradient_check
from glassnet.core.losses import LOSSES
from glassnet.core.metrics import classification_report, regression_report
from glassnet.core.model import Checkpoint, Model
from glassnet.core.model import train as train_model
from glassnet.core.network import BIAS_MODES, Network
from glassnet.core.optimizers import SCHEDULES, SGD
from glassnet.core.training import EpochInfo, TrainingWarning, fit

from . import render
from .checkpoint import load_checkpoint, save_checkpoint
from .data import DATASETS, Table, read_csv, select_features, target_values
from .data import load as load_dataset
from .modelfile import load_model, save_model
from .plots import plot_training

EXIT_BAD_INPUT = 2
GRADCHECK_LIMIT = 1e-6


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one ``error:`` line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parsed(convert: Callable[[str], Any], ok: Callable[[Any], bool], expected: str) -> Callable[[str], Any]:
    """An argparse ``type``: ``convert`` the text, check it with ``ok``, or say what was expected."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}; received: {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}; received: {text!r}")
        return value

    return parse


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",")]


_layers = _parsed(
    _ints, lambda v: len(v) >= 2 and min(v) >= 1, "at least two comma-separated integers >= 1, e.g. 3,4,2"
)
_hidden_layers = _parsed(_ints, lambda v: min(v) >= 1, "comma-separated integers >= 1, e.g. 256,128")
_numbers = _parsed(_floats, lambda v: all(math.isfinite(x) for x in v), "comma-separated finite numbers")
_positive = _parsed(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
_non_negative = _parsed(float, lambda v: math.isfinite(v) and v >= 0, "a finite number >= 0")
_rate = _parsed(float, lambda v: 0.0 <= v < 1.0, "a number in [0, 1)")
_count = _parsed(int, lambda v: v >= 1, "an integer >= 1")
_port = _parsed(int, lambda v: 1 <= v <= 65535, "a port number 1-65535")


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(highlight=False, stderr=stderr)


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
        updates = result.epochs + 1  # the explained first step, then one update per epoch
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


# ---------------------------------------------------------------------------------------------- train
def _train_progress(console: Any, epochs: int, batches: int) -> tuple[Any, Any, Any]:
    """A rich progress bar over all batches of all epochs; returns (progress, on_batch, on_epoch)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("epoch {task.fields[epoch]}/" + str(epochs)),
        TextColumn("batch {task.fields[batch]}/" + str(batches)),
        BarColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("val loss {task.fields[val_loss]}"),
        TextColumn("acc {task.fields[acc]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,  # on success a summary follows; on failure only the error line stays
        disable=not console.is_terminal,
    )
    task = progress.add_task(
        "train", total=epochs * batches, epoch=1, batch=0, loss="-", val_loss="-", acc="-"
    )

    def on_batch(epoch: int, batch: int, loss: float) -> None:
        if batch % 8 == 0 or batch == batches:
            progress.update(
                task, completed=(epoch - 1) * batches + batch, epoch=epoch, batch=batch, loss=f"{loss:.4f}"
            )

    def on_epoch(info: EpochInfo) -> None:
        acc = info.val_accuracy if info.val_accuracy is not None else info.accuracy
        progress.update(
            task,
            completed=info.epoch * batches,
            loss=f"{info.loss:.4f}",
            val_loss="-" if info.val_loss is None else f"{info.val_loss:.4f}",
            acc="-" if acc is None else f"{acc:.2%}",
        )

    return progress, on_batch, on_epoch


def _check_save_path(path: str | None, inputs: Sequence[str | None] = ()) -> None:
    """Refuse, before any work, a save that could not happen or would overwrite one of the inputs."""
    if path is None:
        return
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise GlassnetError(f"cannot save to {path!r}: folder {str(folder)!r} does not exist")
    if target.is_dir():
        raise GlassnetError(f"cannot save to {path!r}: it is a folder; expected a file name")
    for other in inputs:
        if other is not None and Path(other).exists() and target.exists() and target.samefile(other):
            raise GlassnetError(f"cannot save to {path!r}: it is also an input of this command ({other!r})")
        if other is not None and target.resolve() == Path(other).resolve():
            raise GlassnetError(f"cannot save to {path!r}: another output of this command goes there too")
    try:  # a folder we cannot write to fails here, not after the whole training run
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".glassnet-probe-", delete=True)
        probe.close()
    except OSError as exc:
        raise GlassnetError(f"cannot save to {path!r}: {exc.strerror or exc}") from None


def _report(model: Model, table: Table, source: str) -> dict[str, Any]:
    """Scores of ``model`` on a table whose target column is present."""
    X = select_features(table, model.feature_names, source)
    if model.task == "classification":
        assert model.classes is not None
        true = model.encode_targets(table.y).argmax(axis=1)
        pred = model.outputs(X).argmax(axis=1)
        return classification_report(true, pred, list(model.classes))
    values = target_values(table.y, "regression")
    return regression_report(values, np.asarray(model.predict(X), dtype=np.float64).reshape(values.shape))


SETTING_CHECKS: dict[str, Callable[[Any], bool]] = {
    "data": lambda v: isinstance(v, str) and bool(v),
    "target": lambda v: v is None or isinstance(v, str),
    "test": lambda v: v is None or isinstance(v, str),
    "task": lambda v: v in ("auto", "classification", "regression"),
    "layers": lambda v: isinstance(v, list) and bool(v) and all(isinstance(k, int) and k >= 1 for k in v),
    "activation": lambda v: v in ACTIVATIONS,
    "optimizer": lambda v: v in ("sgd", "momentum", "nesterov", "adam"),
    "lr": lambda v: v is None or (isinstance(v, (int, float)) and math.isfinite(v) and v > 0),
    "batch_size": lambda v: isinstance(v, int) and v >= 1,
    "epochs": lambda v: isinstance(v, int) and v >= 1,
    "dropout": lambda v: isinstance(v, (int, float)) and 0 <= v < 1,
    "weight_decay": lambda v: isinstance(v, (int, float)) and math.isfinite(v) and v >= 0,
    "schedule": lambda v: v in SCHEDULES,
    "validation_split": lambda v: isinstance(v, (int, float)) and 0 <= v < 1,
    "patience": lambda v: v is None or (isinstance(v, int) and v >= 1),
    "dtype": lambda v: v in ("float32", "float64"),
    "seed": lambda v: isinstance(v, int) and not isinstance(v, bool),
}
TRAINING_SETTINGS = tuple(SETTING_CHECKS)


def _resume_settings(args: argparse.Namespace) -> Checkpoint | None:
    """With --resume, load the checkpoint and take its settings; options given on this command line must
    agree with them."""
    if args.resume is None:
        if args.data is None:
            raise GlassnetError("train needs DATA: a CSV file or a dataset name (or --resume DIR)")
        return None
    checkpoint, saved = load_checkpoint(args.resume)
    bad = [key for key, ok in SETTING_CHECKS.items() if not ok(saved.get(key))]
    if bad:
        raise GlassnetError(
            f"the checkpoint in {args.resume!r} holds unusable settings: "
            + ", ".join(f"{key}={saved.get(key)!r}" for key in bad)
        )
    defaults = build_parser().parse_args(["train"])
    given = {key for key in TRAINING_SETTINGS if getattr(args, key) != getattr(defaults, key)}
    differ = [key for key in sorted(given) if getattr(args, key) != saved[key]]
    if differ:
        said = ", ".join(f"{key}={getattr(args, key)!r} (checkpoint: {saved[key]!r})" for key in differ)
        raise GlassnetError(
            f"this command's settings differ from the checkpoint's: {said}; "
            f"run 'glassnet train --resume {args.resume}' to continue with the checkpoint's settings"
        )
    for key in TRAINING_SETTINGS:
        setattr(args, key, saved[key])
    if args.checkpoint is None:
        args.checkpoint = args.resume
    return checkpoint


class _StopOnSignal:
    """SIGINT and SIGTERM ask training to stop at the next batch boundary (a second one stops at once)."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __enter__(self) -> _StopOnSignal:
        self.previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signal is not None:
            raise KeyboardInterrupt
        self.signal = signum

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def __call__(self) -> bool:
        return self.signal is not None


def cmd_train(args: argparse.Namespace) -> int:
    resume = _resume_settings(args)
    _check_save_path(args.save, [args.data, args.test])
    _check_save_path(args.plot, [args.data, args.test, args.save])
    if args.checkpoint is not None and any(
        p is not None and Path(p).resolve() == Path(args.checkpoint).resolve() for p in (args.data, args.test)
    ):
        raise GlassnetError(f"--checkpoint {args.checkpoint!r} is an input of this command; choose a folder")
    if args.checkpoint is not None and Path(args.checkpoint).exists() and not Path(args.checkpoint).is_dir():
        raise GlassnetError(f"--checkpoint {args.checkpoint!r} is a file; expected a folder")
    dataset = load_dataset(args.data, target=args.target, test=args.test, task=args.task, seed=args.seed)
    train_part = dataset.train
    if dataset.task == "classification" and dataset.test is not None:  # before training, not after it
        unseen = sorted({str(v) for v in dataset.test.y} - {str(v) for v in train_part.y})
        if unseen:
            raise GlassnetError(f"the test data has labels never seen in training: {', '.join(unseen[:10])}")
    n_train = len(train_part.y) - round(len(train_part.y) * args.validation_split)
    batches = max(1, -(-n_train // args.batch_size))
    console = _console(stderr=True)
    progress, on_batch, on_epoch = _train_progress(console, args.epochs, batches)
    settings = {key: getattr(args, key) for key in TRAINING_SETTINGS}
    started = time.perf_counter()
    with _StopOnSignal() as stop:  # until the command ends: a late signal never cuts a save short
        return _train_and_report(args, dataset, progress, on_batch, on_epoch, settings, resume, stop, started)


def _train_and_report(
    args: argparse.Namespace,
    dataset: Any,
    progress: Any,
    on_batch: Any,
    on_epoch: Any,
    settings: dict[str, Any],
    resume: Checkpoint | None,
    stop: _StopOnSignal,
    started: float,
) -> int:
    train_part = dataset.train
    folder = args.checkpoint

    def on_checkpoint(checkpoint: Checkpoint) -> None:
        save_checkpoint(folder, checkpoint, settings)

    with progress, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrainingWarning)
        model, result = train_model(
            train_part.X,
            train_part.y,
            task=dataset.task,
            feature_names=train_part.feature_names,
            target_name=train_part.target_name,
            layers=args.layers,
            activation=args.activation,
            optimizer=args.optimizer,
            lr=args.lr,
            batch_size=args.batch_size,
            epochs=args.epochs,
            dropout=args.dropout,
            weight_decay=args.weight_decay,
            schedule=args.schedule,
            validation_split=args.validation_split,
            patience=args.patience,
            dtype=args.dtype,
            seed=args.seed,
            on_batch=on_batch,
            on_epoch=on_epoch,
            resume=resume,
            on_checkpoint=on_checkpoint if folder is not None else None,
            stop_requested=stop,
        )
    for note in caught:
        if issubclass(note.category, TrainingWarning):
            print(f"warning: {note.message}", file=sys.stderr)
        else:
            warnings.showwarning(note.message, note.category, note.filename, note.lineno)
    if result.reason == "interrupted":
        name = "SIGTERM" if stop.signal == signal.SIGTERM else "SIGINT"
        assert result.state is not None
        where = f"epoch {result.state.epoch + (1 if result.state.batch else 0)}, batch {result.state.batch}"
        if folder is None:
            hint = "train with --checkpoint DIR to be able to resume"
            print(f"error: stopped by {name} in {where}; nothing was saved ({hint})", file=sys.stderr)
        else:
            resume_with = f"glassnet train --resume {folder}"
            print(
                f"stopped by {name} in {where}; checkpoint saved in {folder}; resume with: {resume_with}",
                file=sys.stderr,
            )
        return 128 + (stop.signal or signal.SIGINT)
    seconds = time.perf_counter() - started
    if result.reason == "diverged":
        raise GlassnetError(result.message + "; no model file was written")
    summary: dict[str, Any] = {
        "dataset": dataset.name,
        "task": dataset.task,
        "epochs": result.epochs,
        "stopped": result.reason,
        "message": result.message,
        "train_seconds": round(seconds, 3),
        "parameters": _count_params(model),
        "warnings": result.warnings,
    }
    test_report = None
    if dataset.test is not None:
        test_report = _report(model, dataset.test, args.test or args.data)
        if dataset.task == "classification":
            summary["test_accuracy"] = test_report["accuracy"]
        else:
            summary["test_r2"] = test_report["r2"]
            summary["test_mse"] = test_report["mse"]
    if args.save is not None:
        save_model(model, args.save)
        summary["model"] = args.save
    if args.plot is not None:
        points = dataset.test or train_part
        plot_training(
            model,
            args.plot,
            points.X if points.X.shape[1] == 2 else None,
            points.y,
            test_report.get("confusion_matrix") if test_report else None,
        )
        summary["plot"] = args.plot
    summary["history"] = model.history
    if args.json:
        print(_json(summary))
        return 0
    out = _console()
    out.print(f"stopped: {result.message} ({seconds:.1f} s)")
    last = model.history[-1]
    line = f"final epoch: loss {last['loss']:.4f}"
    if "val_loss" in last:
        line += f", validation loss {last['val_loss']:.4f}"
    if "val_accuracy" in last:
        line += f", validation accuracy {last['val_accuracy']:.2%}"
    out.print(line)
    if "test_accuracy" in summary:
        examples = len(dataset.test.y) if dataset.test is not None else 0
        out.print(f"test accuracy: {summary['test_accuracy']:.2%} on {examples:,} examples")
    elif "test_r2" in summary:
        out.print(f"test R^2: {summary['test_r2']:.4f}, MSE {summary['test_mse']:.6g}")
    if args.save is not None:
        out.print(f"model saved to {args.save}")
    return 0


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: such values become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _json(value: Any) -> str:
    """One line of strict JSON."""
    return json.dumps(_finite(value), allow_nan=False)


def _count_params(model: Model) -> int:
    return sum(layer.W.size + (0 if layer.b is None else layer.b.size) for layer in model.network.layers)


def _evaluation_table(model: Model, data: str, target: str | None) -> Table:
    if data in DATASETS:  # the test split the model was trained beside (it depends on the seed)
        seed = model.settings.get("seed", 0)
        dataset = load_dataset(data, seed=seed if isinstance(seed, int) else 0)
        assert dataset.test is not None
        return dataset.test
    return read_csv(data, target or model.target_name)


def cmd_evaluate(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    table = _evaluation_table(model, args.data, args.target)
    report = _report(model, table, args.data)
    report = {"task": model.task, "examples": len(table.y), **report}
    if args.json:
        print(_json(report))
        return 0
    from rich.table import Table as RichTable

    console = _console()
    if model.task == "regression":
        console.print(
            f"{len(table.y):,} examples: MSE {report['mse']:.6g}, MAE {report['mae']:.6g}, "
            f"R^2 {report['r2']:.4f}"
        )
        return 0
    console.print(f"accuracy {report['accuracy']:.2%} on {len(table.y):,} examples")
    per_class = RichTable("class", "precision", "recall", "F1", "support")
    for row in report["per_class"]:
        per_class.add_row(
            escape(str(row["label"])),
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['f1']:.3f}",
            str(row["support"]),
        )
    console.print(per_class)
    labels = [escape(str(c)) for c in report["labels"]]
    matrix = RichTable("true \\ predicted", *labels, title="confusion matrix")
    for label, row in zip(labels, report["confusion_matrix"], strict=True):
        matrix.add_row(label, *(str(v) for v in row))
    console.print(matrix)
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    if args.data in DATASETS:
        table = _evaluation_table(model, args.data, None)
    else:
        table = read_csv(args.data, model.target_name, require_target=False)
    X = select_features(table, model.feature_names, args.data)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    if args.proba:
        if model.task != "classification":
            raise GlassnetError("--proba needs a classifier; this model is a regressor")
        assert model.classes is not None
        writer.writerow([str(c) for c in model.classes])
        writer.writerows([[repr(float(v)) for v in row] for row in model.predict_proba(X)])
    else:
        writer.writerow([model.target_name])
        writer.writerows([[v if isinstance(v, str) else repr(v)] for v in model.predict(X).tolist()])
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .onnx_export import export_onnx

    model = load_model(args.model)
    _check_save_path(args.onnx, [args.model])
    export_onnx(model, args.onnx)
    print(f"wrote {args.onnx}: inputs 'features' (batch, {len(model.feature_names)}) float32")
    return 0


def cmd_explore(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from .web.app import create_app
    except ImportError:
        raise GlassnetError("the explorer needs FastAPI and uvicorn: pip install 'glassnet[web]'") from None
    import socket

    try:  # uvicorn exits on its own when it cannot listen; find out first, and say so in one line
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((args.host, args.port))
    except OSError as exc:
        raise GlassnetError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    url = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/"
    print(f"glassnet explorer on {url} (Ctrl-C to stop)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: listening on {args.host}, so other machines can reach it; the default is 127.0.0.1")
    if not args.no_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")
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

    train = sub.add_parser("train", help="train a model on a CSV file or a named dataset")
    train.add_argument("data", nargs="?", help=f"a CSV file or one of: {', '.join(DATASETS)}")
    train.add_argument("--target", default=None, help="the target column (default: the last)")
    train.add_argument("--test", default=None, help="a test CSV with the same columns")
    train.add_argument("--task", choices=["auto", "classification", "regression"], default="auto")
    train.add_argument("--layers", type=_hidden_layers, default=[64], help="hidden layer sizes, e.g. 256,128")
    train.add_argument("--activation", choices=list(ACTIVATIONS), default="relu")
    train.add_argument("--optimizer", choices=["sgd", "momentum", "nesterov", "adam"], default="adam")
    train.add_argument(
        "--lr", type=_positive, default=None, help="learning rate (default 1e-3 for adam, else 0.01)"
    )
    train.add_argument("--batch-size", type=_count, default=32)
    train.add_argument("--epochs", type=_count, default=50)
    train.add_argument("--dropout", type=_rate, default=0.0)
    train.add_argument("--weight-decay", type=_non_negative, default=0.0, help="L2 penalty on the weights")
    train.add_argument("--schedule", choices=list(SCHEDULES), default="constant")
    train.add_argument("--validation-split", type=_rate, default=0.1)
    train.add_argument("--patience", type=_count, default=None, help="early stopping after N epochs")
    train.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--save", default=None, metavar="MODEL", help="save the model (.safetensors)")
    train.add_argument("--plot", default=None, metavar="PNG", help="save training plots")
    train.add_argument("--json", action="store_true", help="print one JSON object at the end")
    train.add_argument(
        "--checkpoint", default=None, metavar="DIR", help="save a checkpoint in DIR every epoch and on Ctrl-C"
    )
    train.add_argument("--resume", default=None, metavar="DIR", help="continue the run checkpointed in DIR")
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="score a saved model on labelled data")
    evaluate.add_argument("model")
    evaluate.add_argument("data")
    evaluate.add_argument("--target", default=None, help="the target column (default: the model's)")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(func=cmd_evaluate)

    predict = sub.add_parser("predict", help="predictions of a saved model as CSV on stdout")
    predict.add_argument("model")
    predict.add_argument("data")
    predict.add_argument("--proba", action="store_true", help="class probabilities, one column per class")
    predict.set_defaults(func=cmd_predict)

    export = sub.add_parser("export", help="export a saved model to ONNX")
    export.add_argument("model")
    export.add_argument("--onnx", required=True, metavar="OUT.onnx", help="where to write the ONNX file")
    export.set_defaults(func=cmd_export)

    explore = sub.add_parser("explore", help="a local web page to step through training")
    explore.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    explore.add_argument("--port", type=_port, default=8000)
    explore.add_argument("--no-browser", action="store_true", help="do not open a browser")
    explore.set_defaults(func=cmd_explore)
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
