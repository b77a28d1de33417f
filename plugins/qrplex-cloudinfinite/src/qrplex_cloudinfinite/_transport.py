"""HTTP for the backend: pooled httpx clients, bounded reads, transport errors mapped.

One :class:`httpx.Client` and one :class:`httpx.AsyncClient` per backend instance, created on
first use, with keep-alive, the configured timeouts and **no retries** (the routing layer
owns retries and fallback). Every request is bounded as a whole (:mod:`._budget`): by
``connect + read`` seconds, and by the call's deadline when that comes first, however slowly
the server trickles its answer. Bodies are read raw and refused past :data:`MAX_BODY` bytes
without reading the rest; a body in any ``Content-Encoding`` but ``identity`` (which is what
the request asks for) is not read at all, so no compressed bomb is ever inflated. Every
network-level failure becomes a :class:`~qrplex.errors.BackendUnavailableError`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

import httpx

from qrplex.errors import BackendError, BackendUnavailableError, BadResponseError

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


class HttpTransport:
    """GETs through lazily created, pooled sync and async httpx clients.

    Args:
        base: the service's ``scheme://host[:port]``.
        host: ``host[:port]`` of the service, for messages.
        connect_timeout: seconds to connect.
        read_timeout: seconds for each read, write and pool wait.
        redact: flattens and blanks secrets out of text quoted in messages.
        transport: an httpx transport for the sync client (tests); default a
            :class:`~._sync_http.SyncTransport`. Only the default one bounds a request as a
            whole.
        async_transport: the same for the async client.
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
        self._timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._extensions = {"timeout": self._timeout.as_dict()}
        self._limit = connect_timeout + read_timeout
        self._redact = redact
        self._transport = transport
        self._async_transport = async_transport
        self._max_body = max_body
        self._now = now
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._async_client: httpx.AsyncClient | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._closing: set[asyncio.Task[None]] = set()

    # -- clients ---------------------------------------------------------------------------

    def client(self) -> httpx.Client:
        """The sync client, created on first use."""
        with self._lock:
            if self._client is None:
                transport = self._transport or SyncTransport()
                self._client = httpx.Client(
                    transport=transport,
                    timeout=self._timeout,
                    follow_redirects=False,
                    headers={"User-Agent": USER_AGENT},
                )
            return self._client

    def async_client(self) -> httpx.AsyncClient:
        """The async client of the running event loop, created on first use.

        Its pooled connections belong to that loop: when called from another loop, the old
        client is closed as well as can be done from here and a new one takes its place.
        """
        loop = asyncio.get_running_loop()
        stale: tuple[httpx.AsyncClient, asyncio.AbstractEventLoop] | None = None
        with self._lock:
            old_client, old_loop = self._async_client, self._async_loop
            if old_client is not None and old_loop is not None and old_loop is not loop:
                stale = (old_client, old_loop)
                self._async_client = None
            if self._async_client is None:
                transport = self._async_transport or AsyncTransport()
                self._async_client = httpx.AsyncClient(
                    transport=transport,
                    timeout=self._timeout,
                    follow_redirects=False,
                    headers={"User-Agent": USER_AGENT},
                )
                self._async_loop = loop
            client = self._async_client
        if stale is not None:
            self._dispose(*stale)
        return client

    def close(self) -> None:
        """Close the sync client, and the async one as well as can be done without awaiting:
        on its own loop if that still runs, else never mind (the sockets go with the garbage
        collector). After async use, prefer :meth:`aclose` on the loop that rendered."""
        with self._lock:
            client, async_client, loop = self._client, self._async_client, self._async_loop
            self._client = self._async_client = self._async_loop = None
        if client is not None:
            client.close()
        if async_client is not None and loop is not None:
            self._dispose(async_client, loop)

    def _dispose(self, async_client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        """Close ``async_client`` without awaiting it here."""
        if loop.is_closed():
            logger.debug("cloudinfinite: the async client's event loop is closed; not closing it")
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task = loop.create_task(async_client.aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        elif loop.is_running():
            asyncio.run_coroutine_threadsafe(async_client.aclose(), loop)
        elif running is None:
            loop.run_until_complete(async_client.aclose())
        else:  # pragma: no cover - a stopped loop while another one runs here
            logger.debug("cloudinfinite: cannot close the async client from this event loop")

    async def aclose(self) -> None:
        """Close both clients (call it on the loop that rendered)."""
        with self._lock:
            client, async_client, loop = self._client, self._async_client, self._async_loop
            self._client = self._async_client = self._async_loop = None
        if client is not None:
            client.close()
        if async_client is not None and loop is not None:
            if loop is asyncio.get_running_loop():
                await async_client.aclose()
            else:
                self._dispose(async_client, loop)

    # -- requests --------------------------------------------------------------------------

    def get(self, target: bytes, headers: Mapping[str, str]) -> RawResponse:
        """GET ``target`` (``/?query``) from the service; the whole answer within the size cap
        and the time budget (``connect + read`` seconds, or less when the call's deadline is
        nearer), or a :class:`BackendError`."""
        started = time.monotonic()
        client = self.client()
        with request_budget(self._limit) as budget:
            try:
                response = client.send(
                    self._request(target, headers, native=self._transport is None), stream=True
                )
                try:
                    received_at = self._now()
                    body = self._collect(response)
                finally:
                    response.close()
            except httpx.HTTPError as exc:
                raise self._network_error(exc, budget) from exc
        return self._finish(response, body, received_at, started)

    async def aget(self, target: bytes, headers: Mapping[str, str]) -> RawResponse:
        """Async :meth:`get`."""
        started = time.monotonic()
        client = self.async_client()
        with request_budget(self._limit) as budget:
            try:
                request = self._request(target, headers, native=self._async_transport is None)
                response = await client.send(request, stream=True)
                try:
                    received_at = self._now()
                    body = await self._acollect(response)
                finally:
                    await response.aclose()
            except httpx.HTTPError as exc:
                raise self._network_error(exc, budget) from exc
        return self._finish(response, body, received_at, started)

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
        return httpx.Request(
            "GET",
            url,
            headers={"user-agent": USER_AGENT, **headers},
            extensions={**self._extensions, "target": target} if native else self._extensions,
        )

    def _request_id(self, response: httpx.Response) -> str | None:
        value = response.headers.get(REQUEST_ID_HEADER, "").strip()
        return self._redact(value, 128) or None

    def _too_large(self, response: httpx.Response) -> BackendError:
        return BadResponseError(
            f"the answer is larger than {self._max_body // (1024 * 1024)} MiB; not read",
            backend=BACKEND,
            status=response.status_code,
            request_id=self._request_id(response),
        )

    def _readable(self, response: httpx.Response) -> bool:
        """Whether to read the body: not when it is encoded (the request asked for
        ``identity``; decoding could inflate a few KB into gigabytes) and not when it
        declares a length over the cap."""
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in IDENTITY:
            return False
        declared = response.headers.get("content-length", "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > self._max_body:
            raise self._too_large(response)
        return True

    def _collect(self, response: httpx.Response) -> bytes:
        if not self._readable(response):
            return b""
        if response.is_stream_consumed:  # read by a custom (test) transport already
            return self._collect_read(response)
        chunks, size = [], 0
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > self._max_body:
                raise self._too_large(response)
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _acollect(self, response: httpx.Response) -> bytes:
        if not self._readable(response):
            return b""
        if response.is_stream_consumed:
            return self._collect_read(response)
        chunks, size = [], 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > self._max_body:
                raise self._too_large(response)
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _collect_read(self, response: httpx.Response) -> bytes:
        if len(response.content) > self._max_body:
            raise self._too_large(response)
        return response.content

    def _network_error(self, exc: httpx.HTTPError, budget: Budget) -> BackendError:
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
        self, response: httpx.Response, body: bytes, received_at: float, started: float
    ) -> RawResponse:
        headers = {name.lower(): value for name, value in response.headers.items()}
        if logger.isEnabledFor(logging.DEBUG):  # redacting the request id costs: only then
            logger.debug(
                "cloudinfinite: HTTP %s, %d bytes, request id %s, %.3f s",
                response.status_code,
                len(body),
                self._request_id(response),
                time.monotonic() - started,
            )
        return RawResponse(
            status=response.status_code,
            headers=headers,
            body=body,
            received_at=received_at,
        )
