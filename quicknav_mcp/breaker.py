"""A circuit breaker: stop calling something that keeps failing, try it again after a pause.

Neutral ground: the gateway guards the embedder with it and the OneDrive indexer its Graph calls.

States: *closed* (calls go through; ``failure_threshold`` failures in a row open it), *open*
(calls fail fast with :class:`CircuitOpen` for ``reset_timeout`` seconds), *half-open* (up to
``half_open_max`` trial calls go through; a success closes it, a failure opens it again).
Thread-safe; the clock is injectable so tests move time instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


class CircuitOpen(RuntimeError):
    """The breaker is open: the call was not attempted."""

    def __init__(self, name: str, retry_in: float) -> None:
        super().__init__(f"circuit {name!r} is open after repeated failures; next try in {retry_in:.1f} s")
        self.name = name
        self.retry_in = retry_in


class CircuitBreaker:
    """One breaker around one dependency (the embedder, a remote drive)."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        half_open_max: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or half_open_max < 1 or reset_timeout <= 0:
            raise ValueError("failure_threshold and half_open_max must be >= 1 and reset_timeout > 0")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.half_open_max = half_open_max
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0  # consecutive, while closed
        self._opened_at = 0.0
        self._trials = 0  # calls in flight while half-open
        self._last_error: str | None = None
        self.opened_count = 0

    @property
    def state(self) -> str:
        with self._lock:
            return self._current()

    def _current(self) -> str:
        # Open turns half-open by itself once the pause is over (checked on read, no timer thread).
        if self._state == OPEN and self._clock() - self._opened_at >= self.reset_timeout:
            self._state = HALF_OPEN
            self._trials = 0
        return self._state

    def before(self) -> None:
        """Admit one call or raise :class:`CircuitOpen`; pair with :meth:`success` / :meth:`failure`."""
        with self._lock:
            state = self._current()
            if state == OPEN:
                raise CircuitOpen(self.name, self.reset_timeout - (self._clock() - self._opened_at))
            if state == HALF_OPEN:
                if self._trials >= self.half_open_max:
                    raise CircuitOpen(self.name, 0.0)
                self._trials += 1

    def success(self) -> None:
        with self._lock:
            self._state = CLOSED
            self._failures = 0
            self._trials = 0

    def failure(self, exc: BaseException | None = None) -> None:
        with self._lock:
            self._last_error = None if exc is None else f"{type(exc).__name__}: {exc}"[:300]
            state = self._current()
            if state == HALF_OPEN:
                self._open()
                return
            self._failures += 1
            if state == CLOSED and self._failures >= self.failure_threshold:
                self._open()

    def _open(self) -> None:
        self._state = OPEN
        self._opened_at = self._clock()
        self._failures = 0
        self._trials = 0
        self.opened_count += 1

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` through the breaker: its exceptions count as failures and are re-raised."""
        self.before()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            self.failure(exc)
            raise
        self.success()
        return result

    def reset(self) -> None:
        """Close it by hand (an operator fixed the dependency)."""
        self.success()

    def snapshot(self) -> dict[str, Any]:
        """State for /health and /metrics."""
        with self._lock:
            state = self._current()
            out: dict[str, Any] = {
                "state": state,
                "consecutive_failures": self._failures,
                "opened_count": self.opened_count,
                "last_error": self._last_error,
            }
            if state == OPEN:
                out["retry_in_s"] = round(max(0.0, self.reset_timeout - (self._clock() - self._opened_at)), 3)
            return out


__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "CircuitBreaker", "CircuitOpen"]
