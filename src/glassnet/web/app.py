"""The explorer's server: a FastAPI app that trains small networks and sends their step traces to the page.

Each browser tab creates its own session (its own network). The page renders the trace JSON it receives
(``StepTrace.to_dict()``, the same as ``glassnet explain --json``); it never recomputes the maths.

Safe by default: every request body is validated by a pydantic model; sizes are bounded (layers, neurons,
steps per request, upload size, sessions kept); bad requests get a 4xx with a message, never a 500; the
server reads no file beyond its own static assets (an uploaded CSV arrives as text in the request).
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import math
import secrets
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from glassnet.core.activations import ACTIVATIONS
from glassnet.core.errors import GlassnetError
from glassnet.core.examples import INPUTS, LEARNING_RATE, PARAMETERS, TARGETS, worked_example
from glassnet.core.losses import LOSSES
from glassnet.core.model import Standardizer, split_rows
from glassnet.core.network import BIAS_MODES, Network
from glassnet.core.optimizers import SGD
from glassnet.core.trace import StepTrace
from glassnet.core.training import FitResult, TrainingState, fit, next_rows

from ..explain.layout import Layout, network_layout
from ..io.data import GENERATED_SETS, SKLEARN_SETS, generate, infer_task, read_csv_text, target_values

STATIC = Path(__file__).parent / "static"
MAX_SESSIONS = 64
MAX_HIDDEN_LAYERS = 4
MAX_NEURONS = 16
MAX_STEPS_PER_REQUEST = 5000
MAX_UPLOAD_CHARS = 100_000
MAX_UPLOAD_ROWS = 2000
MAX_UPLOAD_FEATURES = 8
MAX_CLASSES = 8
MAX_BATCH = 64
MAX_MS = 2000  # the longest a train request may run
CONVERGE_STEPS = 200_000  # "train until converged" gives up here, and says so
HISTORY_POINTS = 1000  # the loss curve's points, spread over the whole run
CHECKPOINTS = 400  # parameters kept for time travel; further apart as the run grows
CHECKPOINT_EVERY = 100  # steps between two checkpoints at first
TRACES_KEPT = 256  # the most recent step traces kept whole
TRACE_BUDGET = 5000  # ... and at most this many parameters' records in them (about 5 MB)
MAX_EVENTS = 500  # weight edits and training-setting changes recorded per session
MAP_RESOLUTION = 20  # each neuron's map: 20 x 20 points of the input plane
BOUNDARY_RESOLUTION = 48
GENERATED_ROWS = 200
WORKERS = 2  # training requests that run at once (this is a 2-core tool)
QUEUED = 16  # training requests that may wait for a worker, over all sessions; more get 429
DENSE = 8  # layers wider than this show only each neuron's output; its net input moves to the hover
MAX_DRAWN_HEIGHT = 720  # the picture grows taller than this only when its neurons need the room
STILL = 1e-9  # a weight that moved less than this in an epoch has stopped moving
SessionId = Annotated[str, PathParam(max_length=64)]
Width = Annotated[int, Query(ge=240, le=4000, description="the width of the page's network picture")]

# The choices the controls offer, from the core's registries (and data.py's named sets) plus the explorer's
# own: the worked example, an uploaded CSV file and "frozen" (shared biases that are not trained).
WIDE_SETS = ("digits", "wine", "breast-cancer")  # more feature columns than the explorer draws
DATASETS = ("worked-example", *GENERATED_SETS, *(d for d in SKLEARN_SETS if d not in WIDE_SETS), "csv")
# softmax is not elementwise: an output layer's choice, made from the loss (see Network)
ACTIVATION_NAMES = tuple(name for name, cls in ACTIVATIONS.items() if cls.elementwise)
LOSS_NAMES = tuple(LOSSES)
REGRESSION_LOSSES = ("half_sse", "mse")
# every layer has biases here, trained (per neuron or shared) or frozen (shared): so not "none"
BIASES = (*(mode for mode in BIAS_MODES if mode != "none"), "frozen")
BOUNDED = {"sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # the others: [-m, m]

# Settings that train well, offered when a dataset is picked (every one can be changed).
PRESETS: dict[str, dict[str, Any]] = {
    "worked-example": {
        "hidden_layers": [2], "activation": "sigmoid", "loss": "half_sse",
        "bias": "frozen",
        "learning_rate": 0.5, "batch_size": 1, "tolerance": 1e-5, "test_ratio": 0.0,
    },
    "xor": {
        "hidden_layers": [4], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.2, "batch_size": 1, "tolerance": 0.01, "test_ratio": 0.0,
    },
    "moons": {
        "hidden_layers": [8, 8], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.05, "batch_size": 1, "tolerance": 0.05, "test_ratio": 0.3,
    },
    "circles": {
        "hidden_layers": [8, 8], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.05, "batch_size": 1, "tolerance": 0.05, "test_ratio": 0.3,
    },
    # one example at a time, the spirals barely move in 30,000 steps; batches of 10 untangle them in 4,000
    "spirals": {
        "hidden_layers": [16, 16], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.1, "batch_size": 10, "tolerance": 0.05, "test_ratio": 0.3,
    },
    "iris": {
        "hidden_layers": [8], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.02, "batch_size": 1, "tolerance": 0.08, "test_ratio": 0.3,
    },
    "csv": {
        "hidden_layers": [8], "activation": "tanh", "loss": "categorical_crossentropy",
        "bias": "per_neuron",
        "learning_rate": 0.02, "batch_size": 1, "tolerance": 0.05, "test_ratio": 0.0,
    },
}  # fmt: skip

# What the page calls each field, for messages a learner can act on.
LABELS = {
    "dataset": "dataset",
    "hidden_layers": "hidden layers",
    "activation": "activation",
    "loss": "loss",
    "learning_rate": "learning rate",
    "seed": "seed",
    "bias": "biases",
    "csv": "CSV file",
    "target": "target column",
    "noise": "noise",
    "test_ratio": "test data",
    "batch_size": "batch size",
    "l2": "L2 regularization",
    "data_seed": "data seed",
    "steps": "steps",
    "until_converged": "until converged",
    "loss_tol": "tolerance",
    "max_ms": "time per request",
    "name": "parameter",
    "value": "value",
}

if TYPE_CHECKING:  # Literals of values known at run time: mypy sees plain strings, pydantic the choices
    Dataset = str
    Activation = str
    Loss = str
    Bias = str
else:
    Dataset = Literal[DATASETS]
    Activation = Literal[ACTIVATION_NAMES]
    Loss = Literal[LOSS_NAMES]
    Bias = Literal[BIASES]

LearningRate = Annotated[float, Field(gt=0, le=10)]
BatchSize = Annotated[int, Field(ge=1, le=MAX_BATCH)]
L2 = Annotated[float, Field(ge=0, le=1)]


class Settings(BaseModel):
    """What the page's controls choose. Bounded so that one request cannot stall the server; strict, so
    that a value of the wrong JSON type is refused rather than converted (``true`` is not a seed)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dataset: Dataset = "worked-example"
    hidden_layers: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_NEURONS)]], Field(max_length=MAX_HIDDEN_LAYERS)
    ] = [2]
    activation: Activation = "sigmoid"
    loss: Loss = "half_sse"
    learning_rate: LearningRate = LEARNING_RATE
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    bias: Bias = "frozen"
    csv: Annotated[str, Field(max_length=MAX_UPLOAD_CHARS)] | None = None
    target: Annotated[str, Field(max_length=200)] | None = None
    noise: Annotated[float, Field(ge=0, le=0.5)] = 0.1
    test_ratio: Annotated[float, Field(ge=0, le=0.5)] = 0.0
    batch_size: BatchSize = 1
    l2: L2 = 0.0
    data_seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0


