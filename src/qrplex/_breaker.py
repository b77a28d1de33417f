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

__all__ = ["Admission", "BreakerState", "CircuitBreaker"]


class Admission(StrEnum):
    """How a call was let through (see :meth:`CircuitBreaker.admit`)."""

    THROUGH = "through"
    PROBE = "probe"


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

    def admit(self) -> Admission | None:
        """Whether a call may go to the backend now: ``THROUGH`` (closed), ``PROBE`` (half-open:
        exactly one caller gets it until it reports back) or ``None`` (skip it)."""
        with self._lock:
            state = self._state_locked()
            if state is BreakerState.CLOSED:
                return Admission.THROUGH
            if state is BreakerState.HALF_OPEN:
                self._probing = True
                return Admission.PROBE
            return None

    def allow(self) -> bool:
        """Whether a call may go to the backend now (see :meth:`admit`)."""
        return self.admit() is not None

    def record_success(self) -> None:
        """The backend served a call: close the breaker."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def record_failure(self, probe: bool = False) -> None:
        """The backend failed transiently: count it, and open it if due. A failed probe
        reopens it for a whole cool-down; failures of calls that were already in flight
        when it opened do not extend the cool-down."""
        with self._lock:
            self._failures += 1
            if probe:
                self._opened_at = self._clock()
                self._probing = False
            elif self._opened_at is None and self._failures >= self.threshold:
                self._opened_at = self._clock()

    def release_probe(self) -> None:
        """The probe ended without a verdict (invalid input, cancelled): let another probe
        through. Only the caller that was admitted with ``PROBE`` may call it."""
        with self._lock:
            self._probing = False

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.state.value} failures={self._failures}>"
