"""Ctrl-C and SIGTERM during training: stop cleanly at a batch boundary, so the checkpoint is whole."""

from __future__ import annotations

import signal
from typing import Any


class StopOnSignal:
    """SIGINT and SIGTERM ask training to stop at the next batch boundary (a second one stops at once)."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __enter__(self) -> StopOnSignal:
        self.previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signal is not None:
            raise KeyboardInterrupt
        self.signal = signum

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def __call__(self) -> bool:
        return self.signal is not None

    @property
    def name(self) -> str:
        """The signal that asked to stop: SIGTERM or SIGINT."""
        return "SIGTERM" if self.signal == signal.SIGTERM else "SIGINT"

    @property
    def exit_status(self) -> int:
        """128 plus the signal's number, as a shell reports a process that signal ended."""
        return 128 + (self.signal or signal.SIGINT)
