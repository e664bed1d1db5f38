"""scikit-learn estimators: ``GlassClassifier`` and ``GlassRegressor`` (import them from glassnet.sklearn).

They follow scikit-learn's estimator API (fit, predict, predict_proba, score, partial_fit, get_params,
set_params) and work inside Pipeline and GridSearchCV. The fitted network is an ordinary glassnet model,
``model_``: save it with ``glassnet.interfaces.modelfile.save_model``, explain a step of ``model_.network``,
or export it to ONNX.

Unlike scikit-learn's own MLP, ``warm_start=True`` keeps the optimizer's state (Adam's moments and step
count, momentum's velocities) between calls to ``fit``, so training continues from where the optimizer
stood rather than restarting it. (A learning-rate schedule restarts with each call, as max_iter does.)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from glassnet.core.errors import GlassnetError
from glassnet.core.model import Model, Standardizer, Task, split_rows
from glassnet.core.network import Network
from glassnet.core.optimizers import Optimizer, make_optimizer, make_schedule
from glassnet.core.training import fit


class _GlassEstimator(BaseEstimator):
    """What the classifier and the regressor share. Parameters are stored as given (scikit-learn's rule)."""

    _task: ClassVar[Task] = "classification"

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (64,),
        activation: str = "relu",
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        batch_size: int = 32,
        max_iter: int = 200,
        dropout: float = 0.0,
        weight_decay: float = 0.0,
        schedule: str = "constant",
        validation_fraction: float = 0.1,
        early_stopping: bool = False,
        n_iter_no_change: int = 10,
        dtype: str = "float64",
        warm_start: bool = False,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.dtype = dtype
        self.warm_start = warm_start
        self.random_state = random_state

    # ------------------------------------------------------------------------------------------ set-up
    def _check_params(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, (int, np.integer)):
            sizes = (int(sizes),)
        try:
            layers = [int(s) for s in sizes]
        except (TypeError, ValueError):
            raise ValueError(f"hidden_layer_sizes must be integers >= 1; received: {sizes!r}") from None
        if any(s < 1 for s in layers):
            raise ValueError(f"hidden_layer_sizes must be integers >= 1; received: {sizes!r}")
        if not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 1:
            raise ValueError(f"max_iter must be an integer >= 1; received: {self.max_iter!r}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must be in [0, 1); received: {self.validation_fraction!r}")
        return layers

    def _targets(self, y: NDArray[Any]) -> NDArray[Any]:
        raise NotImplementedError

    def _new_model(self, X: NDArray[Any], y: NDArray[Any], layers: list[int], seed: int) -> Model:
        raise NotImplementedError

    def _model(self, X: NDArray[Any], layers: list[int], outputs: int, seed: int, **kinds: Any) -> Model:
        """A fresh Model for X with ``outputs`` outputs; ``kinds`` gives the task, output activation, loss,
        classes and target scaler."""
        net = Network(
            [X.shape[1], *layers, outputs],
            activation=self.activation,
            output_activation=kinds["output_activation"],
            loss=kinds["loss"],
            seed=seed,
            dtype=self.dtype,
            dropout=self.dropout,
        )
        names = [str(n) for n in getattr(self, "feature_names_in_", [f"x{k + 1}" for k in range(X.shape[1])])]
        return Model(
            net,
            kinds["task"],
            names,
            "y",
            kinds.get("classes"),
            Standardizer.fit(X),
            kinds.get("target_scaler"),
            self._settings(),
        )

    def _initialize(self, X: NDArray[Any], y: NDArray[Any], seed: int) -> None:
        layers = self._check_params()
        try:
            self.model_ = self._new_model(X, y, layers, seed)
            self.optimizer_: Optimizer = make_optimizer(
                self.optimizer, self.learning_rate, weight_decay=self.weight_decay
            )
        except GlassnetError as exc:
            raise ValueError(str(exc)) from None
        self.loss_curve_: list[float] = []
        self.validation_scores_: list[float] | None = [] if self.validation_fraction > 0 else None
        self.n_iter_ = 0
        self.t_ = 0

    def _epochs(
        self, X: NDArray[Any], y: NDArray[Any], epochs: int, seed: int, hold_out: bool = True
    ) -> None:
        """Train ``epochs`` more epochs on (X, y), holding out ``validation_fraction`` for scores (fit) or
        nothing (partial_fit, like scikit-learn's)."""
        model = self.model_
        fraction = self.validation_fraction if hold_out and X.shape[0] >= 10 else 0.0
        tr, val = split_rows(X.shape[0], fraction, seed, keep_one=True)
        Xt, Tt = model.network_inputs(X[tr]), model.encode_targets(y[tr])
        validation = (model.network_inputs(X[val]), model.encode_targets(y[val])) if len(val) else None
        patience = self.n_iter_no_change if self.early_stopping and validation is not None else None
        result = fit(
            model.network,
            Xt,
            Tt,
            self.optimizer_,
            epochs=epochs,
            batch_size=min(self.batch_size, len(tr)),
            shuffle=True,
            seed=seed,
            patience=patience,
            validation=validation,
            classification=self._task == "classification",
            schedule=make_schedule(self.schedule, epochs),
        )
        if result.reason == "diverged":
            raise ValueError(result.message)
        for info in result.history:
            self.loss_curve_.append(info.loss)
            if validation is not None and self.validation_scores_ is not None:
                if self._task == "classification":
                    self.validation_scores_.append(float(info.val_accuracy or 0.0))
                else:
                    total = float(np.var(validation[1], axis=0).mean())
                    self.validation_scores_.append(
                        1.0 - float(info.val_loss or 0.0) / total if total > 0 else 0.0
                    )
        model.history += [dict(vars(info)) for info in result.history]
        self.n_iter_ += result.epochs
        self.t_ += len(tr) * result.epochs

    def _settings(self) -> dict[str, Any]:
        """The parameters as JSON-ready values (stored in the model file)."""
        out: dict[str, Any] = {}
        for key, value in self.get_params().items():
            if isinstance(value, (np.integer, np.floating)):
                value = value.item()
            if isinstance(value, tuple):
                value = list(value)
            out[key] = value if isinstance(value, (str, int, float, bool, list, type(None))) else repr(value)
        return out

    def _seed(self) -> int:
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    # ------------------------------------------------------------------------------------------ API
    def fit(self, X: Any, y: Any) -> Any:
        """Train for ``max_iter`` epochs (fewer with early stopping); returns self."""
        X, y = validate_data(
            self,
            X,
            y,
            dtype=np.float64,
            y_numeric=self._task == "regression",
            multi_output=self._task == "regression",
        )
        y = self._targets(y)
        seed = self._seed()
        if not (self.warm_start and hasattr(self, "model_")):
            self._initialize(X, y, seed)
        self._epochs(X, y, self.max_iter, seed + self.n_iter_)  # a warm start shuffles afresh
        return self

    def partial_fit(self, X: Any, y: Any, **kwargs: Any) -> Any:
        """One epoch over (X, y), continuing from the current state; returns self."""
        first = not hasattr(self, "model_")
        X, y = validate_data(
            self,
            X,
            y,
            dtype=np.float64,
            reset=first,
            y_numeric=self._task == "regression",
            multi_output=self._task == "regression",
        )
        y = self._targets(y)
        seed = self._seed() + getattr(self, "n_iter_", 0)
        if first:
            self._initialize(X, y, seed, **kwargs)
        self._epochs(X, y, 1, seed, hold_out=False)
        return self

    def _outputs(self, X: Any) -> NDArray[np.floating]:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.model_.outputs(X)

    def export_onnx(self, path: str) -> None:
        """Write the fitted model (standardization and output activation included) as an ONNX file."""
        from .onnx_export import export_onnx

        check_is_fitted(self, "model_")
        export_onnx(self.model_, path)

    @property
    def network(self) -> Network:
        """The fitted glassnet network."""
        check_is_fitted(self, "model_")
        return self.model_.network


class GlassClassifier(ClassifierMixin, _GlassEstimator):
    """A glassnet MLP classifier with scikit-learn's API: softmax outputs, categorical cross-entropy.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = GlassClassifier(hidden_layer_sizes=(16,), max_iter=100, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _task: ClassVar[Task] = "classification"

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags

    def _targets(self, y: NDArray[Any]) -> NDArray[Any]:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def _initialize(self, X: NDArray[Any], y: NDArray[Any], seed: int, classes: Any = None) -> None:
        self.classes_ = unique_labels(y) if classes is None else unique_labels(np.asarray(classes))
        if len(self.classes_) < 2:
            raise ValueError(
                f"the classifier needs samples of at least 2 classes in the data; it got one class: "
                f"{self.classes_[0]!r}"
            )
        super()._initialize(X, y, seed)

    def _new_model(self, X: NDArray[Any], y: NDArray[Any], layers: list[int], seed: int) -> Model:
        classes = self.classes_.tolist()
        return self._model(
            X,
            layers,
            len(classes),
            seed,
            task="classification",
            output_activation="softmax",
            loss="categorical_crossentropy",
            classes=classes,
        )

    def _epochs(
        self, X: NDArray[Any], y: NDArray[Any], epochs: int, seed: int, hold_out: bool = True
    ) -> None:
        unseen = set(np.unique(y).tolist()) - set(self.classes_.tolist())
        if unseen:
            raise ValueError(
                f"y holds labels {sorted(map(str, unseen))} not in classes_ {self.classes_.tolist()}"
            )
        super()._epochs(X, y, epochs, seed, hold_out)

    def predict_proba(self, X: Any) -> NDArray[np.floating]:
        """Class probabilities, shape (n_samples, n_classes), columns in the order of ``classes_``."""
        return self._outputs(X).astype(np.float64)

    def predict_log_proba(self, X: Any) -> NDArray[np.floating]:
        """log of ``predict_proba``."""
        return np.log(np.maximum(self.predict_proba(X), np.finfo(np.float64).tiny))

    def predict(self, X: Any) -> NDArray[Any]:
        """The most probable class of each sample."""
        index = self._outputs(X).argmax(axis=1)
        return self.classes_[index]


class GlassRegressor(RegressorMixin, _GlassEstimator):
    """A glassnet MLP regressor with scikit-learn's API: identity outputs, mse on standardized targets.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 3)); y = X @ [1.0, -2.0, 0.5] + 3
    >>> reg = GlassRegressor(hidden_layer_sizes=(16,), max_iter=200, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.95
    True
    """

    _task: ClassVar[Task] = "regression"

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def _targets(self, y: NDArray[Any]) -> NDArray[Any]:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return y

    def _new_model(self, X: NDArray[Any], y: NDArray[Any], layers: list[int], seed: int) -> Model:
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        target = Standardizer.fit(y.reshape(len(y), -1))
        return self._model(
            X,
            layers,
            self.n_outputs_,
            seed,
            task="regression",
            output_activation="identity",
            loss="mse",
            target_scaler=target,
        )

    def predict(self, X: Any) -> NDArray[np.floating]:
        """Predicted values, shape (n_samples,) or (n_samples, n_outputs)."""
        out = self._outputs(X)
        assert self.model_.target_scaler is not None
        values = self.model_.target_scaler.inverse(out)
        return values[:, 0] if self.n_outputs_ == 1 else values
