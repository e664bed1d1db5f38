"""One browser tab's run: its network, data and ``fit`` run, and the memory time travel replays from.

Every update is made by ``fit`` (glassnet.core.training), continuing the session's ``TrainingState`` a few
updates at a time (``max_updates``): the row order, the epochs' ends, the stop rules and their words are
``fit``'s, and ``TrainingState.next_rows`` names the rows of the next update. A request's last step is
traced: with one example per step it is ``fit``'s own traced update; with a batch, steps 2-5 are shown on
its first example and step 6 is the batch's update as ``fit`` made it (``traced_update``).
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from glassnet.core.errors import GlassnetError
from glassnet.core.network import Network
from glassnet.core.optimizers import SGD
from glassnet.core.trace import StepTrace
from glassnet.core.training import FitResult, TrainingState, evaluate, fit

from ..explain.layout import Layout
from .dataset import Data, load_data, new_network
from .requests import ParameterEdit, Settings, TrainingChange, TrainRequest

CONVERGE_STEPS = 200_000  # "train until converged" gives up here, and says so (fit's max_updates)
HISTORY_POINTS = 1000  # the loss curve's points, spread over the whole run
CHECKPOINTS = 400  # snapshots kept for time travel; further apart as the run grows
CHECKPOINT_EVERY = 100  # steps between two snapshots at first
TRACES_KEPT = 256  # the most recent step traces kept whole
TRACE_BUDGET = 5000  # ... and at most this many parameters' records in them (about 5 MB)
MAX_EVENTS = 500  # weight edits and training-setting changes recorded per session
STOPS = {"loss_tolerance": "converged", "stuck": "stuck"}  # fit's reasons that end "until converged"


@dataclass(frozen=True)
class Training:
    """The settings one step trains with: they may change between steps (``TrainingChange``)."""

    learning_rate: float
    batch_size: int
    l2: float

    def optimizer(self) -> SGD:
        return SGD(self.learning_rate, weight_decay=self.l2)


def run_fit(
    net: Network, data: Data, run: TrainingState, training: Training, until: int, **options: Any
) -> FitResult:
    """``fit`` on the session's training rows, continuing ``run`` up to its update ``until`` (or an earlier
    stop). The run keeps one entry of its per-epoch history: the loss curve is the session's ``History``."""
    result = fit(
        net, data.X, data.T, training.optimizer(), epochs=None, max_updates=until,
        batch_size=training.batch_size, resume=run, warn=False, **options,
    )  # fmt: skip
    if result.state is not None:
        del result.state.history[:-1]
    return result


def traced_update(
    net: Network, data: Data, run: TrainingState, training: Training, **options: Any
) -> tuple[dict[str, Any], FitResult]:
    """The next update of ``run`` with every number recorded (the trace as JSON-ready values), and
    ``fit``'s result after it; GlassnetError if it diverged.

    One example per step: the update is ``fit``'s own traced update. A batch: steps 2-5 are traced on its
    first example (on a copy of the network, whose update is dropped), and ``trace["batch"]`` holds the
    update ``fit`` made: the batch's rows, its mean loss, the mean gradients it applied, the new values and
    the batch's loss after them.
    """
    rows = run.next_rows(training.batch_size)
    single = min(training.batch_size, len(data.X)) == 1
    traces: list[StepTrace] = []
    losses: list[float] = []
    if not single:
        traces.append(
            copy.deepcopy(net).traced_step(data.X[rows[:1]], data.T[rows[:1]], training.optimizer())
        )
    result = run_fit(
        net, data, run, training, run.updates + 1, on_batch=lambda epoch, batch, E: losses.append(E),
        trace=(lambda k: True) if single else None, on_trace=traces.append if single else None,
        keep_gradients=not single, **options,
    )  # fmt: skip
    if result.reason == "diverged" or not traces or not losses:
        raise GlassnetError("the step diverged")
    trace = traces[0].to_dict()
    trace["row"] = int(rows[0])
    trace["l2"] = training.l2
    if not single:
        with np.errstate(over="ignore", invalid="ignore"):
            after = evaluate(net, data.X[rows], data.T[rows])[0]
        trace["batch"] = {
            "size": len(rows),
            "rows": [int(r) for r in rows],
            "loss": losses[0],
            "grads": {r.name: float(net.grad_of(r)[r.index]) for r in net.parameter_refs},
            "new": net.parameters(),
            "loss_after": after,
        }
    return trace, result


