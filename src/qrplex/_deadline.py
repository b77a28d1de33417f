"""The current call's deadline, as backends see it while they render.

The routing engine sets it around every attempt (sync and async alike); a backend that does
I/O reads :func:`time_left` and bounds each connect, send and read by it, so one attempt can
never outlive the call that made it. In async code the core also cancels an attempt that
overruns (``asyncio.timeout``); sync code cannot be interrupted from outside, so a sync
backend that waits on anything must honour :func:`time_left` itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["call_deadline", "time_left"]

_EXPIRES: ContextVar[float | None] = ContextVar("qrplex_call_deadline", default=None)


def time_left() -> float | None:
    """Seconds left before the current call's deadline (``0.0`` once it has passed), or
    ``None`` outside a call or when the call has no deadline.

    Backends call it while rendering to bound their own waits, e.g.
    ``timeout = min(read_timeout, left) if (left := qrplex.time_left()) is not None else
    read_timeout``.
    """
    expires = _EXPIRES.get()
    if expires is None:
        return None
    return max(0.0, expires - time.monotonic())


@contextmanager
def call_deadline(expires: float | None) -> Iterator[None]:
    """Within the block, :func:`time_left` counts down to ``expires`` (a
    :func:`time.monotonic` instant; ``None``: no deadline)."""
    token = _EXPIRES.set(expires)
    try:
        yield
    finally:
        _EXPIRES.reset(token)
