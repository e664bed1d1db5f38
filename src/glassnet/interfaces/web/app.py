"""The explorer's server: a FastAPI app that trains small networks and sends their step traces to the page.

Each browser tab creates its own session (its own network). The page renders the trace JSON it receives
(``StepTrace.to_dict()``, the same as ``glassnet explain --json``); it never recomputes the maths.

Safe by default: every request body is validated by a pydantic model; sizes are bounded (layers, neurons,
steps per request, upload size, sessions kept); bad requests get a 4xx with a message, never a 500; the
server reads no file beyond its own static assets (an uploaded CSV arrives as text in the request).
"""

from __future__ import annotations

import math
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from glassnet.core.activations import ACTIVATIONS
from glassnet.core.errors import GlassnetError
from glassnet.core.examples import INPUTS, LEARNING_RATE, PARAMETERS, TARGETS
from glassnet.core.losses import LOSSES
from glassnet.core.model import Standardizer
from glassnet.core.network import BIAS_MODES, Network
from glassnet.core.optimizers import SGD
from glassnet.core.trace import StepTrace
from glassnet.core.training import TrainingState, divergence_message, fit

from ..data import GENERATED_SETS, SKLEARN_SETS, generate, infer_task, read_csv_text, target_values
from ..layout import network_layout

STATIC = Path(__file__).parent / "static"
MAX_SESSIONS = 64
MAX_HIDDEN_LAYERS = 4
MAX_NEURONS = 16
MAX_STEPS_PER_REQUEST = 5000
MAX_UPLOAD_CHARS = 100_000
MAX_UPLOAD_ROWS = 2000
MAX_UPLOAD_FEATURES = 8
MAX_CLASSES = 8
MAX_HISTORY = 2000
DENSE = 8  # layers wider than this show only each neuron's output; its net input moves to the hover
MAX_DRAWN_HEIGHT = 720  # the picture grows taller than this only when its neurons need the room
SessionId = Annotated[str, PathParam(max_length=64)]
Width = Annotated[int, Query(ge=240, le=4000, description="the width of the page's network picture")]

# The choices the controls offer, from the core's registries (and data.py's named sets) plus the explorer's
# own: the worked example, an uploaded CSV file and "frozen" (shared biases that are not trained).
WIDE_SETS = ("digits", "wine", "breast-cancer")  # more feature columns than the explorer draws
DATASETS = ("worked-example", *GENERATED_SETS, *(d for d in SKLEARN_SETS if d not in WIDE_SETS), "csv")
# softmax is not elementwise: an output layer's choice, made from the loss (see Network)
ACTIVATION_NAMES = tuple(name for name, cls in ACTIVATIONS.items() if cls.elementwise)
LOSS_NAMES = tuple(LOSSES)
# every layer has biases here, trained (per neuron or shared) or frozen (shared): so not "none"
BIASES = (*(mode for mode in BIAS_MODES if mode != "none"), "frozen")

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
    learning_rate: Annotated[float, Field(gt=0, le=10)] = LEARNING_RATE
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    bias: Bias = "frozen"
    csv: Annotated[str, Field(max_length=MAX_UPLOAD_CHARS)] | None = None
    target: Annotated[str, Field(max_length=200)] | None = None


class TrainRequest(BaseModel):
    """Train ``steps`` single-example steps; with ``until_converged``, stop early once converged."""

    model_config = ConfigDict(extra="forbid", strict=True)

    steps: Annotated[int, Field(ge=1, le=MAX_STEPS_PER_REQUEST)] = 100
    until_converged: bool = False
    loss_tol: Annotated[float, Field(gt=0, le=10)] = 1e-3


@dataclass
class Session:
    """One tab's network, data and progress; ``run`` is where ``fit`` stopped (order, Generator, counts)."""

    settings: Settings
    net: Network
    X: np.ndarray
    T: np.ndarray
    raw_X: np.ndarray
    labels: list[Any]
    classes: list[str]
    scaler: Standardizer | None
    run: TrainingState | None = None
    steps: int = 0
    history: list[tuple[int, float]] = field(default_factory=list)
    trace: dict[str, Any] | None = None
    converged: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def full_loss(self) -> float:
        return self.net.loss(self.net.predict(self.X), self.T)


