"""A time budget for a whole HTTP request, enforced at the socket layer.

httpx's timeouts bound each *wait*: every read restarts the read timeout, so a server that
trickles one byte at a time can hold a request for ever. Here every pool wait, connect, TLS
handshake, write and read that the engines (:mod:`._sync_http`, :mod:`._async_http`) perform
gets a timeout capped (:func:`cap`) at the time left in the budget of the request in flight
(a :class:`~contextvars.ContextVar`, so it follows the calling thread or task and needs no
plumbing through httpx). When nothing is left, the operation fails at once with httpx's
timeout error for its phase (:class:`httpx.ReadTimeout`, ...).

A budget is the smaller of the request's own limit and :func:`qrplex.time_left` (the call's
deadline, set by the core around every attempt), so one attempt never outlives its call.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from functools import lru_cache

import qrplex

__all__ = ["Budget", "cap", "current", "request_budget"]


@dataclass(frozen=True, slots=True)
class Budget:
    """The time budget of one request.

    Attributes:
        expires: the :func:`time.monotonic` instant it runs out.
        reason: what set it, for messages (``"the call's deadline"`` or
            ``"the request's 13 s limit"``).
    """

    expires: float
    reason: str

    def left(self) -> float:
        """Seconds left, ``0.0`` once it has run out."""
        return max(0.0, self.expires - time.monotonic())

    def expired(self) -> bool:
        """Whether the budget has run out."""
        return time.monotonic() >= self.expires


_BUDGET: ContextVar[Budget | None] = ContextVar("qrplex_cloudinfinite_budget", default=None)


class _Scope:
    """Installs a budget for the block of a ``with`` statement (cheaper than a generator
    context manager, on every request)."""

    __slots__ = ("_budget", "_token")

    def __init__(self, budget: Budget) -> None:
        self._budget = budget
        self._token: Token[Budget | None] | None = None

    def __enter__(self) -> Budget:
        self._token = _BUDGET.set(self._budget)
        return self._budget

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _BUDGET.reset(self._token)


@lru_cache(maxsize=16)
def _limit_reason(limit: float) -> str:
    return f"the request's {limit:g} s limit"


def request_budget(limit: float) -> AbstractContextManager[Budget]:
    """Within the ``with`` block, network operations of this thread or task are bounded by
    ``limit`` seconds from now, or by the call's deadline (:func:`qrplex.time_left`) if that
    comes first."""
    deadline = qrplex.time_left()
    if deadline is not None and deadline <= limit:
        return _Scope(Budget(time.monotonic() + deadline, "the call's deadline"))
    return _Scope(Budget(time.monotonic() + limit, _limit_reason(limit)))


def cap(timeout: float | None) -> float | None:
    """``timeout`` (seconds, ``None`` for none) capped at the time left in the current
    budget: ``0.0`` once that has run out (the caller raises its phase's timeout)."""
    budget = _BUDGET.get()
    if budget is None:
        return timeout
    left = budget.expires - time.monotonic()
    if left <= 0:
        return 0.0
    return left if timeout is None else min(timeout, left)


def current() -> Budget | None:
    """The budget of the request in flight in this thread or task, if any."""
    return _BUDGET.get()
