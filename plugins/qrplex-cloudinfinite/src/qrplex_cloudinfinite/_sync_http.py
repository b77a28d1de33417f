"""The sync HTTP engine: an :class:`httpx.BaseTransport` over blocking sockets.

Why not httpcore (httpx's own engine): it costs about four times as much CPU per request
(measured in ``benchmarks/``, see docs/cloudinfinite.md), and its thread-safe pool can close
a connection that another thread has just started to use, which then waits for the whole
read timeout (closing a socket does not wake a thread blocked reading it). Here:

* **One owner per connection**: a connection is taken out of the pool for one exchange and
  put back (or closed) by the thread that used it; no thread ever closes a connection that
  another one holds.
* **Limits** (:data:`LIMITS`): at most 100 connections open, each kept idle for at most
  5 s; a request that finds every connection busy waits at most its ``pool`` timeout.
* **A stale connection is never trusted**: an idle one that has become readable (the
  server closed it, or sent something unasked) is closed, not used; one the server closes
  just as the request goes out (no byte of an answer yet) is replaced once by a new
  connection, as urllib3 and aiohttp do. Nothing else is retried.
* **Every wait is bounded**: pool wait, connect, TLS handshake, write and each read by
  httpx's timeouts for the request, each capped at the request budget's time left
  (:func:`._budget.cap`), so a server trickling bytes cannot hold a request past it.
* **Bodies read raw**: nothing is decompressed; the caller reads the chunks and stops at
  its size cap (the connection is then closed, not reused).
* **TLS** with :func:`httpx.create_ssl_context` (certifi's CAs, or ``SSL_CERT_FILE`` /
  ``SSL_CERT_DIR``: what an :class:`httpx.Client` verifies against) unless a context is given.

Proxies are not supported (the backend never used one: its httpx clients were given their
own transport, which turns httpx's environment proxies off).
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Final

import httpx

from ._budget import cap, current
from ._http1 import MAX_HEAD, Body, Head, ProtocolError, encode_request, parse_head

__all__ = ["LIMITS", "SyncTransport"]

LIMITS: Final = httpx.Limits(
    max_connections=100, max_keepalive_connections=100, keepalive_expiry=5.0
)
"""httpx's default pool limits, but every connection may stay idle (for 5 s): with more
requests in flight than 20 (httpx's idle limit), answers arriving together would otherwise
close the surplus and open new connections (a TLS handshake each) a moment later."""

_READ: Final = 256 * 1024
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def _out_of_time(phase: str) -> str:
    budget = current()
    return f"{budget.reason} ran out" if budget is not None else f"timed out {phase}"


def _readable(sock: socket.socket) -> bool:
    """Whether an idle socket has something to read: an EOF or bytes nobody asked for."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    try:
        if hasattr(select, "poll"):  # any descriptor number (select() stops at 1024)
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _take_answer(
    data: bytes, request: httpx.Request
) -> tuple[bytes, tuple[Head, Body, list[bytes]] | None]:
    """Parse the bytes read so far (sans I/O, for both engines): skip complete interim (1xx)
    heads; give the final head, its body reader and the body bytes already read, or the bytes
    kept and None while the head is incomplete."""
    while True:
        end = data.find(b"\r\n\r\n")
        if end > MAX_HEAD or (end < 0 and len(data) > MAX_HEAD):
            raise httpx.RemoteProtocolError(
                f"the answer's head is longer than {MAX_HEAD} bytes", request=request
            )
        if end < 0:
            return data, None
        try:
            head = parse_head(data[:end], method=request.method.encode("ascii"))
        except ProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        data = data[end + 4 :]
        if 100 <= head.status < 200:
            continue
        body = Body(head)
        try:
            pieces = body.feed(data)
        except ProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from None
        return b"", (head, body, pieces)


class _StaleError(Exception):
    """A kept-alive connection turned out closed before any byte of the answer arrived."""


class _Connection:
    __slots__ = ("idle_since", "origin", "reused", "sock")

    def __init__(self, sock: socket.socket, origin: Origin) -> None:
        self.sock = sock
        self.origin = origin
        self.idle_since = 0.0
        self.reused = False

    def close(self) -> None:
        self.sock.close()


class SyncTransport(httpx.BaseTransport):
    """Pooled HTTP/1.1 over blocking sockets (see the module docs for its guarantees).

    Args:
        ssl_context: for https; default :func:`httpx.create_ssl_context` (made on first use).
        limits: pool limits (:data:`LIMITS`).

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
        self._idle: dict[Origin, list[_Connection]] = {}
        self._open = 0
        self._cond = threading.Condition(threading.Lock())
        self._closed = False
        self.opened = 0
        self.handshakes = 0
        self.replaced = 0

    # -- the exchange ----------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme, 80))
        if origin[0] not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        try:
            target = request.extensions.get("target") or url.raw_path  # httpcore's extension
            wire = encode_request(
                request.method.encode("ascii"), target, request.headers.raw, request.read()
            )
        except ProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from None
        fresh = False
        while True:
            connection = self._acquire(origin, timeouts, request, fresh=fresh)
            try:
                head, body, pieces = self._exchange(connection, wire, timeouts, request)
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

    def _exchange(
        self,
        connection: _Connection,
        wire: bytes,
        timeouts: dict[str, float | None],
        request: httpx.Request,
    ) -> tuple[Head, Body, list[bytes]]:
        sock = connection.sock
        limit = cap(timeouts.get("write"))
        if limit == 0.0:
            raise httpx.WriteTimeout(_out_of_time("sending the request"), request=request)
        try:
            sock.settimeout(limit)
            sock.sendall(wire)
        except TimeoutError:
            raise httpx.WriteTimeout("timed out sending the request", request=request) from None
        except OSError as exc:
            if connection.reused:
                raise _StaleError from None
            raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from None
        data = b""
        while True:
            data, answer = _take_answer(data, request)
            if answer is not None:
                return answer
            try:
                chunk = _recv(sock, timeouts, request)
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

    def _acquire(
        self,
        origin: Origin,
        timeouts: dict[str, float | None],
        request: httpx.Request,
        *,
        fresh: bool,
    ) -> _Connection:
        waited_until: float | None = None
        stale: list[_Connection] = []
        try:
            with self._cond:
                while True:
                    if self._closed:
                        raise RuntimeError("the transport is closed")
                    idle = self._idle.get(origin)
                    now = time.monotonic()
                    while idle and not fresh:
                        connection = idle.pop()  # the most recently used: least likely closed
                        if now - connection.idle_since < self._expiry and not _readable(
                            connection.sock
                        ):
                            connection.reused = True
                            return connection
                        stale.append(connection)
                        self._open -= 1
                    if self._open >= self._max and fresh and idle:
                        stale.append(idle.pop(0))  # a fresh one is needed: make room
                        self._open -= 1
                    if self._open >= self._max:
                        self._evict_other_idle(origin, stale)
                    if self._open < self._max:
                        self._open += 1
                        break
                    if waited_until is None:
                        limit = cap(timeouts.get("pool"))
                        waited_until = None if limit is None else now + limit
                    left = None if waited_until is None else waited_until - now
                    if left is not None and left <= 0:
                        raise httpx.PoolTimeout(
                            _out_of_time("waiting for a free connection"), request=request
                        )
                    self._cond.wait(left)
        finally:
            for connection in stale:
                connection.close()
        try:
            return self._connect(origin, timeouts, request)
        except BaseException:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            raise

    def _evict_other_idle(self, origin: Origin, into: list[_Connection]) -> None:
        """Make room by closing an idle connection to another origin (lock held)."""
        for other, idle in self._idle.items():
            if other != origin and idle:
                into.append(idle.pop(0))
                self._open -= 1
                return

    def _connect(
        self, origin: Origin, timeouts: dict[str, float | None], request: httpx.Request
    ) -> _Connection:
        scheme, host, port = origin
        limit = cap(timeouts.get("connect"))
        if limit == 0.0:
            raise httpx.ConnectTimeout(_out_of_time("connecting"), request=request)
        try:
            sock = socket.create_connection((host, port), timeout=limit)
        except TimeoutError:
            raise httpx.ConnectTimeout("timed out connecting", request=request) from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                limit = cap(timeouts.get("connect"))
                if limit == 0.0:
                    raise httpx.ConnectTimeout(_out_of_time("connecting"), request=request)
                sock.settimeout(limit)
                sock = self._context().wrap_socket(sock, server_hostname=host)
                with self._cond:
                    self.handshakes += 1
        except TimeoutError:
            sock.close()
            raise httpx.ConnectTimeout("timed out in the TLS handshake", request=request) from None
        except ssl.SSLCertVerificationError as exc:  # kept as the cause: the backend says so
            sock.close()
            raise httpx.ConnectError(str(exc), request=request) from exc
        except OSError as exc:  # other ssl.SSLErrors included
            sock.close()
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from None
        except BaseException:
            sock.close()
            raise
        with self._cond:
            self.opened += 1
        return _Connection(sock, origin)

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            context = httpx.create_ssl_context()
            context.set_alpn_protocols(["http/1.1"])
            self._ssl = context
        return self._ssl

    def _release(self, connection: _Connection) -> None:
        """Back to the pool after a complete exchange (or closed, past the idle limit)."""
        with self._cond:
            idle = self._idle.setdefault(connection.origin, [])
            if not self._closed and len(idle) < self._max_idle:
                connection.idle_since = time.monotonic()
                idle.append(connection)
                self._cond.notify()
                return
            self._open -= 1
            self._cond.notify()
        connection.close()

    def _discard(self, connection: _Connection) -> None:
        with self._cond:
            self._open -= 1
            self._cond.notify()
        connection.close()

    def close(self) -> None:
        """Close the idle connections; those in use close when their answer is done."""
        with self._cond:
            self._closed = True
            idle = [c for connections in self._idle.values() for c in connections]
            self._idle.clear()
            self._open -= len(idle)
            self._cond.notify_all()
        for connection in idle:
            connection.close()


def _recv(sock: socket.socket, timeouts: dict[str, float | None], request: httpx.Request) -> bytes:
    limit = cap(timeouts.get("read"))
    if limit == 0.0:
        raise httpx.ReadTimeout(_out_of_time("waiting for the answer"), request=request)
    try:
        sock.settimeout(limit)
        return sock.recv(_READ)
    except TimeoutError:
        raise httpx.ReadTimeout("timed out waiting for the answer", request=request) from None
    except OSError as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from None


class _ResponseStream(httpx.SyncByteStream):
    """The body of one answer, raw; the connection goes back to the pool once it is read
    whole (or is closed if the reader stops early)."""

    def __init__(
        self,
        transport: SyncTransport,
        connection: _Connection,
        body: Body,
        pieces: list[bytes],
        timeouts: dict[str, float | None],
        request: httpx.Request,
    ) -> None:
        self._transport = transport
        self._connection: _Connection | None = connection
        self._body = body
        self._pieces = pieces
        self._timeouts = timeouts
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces
        self._pieces = []
        body, connection = self._body, self._connection
        while not body.done and connection is not None:
            chunk = _recv(connection.sock, self._timeouts, self._request)
            try:
                if not chunk:
                    body.end_of_stream()
                    break
                yield from body.feed(chunk)
            except ProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=self._request) from None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._body.done and self._body.keep_alive:
            self._transport._release(connection)
        else:
            self._transport._discard(connection)
