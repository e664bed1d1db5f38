"""scikit-learn estimators: ``GlassClassifier`` and ``GlassRegressor`` (import them from glassnet.sklearn).

They follow scikit-learn's estimator API (fit, predict, predict_proba, score, partial_fit, get_params,
set_params) and work inside Pipeline and GridSearchCV. Their parameters are those of scikit-learn's
``MLPClassifier`` and ``MLPRegressor``, with the same names, defaults and meanings, so code moves over
unchanged; ``dropout``, ``dtype`` and ``threads`` are glassnet's own. The fitted network is an ordinary
glassnet model, ``model_``: save it with ``glassnet.io.modelfile.save_model``, explain a step of
``model_.network``, or export it to ONNX.

Where they differ from scikit-learn's MLP:

- ``solver="lbfgs"`` and ``learning_rate="adaptive"`` are refused (glassnet trains by mini-batch gradient
  descent with a per-epoch schedule); ``learning_rate`` also takes glassnet's ``"step"`` and ``"cosine"``
  schedules, and every schedule applies to both solvers (scikit-learn applies them to ``"sgd"`` only).
- With ``early_stopping=True`` the held-out loss, not the held-out score, decides when to stop, and the
  weights of the best epoch are kept, as scikit-learn keeps its best.
- The inputs (and a regressor's targets) are standardized inside the model, so no scaler is needed.
- The weights start as scikit-learn's do (uniform, biases too), not as glassnet's ``Network`` draws them.
- ``warm_start=True`` keeps the optimizer's state (Adam's moments and step count, momentum's velocities)
  between calls to ``fit``, so training continues from where the optimizer stood rather than restarting it.
  (A learning-rate schedule restarts with each call, as max_iter does.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from glassnet.core import blas
from glassnet.core.checks import check_dtype, check_memory
from glassnet.core.errors import GlassnetError
from glassnet.core.model import Model, Standardizer, Task, balanced_weights, split_rows
from glassnet.core.network import Network
from glassnet.core.optimizers import SCHEDULES, Adam, Momentum, Optimizer, make_schedule
from glassnet.core.options import OPTIONS, Option, as_text
from glassnet.core.training import EpochInfo, check_sample_weight, fit

# scikit-learn's activation names and glassnet's: "logistic" is glassnet's "sigmoid".
_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "sigmoid": "sigmoid", "tanh": "tanh"}
_ACTIVATIONS |= {"relu": "relu", "leaky_relu": "leaky_relu"}
# Values scikit-learn's MLP takes that glassnet refuses, and why.
_REFUSED = {
    ("solver", "lbfgs"): "glassnet trains by mini-batch gradient descent; use solver='adam' or 'sgd'",
    ("learning_rate", "adaptive"): (
        "glassnet's schedules are fixed per epoch; use learning_rate='step' or 'cosine', or "
        "early_stopping=True"
    ),
}
AUTO_BATCH = 200  # batch_size="auto" is min(200, n_samples), as in scikit-learn


class InvalidParameterError(GlassnetError, TypeError):
    """A parameter of the wrong type or out of its range, said as scikit-learn says it: a ValueError and a
    TypeError, as scikit-learn's own error of that name is."""


