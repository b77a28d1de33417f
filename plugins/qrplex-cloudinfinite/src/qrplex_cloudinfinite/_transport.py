"""HTTP for the backend: pooled httpx transports, bounded reads, transport errors mapped.

One sync and one async httpx transport per backend instance, created on first use and called
directly (no :class:`httpx.Client` in between), with keep-alive, the configured timeouts and
**no retries** (the routing layer owns retries and fallback); redirects are never followed.
Every request is bounded as a whole (:mod:`._budget`): by ``connect + read`` seconds, and by
the call's deadline when that comes first, however slowly the server trickles its answer.
Bodies are read raw and refused past :data:`MAX_BODY` bytes without reading the rest; a body
in any ``Content-Encoding`` but ``identity`` (which is what the request asks for) is not read
at all, so no compressed bomb is ever inflated. Every network-level failure becomes a
:class:`~qrplex.errors.BackendUnavailableError`, except a refused TLS certificate: that is
the service failing to prove who it is, a :class:`~qrplex.errors.BackendAuthError` (not
retried, not counted as an outage).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

import httpx

from qrplex.errors import (
    BackendAuthError,
    BackendError,
    BackendUnavailableError,
    BadResponseError,
)

from ._async_http import AsyncTransport
from ._budget import Budget, request_budget
from ._responses import BACKEND, IDENTITY, REQUEST_ID_HEADER, RawResponse
from ._sync_http import SyncTransport

__all__ = ["MAX_BODY", "HttpTransport"]

MAX_BODY: Final = 20 * 1024 * 1024
"""Largest response body read, in bytes (a base64 image of 10000 px is far smaller)."""

USER_AGENT: Final = "qrplex-cloudinfinite/0.1"

logger = logging.getLogger("qrplex_cloudinfinite")

Redact = Callable[[str, int], str]

_NO_BODY: Final = httpx.ByteStream(b"")


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, httpx.ReadTimeout):
        return "timed out waiting for the answer"
    if isinstance(exc, httpx.WriteTimeout):
        return "timed out sending the request"
    if isinstance(exc, httpx.PoolTimeout):
        return "timed out waiting for a free connection"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection broke mid-answer"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "the connection failed"
    return "network error"


def _certificate_refusal(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check that failed behind ``exc`` (its cause or context, a few links
    deep, as this backend's engines and httpx's own transport chain them), if any."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class HttpTransport:
    """GETs through lazily created, pooled sync and async httpx transports, called directly.

    The backend sends each request straight to its transport's public ``handle_request``
    (``handle_async_request``), not through an :class:`httpx.Client`: the client layer's
    auth, redirect, cookie and event-hook plumbing did nothing for this backend (no auth
    flow, redirects never followed, cookies never sent back) and cost about as much CPU as
    the HTTP exchange itself. What the client did that matters is done here: the timeouts
    travel in the request's ``timeout`` extension, a redirect is returned as it is (and
    judged like any other 3xx answer), and a closed backend opens a new transport on its
    next request.

    Args:
        base: the service's ``scheme://host[:port]``.
        host: ``host[:port]`` of the service, for messages.
        connect_timeout: seconds to connect.
        read_timeout: seconds for each read, write and pool wait.
        redact: flattens and blanks secrets out of text quoted in messages.
        transport: an httpx transport for sync requests (tests); default a
            :class:`~._sync_http.SyncTransport`. Only the default one bounds a request as a
            whole.
        async_transport: the same for async requests.
        max_body: refuse bodies larger than this many bytes.
        now: the clock that stamps ``received_at`` (the one the signatures use).
    """

    def __init__(
        self,
        *,
        base: httpx.URL,
        host: str,
        connect_timeout: float,
        read_timeout: float,
        redact: Redact,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        max_body: int = MAX_BODY,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._base = base
        self._host = host
        self.timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        """The per-phase timeouts every request carries (its ``timeout`` extension)."""
        self._extensions = {"timeout": self.timeout.as_dict()}
        self._limit = connect_timeout + read_timeout
        self._redact = redact
        self._transport = transport
        self._async_transport = async_transport
        self._max_body = max_body
        self._now = now
        self._lock = threading.Lock()
        self._sync: httpx.BaseTransport | None = None
        self._async: httpx.AsyncBaseTransport | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._closing: set[asyncio.Task[None]] = set()

    # -- transports ------------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """The sync transport, created on first use (and again after :meth:`close`)."""
        transport = self._sync
        if transport is None:
            with self._lock:
                if self._sync is None:
                    self._sync = self._transport or SyncTransport()
                transport = self._sync
        return transport

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The async transport of the running event loop, created on first use.

        Its pooled connections belong to that loop: when called from another loop, the old
        transport is closed as well as can be done from here and a new one takes its place.
        """
        loop = asyncio.get_running_loop()
        current, owner = self._async, self._async_loop  # read once: close() may run meanwhile
        if current is not None and owner is loop:
            return current
        stale: tuple[httpx.AsyncBaseTransport, asyncio.AbstractEventLoop] | None = None
        with self._lock:
            old, old_loop = self._async, self._async_loop
            if old is not None and old_loop is not None and old_loop is not loop:
                stale = (old, old_loop)
                self._async = None
            if self._async is None:
                self._async = self._async_transport or AsyncTransport()
                self._async_loop = loop
            transport = self._async
        if stale is not None:
            self._dispose(*stale)
        return transport

    def close(self) -> None:
        """Close the sync transport, and the async one as well as can be done without
        awaiting: on its own loop if that still runs, else never mind (the sockets go with
        the garbage collector). After async use, prefer :meth:`aclose` on the loop that
        rendered."""
        with self._lock:
            transport, async_transport, loop = self._sync, self._async, self._async_loop
            self._sync = self._async = self._async_loop = None
        if transport is not None:
            transport.close()
        if async_transport is not None and loop is not None:
            self._dispose(async_transport, loop)

    def _dispose(
        self, async_transport: httpx.AsyncBaseTransport, loop: asyncio.AbstractEventLoop
    ) -> None:
        """Close ``async_transport`` without awaiting it here."""
        if loop.is_closed():
            logger.debug("cloudinfinite: the async transport's loop is closed; not closing it")
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task = loop.create_task(async_transport.aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        elif loop.is_running():
            asyncio.run_coroutine_threadsafe(async_transport.aclose(), loop)
        elif running is None:
            loop.run_until_complete(async_transport.aclose())
        else:  # pragma: no cover - a stopped loop while another one runs here
            logger.debug("cloudinfinite: cannot close the async transport from this event loop")

    async def aclose(self) -> None:
        """Close both transports (call it on the loop that rendered)."""
        with self._lock:
            transport, async_transport, loop = self._sync, self._async, self._async_loop
            self._sync = self._async = self._async_loop = None
        if transport is not None:
            transport.close()
        if async_transport is not None and loop is not None:
            if loop is asyncio.get_running_loop():
                await async_transport.aclose()
            else:
                self._dispose(async_transport, loop)

    # -- requests --------------------------------------------------------------------------

    def get(self, target: bytes, headers: Mapping[str, str]) -> RawResponse:
        """GET ``target`` (``/?query``) from the service; the whole answer within the size cap
        and the time budget (``connect + read`` seconds, or less when the call's deadline is
        nearer), or a :class:`BackendError`."""
        started = time.monotonic()
        transport = self.transport()
        request = self._request(target, headers, native=self._transport is None)
        with request_budget(self._limit) as budget:
            try:
                response = transport.handle_request(request)
                try:
                    received_at = self._now()
                    found = dict(response.headers.items())  # lowercase names, read once
                    body = self._collect(response, found)
                finally:
                    response.close()
            except httpx.HTTPError as exc:
                raise self._network_error(exc, budget) from exc
        return self._finish(response, found, body, received_at, started)

    async def aget(self, target: bytes, headers: Mapping[str, str]) -> RawResponse:
        """Async :meth:`get`."""
        started = time.monotonic()
        transport = self.async_transport()
        request = self._request(target, headers, native=self._async_transport is None)
        with request_budget(self._limit) as budget:
            try:
                response = await transport.handle_async_request(request)
                try:
                    received_at = self._now()
                    found = dict(response.headers.items())  # lowercase names, read once
                    body = await self._acollect(response, found)
                finally:
                    await response.aclose()
            except httpx.HTTPError as exc:
                raise self._network_error(exc, budget) from exc
        return self._finish(response, found, body, received_at, started)

    # -- helpers ---------------------------------------------------------------------------

    def _request(self, target: bytes, headers: Mapping[str, str], *, native: bool) -> httpx.Request:
        """The request, built directly: :meth:`httpx.Client.build_request` would parse the URL
        again and merge the client's (empty) cookies and (constant) headers on every call.

        For the backend's own transports (``native``) the URL stays the service's base URL,
        parsed once, and the ``target`` request extension (as httpcore defines it) carries the
        path and query: httpx would otherwise check every character of a query the backend
        has just percent-encoded. Any other transport gets the whole URL.
        """
        url = self._base if native else self._base.copy_with(raw_path=target)
        request = httpx.Request(
            "GET",
            url,
            headers={"user-agent": USER_AGENT, **headers},
            # A stream given: httpx adds no headers of its own (the backend's include Host,
            # and a GET without a body has no Content-Length, as httpx would have it).
            stream=_NO_BODY,
            extensions={**self._extensions, "target": target} if native else self._extensions,
        )
        request.read()  # the empty body, read here: a transport's aread() has nothing to do
        return request

    def _request_id(self, headers: Mapping[str, str]) -> str | None:
        return self._redact(headers.get(REQUEST_ID_HEADER, "").strip(), 128) or None

    def _too_large(self, response: httpx.Response, headers: Mapping[str, str]) -> BackendError:
        return BadResponseError(
            f"the answer is larger than {self._max_body // (1024 * 1024)} MiB; not read",
            backend=BACKEND,
            status=response.status_code,
            request_id=self._request_id(headers),
        )

    def _readable(self, response: httpx.Response, headers: Mapping[str, str]) -> bool:
        """Whether to read the body: not when it is encoded (the request asked for
        ``identity``; decoding could inflate a few KB into gigabytes) and not when it
        declares a length over the cap."""
        encoding = headers.get("content-encoding", "").strip().lower()
        if encoding not in IDENTITY:
            return False
        declared = headers.get("content-length", "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > self._max_body:
            raise self._too_large(response, headers)
        return True

    def _collect(self, response: httpx.Response, headers: Mapping[str, str]) -> bytes:
        if not self._readable(response, headers):
            return b""
        if response.is_stream_consumed:  # read by a custom (test) transport already
            return self._collect_read(response, headers)
        chunks, size = [], 0
        stream = response.stream  # the transport's own stream: no httpx.Client wrapper
        assert isinstance(stream, httpx.SyncByteStream)
        for chunk in stream:
            size += len(chunk)
            if size > self._max_body:
                raise self._too_large(response, headers)
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _acollect(self, response: httpx.Response, headers: Mapping[str, str]) -> bytes:
        if not self._readable(response, headers):
            return b""
        if response.is_stream_consumed:
            return self._collect_read(response, headers)
        chunks, size = [], 0
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        async for chunk in stream:
            size += len(chunk)
            if size > self._max_body:
                raise self._too_large(response, headers)
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _collect_read(self, response: httpx.Response, headers: Mapping[str, str]) -> bytes:
        if len(response.content) > self._max_body:
            raise self._too_large(response, headers)
        return response.content

    def _network_error(self, exc: httpx.HTTPError, budget: Budget) -> BackendError:
        refused = _certificate_refusal(exc)
        if refused is not None:
            reason = self._redact(refused.verify_message or str(refused), 160)
            return BackendAuthError(
                f"the service's TLS certificate was refused ({self._host}, certificate verify "
                f"failed: {reason}): this is not the service, or its certificate is signed by "
                "a CA this machine does not trust (to trust a private CA, set SSL_CERT_FILE "
                "or SSL_CERT_DIR)",
                backend=BACKEND,
            )
        if isinstance(exc, httpx.TimeoutException) and budget.expired():
            return BackendUnavailableError(
                f"{budget.reason} ran out before the answer was complete "
                f"({self._host}, {type(exc).__name__})",
                backend=BACKEND,
            )
        detail = self._redact(str(exc), 160)
        suffix = f": {detail}" if detail else ""
        return BackendUnavailableError(
            f"{_describe(exc)} ({self._host}, {type(exc).__name__}){suffix}",
            backend=BACKEND,
        )

    def _finish(
        self,
        response: httpx.Response,
        headers: dict[str, str],
        body: bytes,
        received_at: float,
        started: float,
    ) -> RawResponse:
        if logger.isEnabledFor(logging.DEBUG):  # redacting the request id costs: only then
            logger.debug(
                "cloudinfinite: HTTP %s, %d bytes, request id %s, %.3f s",
                response.status_code,
                len(body),
                self._request_id(headers),
                time.monotonic() - started,
            )
        return RawResponse(
            status=response.status_code, headers=headers, body=body, received_at=received_at
        )