def _dataset(settings: Settings) -> tuple[np.ndarray, np.ndarray, list[Any], list[str], bool]:
    """(raw features, targets, labels per row, class names, standardize?) for the chosen dataset."""
    if settings.dataset == "worked-example":
        return np.array([INPUTS]), np.array([TARGETS]), [], [], False
    if settings.dataset == "xor":
        X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        y: list[Any] = [0, 1, 1, 0]
    elif settings.dataset in GENERATED_SETS:
        table = generate(settings.dataset, n=200, seed=settings.seed)
        X, y = table.X, table.y.tolist()
    elif settings.dataset in SKLEARN_SETS:
        try:
            import sklearn.datasets
        except ImportError:
            raise GlassnetError(
                f"the {settings.dataset} dataset comes with scikit-learn: pip install 'glassnet[sklearn]'"
            ) from None

        bunch = getattr(sklearn.datasets, SKLEARN_SETS[settings.dataset])()
        X, y = bunch.data, [str(bunch.target_names[k]) for k in bunch.target]
    else:
        if not settings.csv:
            raise GlassnetError("choose a CSV file to upload for the 'csv' dataset")
        table = read_csv_text(settings.csv, settings.target)
        if len(table.y) > MAX_UPLOAD_ROWS or table.X.shape[1] > MAX_UPLOAD_FEATURES:
            raise GlassnetError(
                f"the explorer takes at most {MAX_UPLOAD_ROWS} rows and {MAX_UPLOAD_FEATURES} feature "
                "columns; "
                f"the upload has {len(table.y)} rows and {table.X.shape[1]} feature columns"
            )
        if infer_task(table.y) == "regression":
            values = target_values(table.y, "regression").reshape(-1, 1)
            target = Standardizer.fit(values)
            return table.X, target.transform(values), [], [], True
        X, y = table.X, table.y.tolist()
    classes = sorted({str(v) for v in y})
    if not 2 <= len(classes) <= MAX_CLASSES:
        raise GlassnetError(f"the explorer needs 2 to {MAX_CLASSES} classes; the data has {len(classes)}")
    index = {c: k for k, c in enumerate(classes)}
    T = np.eye(len(classes))[[index[str(v)] for v in y]]
    return np.asarray(X, dtype=np.float64), T, [str(v) for v in y], classes, settings.dataset != "xor"


def new_session(settings: Settings) -> Session:
    """Build the network and data a Settings describes (step 1: initialize)."""
    raw_X, T, labels, classes, standardize = _dataset(settings)
    scaler = Standardizer.fit(raw_X) if standardize else None
    X = scaler.transform(raw_X) if scaler is not None else raw_X
    sizes = [X.shape[1], *settings.hidden_layers, T.shape[1]]
    worked = settings.dataset == "worked-example" and settings.hidden_layers == [2]
    net = Network(
        sizes,
        activation=settings.activation,
        loss=settings.loss,
        bias="per_neuron" if settings.bias == "per_neuron" else "shared",
        train_biases=settings.bias != "frozen",
        init="uniform" if worked else "auto",
        seed=settings.seed,
    )
    if worked and settings.bias != "per_neuron":
        net.set_parameters(PARAMETERS)
    session = Session(settings, net, X, T, raw_X, labels, classes, scaler)
    session.history.append((0, session.full_loss()))
    return session


def precise(x: float | None) -> str:
    """A number as the page prints it: JavaScript's ``x.toPrecision(9)`` ("–" for None, "0" for 0).

    >>> precise(0.4), precise(0.75136507), precise(123.456), precise(-1.5e-7), precise(0.0)
    ('0.400000000', '0.751365070', '123.456000', '-1.50000000e-7', '0')
    """
    if x is None:
        return "–"
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else "Infinity" if x > 0 else "-Infinity"
    mantissa, exponent = f"{x:.8e}".split("e")
    e = int(exponent)
    if e < -6 or e >= 9:
        return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return f"{x:.{8 - e}f}"


