"""``glassnet train``: a model from a CSV file or a named dataset, with checkpoints and ``--resume``.

SIGINT and SIGTERM stop training at the next batch boundary; with ``--checkpoint DIR`` the run can go on
later.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glassnet.core.errors import GlassnetError
from glassnet.core.model import Model, TrainingCheckpoint
from glassnet.core.model import train as train_model
from glassnet.core.training import EpochInfo, TrainingState, TrainingWarning

from ..explain.plots import check_plot, plot_training
from ..io.checkpoint import load_checkpoint, save_checkpoint
from ..io.data import DATASETS, MAX_CLASSES_FOR_NUMBERS, Dataset, Table, select_features
from ..io.data import load as load_dataset
from ..io.modelfile import load_model, save_model
from .common import (
    check_model_path,
    check_save_path,
    classification_summary,
    escape,
    rich_console,
    scores,
    strict_json,
)
from .parser import build_parser
from .reading import csv_options, reading_progress, tell
from .settings import OUTPUT_SETTINGS, TRAINING_SETTINGS, saved_setting, unusable_settings
from .signals import StopOnSignal


def train_progress(console: Any, epochs: int, batches: int, regression: bool = False) -> tuple[Any, Any, Any]:
    """A rich progress bar over all batches of all epochs; returns (progress, on_batch, on_epoch).

    A regression's loss is the MSE of the standardized target ("std mse"), and it has no accuracy.

    It fits the console's width: the bar takes what the numbers leave, and below about 90 columns the
    elapsed time gives way to the time remaining."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.table import Column

    def text(template: str, width: int) -> TextColumn:
        return TextColumn(template, table_column=Column(no_wrap=True, min_width=width))

    columns = [
        text("epoch {task.fields[epoch]}/" + str(epochs), len(f"epoch {epochs}/{epochs}")),
        text("batch {task.fields[batch]}/" + str(batches), len(f"batch {batches}/{batches}")),
        text(("std mse" if regression else "loss") + " {task.fields[loss]}", len("std mse 0.0000")),
        text("val {task.fields[val_loss]}", len("val 0.0000")),
    ]
    if not regression:
        columns.append(text("acc {task.fields[acc]}", len("acc 100.00%")))
    timers = [  # h:mm:ss, never cut (rich 13.0 gave a timer no room of its own)
        TimeElapsedColumn(table_column=Column(no_wrap=True, min_width=7)),
        TimeRemainingColumn(table_column=Column(no_wrap=True, min_width=7)),
    ]
    taken = sum(c.get_table_column().min_width or 0 for c in columns) + 7 * len(timers) + len(columns) + 2
    if console.width - taken < 10:
        timers = timers[1:]
        taken -= 8
    bar = BarColumn(bar_width=max(4, min(40, console.width - taken - 1)))
    progress = Progress(
        *columns[:2],
        bar,
        *columns[2:],
        *timers,
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


def _resume_settings(args: argparse.Namespace) -> TrainingCheckpoint | None:
    """With --resume, load the checkpoint and take its settings; options given on this command line must
    agree with them."""
    if args.resume is None:
        if args.data is None:
            raise GlassnetError("train needs DATA: a CSV file or a dataset name (or --resume DIR)")
        return None
    checkpoint, saved = load_checkpoint(args.resume)
    bad = unusable_settings(saved)
    if bad:
        raise GlassnetError(
            f"the checkpoint in {args.resume!r} holds unusable settings: "
            + ", ".join(f"{key}={saved.get(key)!r}" for key in bad)
        )
    if args.init_from is not None:
        raise GlassnetError("--init-from starts a new run; --resume continues a checkpointed one: give one")
    defaults = build_parser().parse_args(["train"])
    given = {key for key in TRAINING_SETTINGS if getattr(args, key) != getattr(defaults, key)}
    longer = "epochs" in given and args.epochs > saved_setting(saved, "epochs")  # may go on for longer
    differ = [
        key
        for key in sorted(given)
        if not _same_setting(key, getattr(args, key), saved_setting(saved, key))
        and not (key == "epochs" and longer)
    ]
    if differ:
        said = ", ".join(
            f"{key}={getattr(args, key)!r} (checkpoint: {_shown(saved_setting(saved, key))})"
            for key in differ
        )
        raise GlassnetError(
            f"this command's settings differ from the checkpoint's: {said}; "
            f"run 'glassnet train --resume {args.resume}' to continue with the checkpoint's settings "
            "(only --epochs may be raised)"
        )
    for key in TRAINING_SETTINGS:
        if not (key == "epochs" and longer):
            setattr(args, key, saved_setting(saved, key))
    for key in OUTPUT_SETTINGS:  # the outputs the stopped run asked for, unless this command names its own
        if key in saved and getattr(args, key) in (None, False):
            setattr(args, key, saved[key])
    if args.checkpoint is None:
        args.checkpoint = args.resume
    return checkpoint


def _shown(value: Any) -> str:
    """A checkpoint's setting as the error shows it: None is the option left at its default."""
    return "not given: the default" if value is None else repr(value)


def _same_setting(key: str, given: Any, saved: Any) -> bool:
    """Whether an option given with --resume agrees with the checkpoint's (paths: the same file)."""
    if key in ("data", "test") and isinstance(given, str) and isinstance(saved, str):
        if given in DATASETS or saved in DATASETS:
            return given == saved
        return Path(given).resolve() == Path(saved).resolve()
    return bool(given == saved)


def _task_reason(args: argparse.Namespace, dataset: Any) -> str:
    """Why the task is what it is, in words; warns on stderr when classes were forced on values that look
    like numbers to predict (not integers, or very many of them)."""
    if args.data in DATASETS:
        return f"{args.data} is a {dataset.task} dataset"
    y, name = dataset.train.y, dataset.train.target_name
    distinct = {v if isinstance(v, str) else float(v) for v in y}
    numbers = []
    for v in distinct:
        with contextlib.suppress(TypeError, ValueError):
            numbers.append(float(v))
    if dataset.task == "regression":
        return (
            "--task regression"
            if args.task != "auto"
            else f"target {name!r} holds numbers: {len(distinct)} values"
        )
    integers = all(x.is_integer() for x in numbers)
    if args.task == "auto":
        if len(numbers) < len(distinct):
            return f"target {name!r} holds text: {len(distinct)} classes"
        return f"target {name!r} holds {len(distinct)} integer values; --task regression to predict numbers"
    if len(numbers) == len(distinct) and (not integers or len(distinct) > MAX_CLASSES_FOR_NUMBERS):
        what = (
            "numbers that are not integers"
            if not integers
            else f"more than {MAX_CLASSES_FOR_NUMBERS} integers"
        )
        print(
            f"warning: --task classification makes one class per distinct value of target {name!r}: "
            f"{len(distinct)} classes of {what}; --task regression predicts numbers",
            file=sys.stderr,
        )
    return f"--task classification; {len(distinct)} classes"


def _check_named_dataset(args: argparse.Namespace) -> None:
    """A named dataset has a fixed task and target: --task and --target on one are an error, not ignored."""
    if args.data not in DATASETS:
        return
    given = [f"--{name}" for name, v in (("task", args.task != "auto"), ("target", args.target)) if v]
    if given:
        verb = "is" if len(given) == 1 else "are"
        raise GlassnetError(
            f"{' and '.join(given)} {verb} for CSV files; {args.data!r} is a named dataset with a fixed task "
            "and target"
        )


def cmd_train(args: argparse.Namespace) -> int:
    """Check every path and setting, load the data, then train, save and report."""
    resume = _resume_settings(args)
    init_from = load_model(args.init_from) if args.init_from is not None else None
    if init_from is not None and args.layers == build_parser().parse_args(["train"]).layers:
        args.layers = init_from.network.sizes[1:-1]  # --layers not given: the model's
    if init_from is not None:
        kept = init_from.network.activations[0].name if len(init_from.network.activations) > 1 else None
        if kept is not None and args.activation != kept:
            given = args.activation != build_parser().parse_args(["train"]).activation
            if given:
                raise GlassnetError(
                    f"--init-from keeps the model's activation {kept!r}; --activation {args.activation!r} "
                    "cannot change it"
                )
            args.activation = kept
    args.init_from_model = init_from
    if args.checkpoint is not None and "-" in (args.data, args.test):
        raise GlassnetError("--checkpoint needs data files it can read again on --resume, not '-' (stdin)")
    check_model_path(args.save, [args.data, args.test])
    check_save_path(args.plot, [args.data, args.test, args.save])
    if args.plot is not None:
        check_plot(args.plot)
    if args.checkpoint is not None and any(
        p is not None and Path(p).resolve() == Path(args.checkpoint).resolve() for p in (args.data, args.test)
    ):
        raise GlassnetError(f"--checkpoint {args.checkpoint!r} is an input of this command; choose a folder")
    if args.checkpoint is not None and Path(args.checkpoint).exists() and not Path(args.checkpoint).is_dir():
        raise GlassnetError(f"--checkpoint {args.checkpoint!r} is a file; expected a folder")
    _check_named_dataset(args)
    with reading_progress() as on_progress:
        dataset = load_dataset(
            args.data,
            target=args.target,
            test=args.test,
            task=args.task,
            seed=args.seed,
            id_column=args.id,
            on_progress=on_progress,
            **csv_options(args),
        )
    for table, name in ((dataset.train, args.data), (dataset.test, args.test)):
        if table is not None and table.notes:
            tell(table, name)
    dataset, args.sample_weights = _split_off_weights(dataset, args.sample_weight)
    train_part = dataset.train
    if dataset.task == "classification" and dataset.test is not None:  # before training, not after it
        unseen = sorted({str(v) for v in dataset.test.y} - {str(v) for v in train_part.y})
        if unseen:
            raise GlassnetError(f"the test data has labels never seen in training: {', '.join(unseen[:10])}")
    if dataset.test is not None:  # the test data must have every feature column, checked before training
        select_features(dataset.test, train_part.feature_names, args.test or args.data)
    reason = _task_reason(args, dataset)
    if not args.json:
        rich_console().print(escape(f"task: {dataset.task} ({reason})"))
    n_train = len(train_part.y) - round(len(train_part.y) * args.validation_split)
    batches = max(1, -(-n_train // args.batch_size))
    console = rich_console(stderr=True)
    progress, on_batch, on_epoch = train_progress(
        console, args.epochs, batches, regression=dataset.task == "regression"
    )
    settings = {key: getattr(args, key) for key in (*TRAINING_SETTINGS, *OUTPUT_SETTINGS)}
    for key in ("data", "test", "save", "plot"):  # --resume may run from another folder
        value = settings.get(key)
        if isinstance(value, str) and value not in DATASETS:
            settings[key] = str(Path(value).resolve())
    started = time.perf_counter()
    with StopOnSignal() as stop:  # until the command ends: a late signal never cuts a save short
        return _train_and_report(
            args, dataset, progress, on_batch, on_epoch, settings, resume, stop, started, reason
        )


def _split_off_weights(dataset: Dataset, column: str | None) -> tuple[Dataset, NDArray[np.float64] | None]:
    """With --sample-weight COLUMN: the dataset without that column among its features (in the training
    and the test part), and the training rows' weights from it."""
    if column is None:
        return dataset, None

    def strip(table: Table) -> tuple[Table, NDArray[np.float64]]:
        if column not in table.feature_names:
            what = "the target" if column == table.target_name else "not a numeric column of the data"
            raise GlassnetError(
                f"--sample-weight {column!r} is {what}; expected one of the numeric columns "
                f"{', '.join(table.feature_names[:20])}"
            )
        k = table.feature_names.index(column)
        names = [name for j, name in enumerate(table.feature_names) if j != k]
        return Table(np.delete(table.X, k, axis=1), names, table.y, table.target_name), table.X[:, k].copy()

    train, weights = strip(dataset.train)
    test = dataset.test  # a test file needs no weight column; one it has is not a feature either
    if test is not None and column in test.feature_names:
        test = strip(test)[0]
    return Dataset(dataset.name, dataset.task, train, test), weights


def _train_and_report(
    args: argparse.Namespace,
    dataset: Any,
    progress: Any,
    on_batch: Any,
    on_epoch: Any,
    settings: dict[str, Any],
    resume: TrainingCheckpoint | None,
    stop: StopOnSignal,
    started: float,
    reason: str,
) -> int:
    train_part = dataset.train
    folder = args.checkpoint

    def on_checkpoint(checkpoint: TrainingCheckpoint) -> None:
        save_checkpoint(folder, checkpoint, settings)

    # Off a terminal the bar is disabled and never started: rich before 14.3 printed an empty line on
    # stopping even a disabled bar, which would stand before the summary or the error line.
    shown = progress if not progress.disable else contextlib.nullcontext()
    with shown, warnings.catch_warnings(record=True) as caught:
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
            monitor=args.monitor,
            init=args.init,
            class_weight=args.class_weight,
            init_from=args.init_from_model,
            sample_weight=args.sample_weights,
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
        assert result.state is not None
        if folder is None and args.save is not None:
            save_model(model, args.save)
        return _stopped(stop, result.state, folder, None if folder is not None else args.save)
    seconds = time.perf_counter() - started
    if result.reason == "diverged":
        raise GlassnetError(result.message + "; no model file was written")
    summary: dict[str, Any] = {
        "dataset": dataset.name,
        "task": dataset.task,
        "task_reason": reason,
        "loss": model.network.loss_fn.name,
        "epochs": result.epochs,
        "stopped": result.reason,
        "message": result.message,
        "train_seconds": round(seconds, 3),
        "parameters": _count_params(model),
        "warnings": result.warnings,
    }
    summary.update(_model_epoch(model, result))
    if model.target_scaler is not None:  # the losses are of the standardized target; test_mse is not
        summary["loss_units"] = "standardized target"
        summary["target_std"] = float(model.target_scaler.scale.ravel()[0])
    if args.save is not None:  # first: nothing after training may discard the trained model
        save_model(model, args.save)
        summary["model"] = args.save
    try:
        _score_and_plot(args, dataset, model, summary)
    except Exception as exc:  # the model is kept; the one error line says where it is
        kept = f"the model was saved to {args.save}" if args.save else "no model was saved (no --save)"
        message = str(exc) if isinstance(exc, GlassnetError) else f"{type(exc).__name__}: {exc}"
        raise GlassnetError(f"{message}; {kept}") from None
    summary["history"] = model.history
    if args.json:
        print(strict_json(summary))
        return 0
    _print_summary(summary, seconds, 0 if dataset.test is None else len(dataset.test.y))
    return 0


def _model_epoch(model: Model, result: Any) -> dict[str, Any]:
    """The epoch whose weights the model holds (the best one, when early stopping restored it) and that
    epoch's losses and accuracies: the numbers of the model that is saved and scored."""
    restored = (
        result.reason == "no_improvement"
        and result.state is not None
        and result.state.best_weights is not None
    )
    epoch = result.best_epoch if restored else result.epochs
    entry = next((h for h in model.history if h["epoch"] == epoch), model.history[-1])
    metrics = {k: entry[k] for k in ("loss", "val_loss", "accuracy", "val_accuracy") if k in entry}
    return {"model_epoch": entry["epoch"], "model_metrics": metrics}


def _score_and_plot(args: argparse.Namespace, dataset: Any, model: Model, summary: dict[str, Any]) -> None:
    """Score the model on the test data and draw the plots, adding what they give to ``summary``."""
    test_report = None
    if dataset.test is not None:
        test_report = scores(model, dataset.test, args.test or args.data)
        if dataset.task == "classification":
            summary["test_accuracy"] = test_report["accuracy"]
            for key in ("balanced_accuracy", "roc_auc", "log_loss"):
                summary[f"test_{key}"] = test_report[key]
        else:
            summary["test_r2"] = test_report["r2"]
            summary["test_mse"] = test_report["mse"]
    if args.plot is not None:
        points = dataset.test or dataset.train
        plot_training(
            model,
            args.plot,
            points.X if points.X.shape[1] == 2 else None,
            points.y,
            test_report.get("confusion_matrix") if test_report else None,
        )
        summary["plot"] = args.plot


def _stopped(stop: StopOnSignal, state: TrainingState, folder: str | None, saved: str | None) -> int:
    """Say where a signal stopped training, what was kept (a checkpoint in ``folder``, or the model trained
    so far in ``saved``) and how the run can go on; returns the exit status."""
    where = f"epoch {state.epoch + (1 if state.batch else 0)}, batch {state.batch}"
    hint = "train with --checkpoint DIR to be able to resume"
    if folder is None and saved is not None:
        kept = f"the model trained so far was saved to {saved}"
        print(f"stopped by {stop.name} in {where}; {kept} ({hint})", file=sys.stderr)
    elif folder is None:
        print(f"error: stopped by {stop.name} in {where}; nothing was saved ({hint})", file=sys.stderr)
    else:
        resume_with = f"glassnet train --resume {folder}"
        print(
            f"stopped by {stop.name} in {where}; checkpoint saved in {folder}; resume with: {resume_with}",
            file=sys.stderr,
        )
    return stop.exit_status


def _print_summary(summary: dict[str, Any], seconds: float, test_examples: int) -> None:
    """The summary of a finished run, in words."""
    out = rich_console()
    out.print(f"stopped: {summary['message']} ({seconds:.1f} s)")
    last = summary["model_metrics"]
    line = f"final epoch: loss {last['loss']:.4f}"
    if summary["model_epoch"] != summary["epochs"]:  # early stopping restored the best epoch's weights
        kept = f"epoch {summary['model_epoch']} of {summary['epochs']} (the best)"
        line = f"model: {kept}: loss {last['loss']:.4f}"
    if "val_loss" in last:
        line += f", validation loss {last['val_loss']:.4f}"
    if "val_accuracy" in last:
        line += f", validation accuracy {last['val_accuracy']:.2%}"
    if summary.get("loss_units") == "standardized target":
        line += f" ({summary['loss'].upper()} of the standardized target)"
    out.print(line)
    if "test_accuracy" in summary:
        keys = ("accuracy", "balanced_accuracy", "roc_auc", "log_loss")
        scores = {key: summary[f"test_{key}"] for key in keys}
        out.print(classification_summary(scores, test_examples, "test "))
    elif "test_r2" in summary:
        out.print(f"test R^2: {summary['test_r2']:.4f}, MSE {summary['test_mse']:.6g} (in target units)")
    if "model" in summary:
        out.print(f"model saved to {summary['model']}")


def _count_params(model: Model) -> int:
    return sum(layer.W.size + (0 if layer.b is None else layer.b.size) for layer in model.network.layers)
