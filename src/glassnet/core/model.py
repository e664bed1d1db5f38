"""A model: a network plus what it needs to work on raw data (standardization, class labels, names).

``train`` is the whole recipe for real data: split off a validation set (``split_rows``, the one held-out
split of glassnet), fit the standardization on the training rows only, one-hot the labels, build the
network and run the training loop (``fit``).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(200, 2)); y = np.where(X[:, 0] * X[:, 1] > 0, "same", "diff")
>>> model, result = train(X, y, task="classification", layers=[16], epochs=60, lr=0.05, seed=0)
>>> model.classes
['diff', 'same']
>>> float(np.mean(model.predict(X) == y)) > 0.9
True
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from .checks import check_dtype, check_memory
from .errors import GlassnetError
from .network import Network
from .optimizers import Optimizer, make_optimizer, make_schedule
from .options import OPTIONS
from .training import (
    BatchCallback,
    EpochCallback,
    FitResult,
    Monitor,
    TrainingState,
    check_sample_weight,
    check_threads,
    fit,
)

Array = NDArray[np.floating]
Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = get_args(Task)


def split_rows(
    n: int, fraction: float, seed: int | None, *, keep_one: bool = False
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(training rows, held-out rows) of ``n`` rows, each sorted: the first ``round(n * fraction)``
    entries of a permutation drawn from ``default_rng(seed)`` are held out (validation or test rows).

    Holding out every row is an error, unless ``keep_one`` keeps one row for training (at most n - 1 are
    held out). The same (n, fraction, seed) always holds out the same rows: saved models and their
    ``evaluate`` depend on it.

    >>> split_rows(5, 0.4, seed=0)
    (array([0, 1, 3]), array([2, 4]))
    """
    fraction = OPTIONS["validation_split"].check(fraction)  # a number in [0, 1), its type checked first
    order = np.random.default_rng(OPTIONS["seed"].check(seed, none=True)).permutation(n)
    held = round(n * fraction)
    if keep_one:
        held = min(held, n - 1)
    elif held and held >= n:
        raise GlassnetError(f"{n} rows are too few to hold out a validation split of {fraction}")
    return np.sort(order[held:]), np.sort(order[:held])


@dataclass
class Standardizer:
    """x -> (x - mean) / scale per column; ``scale`` is the standard deviation (1 where it is 0)."""

    mean: NDArray[np.float64]
    scale: NDArray[np.float64]

    @classmethod
    def fit(cls, X: NDArray[Any]) -> Standardizer:
        """Fit on rows of X (n, columns), in float64."""
        X64 = np.asarray(X, dtype=np.float64)
        mean = X64.mean(axis=0)
        std = X64.std(axis=0)
        scale = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
        return cls(mean, scale)

    def transform(self, X: NDArray[Any], dtype: np.dtype[Any] | str = "float64") -> Array:
        """A new standardized array of ``dtype``; the input is left as it was."""
        out = np.subtract(X, self.mean, dtype=np.float64)
        out /= self.scale
        return out.astype(dtype, copy=False)

    def inverse(self, Z: NDArray[Any]) -> NDArray[np.float64]:
        """Undo ``transform`` (for regression targets)."""
        return np.asarray(Z, dtype=np.float64) * self.scale + self.mean


