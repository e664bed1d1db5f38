"""Commands on a saved model: ``evaluate`` it on labelled data, ``predict`` with it, ``export`` it to ONNX."""

from __future__ import annotations

import argparse
import csv
import io
import sys

from glassnet.core.errors import GlassnetError
from glassnet.core.model import Model

from ..io.data import DATASETS, Table, read_csv, select_features, target_values
from ..io.data import load as load_dataset
from ..io.files import atomic_write
from ..io.modelfile import load_model
from .common import check_save_path, classification_summary, escape, rich_console, scores, strict_json
from .reading import csv_options, reading_progress, tell


def _evaluation_table(model: Model, data: str, target: str | None, args: argparse.Namespace) -> Table:
    """The labelled rows to score: a CSV file (only the model's columns are read), or a named dataset's
    test split."""
    if data in DATASETS:  # the test split the model was trained beside (it depends on the seed)
        seed = model.settings.get("seed", 0)
        dataset = load_dataset(data, seed=seed if isinstance(seed, int) else 0)
        assert dataset.test is not None
        return dataset.test
    with reading_progress() as on_progress:
        table = read_csv(
            data,
            target or model.target_name,
            features=model.feature_names,
            on_progress=on_progress,
            **csv_options(args),
        )
    tell(table, data)
    if model.task == "classification":
        table.y = target_values(table.y, "classification", like=model.classes)
    return table


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Scores of a saved model on labelled data: a table, or ``--json``."""
    model = load_model(args.model)
    table = _evaluation_table(model, args.data, args.target, args)
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
    cells = max(len(str(v)) for row in report["confusion_matrix"] for v in row)
    needed = len("true \\ predicted") + 4 + sum(max(len(label), cells) + 3 for label in labels)
    if needed > console.width:  # rich would squeeze the cells to nothing
        console.print(
            f"confusion matrix: {len(labels)} classes need about {needed} columns, more than "
            f"{console.width}; --json gives it whole"
        )
        return 0
    matrix = RichTable("true \\ predicted", *labels, title="confusion matrix")
    for label, row in zip(labels, report["confusion_matrix"], strict=True):
        matrix.add_row(label, *(str(v) for v in row))
    console.print(matrix)
    return 0


def _cell(value: object) -> str:
    """A label or number as the predictions CSV holds it: text as it is, a float as Python repeats it."""
    return value if isinstance(value, str) else repr(value)


def cmd_predict(args: argparse.Namespace) -> int:
    """Predictions of a saved model as CSV: an optional id column, the predicted label or value, and with
    ``--proba`` one ``p_<class>`` column per class; on stdout or in ``--output FILE``."""
    model = load_model(args.model)
    if args.proba and model.task != "classification":
        raise GlassnetError("--proba needs a classifier; this model is a regressor")
    check_save_path(args.output, [args.model, args.data])
    if args.data in DATASETS:
        if args.id is not None:
            raise GlassnetError(f"--id is for CSV files; the named dataset {args.data!r} has no id column")
        table = _evaluation_table(model, args.data, None, args)
    else:
        with reading_progress() as on_progress:
            table = read_csv(
                args.data,
                model.target_name,
                require_target=False,
                features=model.feature_names,
                id_column=args.id,
                on_progress=on_progress,
                **csv_options(args),
            )
        tell(table, args.data)
    X = select_features(table, model.feature_names, args.data)
    header = [model.target_name or "prediction"]
    columns: list[list[str]] = [[_cell(v) for v in model.predict(X).tolist()]]
    if args.proba:
        assert model.classes is not None
        header += [f"p_{c}" for c in model.classes]
        P = model.predict_proba(X)
        columns += [[repr(float(v)) for v in P[:, k]] for k in range(P.shape[1])]
    if table.ids is not None:
        header.insert(0, args.id)
        columns.insert(0, [str(v) for v in table.ids])
    rows = zip(*columns, strict=True)
    if args.output is None:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return 0
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write(args.output, text.getvalue().encode("utf-8"))  # a whole file or none
    print(f"wrote {len(table.X):,} predictions to {args.output}", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """The saved model as an ONNX file."""
    from ..io.onnx_export import export_onnx

    model = load_model(args.model)
    check_save_path(args.onnx, [args.model])
    export_onnx(model, args.onnx)
    print(f"wrote {args.onnx}: inputs 'features' (batch, {len(model.feature_names)}) float32")
    return 0
