"""A session's examples and its first network: the chosen dataset split into training and test rows, and
step 1 (the worked example's given weights, or random ones from the seed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from glassnet.core.errors import GlassnetError
from glassnet.core.examples import INPUTS, PARAMETERS, TARGETS
from glassnet.core.model import Standardizer, split_rows
from glassnet.core.network import Network

from ..io.data import GENERATED_SETS, SKLEARN_SETS, generate, infer_task, read_csv_text, target_values
from .requests import MAX_CLASSES, MAX_UPLOAD_FEATURES, MAX_UPLOAD_ROWS, REGRESSION_LOSSES, Settings

GENERATED_ROWS = 200


@dataclass
class Data:
    """A session's examples: training rows (standardized when ``scaler``), the held-out test rows, and
    what the inputs and outputs stand for."""

    X: np.ndarray
    T: np.ndarray
    raw_X: np.ndarray
    labels: list[str]
    X_test: np.ndarray
    T_test: np.ndarray
    raw_test: np.ndarray
    labels_test: list[str]
    task: str
    features: list[str]
    outputs: list[str]
    classes: list[str]
    scaler: Standardizer | None

    @property
    def two_d(self) -> bool:
        return self.raw_X.shape[1] == 2 and bool(self.classes)


def _table(settings: Settings) -> tuple[np.ndarray, list[Any], list[str], str]:
    """(raw features, raw targets, feature names, target name) of the chosen dataset."""
    if settings.dataset == "xor":  # the four classic points, not Playground's noisy quadrants
        return np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), [0, 1, 1, 0], ["x1", "x2"], "class"
    if settings.dataset in GENERATED_SETS:
        table = generate(settings.dataset, n=GENERATED_ROWS, noise=settings.noise, seed=settings.data_seed)
        return table.X, table.y.tolist(), table.feature_names, table.target_name
    if settings.dataset in SKLEARN_SETS:
        try:
            import sklearn.datasets
        except ImportError:
            raise GlassnetError(
                f"the {settings.dataset} dataset comes with scikit-learn: pip install 'glassnet[sklearn]'"
            ) from None

        bunch = getattr(sklearn.datasets, SKLEARN_SETS[settings.dataset])()
        names = [str(name) for name in bunch.feature_names]
        return bunch.data, [str(bunch.target_names[k]) for k in bunch.target], names, "species"
    if not settings.csv or not settings.csv.strip():
        raise GlassnetError(
            "the CSV file is empty; expected a header line and rows"
            if settings.csv is not None
            else "choose a CSV file to upload for the 'csv' dataset"
        )
    table = read_csv_text(settings.csv, settings.target)
    if len(table.y) > MAX_UPLOAD_ROWS or table.X.shape[1] > MAX_UPLOAD_FEATURES:
        raise GlassnetError(
            f"the explorer takes at most {MAX_UPLOAD_ROWS} rows and {MAX_UPLOAD_FEATURES} feature columns; "
            f"the upload has {len(table.y)} rows and {table.X.shape[1]} feature columns"
        )
    return table.X, list(table.y), table.feature_names, table.target_name


def load_data(settings: Settings) -> Data:
    """The examples a Settings describes, split into training and test rows (``test_ratio``)."""
    if settings.dataset == "worked-example":
        X, T = np.array([INPUTS]), np.array([TARGETS])
        outputs = [f"target {t:g}" for t in TARGETS]
        empty = np.empty((0, 2))
        return Data(X, T, X, [], empty, empty, empty, [], "worked-example", ["i1", "i2"], outputs, [], None)
    raw, y, features, target = _table(settings)
    if settings.dataset == "csv" and infer_task(np.asarray(y, dtype=object)) == "regression":
        if settings.loss not in REGRESSION_LOSSES:
            raise GlassnetError(
                f"the target column {target!r} holds numbers (a regression target), so the loss "
                f"{settings.loss} does not fit it; choose the loss mse or half_sse"
            )
        values = target_values(np.asarray(y, dtype=object), "regression").reshape(-1, 1)
        T, classes, labels, outputs, task = (
            Standardizer.fit(values).transform(values),
            [],
            [],
            [target],
            "regression",
        )
    else:
        classes = sorted({str(v) for v in y})
        if not 2 <= len(classes) <= MAX_CLASSES:
            raise GlassnetError(
                f"the explorer needs 2 to {MAX_CLASSES} classes in the target column {target!r}; "
                f"it has {len(classes)}"
            )
        index = {c: k for k, c in enumerate(classes)}
        labels = [str(v) for v in y]
        T = np.eye(len(classes))[[index[c] for c in labels]]
        outputs, task = [f"{target} {c}" if c.isdigit() else c for c in classes], "classification"
    raw = np.asarray(raw, dtype=np.float64)
    if settings.test_ratio > 0:
        train, test = split_rows(len(raw), settings.test_ratio, settings.data_seed, keep_one=True)
    else:
        train, test = np.arange(len(raw)), np.arange(0)
    scaler = None if settings.dataset == "xor" else Standardizer.fit(raw[train])

    def scale(rows: np.ndarray) -> np.ndarray:
        return scaler.transform(raw[rows]) if scaler is not None else raw[rows]

    def pick(rows: np.ndarray) -> list[str]:
        return [labels[k] for k in rows] if labels else []

    return Data(
        scale(train), T[train], raw[train], pick(train),
        scale(test), T[test], raw[test], pick(test),
        task, features, outputs, classes, scaler,
    )  # fmt: skip


def new_network(settings: Settings, data: Data) -> Network:
    """Step 1, initialize: the worked example's given weights, or random ones from ``seed``."""
    sizes = [data.X.shape[1], *settings.hidden_layers, data.T.shape[1]]
    worked = settings.dataset == "worked-example" and settings.hidden_layers == [2]
    net = Network(
        sizes,
        activation=settings.activation,
        output_activation="identity" if data.task == "regression" else None,
        loss=settings.loss,
        bias="per_neuron" if settings.bias == "per_neuron" else "shared",
        train_biases=settings.bias != "frozen",
        init="uniform" if worked else "auto",
        seed=settings.seed,
    )
    if worked:  # the tutorial's weights; per-neuron biases start at its b1 (hidden) and b2 (output)
        given = {name: v for name, v in PARAMETERS.items() if name.startswith("w")}
        for ref in net.parameter_refs:
            if ref.kind == "bias":
                given[ref.name] = PARAMETERS["b1" if ref.layer == 0 else "b2"]
        net.set_parameters(given)
    return net