@dataclass
class Model:
    """A trained network and its preprocessing.

    ``classes`` (classification) maps output k to its label; ``target_scaler`` (regression) maps the
    network's standardized outputs back to target units.
    """

    network: Network
    task: Task
    feature_names: list[str]
    target_name: str
    classes: list[Any] | None = None
    scaler: Standardizer | None = None
    target_scaler: Standardizer | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    def network_inputs(self, X: Any) -> Array:
        """The network's inputs (n, features) for raw features X: checked, standardized as the training
        rows were (when the model standardizes) and in the network's dtype; a new array unless X already
        is that.

        A data frame (anything with ``.columns``: pandas, polars) is matched by column name: its columns
        are taken in the order of ``feature_names``, extra columns are ignored and a missing one is an
        error; a frame whose columns are the positions 0, 1, ... is taken in order, like an array. An
        array (or nested lists) must have one column per feature, in the order of ``feature_names``.
        """
        X = self._feature_array(X)
        if not np.isfinite(X).all():
            rows = np.flatnonzero(~np.isfinite(X).all(axis=1))
            raise GlassnetError(f"features contain NaN or inf (first at row {int(rows[0])})")
        if self.scaler is not None:
            return self.scaler.transform(X, self.network.dtype)
        return X.astype(self.network.dtype, copy=False)

    def _describe_features(self) -> str:
        names = self.feature_names
        return f"{len(names)} feature columns ({', '.join(names[:8])}{', ...' if len(names) > 8 else ''})"

    def _feature_array(self, X: Any) -> NDArray[Any]:
        """X as a numeric (rows, features) array in the order of ``feature_names`` (see network_inputs)."""
        columns = getattr(X, "columns", None)
        if columns is not None and not isinstance(X, np.ndarray):
            columns = list(columns)
            if columns != list(range(len(columns))):  # named columns: pick the features by name
                bad = [c for c in columns if not isinstance(c, str)]
                if bad:
                    raise GlassnetError(
                        f"the data frame's column names must be text (or the positions 0, 1, ...); "
                        f"received {bad[0]!r}; expected the names {self._describe_features()}"
                    )
                present = set(columns)
                missing = [n for n in self.feature_names if n not in present]
                if missing:
                    raise GlassnetError(
                        f"the data frame lacks {len(missing)} feature columns the model was trained on: "
                        f"{', '.join(missing[:8])}{', ...' if len(missing) > 8 else ''}; expected "
                        f"{self._describe_features()}"
                    )
                doubled = sorted(c for c, k in Counter(columns).items() if k > 1 and c in self.feature_names)
                if doubled:
                    raise GlassnetError(f"the data frame has more than one column named {doubled[0]!r}")
                for name in self.feature_names:  # name the first column that is not numbers
                    _numeric(X[name], f"feature column {name!r}")
                X = X[list(self.feature_names)]
        X = _numeric(X, "the feature array")
        if X.ndim == 1 and X.shape[0] == len(self.feature_names) and X.shape[0] > 1:
            raise GlassnetError(
                f"expected rows of {self._describe_features()}; received one 1-D row of shape {X.shape}: "
                "for one example pass X.reshape(1, -1)"
            )
        if X.ndim != 2 or X.shape[1] != len(self.feature_names):
            raise GlassnetError(
                f"expected {self._describe_features()}, in that order; received shape {X.shape}"
            )
        return X

    def outputs(self, X: Any, batch_size: int = 8192) -> Array:
        """The network's outputs for raw features X (n, features), in batches."""
        Z = self.network_inputs(X)
        parts = [self.network.predict(Z[i : i + batch_size]) for i in range(0, Z.shape[0], batch_size)]
        return np.concatenate(parts) if parts else np.empty((0, self.network.sizes[-1]), self.network.dtype)

    def predict_proba(self, X: Any) -> Array:
        """Class probabilities (n, classes), one column per entry of ``classes``."""
        if self.task != "classification":
            raise GlassnetError("predict_proba needs a classifier; this model is a regressor")
        return self.outputs(X)

    def predict(self, X: Any) -> NDArray[Any]:
        """Labels (classification, as in ``classes``) or values (regression), one per row.

        Labels come as a NumPy array of the classes' own kind, as scikit-learn's metrics expect: int64 for
        integer classes, str for text, bool, or float64 (object only for integers beyond int64)."""
        out = self.outputs(X)
        if self.task == "classification":
            assert self.classes is not None
            return _class_array(self.classes)[out.argmax(axis=1)]
        values = self.target_scaler.inverse(out) if self.target_scaler is not None else out
        return values[:, 0] if values.shape[1] == 1 else values

    def encode_targets(self, y: Sequence[Any] | NDArray[Any]) -> Array:
        """One-hot rows (classification) or standardized values (regression) for labels/values y."""
        if self.task == "classification":
            assert self.classes is not None
            index = {label: k for k, label in enumerate(self.classes)}
            values = np.asarray(y, dtype=object)
            if values.ndim != 1:
                raise GlassnetError(f"expected one label per row; received labels of shape {values.shape}")
            labels = values.tolist()
            try:
                distinct = {(type(v), v) for v in labels}
            except TypeError:  # a list or another unhashable object: never a class
                bad = next(v for v in labels if not _hashable(v))
                raise GlassnetError(
                    f"labels must be strings, numbers or true/false; received {bad!r}"
                ) from None
            unseen = [  # a label is its class if it is equal and of the same kind (True is not 1)
                v
                for v in distinct
                if v[1] not in index or label_kind(v[1]) != label_kind(self.classes[index[v[1]]])
            ]
            if unseen:
                kinds = {label_kind(c) for c in self.classes}
                other = [v for _, v in unseen if label_kind(v) not in kinds]
                shown = sorted(
                    f"{v!r} ({_KIND_NAMES.get(str(label_kind(v)), type(v).__name__)})"
                    if v in other
                    else str(v)
                    for _, v in unseen
                )
                plural = {"text": "strings", "bool": "true/false", "number": "numbers"}
                raise GlassnetError(
                    f"labels never seen in training: {', '.join(shown[:10])}; the model knows "
                    f"{', '.join(str(c) for c in self.classes[:20])}"
                    + (f" ({' and '.join(sorted(plural[str(k)] for k in kinds))})" if other else "")
                )
            codes = np.fromiter((index[v] for v in labels), dtype=np.intp, count=len(labels))
            return np.eye(len(self.classes), dtype=self.network.dtype)[codes]
        values = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if self.target_scaler is not None:
            return self.target_scaler.transform(values, self.network.dtype)
        return values.astype(self.network.dtype)


