"""A time budget for a whole HTTP request, enforced at the socket layer.

httpx's timeouts bound each *wait*: every read restarts the read timeout, so a server that
trickles one byte at a time can hold a request for ever. Here every connect, TLS handshake,
write and read that httpcore performs gets a timeout capped at the time left in the budget
of the request in flight (a :class:`~contextvars.ContextVar`, so it follows the calling
thread or task and needs no plumbing through httpx). When nothing is left, the operation
fails at once with httpcore's own timeout error, which httpx maps to its
:class:`httpx.TimeoutException` classes like any other timeout.

A budget is the smaller of the request's own limit and :func:`qrplex.time_left` (the call's
deadline, set by the core around every attempt), so one attempt never outlives its call.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
from httpcore import (
    AsyncNetworkBackend,
    AsyncNetworkStream,
    ConnectTimeout,
    NetworkBackend,
    NetworkStream,
    ReadTimeout,
    WriteTimeout,
)

import qrplex

__all__ = ["AsyncBudgetBackend", "Budget", "BudgetBackend", "request_budget"]

SocketOption = Any  # httpcore's SOCKET_OPTION union; passed through untouched


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


@contextmanager
def request_budget(limit: float) -> Iterator[Budget]:
    """Within the block, network operations of this thread or task are bounded by ``limit``
    seconds from now, or by the call's deadline (:func:`qrplex.time_left`) if that comes
    first."""
    deadline = qrplex.time_left()
    if deadline is not None and deadline <= limit:
        budget = Budget(time.monotonic() + deadline, "the call's deadline")
    else:
        budget = Budget(time.monotonic() + limit, f"the request's {limit:g} s limit")
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def _cap(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` capped at the time left in the current budget; raise ``error`` when the
    budget has run out."""
    budget = _BUDGET.get()
    if budget is None:
        return timeout
    left = budget.expires - time.monotonic()
    if left <= 0:
        raise error(f"{budget.reason} ran out")
    return left if timeout is None else min(timeout, left)


class BudgetStream(NetworkStream):
    """A sync network stream whose every operation stays within the current budget."""

    def __init__(self, inner: NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _cap(timeout, ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _cap(timeout, WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _cap(timeout, ConnectTimeout))
        return BudgetStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class BudgetBackend(NetworkBackend):
    """httpcore's sync network backend, bounded by the current budget.

    Args:
        inner: the backend doing the I/O (default :class:`httpcore.SyncBackend`).
    """

    def __init__(self, inner: NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _cap(timeout, ConnectTimeout), local_address, socket_options
        )
        return BudgetStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _cap(timeout, ConnectTimeout), socket_options
        )
        return BudgetStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class AsyncBudgetStream(AsyncNetworkStream):
    """An async network stream whose every operation stays within the current budget."""

    def __init__(self, inner: AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, _cap(timeout, ReadTimeout))

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, _cap(timeout, WriteTimeout))

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncNetworkStream:
        inner = await self._inner.start_tls(
            ssl_context, server_hostname, _cap(timeout, ConnectTimeout)
        )
        return AsyncBudgetStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class AsyncBudgetBackend(AsyncNetworkBackend):
    """httpcore's async network backend, bounded by the current budget.

    Args:
        inner: the backend doing the I/O (default :class:`httpcore.AnyIOBackend`, what
            httpcore picks under asyncio).
    """

    def __init__(self, inner: AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            host, port, _cap(timeout, ConnectTimeout), local_address, socket_options
        )
        return AsyncBudgetStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(
            path, _cap(timeout, ConnectTimeout), socket_options
        )
        return AsyncBudgetStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