def drawing(s: Session, width: int) -> dict[str, Any]:
    """Where the page draws the network (``layout.network_layout``, in the page's monospace 10px font):
    weights labelled ``name=value`` on their edges, biases beside a neuron, above each neuron its net input
    and output after a step (only its output in dense networks), above each input its value."""
    net = s.net
    values = net.parameters()
    refs = net.parameter_refs
    dense = max(net.sizes) > DENSE
    text = {r.name: f"{r.name}={precise(values[r.name])}" for r in refs}
    notes: dict[str, list[str]] = {}
    if s.trace is not None:
        for layer in s.trace["layers"]:
            for n in layer["neurons"]:
                a = precise(n["a"])
                notes[n["name"]] = [a] if dense else [f"net {precise(n['z'])}", f"out {a}"]
        for name, value in s.trace["inputs"].items():
            notes[name] = [precise(value)]
    layout = network_layout(
        net.neuron_names,
        [(r.name, r.source or "", r.targets[0], text[r.name]) for r in refs if r.kind == "weight"],
        [(r.name, r.targets, text[r.name]) for r in refs if r.kind == "bias"],
        width,
        neuron_notes=notes,
        font_size=10,
        monospace=True,
        radius=16,
        max_height=MAX_DRAWN_HEIGHT,
    )
    return {"dense": dense, **asdict(layout)}


def state(session_id: str, s: Session, width: int = 640) -> dict[str, Any]:
    """Everything the page draws, as JSON; the network's layout for a picture ``width`` pixels wide."""
    net = s.net
    values = net.parameters()
    return {
        "layout": drawing(s, width),
        "session": session_id,
        "settings": s.settings.model_dump(exclude={"csv"}),
        "sizes": net.sizes,
        "activations": [a.name for a in net.activations],
        "names": net.neuron_names,
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
        "steps": s.steps,
        "loss": s.history[-1][1],
        "history": s.history[-MAX_HISTORY:],
        "trace": s.trace,
        "converged": s.converged,
        "two_d": s.raw_X.shape[1] == 2 and bool(s.classes),
        "examples": len(s.X),
        "classes": s.classes,
    }


def train(s: Session, request: TrainRequest) -> None:
    """Run ``request.steps`` single-example gradient-descent steps with ``fit``, continuing the session's
    run (its shuffled order and Generator) where the last request left it.

    Every ``len(X)``-th step of the request, and its last, is a check: that step is traced (so the page
    always shows the newest), the loss on all the data joins the history and, with ``until_converged``,
    training stops once that loss is at most ``loss_tol`` or no weight moved more than 1e-9 since the
    previous check.
    """
    lr = s.settings.learning_rate
    n, first, goal = len(s.X), s.steps, s.steps + request.steps
    s.converged = None
    before = [p.copy() for p in s.net.trainable] if request.until_converged else []
    nonfinite: list[int] = []  # the epoch in which the loss on all the data became NaN or inf

    def checked(k: int) -> bool:
        """Whether the k-th step of this request is a check."""
        return k % n == 0 or k == request.steps

    def show(trace: StepTrace) -> None:
        s.trace = trace.to_dict()

    def after_step(epoch: int, batch: int, E: float) -> None:
        s.steps += 1
        if not checked(s.steps - first):
            return
        loss = s.full_loss()
        if not math.isfinite(loss):
            nonfinite.append(epoch)
            return
        s.history.append((s.steps, loss))
        if request.until_converged:
            s.converged = _converged(s, loss, request.loss_tol, before)
            for saved, p in zip(before, s.net.trainable, strict=True):
                np.copyto(saved, p)

    result = fit(
        s.net,
        s.X,
        s.T,
        SGD(lr),
        epochs=(s.run.epoch if s.run is not None else 0) + request.steps + 1,  # the steps end it first
        batch_size=1,
        seed=s.settings.seed,
        resume=s.run,
        on_batch=after_step,
        stop_requested=lambda: s.steps >= goal or s.converged is not None or bool(nonfinite),
        trace=checked,
        on_trace=show,
    )
    if result.reason == "diverged":
        raise GlassnetError(result.message)
    s.run = result.state
    if s.run is not None:
        del s.run.history[:-1]  # one entry per epoch: the page's history is ``s.history``
    if nonfinite:
        raise GlassnetError(divergence_message(nonfinite[0], lr, restored=False))


def _converged(s: Session, loss: float, loss_tol: float, before: list[np.ndarray]) -> str | None:
    """The explorer's convergence rules, checked on the loss over all the data: why it has converged, or
    None."""
    if loss <= loss_tol:
        return f"loss {loss:.6g} <= tolerance {loss_tol:g} after {s.steps} steps"
    moved = max(float(np.max(np.abs(p - q))) for p, q in zip(s.net.trainable, before, strict=True))
    if moved <= 1e-9:
        return f"every weight has converged (none moved more than 1e-9) after {s.steps} steps"
    return None