@dataclass
class TrainingCheckpoint:
    """A training run frozen at a batch boundary: the model, the optimizer and the loop's state.

    ``io.checkpoint`` writes one to a checkpoint file and reads it back (``save_checkpoint``,
    ``load_checkpoint``); ``train(resume=...)`` continues it.
    """

    model: Model
    optimizer: Optimizer
    state: TrainingState


_KIND_NAMES = {"text": "a string", "bool": "true/false", "number": "a number"}


def label_kind(v: Any) -> str | None:
    """What kind of class label ``v`` is: text, bool (true/false) or number; None for anything else."""
    if isinstance(v, (str, np.str_)):
        return "text"
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return "number"
    return None


def _numeric(X: Any, what: str) -> NDArray[Any]:
    """X as an array of numbers (bools, integers or floats), or GlassnetError naming ``what``."""
    array = np.asarray(X)
    if array.dtype.kind in "biuf":
        return array
    try:
        return np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    for v in array.ravel().tolist():  # name the first value that is not a number
        try:
            float(v)
        except (TypeError, ValueError):
            raise GlassnetError(f"{what} is not numeric: {v!r} is not a number") from None
    raise GlassnetError(f"{what} is not numeric; expected numbers")


def _labels(y: Sequence[Any] | NDArray[Any]) -> list[Any]:
    """The classes of labels ``y``, sorted: as Python values of the labels' own type.

    Labels are all text, all true/false, or all numbers (a mix is refused: the text ``"1"`` and the
    number ``1`` would be two classes). Numpy scalars become Python ones (``np.int64(1)`` -> ``1``).
    A float equal to an integer is the same class as that integer; the class is the int when the labels
    hold one (``[0, 1, 1.0]`` -> ``[0, 1]``), else the float (``[0.0, 1.0]`` -> ``[0.0, 1.0]``). Missing
    labels (None, NaN) and other objects are refused.
    """
    values = np.asarray(y, dtype=object)
    if values.ndim != 1:
        raise GlassnetError(f"expected one class label per row; received labels of shape {values.shape}")
    try:
        distinct = {(type(v), v) for v in values.tolist()}
    except TypeError:
        bad = next(v for v in values.tolist() if not _hashable(v))
        raise GlassnetError(
            f"class labels must be strings, numbers or true/false; received {bad!r}"
        ) from None
    if any(label_kind(v) is None or _not_finite(v) for _, v in distinct):
        for row, v in enumerate(values.tolist()):  # name the first bad label, in row order
            if label_kind(v) is None:
                raise GlassnetError(
                    f"class labels must be strings, numbers or true/false; received {v!r} in row {row}"
                    + (" (a missing label)" if v is None else "")
                )
            if _not_finite(v):
                raise GlassnetError(
                    f"class labels must be finite; received {v!r} in row {row} (NaN marks a missing label)"
                )
    classes: dict[Any, Any] = {}
    kinds: dict[str, Any] = {}
    for _, v in distinct:
        kind = str(label_kind(v))
        v = v.item() if isinstance(v, np.generic) else v
        key = (kind, v)
        if key not in classes or (isinstance(v, int) and not isinstance(classes[key], int)):
            classes[key] = v
        kinds[kind] = min(kinds.get(kind, v), v)
    if len(kinds) > 1:
        examples = ", ".join(f"{v!r} ({_KIND_NAMES[k]})" for k, v in sorted(kinds.items()))
        raise GlassnetError(
            f"class labels mix kinds: {examples}; expected all strings, all numbers or all true/false "
            "(convert the labels to one kind first)"
        )
    return sorted(classes.values())


