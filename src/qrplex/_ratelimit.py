"""One overall request rate for a batch, split across the workers that run it.

The coordinator divides the user's rate (requests per second for the whole batch) by the
number of partitions that can run at once (the executor's slots); each running partition
spaces its calls at that share, so the whole batch never goes faster than the rate, however
many workers run it. Transient errors (429, 503) are still handled by each worker's retries,
breaker and fallback.
"""

from __future__ import annotations

import threading
import time

__all__ = ["RateLimiter", "limiter_for_this_thread", "share"]


class RateLimiter:
    """Spaces calls ``1 / rate`` seconds apart (no bursts), shared by the threads of a task."""

    def __init__(self, rate: float) -> None:
        if not rate > 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until the next call is allowed."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            time.sleep(start - now)


def share(rate: float | None, slots: int) -> float | None:
    """Each of ``slots`` concurrent partitions' share of the overall ``rate``."""
    if rate is None:
        return None
    return rate / max(1, slots)


_local = threading.local()


def limiter_for_this_thread(rate: float | None) -> RateLimiter | None:
    """The limiter of the executor thread running a partition: kept across its partitions,
    so that a new partition does not start with a fresh allowance."""
    if rate is None:
        return None
    limiter: RateLimiter | None = getattr(_local, "limiter", None)
    if limiter is None or limiter.rate != rate:
        limiter = RateLimiter(rate)
        _local.limiter = limiter
    return limiter