def boundary(s: Session, resolution: int) -> dict[str, Any]:
    """Class-1 probability (2 classes) or predicted class index over a grid, in the raw feature space."""
    if not (s.raw_X.shape[1] == 2 and s.classes):
        raise GlassnetError("a decision boundary needs a dataset with 2 features and classes")
    lo, hi = s.raw_X.min(axis=0), s.raw_X.max(axis=0)
    pad = (hi - lo) * 0.1 + 1e-9
    lo, hi = lo - pad, hi + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[gx.ravel(), gy.ravel()]
    Z = s.scaler.transform(grid) if s.scaler is not None else grid
    out = s.net.predict(Z)
    value = (
        out[:, 1] / np.maximum(out.sum(axis=1), 1e-12)
        if out.shape[1] == 2
        else out.argmax(axis=1) / (out.shape[1] - 1)
    )
    return {
        "x": [float(lo[0]), float(hi[0])],
        "y": [float(lo[1]), float(hi[1])],
        "resolution": resolution,
        "values": np.round(value.reshape(resolution, resolution), 4).tolist(),
        "points": [
            [float(a), float(b), s.classes.index(c)] for (a, b), c in zip(s.raw_X, s.labels, strict=True)
        ],
    }


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
    Jupyter and the common development servers do. ``hosts`` holding "*" allows any host (listening on
    every interface, by the user's choice).
    """
    app = FastAPI(title="glassnet explorer", version="1", docs_url=None, redoc_url=None)
    allowed = {host_name(h) for h in (*LOOPBACK, *hosts)}

    @app.middleware("http")
    async def only_the_users_browser(request: Request, call_next: Any) -> Any:
        host = request.headers.get("host", "")
        if "*" not in allowed and host_name(host) not in allowed:
            names = ", ".join(sorted(allowed))
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
    }
    sessions: OrderedDict[str, Session] = OrderedDict()
    registry_lock = threading.Lock()

    def get(session_id: str) -> Session:
        with registry_lock:
            s = sessions.get(session_id)
            if s is None:
                raise HTTPException(
                    404, f"no session {session_id!r}: it expired or never existed; reload the page"
                )
            sessions.move_to_end(session_id)
            return s

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
        message = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return JSONResponse({"detail": message, "errors": errors}, status_code=422)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/options")
    def options() -> dict[str, Any]:
        """The choices the controls offer and the server's limits."""
        return {
            "datasets": list(DATASETS),
            "activations": list(ACTIVATION_NAMES),
            "losses": list(LOSS_NAMES),
            "bias": list(BIASES),
            "limits": {
                "hidden_layers": MAX_HIDDEN_LAYERS,
                "neurons": MAX_NEURONS,
                "steps": MAX_STEPS_PER_REQUEST,
                "upload_chars": MAX_UPLOAD_CHARS,
                "upload_rows": MAX_UPLOAD_ROWS,
            },
        }

    @app.post("/api/sessions", status_code=201, responses=errors)
    def create(settings: Settings, width: Width = 640) -> dict[str, Any]:
        """Start a new network (one per browser tab)."""
        s = new_session(settings)
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
        return state(session_id, s, width)

    @app.post("/api/sessions/{session_id}/step", responses=errors)
    def step(session_id: SessionId, width: Width = 640) -> dict[str, Any]:
        """One training step on the next example, fully traced."""
        s = get(session_id)
        with s.lock:
            train(s, TrainRequest(steps=1))
            return state(session_id, s, width)

    @app.post("/api/sessions/{session_id}/train", responses=errors)
    def train_many(session_id: SessionId, request: TrainRequest, width: Width = 640) -> dict[str, Any]:
        """Up to ``steps`` steps (at most 5,000 per request); the last is traced."""
        s = get(session_id)
        with s.lock:
            train(s, request)
            return state(session_id, s, width)

    @app.post("/api/sessions/{session_id}/reset", responses=errors)
    def reset(session_id: SessionId, width: Width = 640) -> dict[str, Any]:
        """Back to step 1 with the same settings."""
        s = get(session_id)
        fresh = new_session(s.settings)
        with registry_lock:
            sessions[session_id] = fresh
        return state(session_id, fresh, width)

    @app.get("/api/sessions/{session_id}/boundary", responses=errors)
    def decision_boundary(
        session_id: SessionId, resolution: Annotated[int, Query(ge=4, le=100)] = 40
    ) -> dict[str, Any]:
        """The decision boundary of a 2-D classifier as a grid of values in [0, 1], with the data points."""
        s = get(session_id)
        with s.lock:
            return boundary(s, resolution)

    return app