def _not_finite(v: Any) -> bool:
    return isinstance(v, (float, np.floating)) and not math.isfinite(v)


def _class_array(classes: list[Any]) -> NDArray[Any]:
    """``classes`` as an array of their own kind (int64, str, bool or float64); object when NumPy would
    change a value (integers beyond int64)."""
    try:
        array = np.asarray(classes)
    except OverflowError:
        return np.asarray(classes, dtype=object)
    if array.dtype.kind == "O" or array.tolist() != classes:
        return np.asarray(classes, dtype=object)
    return array


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def balanced_weights(
    labels: Sequence[Any] | NDArray[Any], classes: Sequence[Any] | None = None
) -> NDArray[np.float64]:
    """The weight of each row that makes every class weigh the same in total ("balanced", as in
    scikit-learn): ``n_samples / (n_classes * count of the row's class)``.

    ``n_classes`` counts ``classes`` when given (all the labels a model knows, some perhaps absent from
    these rows), else the distinct labels present. Shape (n_samples,).

    >>> balanced_weights(["a", "a", "a", "b"]).tolist()
    [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0]
    >>> balanced_weights(["a", "b"], classes=["a", "b", "c"]).tolist()
    [0.6666666666666666, 0.6666666666666666]
    """
    present, row_class, counts = np.unique(np.asarray(labels), return_inverse=True, return_counts=True)
    n_classes = len(present) if classes is None else len(classes)
    return len(row_class) / (n_classes * counts[row_class.reshape(-1)].astype(np.float64))