class TrainRequest(BaseModel):
    """Train ``steps`` steps; with ``until_converged``, stop early once converged (or stuck, or at
    ``CONVERGE_STEPS``); with ``max_ms``, stop after the step that ends that much wall time."""

    model_config = ConfigDict(extra="forbid", strict=True)

    steps: Annotated[int, Field(ge=1, le=MAX_STEPS_PER_REQUEST)] = 100
    until_converged: bool = False
    loss_tol: Annotated[float, Field(gt=0, le=10)] = 1e-3
    max_ms: Annotated[int, Field(ge=1, le=MAX_MS)] | None = None


class TrainingChange(BaseModel):
    """The settings that change training from the next step on, without a new network."""

    model_config = ConfigDict(extra="forbid", strict=True)

    learning_rate: LearningRate | None = None
    batch_size: BatchSize | None = None
    l2: L2 | None = None


class ParameterEdit(BaseModel):
    """A weight or bias set by hand."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(max_length=32)]
    value: Annotated[float, Field(ge=-1e6, le=1e6)]


@dataclass(frozen=True)
class Training:
    """The settings one step trains with: they may change between steps (``TrainingChange``)."""

    learning_rate: float
    batch_size: int
    l2: float

    def optimizer(self) -> SGD:
        return SGD(self.learning_rate, weight_decay=self.l2)


# ------------------------------------------------------------------------------------------------ data
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


# ------------------------------------------------------------------------------------------------ sessions
@dataclass
class Checkpoint:
    """The weights after ``step`` steps and where ``fit`` stands (its order, Generator): every step after
    it can be recomputed from it. ``pinned`` ones (a weight set by hand, a changed setting) are kept."""

    step: int
    weights: list[tuple[np.ndarray, np.ndarray | None]]
    run: TrainingState | None
    training: Training
    pinned: bool = False


@dataclass
class History:
    """The loss curve: a point every ``stride`` steps, the stride doubling to keep ``HISTORY_POINTS``."""

    points: list[tuple[int, float, float | None]] = field(default_factory=list)
    stride: int = 1

    def add(self, step: int, loss: float, test: float | None) -> None:
        if self.points and step <= self.points[-1][0]:
            self.points[-1] = (step, loss, test)  # the same step again (after an edit)
            return
        if len(self.points) > 1 and self.points[-1][0] % self.stride != 0:
            self.points.pop()  # the newest point stands in for the run's end until the next stride
        self.points.append((step, loss, test))
        if len(self.points) > HISTORY_POINTS:
            self.stride *= 2
            self.points = [
                p for k, p in enumerate(self.points) if p[0] % self.stride == 0 or k == len(self.points) - 1
            ]

    def upto(self, step: int) -> None:
        """Forget the points after ``step`` (a run rolled back)."""
        self.points = [p for p in self.points if p[0] <= step]


class Session:
    """One tab's network, data and run, and the memory that time travel replays from."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data = load_data(settings)
        self.net = new_network(settings, self.data)
        self.training = Training(settings.learning_rate, settings.batch_size, settings.l2)
        self.run: TrainingState | None = None
        self.steps = 0
        self.version = 0
        self.history = History()
        self.checkpoints: list[Checkpoint] = []
        self.interval = CHECKPOINT_EVERY
        self.traces: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self.events: list[tuple[int, dict[str, Any]]] = []
        self.stopped: dict[str, str] | None = None
        self.preview: dict[str, Any] | None = None
        self.layouts: dict[Any, Layout] = {}
        self.lock = threading.Lock()
        self.checkpoint(pinned=True)
        self.record_losses()

    # -------------------------------------------------------------------- losses and memory
    def losses(self, net: Network | None = None) -> tuple[float, float | None]:
        """The loss over all training rows, and over the test rows (None without any)."""
        net = net or self.net
        d = self.data
        with np.errstate(over="ignore", invalid="ignore"):
            loss = net.loss(net.predict(d.X), d.T)
            test = net.loss(net.predict(d.X_test), d.T_test) if len(d.X_test) else None
        return loss, test

    def record_losses(self) -> None:
        self.history.add(self.steps, *self.losses())

    def checkpoint(self, pinned: bool = False) -> None:
        """Keep the weights and run position after ``steps`` steps (replacing one at the same step)."""
        if self.checkpoints and self.checkpoints[-1].step == self.steps:
            pinned = self.checkpoints.pop().pinned or pinned
        run = copy.deepcopy(self.run)
        self.checkpoints.append(Checkpoint(self.steps, self.net.get_weights(), run, self.training, pinned))
        if len(self.checkpoints) > CHECKPOINTS:
            self._thin()

    def _thin(self) -> None:
        """Keep the checkpoints every ``interval`` steps, the pinned ones and the ends. Each request leaves
        one off that grid (at its first step): those go first, and the grid is widened only while it alone
        fills more than half the room (widening it every time would soon leave little but the ends, and time
        travel would replay the run from its start)."""
        last = len(self.checkpoints) - 1
        self.checkpoints = [
            c for k, c in enumerate(self.checkpoints)
            if c.pinned or k in (0, last) or c.step % self.interval == 0
        ]  # fmt: skip
        if sum(not c.pinned for c in self.checkpoints) > max(CHECKPOINTS // 2, 2):
            self.interval *= 2
            self._thin()

    def keep_trace(self, step: int, trace: dict[str, Any]) -> None:
        """Keep a step's trace whole: the newest ``TRACES_KEPT``, fewer for a large network (a trace holds
        about 1 kB per parameter: a 4 x 16 network keeps 5, the worked example 256)."""
        self.traces[step] = trace
        self.traces.move_to_end(step)
        kept = max(4, min(TRACES_KEPT, TRACE_BUDGET // len(trace["parameters"])))
        while len(self.traces) > kept:
            self.traces.popitem(last=False)

    def rollback(self, step: int) -> None:
        """Back to the newest checkpoint at or before ``step``: the run after it is forgotten."""
        while len(self.checkpoints) > 1 and self.checkpoints[-1].step > step:
            self.checkpoints.pop()
        c = self.checkpoints[-1]
        self.net.set_weights(c.weights)
        self.run, self.training, self.steps = copy.deepcopy(c.run), c.training, c.step
        self.history.upto(c.step)
        self.events = [e for e in self.events if e[0] <= c.step]
        for k in [k for k in self.traces if k > c.step]:
            del self.traces[k]

    # -------------------------------------------------------------------- training
    def train(self, request: TrainRequest) -> None:
        """Train with ``fit``, continuing the session's run where the last request left it.

        The work goes in segments that end at checkpoint steps (so time travel can replay from them);
        the request's last step is traced (steps 2-6, every number), so the page always shows the newest.
        """
        started = time.perf_counter()
        deadline = started + request.max_ms / 1000 if request.max_ms is not None else math.inf
        goal = self.steps + request.steps
        self.stopped, self.preview = None, None
        if request.until_converged and self.steps >= CONVERGE_STEPS:
            self._limit(request.loss_tol)
            return
        self.checkpoint()
        watch = _Watch(self, request) if request.until_converged else None
        while self.steps < goal - 1 and self.stopped is None and time.perf_counter() < deadline:
            segment_end = min(goal - 1, (self.steps // self.interval + 1) * self.interval)
            if not self._advance(segment_end, deadline, watch):
                return
            self.checkpoint()
        if self.stopped is None:
            self._traced_step(watch)
        self.record_losses()
        if self.stopped is None and not math.isfinite(self.history.points[-1][1]):
            self._diverged()  # every step's loss was finite, but the loss over all the data is not
        if watch is not None and self.stopped is None and self.steps >= CONVERGE_STEPS:
            self._limit(request.loss_tol)

    def _advance(self, until: int, deadline: float, watch: _Watch | None) -> bool:
        """Untraced steps up to step ``until`` (or the deadline, or convergence); False if it diverged."""
        start = self.steps

        def after_step(epoch: int, batch: int, E: float) -> None:
            self.steps += 1
            if self.steps % self.history.stride == 0:
                self.record_losses()

        result = resume_fit(
            self.net, self.data, self.run, self.training, self.settings.seed, until - start,
            on_batch=after_step, on_epoch=watch.epoch_ended if watch is not None else None,
            stop_requested=lambda: self.steps >= until or self.stopped is not None or (
                time.perf_counter() >= deadline),
        )  # fmt: skip
        if result.reason == "diverged":
            self._diverged()
            return False
        self.run = result.state
        return True

    def _traced_step(self, watch: _Watch | None) -> None:
        """One step with every number recorded: the request's last."""
        try:
            trace, self.run = traced_step(
                self.net, self.data, self.run, self.training, self.settings.seed, watch
            )
        except GlassnetError:
            self._diverged()
            return
        self.steps += 1
        self.keep_trace(self.steps, trace)
        if self.steps % self.interval == 0:
            self.checkpoint()

    def _diverged(self) -> None:
        """Stop at the last step whose weights and loss over the data are finite: back to the newest
        checkpoint, then the steps from it replayed (``fit`` has no run to resume after a divergence)."""
        lr = self.training.learning_rate
        keep = self.steps  # the updates made before the one whose loss was not finite
        for _ in range(8):  # a loss turns inf a step or two before it turns NaN
            self._back_to(keep)
            if self.steps < keep or self.steps == 0 or math.isfinite(self.losses()[0]):
                break
            keep = self.steps - 1
        self.stopped = {
            "kind": "diverged",
            "message": (
                f"training diverged at step {self.steps + 1}: the loss grew without bound at learning rate "
                f"{lr:g}. The network is shown at step {self.steps}, its last finite state (scrub back to "
                "watch the weights grow); lower the learning rate, then press Reset to start again with it"
            ),
        }
        self.record_losses()

    def _back_to(self, target: int) -> None:
        """The session as it was after step ``target``, replayed from the newest checkpoint before it; the
        checkpoint itself if that replay does not end finite."""
        self.rollback(target)
        if target <= self.steps:
            return
        count, start = _Count(), self.steps

        def replayed(epoch: int, batch: int, E: float) -> None:
            count(epoch, batch, E)
            self.steps = start + count.updates
            if self.steps % self.history.stride == 0:
                self.record_losses()

        result = resume_fit(
            self.net,
            self.data,
            self.run,
            self.training,
            self.settings.seed,
            target - start,
            on_batch=replayed,
            stop_requested=count.reached(target - start),
        )
        if result.reason == "diverged" or result.state is None:
            self.rollback(start)  # its last update overflowed: the checkpoint is the last finite state
        else:
            self.run = result.state

    def _limit(self, tol: float) -> None:
        loss = self.history.points[-1][1]
        self.stopped = {
            "kind": "limit",
            "message": (
                f"stopped after {self.steps:,} steps without reaching the tolerance {tol:g} (the loss is "
                f"{loss:.6g}): raise the tolerance or the learning rate, or press Play to go on"
            ),
        }

    # -------------------------------------------------------------------- changes between steps
    def change(self, change: TrainingChange) -> None:
        """New training settings from the next step on: an event, and a checkpoint to replay from."""
        given = change.model_dump(exclude_none=True)
        if not given:
            return
        if len(self.events) >= MAX_EVENTS:
            raise GlassnetError(f"a session keeps at most {MAX_EVENTS} changes; press Reset to start afresh")
        training = replace(self.training, **given)
        if training.batch_size != self.training.batch_size and self.run is not None:
            self.run = _fresh_epoch(self.run)  # batches of another size start a new epoch
        self.training = training
        self.settings = self.settings.model_copy(update=given)
        self.events.append((self.steps, dict(given)))
        self.stopped, self.preview = None, None  # a preview was the next step with the old settings
        self.checkpoint(pinned=True)

    def edit(self, edit: ParameterEdit) -> None:
        """A weight or bias set by hand, in effect from the next step; ``preview`` is that step."""
        names = {r.name for r in self.net.parameter_refs}
        if edit.name not in names:
            raise GlassnetError(
                f"there is no parameter {edit.name!r} in this network; expected one of w1, w2, …, b1, … "
                f"({len(names)} in all)"
            )
        if len(self.events) >= MAX_EVENTS:
            raise GlassnetError(f"a session keeps at most {MAX_EVENTS} changes; press Reset to start afresh")
        self.net.set_parameters({edit.name: edit.value})
        self.events.append((self.steps, {"set": {edit.name: edit.value}}))
        self.stopped = None
        self.checkpoint(pinned=True)
        self.record_losses()
        net = copy.deepcopy(self.net)
        try:
            self.preview, _ = traced_step(
                net, self.data, copy.deepcopy(self.run), self.training, self.settings.seed
            )
        except GlassnetError:  # the next step diverges: the edit stands, with nothing to preview
            self.preview = None

    # -------------------------------------------------------------------- time travel
    def at(self, step: int) -> tuple[dict[str, Any], Network]:
        """Step ``step``'s trace and the network right after it, recomputed from the newest checkpoint
        before it when its trace is no longer kept (a step is a pure function of its weights and rows)."""
        c = next(c for c in reversed(self.checkpoints) if c.step <= step - 1)
        net = copy.deepcopy(self.net)
        net.set_weights(c.weights)
        run = copy.deepcopy(c.run)
        done = c.step
        if step - 1 > done:
            count = _Count()
            run = resume_fit(
                net,
                self.data,
                run,
                c.training,
                self.settings.seed,
                step - 1 - done,
                on_batch=count,
                stop_requested=count.reached(step - 1 - done),
            ).state
        cached = self.traces.get(step)
        trace, _ = traced_step(net, self.data, run, c.training, self.settings.seed)
        return (cached if cached is not None else trace), net


class _Count:
    """An ``on_batch`` that counts updates, and a ``stop_requested`` that answers once there are n."""

    def __init__(self) -> None:
        self.updates = 0

    def __call__(self, epoch: int, batch: int, E: float) -> None:
        self.updates += 1

    def reached(self, n: int) -> Callable[[], bool]:
        return lambda: self.updates >= n


def _fresh_epoch(run: TrainingState) -> TrainingState:
    """``run`` moved to the start of its next epoch (a new shuffled order), as a new batch size needs."""
    fresh = copy.deepcopy(run)
    if fresh.batch:
        fresh.epoch, fresh.batch, fresh.total, fresh.correct = fresh.epoch + 1, 0, 0.0, 0.0
    return fresh


class _Watch:
    """The explorer's convergence rules, checked at the end of each epoch: the loss over the epoch at most
    the tolerance (converged), or no weight moved more than ``STILL`` while the loss is above it (stuck)."""

    def __init__(self, session: Session, request: TrainRequest) -> None:
        self.session, self.tol = session, request.loss_tol
        self.before = [p.copy() for p in session.net.trainable]

    def epoch_ended(self, info: Any) -> None:
        s, loss = self.session, info.loss
        moved = max((float(np.max(np.abs(p - q))) for p, q in zip(s.net.trainable, self.before, strict=True)),
                    default=0.0)  # fmt: skip
        for saved, p in zip(self.before, s.net.trainable, strict=True):
            np.copyto(saved, p)
        steps = s.steps
        if loss <= self.tol:
            message = f"loss {loss:.6g} <= tolerance {self.tol:g} after {steps} steps"
            s.stopped = {"kind": "converged", "message": message}
        elif moved <= STILL:
            s.stopped = {
                "kind": "stuck",
                "message": (
                    f"no weight moved more than {STILL:g} in the last epoch, but the loss {loss:.6g} is "
                    "still "
                    f"above the tolerance {self.tol:g} after {steps} steps: training is stuck"
                    + (
                        " (ReLUs whose net input is negative for every example pass no gradient: try another "
                        "seed, a lower learning rate or leaky_relu)"
                        if any(a.name == "relu" for a in s.net.activations)
                        else " (try another seed or a higher learning rate)"
                    )
                ),
            }


def resume_fit(
    net: Network,
    data: Data,
    run: TrainingState | None,
    training: Training,
    seed: int,
    steps: int,
    **hooks: Any,
) -> FitResult:
    """``fit`` on the session's training rows, continuing ``run`` for at most ``steps`` more updates (its
    ``stop_requested`` hook ends it as it wants). The run keeps one entry of its per-epoch history: the
    loss curve is the session's ``History``."""
    result = fit(
        net, data.X, data.T, training.optimizer(),
        epochs=(run.epoch if run is not None else 0) + steps + 2, batch_size=training.batch_size, seed=seed,
        resume=run, **hooks,
    )  # fmt: skip
    if result.state is not None:
        del result.state.history[:-1]
    return result


def traced_step(
    net: Network,
    data: Data,
    run: TrainingState | None,
    training: Training,
    seed: int,
    watch: _Watch | None = None,
) -> tuple[dict[str, Any], TrainingState | None]:
    """The next step of ``run`` with every number recorded, and the run after it.

    With one example per step the step is ``fit``'s own traced update. With a batch, steps 2-5 are traced
    on its first example (on a copy), and the real update is the batch's: its mean loss, mean gradients and
    new values are added as ``trace["batch"]``.
    """
    n = len(data.X)
    single = min(training.batch_size, n) == 1
    rows = next_rows(run, n, training.batch_size, seed)
    traces: list[StepTrace] = []
    losses: list[float] = []
    if not single:
        traces.append(
            copy.deepcopy(net).traced_step(data.X[rows[:1]], data.T[rows[:1]], training.optimizer())
        )
    result = resume_fit(
        net, data, run, training, seed, 1,
        on_batch=lambda epoch, batch, E: losses.append(E),
        on_epoch=watch.epoch_ended if watch is not None else None, stop_requested=lambda: True,
        trace=(lambda k: True) if single else None, on_trace=traces.append if single else None,
        keep_gradients=not single,
    )  # fmt: skip
    if result.reason == "diverged" or not traces or not losses:
        raise GlassnetError("the step diverged")
    trace = traces[0].to_dict()
    trace["row"] = int(rows[0])
    trace["l2"] = training.l2
    if not single:
        trace["batch"] = {
            "size": len(rows),
            "rows": [int(r) for r in rows],
            "loss": losses[0],
            "grads": {r.name: float(net.grad_of(r)[r.index]) for r in net.parameter_refs},
            "new": net.parameters(),
        }
    return trace, result.state


# ------------------------------------------------------------------------------------------------ views
def precise(x: float | None) -> str:
    """A number as the page prints it (its ``fmt``): 9 significant digits, in exponent form below 1e-4 and
    from 1e9 on ("–" for None, "0" for 0).

    >>> precise(0.4), precise(0.75136507), precise(123.456), precise(-1.5e-7), precise(0.0), precise(5e-5)
    ('0.400000000', '0.751365070', '123.456000', '-1.50000000e-7', '0', '5.00000000e-5')
    """
    if x is None:
        return "–"
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else "Infinity" if x > 0 else "-Infinity"
    mantissa, exponent = f"{x:.8e}".split("e")
    e = int(exponent)
    if abs(x) < 1e-4 or e >= 9:
        return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return f"{x:.{8 - e}f}"


EXACT_LABELS = 60  # up to this many labels, the layout is placed for the exact texts
VALUE_ROOM = 15  # characters a value's label is placed for: "-0.000779273383", "-1.50000000e-10"


def drawing(
    net: Network, trace: dict[str, Any] | None, width: int, cache: dict[Any, Layout]
) -> dict[str, Any]:
    """Where the page draws the network (``layout.network_layout``, in the page's monospace 10px font):
    weights labelled ``name=value`` on their edges, biases beside a neuron, above each neuron its net input
    and output after a step (only its output in dense networks), above each input its value.

    A small network's labels are placed for the texts shown. A larger one's are placed with room for values
    of ``VALUE_ROOM`` characters, so that while training the same places serve frame after frame
    (``cache``, computed once per width and kind of notes; placing 900 labels takes a quarter second): only
    the texts change."""
    values = net.parameters()
    refs = net.parameter_refs
    dense = max(net.sizes) > DENSE
    text = {r.name: (f"{r.name}=", precise(values[r.name])) for r in refs}
    notes: dict[str, list[tuple[str, str]]] = {}
    if trace is not None:
        for layer in trace["layers"]:
            for n in layer["neurons"]:
                a = ("", precise(n["a"]))
                notes[n["name"]] = [a] if dense else [("net ", precise(n["z"])), ("out ", a[1])]
        for name, value in trace["inputs"].items():
            notes[name] = [("", precise(value))]

    exact = len(text) + sum(map(len, notes.values())) <= EXACT_LABELS  # small: placed for the texts shown

    def room(parts: tuple[str, str]) -> str:
        return parts[0] + "0" * (len(parts[1]) if exact else VALUE_ROOM)

    key = (width, tuple(room(t) for t in text.values()), tuple((k, *map(room, v)) for k, v in notes.items()))
    layout = cache.get(key)
    if layout is None:
        layout = network_layout(
            net.neuron_names,
            [(r.name, r.source or "", r.targets[0], room(text[r.name])) for r in refs if r.kind == "weight"],
            [(r.name, r.targets, room(text[r.name])) for r in refs if r.kind == "bias"],
            width,
            neuron_notes={name: [room(line) for line in lines] for name, lines in notes.items()},
            font_size=10,
            monospace=True,
            radius=16,
            max_height=MAX_DRAWN_HEIGHT,
        )
        cache.clear()  # one layout per session: the newest
        cache[key] = layout
    shown = asdict(layout)
    for label in shown["labels"]:  # the places were made for the room; the texts are the values
        name, _, line = label["key"].partition("#")
        if label["kind"] in ("weight", "bias") and name in text:
            label["text"] = "".join(text[name])
        elif name in notes and line.isdigit() and int(line) < len(notes[name]):
            label["text"] = "".join(notes[name][int(line)])
    return {"dense": dense, **shown}


def _plane(data: Data, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x range, y range, grid points row by row from the bottom) over the raw data, with a margin."""
    raw = np.vstack([data.raw_X, data.raw_test]) if len(data.raw_test) else data.raw_X
    lo, hi = raw.min(axis=0), raw.max(axis=0)
    pad = (hi - lo) * 0.1 + 1e-9
    lo, hi = lo - pad, hi + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    return np.array([lo[0], hi[0]]), np.array([lo[1], hi[1]]), np.c_[gx.ravel(), gy.ravel()]


def _bytes(values: np.ndarray, lo: float, hi: float) -> str:
    """Values in [lo, hi] as base64 bytes 0..255 (NaN as the middle)."""
    scaled = np.nan_to_num((values - lo) / (hi - lo), nan=0.5, posinf=1.0, neginf=0.0)
    return base64.b64encode(np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8).tobytes()).decode()


def neuron_maps(net: Network, data: Data) -> dict[str, Any]:
    """Each hidden and output neuron's output over the input plane (TensorFlow Playground's view)."""
    xs, ys, grid = _plane(data, MAP_RESOLUTION)
    inputs = data.scaler.transform(grid) if data.scaler is not None else grid
    neurons: dict[str, Any] = {}
    with np.errstate(over="ignore", invalid="ignore"):
        values = net.propagate(inputs)
    for names, (_, a), activation in zip(net.neuron_names[1:], values, net.activations, strict=True):
        for k, name in enumerate(names):
            column = np.asarray(a[:, k], dtype=np.float64)
            if activation.name in BOUNDED:
                lo, hi = BOUNDED[activation.name]
            else:
                finite = column[np.isfinite(column)]
                m = float(np.max(np.abs(finite))) if finite.size else 1.0
                lo, hi = -max(m, 1e-12), max(m, 1e-12)
            neurons[name] = {"lo": lo, "hi": hi, "data": _bytes(column, lo, hi)}
    return {"resolution": MAP_RESOLUTION, "x": xs.tolist(), "y": ys.tolist(), "neurons": neurons}


def boundary(net: Network, data: Data, resolution: int = BOUNDARY_RESOLUTION) -> dict[str, Any]:
    """The decision over the input plane: for two classes the second class's score in [0, 1], 0.5 where
    the outputs tie (so outputs that are not probabilities stay on the palette); else the predicted class."""
    if not data.two_d:
        raise GlassnetError("a decision boundary needs a dataset with 2 features and classes")
    xs, ys, grid = _plane(data, resolution)
    with np.errstate(over="ignore", invalid="ignore"):
        out = net.predict(data.scaler.transform(grid) if data.scaler is not None else grid)
    two = out.shape[1] == 2
    if two:
        encoded = _bytes(np.clip(0.5 + (out[:, 1] - out[:, 0]) / 2, 0.0, 1.0), 0.0, 1.0)
    else:
        index = np.argmax(np.nan_to_num(out, nan=-np.inf), axis=1)
        encoded = base64.b64encode(index.astype(np.uint8).tobytes()).decode()
    index_of = {c: k for k, c in enumerate(data.classes)}
    points = [[float(a), float(b), index_of[c], 0] for (a, b), c in zip(data.raw_X, data.labels, strict=True)]
    points += [
        [float(a), float(b), index_of[c], 1]
        for (a, b), c in zip(data.raw_test, data.labels_test, strict=True)
    ]
    return {
        "resolution": resolution,
        "x": xs.tolist(),
        "y": ys.tolist(),
        "axes": data.features,
        "classes": data.classes,
        "kind": "two" if two else "many",
        "data": encoded,
        "points": points,
    }


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def state(session_id: str, s: Session, width: int = 640, viewing: int | None = None) -> dict[str, Any]:
    """Everything the page draws, as JSON: the live state, or (``viewing``) the state right after that
    step."""
    live = viewing is None or viewing == s.steps
    step = s.steps if viewing is None else viewing
    net, trace = s.net, s.traces.get(step) if live else None
    if step > 0 and (trace is None or not live):
        trace, after = s.at(step)
        s.keep_trace(step, trace)
        if not live:
            net = after
    loss, test_loss = s.losses(net) if not live else s.history.points[-1][1:]
    values = net.parameters()
    d = s.data
    example = None
    if trace is not None and d.task != "worked-example":
        row = trace["row"]
        example = {"row": row, "raw": dict(zip(d.features, map(float, d.raw_X[row]), strict=True))}
    return {
        "session": session_id,
        "version": s.version,
        "settings": s.settings.model_dump(exclude={"csv"}),
        "training": asdict(s.training),
        "sizes": net.sizes,
        "names": net.neuron_names,
        "activations": [a.name for a in net.activations],
        "output_activation": net.activations[-1].name,
        "task": d.task,
        "features": d.features,
        "outputs": d.outputs,
        "classes": d.classes,
        "standardized": d.scaler is not None,
        "standardization": (
            {"mean": d.scaler.mean.tolist(), "scale": d.scaler.scale.tolist()}
            if d.scaler is not None
            else None
        ),
        "examples": len(d.X),
        "test_examples": len(d.X_test),
        "parameters": [
            {
                "name": r.name,
                "kind": r.kind,
                "layer": r.layer + 1,
                "source": r.source,
                "targets": list(r.targets),
                "value": values[r.name],
            }
            for r in net.parameter_refs
        ],
        "layout": drawing(net, s.preview if live and s.preview is not None else trace, width, s.layouts),
        "steps": s.steps,
        "viewing": step,
        "live": live,
        "loss": _finite(loss),
        "test_loss": _finite(test_loss),
        "history": [[k, _finite(a), _finite(b)] for k, a, b in s.history.points],
        "trace": trace,
        "example": example,
        "preview": s.preview if live else None,
        "converged": s.stopped["message"] if s.stopped and s.stopped["kind"] == "converged" else None,
        "stopped": s.stopped,
        "two_d": d.two_d,
        "maps": neuron_maps(net, d) if d.two_d else None,
        "boundary": boundary(net, d) if d.two_d else None,
        "events": [[k, e] for k, e in s.events],
        "limits": LIMITS,
    }


LIMITS = {
    "hidden_layers": MAX_HIDDEN_LAYERS,
    "neurons": MAX_NEURONS,
    "steps": MAX_STEPS_PER_REQUEST,
    "upload_chars": MAX_UPLOAD_CHARS,
    "upload_rows": MAX_UPLOAD_ROWS,
    "batch_size": MAX_BATCH,
    "l2": 1.0,
    "noise": 0.5,
    "test_ratio": 0.5,
    "converge_steps": CONVERGE_STEPS,
    "max_ms": MAX_MS,
}


class Work:
    """The bound on training work over all sessions: ``WORKERS`` requests run at once and ``QUEUED`` more
    may wait; beyond that a request is refused at once (429), so no page can pile up work."""

    def __init__(self, workers: int = WORKERS, queued: int = QUEUED) -> None:
        self.running = threading.Semaphore(workers)
        self.limit = workers + queued
        self.count = 0
        self.lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self.lock:
            if self.count >= self.limit:
                raise HTTPException(
                    429,
                    f"the explorer is busy with {self.count} training requests; try again in a moment",
                    headers={"Retry-After": "1"},
                )
            self.count += 1
        try:
            with self.running:
                yield
        finally:
            with self.lock:
                self.count -= 1


LOOPBACK = ("127.0.0.1", "localhost", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def host_name(host: str) -> str:
    """The name in a Host header, without its port: '127.0.0.1:8765' -> '127.0.0.1', '[::1]:80' -> '::1'.

    >>> host_name("[::1]:8765"), host_name("localhost"), host_name("Evil.example:80")
    ('::1', 'localhost', 'evil.example')
    """
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def create_app(hosts: Sequence[str] = ()) -> FastAPI:
    """The explorer's FastAPI application.

    Only the user's own browser drives it: a request must name a loopback host (or one of ``hosts``, the
    address the explorer listens on) in its Host header, which defeats DNS rebinding, and a request that
    changes state must come from the explorer's own page when it says where it comes from (Origin), as
    Jupyter and the common development servers do. ``hosts`` holding "*" (listening on every interface, by
    the user's choice) also allows any IP address and this machine's own names, as Jupyter does: a DNS
    rebinding page names its own domain, never an address.
    """
    app = FastAPI(title="glassnet explorer", version="1", docs_url=None, redoc_url=None)
    allowed = {host_name(h) for h in (*LOOPBACK, *hosts) if h != "*"}
    any_address = "*" in hosts
    if any_address:
        allowed |= {socket.gethostname().lower(), socket.getfqdn().lower()}

    def served(host: str) -> bool:
        name = host_name(host)
        if name in allowed:
            return True
        if not any_address:
            return False
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    @app.middleware("http")
    async def only_the_users_browser(request: Request, call_next: Any) -> Any:
        host = request.headers.get("host", "")
        if not served(host):
            names = ", ".join(sorted(allowed)) + (" and any IP address" if any_address else "")
            return JSONResponse(
                {"detail": f"host {host!r} is not served: the explorer answers to {names}"},
                status_code=400,
            )
        origin = request.headers.get("origin")
        if request.method not in SAFE_METHODS and origin is not None:
            netloc = origin.split("://", 1)[-1].rstrip("/").lower()
            if netloc != host.lower():
                return JSONResponse(
                    {"detail": f"a page from {origin!r} cannot change the explorer's sessions"},
                    status_code=403,
                )
        return await call_next(request)

    errors: dict[int | str, dict[str, Any]] = {
        400: {"description": "bad input, with a message"},
        404: {"description": "no such session"},
        429: {"description": "too much training work queued"},
    }
    sessions: OrderedDict[str, Session] = OrderedDict()
    registry_lock = threading.Lock()
    work = Work()

    def get(session_id: str) -> Session:
        with registry_lock:
            s = sessions.get(session_id)
            if s is None:
                raise HTTPException(
                    404, f"no session {session_id!r}: it expired or never existed; reload the page"
                )
            sessions.move_to_end(session_id)
            return s

    def changed(session_id: str, s: Session, width: int) -> dict[str, Any]:
        s.version += 1
        return state(session_id, s, width)

    @app.exception_handler(GlassnetError)
    async def bad_input(request: Request, exc: GlassnetError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": list(map(str, e.get("loc", ()))),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        message = "; ".join(readable(e) for e in exc.errors())
        return JSONResponse({"detail": message, "errors": errors}, status_code=422)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/writeup", include_in_schema=False)
    def classic_writeup() -> HTMLResponse:
        """The worked example's write-up, with the note on the classic write-up's figures (#classic-note)."""
        from ..explain.writeup import CLASSIC_NOTE, writeup_html

        net, x, t, lr = worked_example()
        title = "Backpropagation, step by step: the classic worked example"
        return HTMLResponse(writeup_html(net.traced_step(x, t, lr), title=title, note=CLASSIC_NOTE))

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/options")
    def options() -> dict[str, Any]:
        """The choices the controls offer, the settings each dataset trains well with, and the limits."""
        return {
            "datasets": list(DATASETS),
            "activations": list(ACTIVATION_NAMES),
            "losses": list(LOSS_NAMES),
            "bias": list(BIASES),
            "presets": PRESETS,
            "limits": LIMITS,
        }

    @app.post("/api/sessions", status_code=201, responses=errors)
    def create(settings: Settings, width: Width = 640) -> dict[str, Any]:
        """Start a new network (one per browser tab)."""
        s = Session(settings)
        session_id = secrets.token_urlsafe(12)
        with registry_lock:
            sessions[session_id] = s
            while len(sessions) > MAX_SESSIONS:
                sessions.popitem(last=False)
        return state(session_id, s, width)

    @app.get("/api/sessions/{session_id}", responses=errors)
    def read(session_id: SessionId, width: Width = 640) -> dict[str, Any]:
        """The session's current state."""
        s = get(session_id)
        with s.lock:
            return state(session_id, s, width)

    @app.post("/api/sessions/{session_id}/step", responses=errors)
    def step(session_id: SessionId, width: Width = 640) -> dict[str, Any]:
        """One training step on the next example (or batch), fully traced."""
        s = get(session_id)
        with work.slot(), s.lock:
            s.train(TrainRequest(steps=1))
            return changed(session_id, s, width)

    @app.post("/api/sessions/{session_id}/train", responses=errors)
    def train_many(session_id: SessionId, request: TrainRequest, width: Width = 640) -> dict[str, Any]:
        """Up to ``steps`` steps (at most 5,000 per request, for at most ``max_ms``); the last is traced."""
        s = get(session_id)
        with work.slot(), s.lock:
            s.train(request)
            return changed(session_id, s, width)

    @app.post("/api/sessions/{session_id}/reset", responses=errors)
    def reset(session_id: SessionId, width: Width = 640) -> dict[str, Any]:
        """Back to step 0 with the session's settings as they are now."""
        s = get(session_id)
        with s.lock:
            fresh = Session(s.settings.model_copy(update={"csv": s.settings.csv}))
            fresh.version = s.version + 1
        with fresh.lock:  # a request already on its way may find the new session at once
            with registry_lock:
                sessions[session_id] = fresh
            return state(session_id, fresh, width)

    @app.patch("/api/sessions/{session_id}/training", responses=errors)
    def change_training(session_id: SessionId, change: TrainingChange, width: Width = 640) -> dict[str, Any]:
        """Change the learning rate, batch size or L2 from the next step on (the network stays)."""
        s = get(session_id)
        with s.lock:
            s.change(change)
            return changed(session_id, s, width)

    @app.post("/api/sessions/{session_id}/parameters", responses=errors)
    def set_parameter(session_id: SessionId, edit: ParameterEdit, width: Width = 640) -> dict[str, Any]:
        """Set one weight or bias by hand; ``preview`` is the next step with it (not yet taken)."""
        s = get(session_id)
        with s.lock:
            s.edit(edit)
            return changed(session_id, s, width)

    @app.get("/api/sessions/{session_id}/steps/{step}", responses=errors)
    def view_step(
        session_id: SessionId, step: Annotated[int, PathParam(ge=1, le=10**9)], width: Width = 640
    ) -> dict[str, Any]:
        """The session as it was right after ``step`` (time travel): that step's trace and weights."""
        s = get(session_id)
        with work.slot(), s.lock:
            if step > s.steps:
                raise GlassnetError(f"step {step} has not been taken yet: the session is at step {s.steps}")
            return state(session_id, s, width, viewing=step)

    @app.get("/api/sessions/{session_id}/boundary", responses=errors)
    def decision_boundary(
        session_id: SessionId, resolution: Annotated[int, Query(ge=4, le=100)] = 40
    ) -> dict[str, Any]:
        """The decision boundary of a 2-D classifier over a grid (see ``boundary``), with the data points."""
        s = get(session_id)
        with s.lock:
            return boundary(s.net, s.data, resolution)

    return app


def readable(error: Any) -> str:
    """A validation error in the page's words: the field's label, what was wrong, what is expected."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    kind = error.get("type", "")
    if kind == "json_invalid":
        where = f" (at character {loc[0]})" if loc and loc[0].isdigit() else ""
        return f"the request body is not valid JSON{where}; expected a JSON object"
    if not loc:
        return f"the request body: {error.get('msg', 'invalid')}; expected a JSON object"
    field_name = next((part for part in loc if part in LABELS), loc[0])
    label = LABELS.get(field_name, field_name)
    ctx, value = error.get("ctx") or {}, error.get("input")
    if field_name == "hidden_layers" and len(loc) > 1 and loc[1].isdigit():
        what = f"hidden layers: layer {int(loc[1]) + 1} has {value!r} neurons"
        if kind in ("greater_than_equal", "less_than_equal"):
            return f"{what}; each layer takes 1 to {MAX_NEURONS} neurons"
        return f"{what}; expected a whole number from 1 to {MAX_NEURONS}"
    if field_name == "hidden_layers" and kind == "too_long":
        return f"hidden layers: {len(value)} layers given; the explorer draws at most {MAX_HIDDEN_LAYERS}"
    if kind == "missing":
        return f"{label} is missing"
    if kind == "extra_forbidden":
        return f"{'.'.join(loc)} is not a setting the explorer knows"
    bounds = {
        "greater_than": "greater than {gt}",
        "greater_than_equal": "at least {ge}",
        "less_than": "less than {lt}",
        "less_than_equal": "at most {le}",
    }
    if kind in bounds:
        limits = {k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()}  # 0, not 0.0
        return f"{label}: {value!r} is out of range; expected a value {bounds[kind].format(**limits)}"
    if kind == "literal_error":
        return f"{label}: {value!r} is not one of the choices; expected {ctx.get('expected', '')}"
    if kind == "string_too_long":
        return f"{label} is too long: at most {ctx.get('max_length')} characters"
    return f"{label}: {error.get('msg', 'invalid')} (got {value!r})"
