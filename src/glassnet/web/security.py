"""Only the user's own browser drives the explorer, and no page can pile up work.

- ``TrustedHosts``: Starlette's ``TrustedHostMiddleware`` (the Host allow-list that defeats DNS rebinding),
  which answers a refused host in words and, when the explorer listens on every interface by the user's
  choice, also serves any IP address, as Jupyter does (a rebinding page names its own domain, never an
  address);
- ``same_origin``: a request that changes state must come from the explorer's own page when it says where
  it comes from (Origin), as Jupyter and the common development servers do;
- ``Work``: the bound on training requests over all sessions (429 beyond it).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

WORKERS = 2  # training requests that run at once (this is a 2-core tool)
QUEUED = 16  # training requests that may wait for a worker, over all sessions; more get 429
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


def allowed_hosts(hosts: Sequence[str]) -> list[str]:
    """The names the explorer answers to: loopback, the ``hosts`` it listens on, and with "*" (every
    interface) this machine's own names too."""
    names = {host_name(h) for h in (*LOOPBACK, *hosts) if h != "*"}
    if "*" in hosts:
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    return sorted(names - {""})


def is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class TrustedHosts(TrustedHostMiddleware):
    """``TrustedHostMiddleware`` over ``allowed_hosts`` (no www redirect); with ``any_address``, any IP
    address is served too. A refused host gets 400 with a message naming it and the names served."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str], any_address: bool = False) -> None:
        super().__init__(app, allowed_hosts, www_redirect=False)
        self.any_address = any_address

    def trusts(self, host: str) -> bool:
        """Starlette's rule (the name itself, or a "*.domain" pattern), or any address if allowed."""
        return (
            self.allow_any
            or any(host == p or (p.startswith("*") and host.endswith(p[1:])) for p in self.allowed_hosts)
            or (self.any_address and is_address(host))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            raw = Headers(scope=scope).get("host", "")
            if not self.trusts(host_name(raw)):
                names = ", ".join(self.allowed_hosts) + (" and any IP address" if self.any_address else "")
                response = JSONResponse(
                    {"detail": f"host {raw!r} is not served: the explorer answers to {names}"},
                    status_code=400,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def protect(app: FastAPI, hosts: Sequence[str]) -> None:
    """Add the Host allow-list and the Origin check to ``app`` (see the module's docstring)."""

    @app.middleware("http")
    async def same_origin(request: Request, call_next: Any) -> Any:
        origin = request.headers.get("origin")
        if request.method not in SAFE_METHODS and origin is not None:
            netloc = origin.split("://", 1)[-1].rstrip("/").lower()
            if netloc != request.headers.get("host", "").lower():
                return JSONResponse(
                    {"detail": f"a page from {origin!r} cannot change the explorer's sessions"},
                    status_code=403,
                )
        return await call_next(request)

    # added last, so it runs first: a request for another host never reaches the Origin check
    app.add_middleware(TrustedHosts, allowed_hosts=allowed_hosts(hosts), any_address="*" in hosts)


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