def _example_weights(
    kind: Task,
    y: NDArray[Any],
    rows: NDArray[np.intp],
    classes: list[Any] | None,
    class_weight: str | Mapping[Any, float] | None,
    sample_weight: Sequence[float] | NDArray[Any] | None,
    n: int,
) -> NDArray[np.float64] | None:
    """The weight of each training row (``rows`` of y): sample_weight times its class's weight; None when
    neither is given."""
    if class_weight is None and sample_weight is None:
        return None
    w = np.ones(len(rows))
    if sample_weight is not None:
        w *= check_sample_weight(sample_weight, n)[rows]
    if class_weight is not None:
        if kind != "classification" or classes is None:
            raise GlassnetError("class_weight applies to classification; this task is regression")
        labels = y[rows]
        if isinstance(class_weight, str):
            if class_weight != "balanced":
                raise GlassnetError(
                    f"class_weight must be 'balanced' or a mapping label -> weight; received {class_weight!r}"
                )
            return w * balanced_weights(labels, classes)
        known = {str(c): c for c in classes}
        table = {}
        for label, value in class_weight.items():
            c = label if label in classes else known.get(str(label))
            if c is None:
                raise GlassnetError(
                    f"class_weight names the label {label!r}, which is not a class; the classes are "
                    f"{', '.join(str(c) for c in classes[:20])}"
                )
            v = float(value)
            if not (math.isfinite(v) and v >= 0):
                raise GlassnetError(f"class weights must be finite and >= 0; received {label}={value!r}")
            table[c] = v
        w *= np.fromiter((table.get(c, 1.0) for c in labels), dtype=np.float64, count=len(labels))
    return w


def _check_continuable(saved: Model, fresh: Model) -> None:
    """``init_from``: a saved model continues training only on data and layers shaped as its own."""
    for what, a, b in (
        ("task", saved.task, fresh.task),
        ("feature names", saved.feature_names, fresh.feature_names),
        ("classes", saved.classes, fresh.classes),
        ("layer sizes", saved.network.sizes, fresh.network.sizes),
    ):
        if a != b:
            raise GlassnetError(
                f"the model to continue from has other {what} ({a}) than this run ({b}); continuing needs "
                "the same"
            )


def _check_resumable(checkpoint: TrainingCheckpoint, fresh: Model) -> None:
    """A checkpoint continues only the run it came from: same network shape, classes and features."""
    old = checkpoint.model
    for what, a, b in (
        ("layer sizes", old.network.sizes, fresh.network.sizes),
        (
            "activations",
            [x.name for x in old.network.activations],
            [x.name for x in fresh.network.activations],
        ),
        ("classes", old.classes, fresh.classes),
        ("feature names", old.feature_names, fresh.feature_names),
        ("dtype", old.network.dtype.name, fresh.network.dtype.name),
    ):
        if a != b:
            raise GlassnetError(f"the checkpoint was made with other {what} ({a}) than this run ({b})")


