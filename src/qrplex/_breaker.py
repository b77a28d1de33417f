"""A circuit breaker per backend: stop paying timeouts to a backend that keeps failing.

Closed: calls go through; ``threshold`` consecutive transient failures open it.
Open: calls skip the backend at once (the fallback serves them) until ``cooldown`` has passed.
Half-open: one call (the probe) goes through; success closes the breaker, failure reopens it.
Every other caller keeps skipping while the probe is in flight.

State changes happen under a lock held only for a few assignments, so one breaker is safe to
share between threads and between asyncio tasks (which never await while holding it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(StrEnum):
    """Where a breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Counts consecutive transient failures of one backend and opens after ``threshold``.

    Args:
        threshold: consecutive transient failures that open the breaker (>= 1).
        cooldown: seconds it stays open before one probe may go through.
        clock: monotonic clock, injectable for tests.
    """

    def __init__(
        self,
        threshold: int = 5,
        cooldown: float = 30.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """The current state (``open`` turns ``half-open`` once the cool-down has passed)."""
        with self._lock:
            return self._state_locked()

    def _state_locked(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._probing or self._clock() - self._opened_at < self.cooldown:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def allow(self) -> bool:
        """Whether a call may go to the backend now. In half-open state, exactly one caller
        gets ``True`` (the probe) until it reports back."""
        with self._lock:
            state = self._state_locked()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN:
                self._probing = True
                return True
            return False

    def record_success(self) -> None:
        """The backend served a call: close the breaker."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def record_failure(self) -> None:
        """The backend failed transiently: count it, and open (or reopen) if due."""
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                self._opened_at = self._clock()
                self._probing = False

    def release_probe(self) -> None:
        """A probe ended without a verdict (e.g. invalid input): let another probe through."""
        with self._lock:
            self._probing = False

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.state.value} failures={self._failures}>"