@dataclass
class Snapshot:
    """The weights after ``step`` steps and where ``fit``'s run stands (its order, Generator): every step
    after it can be recomputed from it. ``pinned`` ones (a weight set by hand, a changed setting) are kept."""

    step: int
    weights: list[tuple[np.ndarray, np.ndarray | None]]
    run: TrainingState
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
        self.run = TrainingState.start(len(self.data.X), settings.seed, settings.learning_rate)
        self.steps = 0
        self.version = 0
        self.history = History()
        self.checkpoints: list[Snapshot] = []
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
        """The loss over all training rows, and over the test rows (None without any), as ``fit`` computes
        it (``evaluate``: from the net inputs, so a large loss is its value, never a clipped one)."""
        net = net or self.net
        d = self.data
        with np.errstate(over="ignore", invalid="ignore"):
            loss = evaluate(net, d.X, d.T)[0]
            test = evaluate(net, d.X_test, d.T_test)[0] if len(d.X_test) else None
        return loss, test

    def record_losses(self) -> None:
        self.history.add(self.steps, *self.losses())

    def stepped(self, epoch: int, batch: int, E: float) -> None:
        """``fit``'s ``on_batch``: one more step, and a point of the loss curve every ``stride`` steps."""
        self.steps += 1
        if self.steps % self.history.stride == 0:
            self.record_losses()

    def checkpoint(self, pinned: bool = False) -> None:
        """Keep the weights and run position after ``steps`` steps (replacing one at the same step)."""
        if self.checkpoints and self.checkpoints[-1].step == self.steps:
            pinned = self.checkpoints.pop().pinned or pinned
        run = copy.deepcopy(self.run)
        self.checkpoints.append(Snapshot(self.steps, self.net.get_weights(), run, self.training, pinned))
        if len(self.checkpoints) > CHECKPOINTS:
            self._thin()

    def _thin(self) -> None:
        """Keep the snapshots every ``interval`` steps, the pinned ones and the ends. Each request leaves
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
        """Back to the newest snapshot at or before ``step``: the run after it is forgotten."""
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

        The work goes in segments that end at snapshot steps (so time travel can replay from them); the
        request's last step is traced (steps 2-6, every number), so the page always shows the newest. With
        ``until_converged``, ``fit`` judges the loss over the data against ``loss_tol`` after every epoch
        and checks its rule ``stuck``; ``CONVERGE_STEPS`` is the run's ``max_updates``.
        """
        started = time.perf_counter()
        deadline = started + request.max_ms / 1000 if request.max_ms is not None else math.inf
        goal = self.steps + request.steps
        rules: dict[str, Any] = {}
        if request.until_converged:
            rules = {"loss_tol": request.loss_tol, "data_loss": True}
            goal = min(goal, max(CONVERGE_STEPS, self.steps))
        self.stopped, self.preview = None, None
        self.checkpoint()
        while self.steps < goal - 1 and self.stopped is None and time.perf_counter() < deadline:
            segment_end = min(goal - 1, (self.steps // self.interval + 1) * self.interval)
            if not self._advance(segment_end, deadline, rules):
                return
            self.checkpoint()
        if self.stopped is None and self.steps < goal:
            self._traced_step(rules)
        if request.until_converged and self.stopped is None and self.steps >= CONVERGE_STEPS:
            self._stop(run_fit(self.net, self.data, self.run, self.training, self.steps, **rules), rules)
        self.record_losses()
        if self.stopped is None and not math.isfinite(self.history.points[-1][1]):
            self._diverged()  # every step's loss was finite, but the loss over all the data is not

    def _stop(self, result: FitResult, rules: dict[str, Any]) -> None:
        """Note why ``fit`` stopped, in its words, when that ends "until converged" (``rules``): converged,
        stuck, or the limit of ``CONVERGE_STEPS`` updates."""
        if result.reason in STOPS:
            self.stopped = {"kind": STOPS[result.reason], "message": result.message}
        elif rules and result.reason == "max_updates" and result.updates >= CONVERGE_STEPS:
            self.stopped = {"kind": "limit", "message": result.message}

    def _advance(self, until: int, deadline: float, rules: dict[str, Any]) -> bool:
        """Untraced steps up to step ``until`` (or the deadline, or a stop); False if it diverged."""
        result = run_fit(
            self.net, self.data, self.run, self.training, until, on_batch=self.stepped,
            stop_requested=lambda: time.perf_counter() >= deadline, **rules,
        )  # fmt: skip
        if result.reason == "diverged" or result.state is None:
            self._diverged()
            return False
        self.run = result.state
        self._stop(result, rules)
        return True

    def _traced_step(self, rules: dict[str, Any]) -> None:
        """One step with every number recorded: the request's last."""
        try:
            trace, result = traced_update(self.net, self.data, self.run, self.training, **rules)
        except GlassnetError:
            self._diverged()
            return
        assert result.state is not None
        self.run = result.state
        self.steps += 1
        self.keep_trace(self.steps, trace)
        self._stop(result, rules)
        if self.steps % self.interval == 0:
            self.checkpoint()

    def _diverged(self) -> None:
        """Stop at the last step whose weights and loss over the data are finite, found by bisection between
        the newest snapshot and the steps made (each try replays from the snapshot: ``fit`` has no run to
        resume after a divergence, and an update that overflows puts back its epoch's first weights)."""
        lr = self.training.learning_rate
        hi = self.steps  # the updates fit counted before it stopped
        for _ in range(8):  # a snapshot whose loss over the data is not finite: the one before it
            self.rollback(hi)
            lo = self.steps
            while lo < hi:
                mid = (lo + hi + 1) // 2
                self._back_to(mid)
                if self.steps == mid and math.isfinite(self.losses()[0]):
                    lo = mid
                else:
                    hi = mid - 1
            self._back_to(lo)
            if lo == 0 or math.isfinite(self.losses()[0]):
                break
            hi = lo - 1
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
        """The session as it was after step ``target``, replayed from the newest snapshot before it; the
        snapshot itself if that replay does not end finite."""
        self.rollback(target)
        if target <= self.steps:
            return
        start = self.steps
        result = run_fit(self.net, self.data, self.run, self.training, target, on_batch=self.stepped)
        if result.reason == "diverged" or result.state is None:
            self.rollback(start)  # its last update overflowed: the snapshot is the last finite state
        else:
            self.run = result.state

    # -------------------------------------------------------------------- changes between steps
    def change(self, change: TrainingChange) -> None:
        """New training settings from the next step on: an event, and a snapshot to replay from."""
        given = change.model_dump(exclude_none=True)
        if not given:
            return
        if len(self.events) >= MAX_EVENTS:
            raise GlassnetError(f"a session keeps at most {MAX_EVENTS} changes; press Reset to start afresh")
        training = replace(self.training, **given)
        if training.batch_size != self.training.batch_size:
            self.run = self.run.restart_epoch()  # batches of another size start a new epoch
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
            self.preview, _ = traced_update(net, self.data, copy.deepcopy(self.run), self.training)
        except GlassnetError:  # the next step diverges: the edit stands, with nothing to preview
            self.preview = None

    # -------------------------------------------------------------------- time travel
    def at(self, step: int) -> tuple[dict[str, Any], Network]:
        """Step ``step``'s trace and the network right after it, recomputed from the newest snapshot
        before it when its trace is no longer kept (a step is a pure function of its weights and rows)."""
        c = next(c for c in reversed(self.checkpoints) if c.step <= step - 1)
        net = copy.deepcopy(self.net)
        net.set_weights(c.weights)
        run = copy.deepcopy(c.run)
        if step - 1 > c.step:
            replayed = run_fit(net, self.data, run, c.training, step - 1).state
            assert replayed is not None
            run = replayed
        cached = self.traces.get(step)
        trace, _ = traced_update(net, self.data, run, c.training)
        return (cached if cached is not None else trace), net