# Each parameter's rule: an option of the core's table (under scikit-learn's name), or the estimators' own
# (scikit-learn's names), with the other values it takes ("auto", None, inf). The parameters not here
# are booleans, the random state, verbose and the layer sizes (``_check_parameter``).
OWN_OPTIONS = {
    "activation": Option("activation", str, "hidden activation", "relu", names=lambda: list(_ACTIVATIONS)),
    "solver": Option("solver", str, "the optimizer", "adam", names=lambda: ("sgd", "adam", "lbfgs")),
    "learning_rate": Option(
        "learning_rate",
        str,
        "the schedule",
        "constant",
        names=lambda: ("constant", "invscaling", *SCHEDULES[1:], "adaptive"),
    ),
    "power_t": Option("power_t", float, "the exponent of invscaling", 0.5, low=0.0),
}
PARAMETERS: dict[str, tuple[Option, tuple[Any, ...]]] = {
    "activation": (OWN_OPTIONS["activation"], ()),
    "solver": (OWN_OPTIONS["solver"], ()),
    "alpha": (OPTIONS["weight_decay"], ()),
    "batch_size": (OPTIONS["batch_size"], ("auto",)),
    "learning_rate": (OWN_OPTIONS["learning_rate"], ()),
    "learning_rate_init": (OPTIONS["lr"], ()),
    "power_t": (OWN_OPTIONS["power_t"], ()),
    "max_iter": (OPTIONS["epochs"], ()),
    "tol": (OPTIONS["min_delta"], ()),
    "momentum": (OPTIONS["momentum"], ()),
    "validation_fraction": (OPTIONS["validation_split"], ()),
    "beta_1": (OPTIONS["beta1"], ()),
    "beta_2": (OPTIONS["beta2"], ()),
    "epsilon": (OPTIONS["eps"], ()),
    "n_iter_no_change": (OPTIONS["patience"], (math.inf,)),
    "dropout": (OPTIONS["dropout"], ()),
    "dtype": (OPTIONS["dtype"], ()),
    "threads": (OPTIONS["threads"], (None,)),
}
_BOOLEANS = ("shuffle", "warm_start", "nesterovs_momentum", "early_stopping")
MAX_RANDOM_STATE = 2**32 - 1  # numpy's RandomState takes seeds up to this


def _described(option: Option) -> str:
    """An option's range in scikit-learn's words: "an int in the range [1, 1024]", "a str among {...}"."""
    if option.names is not None:
        return "a str among {" + ", ".join(repr(name) for name in option.choices) + "}"
    low = "-inf" if option.low is None else f"{option.low:g}"
    high = "inf" if option.highest is None else as_text(option.highest)
    return (
        f"{'an int' if option.kind is int else 'a float'} in the range "
        f"{'(' if option.low_open or option.low is None else '['}{low}, "
        f"{high}{')' if option.high_open or option.highest is None else ']'}"
    )


def _extra(value: Any, allowed: Any) -> bool:
    """Whether ``value`` is the other value ``allowed`` ("auto", None, inf): of its type and equal."""
    if allowed is None:
        return value is None
    return isinstance(value, type(allowed)) and not isinstance(value, bool) and bool(value == allowed)


def _check_parameter(owner: str, name: str, value: Any) -> None:
    """InvalidParameterError in scikit-learn's words if ``value`` is not allowed for the parameter ``name``
    (its type checked before its range)."""
    if name in PARAMETERS:
        option, extras = PARAMETERS[name]
        if option.accepts(value) or any(_extra(value, e) for e in extras):
            return
        kinds = [_described(option)]
        kinds += [
            "a str among {'auto'}" if e == "auto" else "inf" if e == math.inf else "None" for e in extras
        ]
    elif name in _BOOLEANS:
        if isinstance(value, (bool, np.bool_)):
            return
        kinds = ["a bool"]
    elif name == "verbose":
        if isinstance(value, (bool, np.bool_, int, np.integer)):
            return
        kinds = ["an int", "a bool"]
    elif name == "random_state":
        if value is None or isinstance(value, np.random.RandomState):
            return
        if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            if 0 <= value <= MAX_RANDOM_STATE:
                return
        kinds = [
            f"an int in the range [0, {MAX_RANDOM_STATE}]",
            "an instance of 'numpy.random.RandomState'",
            "None",
        ]
    else:
        return
    expected = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
    raise InvalidParameterError(
        f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
    )


def _standardizer(X: NDArray[Any], weights: NDArray[np.float64] | None) -> Standardizer:
    """``Standardizer.fit(X)``, with the mean and standard deviation weighted by ``weights`` if given."""
    if weights is None:
        return Standardizer.fit(X)
    mean = np.average(X, axis=0, weights=weights)
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weights))
    return Standardizer(mean, np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0))


