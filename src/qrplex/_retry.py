"""Retry timing: bounded attempts, exponential backoff with full jitter, ``Retry-After``,
and a total deadline. The only retry loop in qrplex lives in ``Client``; this module just
says how long to wait."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import BackendError, BackendUnavailableError

__all__ = ["MAX_BACKOFF", "Deadline", "RetryPolicy"]

MAX_BACKOFF = 2.0
"""Seconds: the longest wait of an exponential backoff (a ``Retry-After`` may ask for up to
four times as long)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient failures of one backend are retried before falling back.

    Attributes:
        retries: extra attempts after the first (0 disables retries).
        backoff: the first delay in seconds; each retry doubles it, up to ``max_backoff``.
            The actual sleep is uniformly random in ``[0, delay]`` ("full jitter").
        max_backoff: the largest delay.
    """

    retries: int = 2
    backoff: float = 0.1
    max_backoff: float = MAX_BACKOFF

    def delay(
        self, retry: int, error: BackendError, rng: random.Random | None = None
    ) -> float | None:
        """Seconds to wait before retry number ``retry`` (1-based) after ``error``, or
        ``None`` when the service asked for a longer wait (``Retry-After``) than a retry
        should take: then fall back instead of knocking again too early."""
        if isinstance(error, BackendUnavailableError) and error.retry_after is not None:
            asked = max(error.retry_after, 0.0)
            return asked if asked <= self.max_backoff * 4 else None
        ceiling = min(self.backoff * (2 ** min(retry - 1, 62)), self.max_backoff)
        return (rng or random).uniform(0.0, ceiling)


@dataclass(slots=True)
class Deadline:
    """A total time budget for one call, across its retries and fallbacks.

    Attributes:
        seconds: the budget, or ``None`` for none.
        clock: the monotonic clock it is measured on (injectable for tests).
        started: the clock reading it counts from (default: now).
    """

    seconds: float | None
    clock: Callable[[], float] = time.monotonic
    started: float | None = None

    def __post_init__(self) -> None:
        if self.started is None:
            self.started = self.clock()

    @property
    def expires(self) -> float | None:
        """The clock reading at which the budget runs out, or ``None``."""
        if self.seconds is None or self.started is None:
            return None
        return self.started + self.seconds

    def remaining(self) -> float | None:
        """Seconds left, or ``None`` for no deadline."""
        expires = self.expires
        return None if expires is None else expires - self.clock()

    def allows(self, wait: float) -> bool:
        """Whether waiting ``wait`` seconds more still ends before the deadline."""
        left = self.remaining()
        return left is None or left > wait
