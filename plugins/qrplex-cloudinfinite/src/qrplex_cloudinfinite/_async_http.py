"""The async HTTP engine: an :class:`httpx.AsyncBaseTransport` over asyncio protocols.

The same guarantees as the sync engine (:mod:`._sync_http`: one owner per connection,
pool limits, stale connections never trusted and replaced once, every wait bounded
by its timeout capped at the request budget, bodies raw, TLS as httpx verifies it), on one
event loop. Why not httpcore: its async pool re-scans every connection several times per
request (polling each idle socket, quadratic in the pool size) and, with many requests in
flight, flips between keeping its connections and opening one per request; this engine
costs about a quarter of the CPU (docs/cloudinfinite.md has the numbers).

Each connection is an :class:`asyncio.Protocol` that buffers what arrives (pausing the
socket past :data:`_HIGH_WATER` bytes, so a fast server cannot fill memory faster than the
caller reads and checks its size cap). A task cancelled mid-request (the core cancels an
attempt at the call's deadline) leaves its connection closed, never back in the pool.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time
from collections.abc import AsyncIterator
from typing import Final

import httpx

from ._budget import cap
from ._http1 import Body, Head, ProtocolError, encode_request
from ._sync_http import _DEFAULT_PORTS, LIMITS, Origin, _out_of_time, _StaleError, _take_answer

__all__ = ["AsyncTransport"]

_HIGH_WATER: Final = 256 * 1024


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class _Wire(asyncio.Protocol):
    """One connection: what arrived, whether it ended, and one reader waiting for more."""

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: Origin) -> None:
        self.loop = loop
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.received: list[bytes] = []
        self.size = 0
        self.ended = False
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.paused = False
        self.idle_since = 0.0
        self.reused = False

    # -- protocol callbacks ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received.append(data)
        self.size += len(data)
        if self.size > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.error = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- for the transport -----------------------------------------------------------------

    def usable(self, now: float, expiry: float) -> bool:
        """Whether an idle connection may carry a request: not ended, nothing unasked
        arrived, not idle for too long."""
        return (
            not self.ended
            and not self.received
            and self.transport is not None
            and not self.transport.is_closing()
            and now - self.idle_since < expiry
        )

    async def read(self, timeout: float | None) -> bytes:
        """What has arrived (waiting up to ``timeout`` seconds for something); ``b""`` at
        the end of the stream. Raises :class:`TimeoutError` or the connection's error."""
        if not self.received and not self.ended:
            waiter = self.loop.create_future()
            self.waiter = waiter
            handle = None if timeout is None else self.loop.call_later(timeout, _expire, waiter)
            try:
                await waiter
            finally:
                self.waiter = None
                if handle is not None:
                    handle.cancel()
        if self.received:
            data = self.received[0] if len(self.received) == 1 else b"".join(self.received)
            self.received.clear()
            self.size = 0
            if self.paused and self.transport is not None:
                self.paused = False
                self.transport.resume_reading()
            return data
        if self.error is not None:
            raise self.error
        return b""

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class AsyncTransport(httpx.AsyncBaseTransport):
    """Pooled HTTP/1.1 on the running event loop (see the module docs).

    Args:
        ssl_context: for https; default :func:`httpx.create_ssl_context` (made on first use).
        limits: pool limits (:data:`~._sync_http.LIMITS`).

    Attributes:
        opened: connections opened so far.
        handshakes: TLS handshakes completed so far.
        replaced: kept-alive connections that failed before any answer and were replaced.
    """

    def __init__(
        self, *, ssl_context: ssl.SSLContext | None = None, limits: httpx.Limits = LIMITS
    ) -> None:
        self._ssl = ssl_context
        self._max = limits.max_connections or 1 << 30
        idle = limits.max_keepalive_connections  # None: no limit but the pool's, as httpx has it
        self._max_idle = self._max if idle is None else idle
        expiry = limits.keepalive_expiry
        self._expiry = float("inf") if expiry is None else expiry
        self._idle: dict[Origin, list[_Wire]] = {}
        self._open = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closed = False
        self.opened = 0
        self.handshakes = 0
        self.replaced = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 80))
        if origin[0] not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        try:
            wire = encode_request(
                request.method.encode("ascii"),
                request.extensions.get("target") or url.raw_path,
                request.headers.raw,
                await request.aread(),
            )
        except ProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from None
        fresh = False
        while True:
            connection = await self._acquire(origin, timeouts, request, fresh=fresh)
            try:
                head, body, pieces = await self._exchange(connection, wire, timeouts, request)
            except _StaleError:
                self._discard(connection)
                if fresh:  # pragma: no cover - a fresh connection is never stale
                    raise httpx.RemoteProtocolError(
                        "the server closed the connection without answering", request=request
                    ) from None
                fresh = True
                self.replaced += 1
                continue
            except BaseException:
                self._discard(connection)
                raise
            stream = _ResponseStream(self, connection, body, pieces, timeouts, request)
            return httpx.Response(
                head.status,
                headers=head.headers,
                stream=stream,
                extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason},
            )

    async def _exchange(
        self,
        connection: _Wire,
        wire: bytes,
        timeouts: dict[str, float | None],
        request: httpx.Request,
    ) -> tuple[Head, Body, list[bytes]]:
        transport = connection.transport
        if transport is None or transport.is_closing():
            raise _StaleError
        transport.write(wire)  # a GET fits the transport's buffer: no wait to bound
        data = b""
        while True:
            data, answer = _take_answer(data, request)
            if answer is not None:
                return answer
            try:
                chunk = await _read(connection, timeouts, request)
            except httpx.ReadError:
                if connection.reused and not data:
                    raise _StaleError from None
                raise
            if not chunk:
                if connection.reused and not data:
                    raise _StaleError
                raise httpx.RemoteProtocolError(
                    "the server closed the connection without a complete answer",
                    request=request,
                )
            data += chunk

    # -- the pool --------------------------------------------------------------------------

    async def _acquire(
        self,
        origin: Origin,
        timeouts: dict[str, float | None],
        request: httpx.Request,
        *,
        fresh: bool,
    ) -> _Wire:
        waited_until: float | None = None
        while True:
            if self._closed:
                raise RuntimeError("the transport is closed")
            idle = self._idle.get(origin)
            now = time.monotonic()
            while idle and not fresh:
                connection = idle.pop()
                if connection.usable(now, self._expiry):
                    connection.reused = True
                    return connection
                self._open -= 1
                connection.close()
            if self._open >= self._max and fresh and idle:
                idle.pop(0).close()  # a fresh one is needed: make room
                self._open -= 1
            if self._open >= self._max:
                self._evict_other_idle(origin)
            if self._open < self._max:
                break
            if waited_until is None:
                limit = cap(timeouts.get("pool"))
                waited_until = None if limit is None else now + limit
            left = None if waited_until is None else waited_until - now
            if left is not None and left <= 0:
                raise httpx.PoolTimeout(
                    _out_of_time("waiting for a free connection"), request=request
                )
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                async with asyncio.timeout(left):
                    await waiter
            except TimeoutError:
                pass
            finally:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
        self._open += 1
        try:
            return await self._connect(origin, timeouts, request)
        except BaseException:
            self._open -= 1
            self._wake_one()
            raise

    def _evict_other_idle(self, origin: Origin) -> None:
        for other, idle in self._idle.items():
            if other != origin and idle:
                idle.pop(0).close()
                self._open -= 1
                return

    def _wake_one(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _connect(
        self, origin: Origin, timeouts: dict[str, float | None], request: httpx.Request
    ) -> _Wire:
        scheme, host, port = origin
        limit = cap(timeouts.get("connect"))
        if limit == 0.0:
            raise httpx.ConnectTimeout(_out_of_time("connecting"), request=request)
        loop = asyncio.get_running_loop()
        tls = self._context() if scheme == "https" else None
        try:
            async with asyncio.timeout(limit):
                _, wire = await loop.create_connection(
                    lambda: _Wire(loop, origin),
                    host,
                    port,
                    ssl=tls,
                    server_hostname=host if tls is not None else None,
                    ssl_handshake_timeout=limit if tls is not None else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting", request=request) from None
        except ssl.SSLCertVerificationError as exc:  # kept as the cause: the backend says so
            raise httpx.ConnectError(str(exc), request=request) from exc
        except OSError as exc:  # other ssl.SSLErrors included
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from None
        self.opened += 1
        if tls is not None:
            self.handshakes += 1
        return wire

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            context = httpx.create_ssl_context()
            context.set_alpn_protocols(["http/1.1"])
            self._ssl = context
        return self._ssl

    def _release(self, connection: _Wire) -> None:
        idle = self._idle.setdefault(connection.origin, [])
        if not self._closed and len(idle) < self._max_idle:
            connection.idle_since = time.monotonic()
            connection.reused = False
            idle.append(connection)
        else:
            self._open -= 1
            connection.close()
        self._wake_one()

    def _discard(self, connection: _Wire) -> None:
        self._open -= 1
        connection.close()
        self._wake_one()

    async def aclose(self) -> None:
        """Close the idle connections; those in use close when their answer is done."""
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
                self._open -= 1
        self._idle.clear()
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)


async def _read(
    connection: _Wire, timeouts: dict[str, float | None], request: httpx.Request
) -> bytes:
    limit = cap(timeouts.get("read"))
    if limit == 0.0:
        raise httpx.ReadTimeout(_out_of_time("waiting for the answer"), request=request)
    try:
        return await connection.read(limit)
    except TimeoutError:
        raise httpx.ReadTimeout("timed out waiting for the answer", request=request) from None
    except OSError as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None


class _ResponseStream(httpx.AsyncByteStream):
    """The body of one answer, raw (see the sync engine's)."""

    def __init__(
        self,
        transport: AsyncTransport,
        connection: _Wire,
        body: Body,
        pieces: list[bytes],
        timeouts: dict[str, float | None],
        request: httpx.Request,
    ) -> None:
        self._transport = transport
        self._connection: _Wire | None = connection
        self._body = body
        self._pieces = pieces
        self._timeouts = timeouts
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece
        self._pieces = []
        body, connection = self._body, self._connection
        while not body.done and connection is not None:
            chunk = await _read(connection, self._timeouts, self._request)
            try:
                if not chunk:
                    body.end_of_stream()
                    break
                for piece in body.feed(chunk):
                    yield piece
            except ProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=self._request) from None

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._body.done and self._body.keep_alive:
            self._transport._release(connection)
        else:
            self._transport._discard(connection)
