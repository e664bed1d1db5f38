"""The explorer's server: a FastAPI app that trains small networks and sends their step traces to the page.

Each browser tab creates its own session (its own network). The page renders the trace JSON it receives
(``StepTrace.to_dict()``, the same as ``glassnet explain --json``); it never recomputes the maths.

The modules, by concern: ``app`` the routes (``create_app``); ``requests`` what a request may ask (the
pydantic models, their limits, the words for a refused value); ``session`` a tab's run, trained by ``fit``,
and time travel; ``dataset`` its examples and first network; ``views`` the state sent to the page;
``security`` the Host allow-list, the Origin check and the bound on concurrent work.

Safe by default: every request body is validated by a pydantic model; sizes are bounded (layers, neurons,
steps per request, upload size, sessions kept); bad requests get a 4xx with a message, never a 500; the
server reads no file beyond its own static assets (an uploaded CSV arrives as text in the request).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from glassnet.core.errors import GlassnetError
from glassnet.core.examples import worked_example

from .requests import (
    ACTIVATION_NAMES,
    BIASES,
    DATASETS,
    LOSS_NAMES,
    PRESETS,
    ParameterEdit,
    Settings,
    TrainingChange,
    TrainRequest,
    readable,
)
from .security import Work, protect
from .session import Session
from .views import LIMITS, boundary, state

STATIC = Path(__file__).parent / "static"
MAX_SESSIONS = 64
SessionId = Annotated[str, PathParam(max_length=64)]
Width = Annotated[int, Query(ge=240, le=4000, description="the width of the page's network picture")]


def create_app(hosts: Sequence[str] = ()) -> FastAPI:
    """The explorer's FastAPI application.

    Only the user's own browser drives it (``security.protect``): a request must name a loopback host (or
    one of ``hosts``, the address the explorer listens on) in its Host header, which defeats DNS
    rebinding, and a request that changes state must come from the explorer's own page when it says where
    it comes from (Origin). ``hosts`` holding "*" (listening on every interface, by the user's choice) also
    allows any IP address and this machine's own names, as Jupyter does.
    """
    app = FastAPI(title="glassnet explorer", version="1", docs_url=None, redoc_url=None)
    protect(app, hosts)
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