def train(
    X: NDArray[Any],
    y: Sequence[Any] | NDArray[Any],
    *,
    task: str = "classification",
    feature_names: Sequence[str] | None = None,
    target_name: str = "target",
    layers: Sequence[int] | None = None,
    activation: str = "relu",
    init: str = "glorot",
    optimizer: str = "adam",
    lr: float | None = None,
    batch_size: int = 128,
    epochs: int = 20,
    dropout: float = 0.0,
    weight_decay: float = 0.0,
    schedule: str = "constant",
    validation_split: float = 0.1,
    patience: int | None = None,
    monitor: Monitor = "val_loss",
    standardize: bool = True,
    dtype: str = "float32",
    seed: int | None = 0,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
    resume: TrainingCheckpoint | None = None,
    on_checkpoint: Callable[[TrainingCheckpoint], None] | None = None,
    stop_requested: Callable[[], bool] | None = None,
    class_weight: str | Mapping[Any, float] | None = None,
    sample_weight: Sequence[float] | NDArray[Any] | None = None,
    init_from: Model | None = None,
    threads: int | None = None,
) -> tuple[Model, FitResult]:
    """Train a model on raw features X (n, features) and labels or values y (n,).

    Classification uses softmax outputs with categorical cross-entropy; regression uses identity
    outputs with mse on standardized targets. ``validation_split`` of the rows (chosen with ``seed``)
    are held out for validation; with ``patience`` they drive early stopping, which restores the best
    weights: ``monitor`` is "val_loss" (the default) or "val_accuracy" (classification).
    The standardization is fitted on the remaining training rows only.

    ``layers`` lists the hidden layer sizes (default: one layer of 64, or the hidden layers of
    ``init_from``); ``[]`` (no hidden layer) is logistic (softmax) regression for
    classification and linear regression otherwise. ``init`` draws the first weights: ``glorot`` (the
    default, scikit-learn MLP's scheme: weights and biases uniform in +-sqrt(6 / (inputs + units)), 2
    instead of 6 before a sigmoid; on iris, wine, breast cancer and digits it matches MLPClassifier's test
    accuracy, see benchmarks/bench_tabular.py), ``auto`` (He for the ReLU family, Xavier for
    sigmoid/tanh, biases 0), ``he``, ``xavier`` or ``uniform`` (U(-0.5, 0.5)) for every layer.

    ``init_from`` continues training a saved model: its weights are the starting point (in ``dtype``),
    and its standardization, activations and dropout are kept; it must have the same task, feature names,
    classes and layer sizes as this run (``layers`` included), else GlassnetError. The optimizer starts
    afresh. The model given is left as it was.

    ``on_checkpoint`` receives a ``TrainingCheckpoint`` after every epoch and when ``stop_requested``
    interrupts training at a batch boundary; ``resume`` continues from one (with the same data and
    settings) bit for bit. ``epochs`` may be larger than the checkpoint's run planned: training goes on
    to the new total, and a step or cosine schedule is laid over the new total from the next epoch on (the
    epochs already done keep the rates they had); with a constant schedule the result equals a run planned
    that long.

    ``sample_weight`` (one number >= 0 per row of X) and ``class_weight`` (classification: "balanced",
    n / (classes * count of the class) on the training rows as scikit-learn computes it, or a mapping
    label -> weight, unlisted labels weighing 1) weigh the training examples; an example's weight is the
    product of the two. The training loss and its gradient become weighted means (see ``fit``); the
    validation loss stays unweighted.

    ``threads`` limits NumPy's BLAS to that many threads while training (see ``fit``). None, the default,
    leaves NumPy's BLAS as it is: one thread per core. On a busy or shared machine 1 is often faster.
    """
    check_threads(threads)
    if task not in TASKS:
        raise GlassnetError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    kind: Task = "classification" if task == "classification" else "regression"
    if feature_names is None and hasattr(X, "columns"):  # a data frame: its column names
        feature_names = [str(c) for c in X.columns]
        kinds = [(c, getattr(getattr(X[c], "dtype", None), "kind", None)) for c in X.columns]
        text = [str(c) for c, kind in kinds if kind is not None and kind not in "biuf"]
        if text:
            raise GlassnetError(
                f"feature column {text[0]!r} is not numeric; features must be numbers (encode or drop it)"
            )
    X = _numeric(X, "the features")
    if layers is None:  # the saved model's hidden layers when continuing one, else one of 64
        layers = init_from.network.sizes[1:-1] if init_from is not None else (64,)
    units = OPTIONS["units"]  # each hidden layer's size, checked before any data is touched
    if (
        isinstance(layers, (str, bytes))
        or not isinstance(layers, Sequence)
        or not all(units.accepts(size) for size in layers)
    ):
        raise GlassnetError(
            f"layers must be a list of hidden layer sizes from 1 to {units.high}, e.g. [64, 32]; "
            f"received: layers={layers!r}"
        )
    n = X.shape[0] if X.ndim == 2 else 0
    if X.ndim != 2 or n == 0 or X.shape[1] == 0:
        raise GlassnetError(
            f"expected features shaped (rows, columns) with at least one of each; got {X.shape}"
        )
    if len(y) != n:
        raise GlassnetError(f"features and targets differ in rows: {n} != {len(y)}")
    validation_split = OPTIONS["validation_split"].check(validation_split)
    names = list(feature_names) if feature_names is not None else [f"x{k + 1}" for k in range(X.shape[1])]
    if len(names) != X.shape[1]:
        raise GlassnetError(f"expected {X.shape[1]} feature names; received {len(names)}")

    train_rows, val_rows = split_rows(n, validation_split, seed)
    y_arr = np.asarray(y, dtype=object) if kind == "classification" else np.asarray(y, dtype=np.float64)

    classes = None
    target_scaler = None
    if kind == "classification":
        classes = _labels(y_arr)  # all rows: a class seen only in the validation rows is still a class
        if len(classes) < 2:
            raise GlassnetError(
                f"the target has a single class ({classes[0]!r}); classification needs at least two"
            )
        sizes = [X.shape[1], *layers, len(classes)]
        loss = "categorical_crossentropy"
    else:
        if not np.isfinite(y_arr).all():
            raise GlassnetError("regression targets contain NaN or inf")
        target_scaler = Standardizer.fit(y_arr[train_rows].reshape(len(train_rows), -1))
        sizes = [X.shape[1], *layers, 1 if y_arr.ndim == 1 else y_arr.shape[1]]
        loss = "mse"
    weights = _example_weights(kind, y_arr, train_rows, classes, class_weight, sample_weight, n)
    scaler = Standardizer.fit(X[train_rows]) if standardize else None
    check_memory(  # before a single weight is drawn
        sizes,
        check_dtype(dtype),
        copies=5 if optimizer == "adam" else 4,
        what="training (weights, gradients, the optimizer's state and a saved copy)",
    )
    net = Network(
        sizes,
        activation=activation,
        output_activation="softmax" if kind == "classification" else "identity",
        loss=loss,
        seed=seed,
        dtype=dtype,
        dropout=dropout,
        init=init,
    )
    lr = lr if lr is not None else (1e-3 if optimizer == "adam" else 0.01)
    settings: dict[str, Any] = {
        "layers": list(layers),
        "activation": activation,
        "optimizer": optimizer,
        "lr": lr,
        "batch_size": batch_size,
        "epochs": epochs,
        "dropout": dropout,
        "weight_decay": weight_decay,
        "schedule": schedule,
        "validation_split": validation_split,
        "patience": patience,
        "standardize": standardize,
        "dtype": dtype,
        "seed": seed,
        "init": init,
        "monitor": monitor,
    }
    model = Model(net, kind, names, target_name, classes, scaler, target_scaler, settings)
    if init_from is not None:
        _check_continuable(init_from, model)
        model.network = init_from.network.astype(model.network.dtype)  # a copy
        model.scaler, model.target_scaler = init_from.scaler, init_from.target_scaler
        hidden = {a.name for a in model.network.activations[:-1]}
        if len(hidden) == 1:
            settings["activation"] = hidden.pop()
    opt = make_optimizer(optimizer, lr, weight_decay=weight_decay)
    if resume is not None:
        _check_resumable(resume, model)
        model, opt = resume.model, resume.optimizer
        model.settings = settings
    Xt = model.network_inputs(X[train_rows])
    Tt = model.encode_targets(y_arr[train_rows])
    validation = (
        (model.network_inputs(X[val_rows]), model.encode_targets(y_arr[val_rows])) if len(val_rows) else None
    )
    result = fit(
        model.network,
        Xt,
        Tt,
        opt,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        seed=seed,
        patience=patience,
        monitor=monitor,
        validation=validation,
        classification=kind == "classification",
        schedule=make_schedule(schedule, epochs),
        on_batch=on_batch,
        on_epoch=on_epoch,
        resume=None if resume is None else resume.state,
        on_checkpoint=None
        if on_checkpoint is None
        else lambda st: on_checkpoint(TrainingCheckpoint(model, opt, st)),
        stop_requested=stop_requested,
        sample_weight=weights,
        threads=threads,
    )
    if result.reason == "interrupted" and on_checkpoint is not None and result.state is not None:
        on_checkpoint(TrainingCheckpoint(model, opt, result.state))
    model.history = [
        {
            k: v
            for k, v in vars(info).items()
            if v is not None and not (isinstance(v, float) and not math.isfinite(v))
        }
        for info in result.history
    ]
    return model, result
