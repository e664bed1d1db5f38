"""Commands on a saved model: ``evaluate`` it on labelled data, ``predict`` with it, ``export`` it to ONNX."""

from __future__ import annotations

import argparse
import csv
import sys

from glassnet.core.errors import GlassnetError
from glassnet.core.model import Model

from ..data import DATASETS, Table, read_csv, select_features
from ..data import load as load_dataset
from ..modelfile import load_model
from .common import check_save_path, classification_summary, escape, rich_console, scores, strict_json


def _evaluation_table(model: Model, data: str, target: str | None) -> Table:
    """The labelled rows to score: a CSV file, or a named dataset's test split."""
    if data in DATASETS:  # the test split the model was trained beside (it depends on the seed)
        seed = model.settings.get("seed", 0)
        dataset = load_dataset(data, seed=seed if isinstance(seed, int) else 0)
        assert dataset.test is not None
        return dataset.test
    return read_csv(data, target or model.target_name)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Scores of a saved model on labelled data: a table, or ``--json``."""
    model = load_model(args.model)
    table = _evaluation_table(model, args.data, args.target)
    report = scores(model, table, args.data)
    report = {"task": model.task, "examples": len(table.y), **report}
    if args.json:
        print(strict_json(report))
        return 0
    from rich.table import Table as RichTable

    console = rich_console()
    if model.task == "regression":
        console.print(
            f"{len(table.y):,} examples: MSE {report['mse']:.6g}, MAE {report['mae']:.6g}, "
            f"R^2 {report['r2']:.4f}"
        )
        return 0
    console.print(classification_summary(report, len(table.y)))
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
    """Predictions (or ``--proba``) of a saved model as CSV on stdout."""
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
    """The saved model as an ONNX file."""
    from ..onnx_export import export_onnx

    model = load_model(args.model)
    check_save_path(args.onnx, [args.model])
    export_onnx(model, args.onnx)
    print(f"wrote {args.onnx}: inputs 'features' (batch, {len(model.feature_names)}) float32")
    return 0