class _GlassEstimator(BaseEstimator):
    """What the classifier and the regressor share. Parameters are stored as given (scikit-learn's rule)
    and checked against ``PARAMETERS`` (the core's table of options) when fitting starts."""

    _task: ClassVar[Task] = "classification"

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 1e-4,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 1e-3,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int | float = 10,
        dropout: float = 0.0,
        dtype: str = "float64",
        threads: int | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.dtype = dtype
        self.threads = threads

    # ------------------------------------------------------------------------------------------ set-up
    def _validate_params(self) -> None:
        """Every parameter against its rule (``PARAMETERS``), after a clear refusal of the values
        scikit-learn's MLP takes and glassnet does not."""
        if isinstance(self.learning_rate, (int, float, np.number)) and not isinstance(
            self.learning_rate, bool
        ):
            raise ValueError(
                f"learning_rate names the schedule ('constant', 'invscaling', 'step' or 'cosine'), as in "
                f"scikit-learn; received learning_rate={self.learning_rate!r}: set the rate itself with "
                f"learning_rate_init={self.learning_rate!r}"
            )
        for (name, value), why in _REFUSED.items():
            if isinstance(getattr(self, name), str) and getattr(self, name) == value:
                raise ValueError(f"{name}={value!r} is not supported: {why}")
        for name, value in self.get_params(deep=False).items():
            _check_parameter(type(self).__name__, name, value)
        self._layers()

    def _threads(self) -> int | None:
        """``threads`` checked against its rule (True and False refused: they are not counts), as an int,
        or None."""
        _check_parameter(type(self).__name__, "threads", self.threads)
        return None if self.threads is None else int(self.threads)

    def _layers(self) -> list[int]:
        """``hidden_layer_sizes`` (an int, or a sequence of them) as a list, each a layer's units
        (the core's table: from 1 to 2**24)."""
        sizes = self.hidden_layer_sizes
        units = OPTIONS["units"]
        if isinstance(sizes, (int, np.integer)) and not isinstance(sizes, (bool, np.bool_)):
            sizes = (sizes,)
        if not (isinstance(sizes, (Sequence, np.ndarray)) and not isinstance(sizes, str)) or not all(
            units.accepts(s) for s in sizes
        ):
            raise InvalidParameterError(
                f"The 'hidden_layer_sizes' parameter of {type(self).__name__} must be {_described(units)} or "
                f"a sequence of them. Got {self.hidden_layer_sizes!r} instead."
            )
        return [int(s) for s in sizes]

    def _batch(self, n: int) -> int:
        """The rows per batch for ``n`` training rows."""
        return min(AUTO_BATCH if self.batch_size == "auto" else int(self.batch_size), n)

    def _targets(self, y: NDArray[Any]) -> NDArray[Any]:
        raise NotImplementedError

    def _new_model(
        self, X: NDArray[Any], y: NDArray[Any], layers: list[int], seed: int, w: NDArray[np.float64] | None
    ) -> Model:
        raise NotImplementedError

    def _model(
        self,
        X: NDArray[Any],
        layers: list[int],
        outputs: int,
        seed: int,
        w: NDArray[np.float64] | None,
        **kinds: Any,
    ) -> Model:
        """A fresh Model for X (rows weighted by ``w``) with ``outputs`` outputs; ``kinds`` gives the task,
        output activation, loss, classes and target scaler."""
        sizes = [X.shape[1], *layers, outputs]
        check_memory(  # as train() does: before a single weight is drawn
            sizes,
            check_dtype(self.dtype),
            copies=5 if self.solver == "adam" else 4,
            what="training (weights, gradients, the optimizer's state and a saved copy)",
        )
        net = Network(
            sizes,
            activation=_ACTIVATIONS[self.activation],
            output_activation=kinds["output_activation"],
            loss=kinds["loss"],
            seed=seed,
            init="glorot",  # scikit-learn's: weights and biases uniform, so the ReLUs' kinks start apart
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
            _standardizer(X, w),
            kinds.get("target_scaler"),
            self._settings(X.shape[0]),
        )

    def _new_optimizer(self) -> Optimizer:
        if self.solver == "adam":
            return Adam(self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)
        return Momentum(self.learning_rate_init, self.momentum, nesterov=self.nesterovs_momentum)

    def _initialize(
        self, X: NDArray[Any], y: NDArray[Any], seed: int, w: NDArray[np.float64] | None, classes: Any = None
    ) -> None:
        layers = self._layers()
        try:
            self.model_ = self._new_model(X, y, layers, seed, w)
            self.optimizer_: Optimizer = self._new_optimizer()
        except GlassnetError as exc:
            raise ValueError(str(exc)) from None
        net = self.model_.network
        self.coefs_ = [layer.W for layer in net.layers]  # views: they follow training
        self.intercepts_ = [layer.b for layer in net.layers]
        self.n_layers_ = len(net.sizes)
        self.out_activation_ = net.activations[-1].name
        self.loss_curve_: list[float] = []
        self.validation_scores_: list[float] | None = [] if self.early_stopping else None
        self.best_validation_score_: float | None = None
        self.best_loss_: float | None = None
        self.n_iter_ = 0
        self.t_ = 0

    def _schedule(self, epochs: int, n: int) -> Any:
        """The factor of ``learning_rate_init`` per epoch (1-based) of the next ``epochs`` on ``n`` rows."""
        if self.learning_rate == "invscaling":  # scikit-learn's: eta_init / (samples seen + 1) ** power_t
            t0, power = self.t_, float(self.power_t)
            return lambda epoch: float((t0 + (epoch - 1) * n + 1) ** -power)
        return make_schedule(self.learning_rate, epochs)

    def _epochs(
        self,
        X: NDArray[Any],
        y: NDArray[Any],
        w: NDArray[np.float64] | None,
        epochs: int,
        seed: int,
        hold_out: bool = True,
    ) -> None:
        """Train ``epochs`` more epochs on (X, y) with row weights ``w``; ``fit`` with ``early_stopping``
        holds out ``validation_fraction`` of the rows to decide when to stop, ``partial_fit`` holds nothing
        out."""
        model = self.model_
        fraction = self.validation_fraction if hold_out and self.early_stopping and X.shape[0] >= 10 else 0.0
        tr, val = split_rows(X.shape[0], fraction, seed, keep_one=True)
        Xt, Tt = model.network_inputs(X[tr]), model.encode_targets(y[tr])
        validation = (model.network_inputs(X[val]), model.encode_targets(y[val])) if len(val) else None
        bs = self._batch(len(tr))
        weights = None if w is None else w[tr]  # fit scales them to mean 1: a weighted mean loss
        opt = self.optimizer_
        opt.lr = float(self.learning_rate_init)  # each call starts its schedule afresh
        # scikit-learn adds alpha/2 * sum(W^2) / (the batch's weight) to the mean loss (half the squared
        # error for a regressor)
        batch_weight = bs * (1.0 if w is None else float(np.mean(w[tr])))
        opt.weight_decay = float(self.alpha) / batch_weight * (2.0 if self._task == "regression" else 1.0)
        no_change = self.n_iter_no_change  # more epochs than the table's largest patience: never stop early
        never = no_change == np.inf or int(no_change) + 1 > (OPTIONS["patience"].highest or math.inf)
        result = fit(
            model.network,
            Xt,
            Tt,
            opt,
            epochs=epochs,
            batch_size=bs,
            shuffle=bool(self.shuffle),
            seed=seed,
            patience=None if never else int(no_change) + 1,  # scikit-learn: more than
            min_delta=float(self.tol),
            validation=validation,
            # scikit-learn's early stopping watches the validation score: accuracy for a classifier (for a
            # regressor R^2, which rises exactly as the validation loss falls)
            monitor="val_accuracy" if validation and self._task == "classification" else "val_loss",
            classification=self._task == "classification",
            schedule=self._schedule(epochs, len(tr)),
            on_epoch=self._report if self.verbose else None,
            sample_weight=weights,
            threads=self._threads(),
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
        if self.validation_scores_:
            self.best_validation_score_ = max(self.validation_scores_)
        else:
            self.best_loss_ = min(self.loss_curve_)
        model.history += [dict(vars(info)) for info in result.history]
        self.n_iter_ += result.epochs
        self.t_ += len(tr) * result.epochs

    def _report(self, info: EpochInfo) -> None:
        """``verbose``: one line per epoch, as scikit-learn prints it."""
        print(f"Iteration {self.n_iter_ + info.epoch}, loss = {info.loss:.8f}")

    def _settings(self, n: int) -> dict[str, Any]:
        """The parameters as JSON-ready values (stored in the model file); the activation by its glassnet
        name and ``batch_size="auto"`` as the rows per batch it means for ``n`` rows."""
        out: dict[str, Any] = {}
        for key, value in self.get_params().items():
            if isinstance(value, (np.integer, np.floating)):
                value = value.item()
            if isinstance(value, tuple):
                value = list(value)
            if isinstance(value, float) and not np.isfinite(value):
                value = None
            out[key] = value if isinstance(value, (str, int, float, bool, list, type(None))) else repr(value)
        out["activation"] = _ACTIVATIONS[self.activation]
        out["batch_size"] = self._batch(n)
        return out

    def _seed(self) -> int:
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    # ------------------------------------------------------------------------------------------ API
    def _weights(self, X: NDArray[Any], y: NDArray[Any], sample_weight: Any) -> NDArray[np.float64] | None:
        """The weight of each row: ``sample_weight`` (and, for a classifier, ``class_weight``); None for
        equal weights."""
        if sample_weight is None:
            return None
        if isinstance(sample_weight, (int, float, np.number)):  # one number for every row, as scikit-learn
            sample_weight = np.full(X.shape[0], sample_weight)
        return check_sample_weight(sample_weight, X.shape[0])  # the core's check, as train's

    def _check_weights(self, w: NDArray[np.float64] | None) -> None:
        if w is not None and not w.any():
            raise ValueError("sample weights must contain at least one non-zero number; all weights are zero")

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Train for ``max_iter`` epochs (fewer when the loss stops improving), each row's loss weighted by
        ``sample_weight`` (array of shape (n_samples,), default None: equal weights); returns self."""
        if not get_config()["skip_parameter_validation"]:
            self._validate_params()
        X, y = validate_data(
            self,
            X,
            y,
            dtype=np.float64,
            y_numeric=self._task == "regression",
            multi_output=self._task == "regression",
        )
        y = self._targets(y)
        w = self._weights(X, y, sample_weight)
        self._check_weights(w)
        seed = self._seed()
        if not (self.warm_start and hasattr(self, "model_")):
            self._initialize(X, y, seed, w)
        self._epochs(X, y, w, self.max_iter, seed + self.n_iter_)  # a warm start shuffles afresh
        return self

    def _partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None) -> Any:
        first = not hasattr(self, "model_")
        if first and not get_config()["skip_parameter_validation"]:
            self._validate_params()
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
            self._initialize(X, y, seed, None, classes)
        w = self._weights(X, y, sample_weight)
        self._check_weights(w)
        self._epochs(X, y, w, 1, seed, hold_out=False)
        return self

    def _outputs(self, X: Any) -> NDArray[np.floating]:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        with blas.threads(self._threads()):
            return self.model_.outputs(X)

    def export_onnx(self, path: str) -> None:
        """Write the fitted model (standardization and output activation included) as an ONNX file."""
        from .io.onnx_export import export_onnx

        check_is_fitted(self, "model_")
        export_onnx(self.model_, path)

    @property
    def network(self) -> Network:
        """The fitted glassnet network."""
        check_is_fitted(self, "model_")
        return self.model_.network


_PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units of each hidden layer.
    activation : {"relu", "logistic", "tanh", "identity", "sigmoid", "leaky_relu"}, default="relu"
        Activation of the hidden layers ("logistic" and "sigmoid" are the same function).
    solver : {"adam", "sgd"}, default="adam"
        Adam, or gradient descent with ``momentum`` (Nesterov's with ``nesterovs_momentum``; plain with
        ``momentum=0``). scikit-learn's "lbfgs" is refused.
    alpha : float, default=1e-4
        L2 penalty, as scikit-learn's: alpha / 2 * sum(W^2) / batch rows added to the mean loss.
    batch_size : int or "auto", default="auto"
        Rows per update; "auto" is min(200, n_samples).
    learning_rate : {"constant", "invscaling", "step", "cosine"}, default="constant"
        The schedule of the learning rate per epoch: "invscaling" is scikit-learn's
        learning_rate_init / (samples seen + 1) ** power_t, "step" multiplies it by 0.1 every third of
        max_iter, "cosine" anneals it to 0 over max_iter. It applies to both solvers. "adaptive" is refused.
    learning_rate_init : float, default=1e-3
        The initial learning rate.
    power_t : float, default=0.5
        The exponent of "invscaling".
    max_iter : int, default=200
        The most epochs ``fit`` trains.
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the shuffling, dropout and the early-stopping split.
    tol : float, default=1e-4
        Training stops when the loss (the held-out loss with ``early_stopping``) has not improved by
        at least ``tol`` for more than ``n_iter_no_change`` epochs.
    verbose : bool, default=False
        Print the loss of every epoch.
    warm_start : bool, default=False
        ``fit`` continues from the previous fit, optimizer state included.
    momentum : float, default=0.9
        Momentum of the "sgd" solver, in [0, 1).
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for the "sgd" solver.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when their loss stops improving and keep the
        weights of the best epoch. Without it nothing is held out.
    validation_fraction : float, default=0.1
        The share of rows held out with ``early_stopping``.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's decay rates and its epsilon.
    n_iter_no_change : int or inf, default=10
        Epochs without an improvement of ``tol`` that are tolerated; inf never stops early.
    class_weight : dict, "balanced" or None, default=None
        Classifier only: a weight per class (label -> weight) multiplying each row's loss, with
        ``sample_weight`` if given; "balanced" weighs each class by n_samples / (n_classes * its count).
    dropout : float, default=0.0
        glassnet's own: the share of hidden units dropped in each training step.
    dtype : {"float64", "float32"}, default="float64"
        glassnet's own: the network's floating-point type.
    threads : int or None, default=None
        glassnet's own: the most threads NumPy's BLAS may use in fit, partial_fit, predict,
        predict_proba and score (restored afterwards); None leaves NumPy's BLAS as it is, one thread per
        core. On a busy or shared machine 1 is often faster.
"""

_ATTRIBUTES = """
    Attributes
    ----------
    model_ : glassnet.core.model.Model
        The fitted glassnet model (network, standardization, labels).
    coefs_, intercepts_ : list of ndarray
        The weight matrix (inputs, units) and biases of each layer, shaped as scikit-learn's MLP has them.
        Unlike scikit-learn's, they act on standardized inputs, ``model_.scaler.transform(X)`` (glassnet
        standardizes X inside the model), and a regressor's outputs are standardized targets
        (``model_.target_scaler.inverse`` maps them back): use ``model_.network_inputs(X)`` to apply
        them by hand.
    loss_curve_ : list of float
        The training loss of every epoch (a regressor's: the MSE of the standardized target, so not in
        target units as scikit-learn's MLPRegressor reports it).
    validation_scores_ : list of float or None
        The held-out score (accuracy or R^2) of every epoch with ``early_stopping``; None without.
    best_validation_score_, best_loss_ : float or None
        The best held-out score (with ``early_stopping``) or the lowest training loss (without).
    n_iter_ : int
        Epochs trained; ``t_`` training rows seen.
    n_layers_, out_activation_, optimizer_ :
        Layers counted with the inputs, the output activation, the optimizer (its state included).
"""


class GlassClassifier(ClassifierMixin, _GlassEstimator):
    """A glassnet MLP classifier with scikit-learn's API: softmax outputs, categorical cross-entropy.

    The parameters and attributes are scikit-learn's MLPClassifier's (listed below).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = GlassClassifier(hidden_layer_sizes=(16,), batch_size=16, max_iter=100, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    """

    _task: ClassVar[Task] = "classification"

    def _validate_params(self) -> None:
        """The shared parameters, then ``class_weight``: None, "balanced" or label -> weight (each weight
        as the core's table has it: a finite number >= 0)."""
        super()._validate_params()
        weights = self.class_weight
        weight = OPTIONS["weight"]
        if weights is None or (isinstance(weights, str) and weights == "balanced"):
            return
        if not (isinstance(weights, dict) and all(weight.accepts(v) for v in weights.values())):
            raise InvalidParameterError(
                f"The 'class_weight' parameter of {type(self).__name__} must be a dict of label -> weight "
                f"({weight.expected}), a str among {{'balanced'}} or None. Got {weights!r} instead."
            )

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 1e-4,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 1e-3,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int | float = 10,
        class_weight: dict[Any, float] | str | None = None,
        dropout: float = 0.0,
        dtype: str = "float64",
        threads: int | None = None,
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            dropout=dropout,
            dtype=dtype,
            threads=threads,
        )
        self.class_weight = class_weight

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags

    def _targets(self, y: NDArray[Any]) -> NDArray[Any]:
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def _initialize(
        self, X: NDArray[Any], y: NDArray[Any], seed: int, w: NDArray[np.float64] | None, classes: Any = None
    ) -> None:
        self.classes_ = unique_labels(y) if classes is None else unique_labels(np.asarray(classes))
        if len(self.classes_) < 2:
            raise ValueError(
                f"the classifier needs samples of at least 2 classes in the data; it got one class: "
                f"{self.classes_[0]!r}"
            )
        super()._initialize(X, y, seed, w)

    def _weights(self, X: NDArray[Any], y: NDArray[Any], sample_weight: Any) -> NDArray[np.float64] | None:
        w = super()._weights(X, y, sample_weight)
        if self.class_weight is not None:
            by_class = (
                balanced_weights(y)  # n_samples / (n_classes * count), as train's class_weight="balanced"
                if isinstance(self.class_weight, str)
                else compute_sample_weight(self.class_weight, y)
            )
            w = by_class if w is None else w * by_class
        if w is not None:
            weighted = np.unique(y[w > 0])
            if len(weighted) == 1:
                raise ValueError(
                    f"the classifier needs samples of at least 2 classes with a weight above 0; only class "
                    f"{weighted.tolist()[0]!r} has any"
                )
        return w

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None) -> GlassClassifier:
        """One epoch over (X, y), continuing from the current state; ``classes`` (all the labels) is
        needed on the first call unless y holds every one. Returns self."""
        return self._partial_fit(X, y, sample_weight, classes)

    def _new_model(
        self, X: NDArray[Any], y: NDArray[Any], layers: list[int], seed: int, w: NDArray[np.float64] | None
    ) -> Model:
        classes = self.classes_.tolist()
        self.n_outputs_ = len(classes)
        return self._model(
            X,
            layers,
            len(classes),
            seed,
            w,
            task="classification",
            output_activation="softmax",
            loss="categorical_crossentropy",
            classes=classes,
        )

    def _epochs(
        self,
        X: NDArray[Any],
        y: NDArray[Any],
        w: NDArray[np.float64] | None,
        epochs: int,
        seed: int,
        hold_out: bool = True,
    ) -> None:
        unseen = set(np.unique(y).tolist()) - set(self.classes_.tolist())
        if unseen:
            raise ValueError(
                f"y holds labels {sorted(map(str, unseen))} not in classes_ {self.classes_.tolist()}"
            )
        super()._epochs(X, y, w, epochs, seed, hold_out)

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

    The parameters and attributes are scikit-learn's MLPRegressor's (listed below).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 3)); y = X @ [1.0, -2.0, 0.5] + 3
    >>> reg = GlassRegressor(hidden_layer_sizes=(16,), batch_size=16, random_state=0).fit(X, y)
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

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> GlassRegressor:
        """One epoch over (X, y), continuing from the current state; returns self."""
        return self._partial_fit(X, y, sample_weight)

    def _new_model(
        self, X: NDArray[Any], y: NDArray[Any], layers: list[int], seed: int, w: NDArray[np.float64] | None
    ) -> Model:
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        target = _standardizer(y.reshape(len(y), -1), w)
        return self._model(
            X,
            layers,
            self.n_outputs_,
            seed,
            w,
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


for _estimator in (GlassClassifier, GlassRegressor):  # the parameters and attributes, written once
    _doc = _estimator.__doc__ or ""
    _estimator.__doc__ = _doc.replace("    Examples", _PARAMETERS + _ATTRIBUTES + "\n    Examples", 1)
