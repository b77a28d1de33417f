"""The emulator as an ASGI application: one endpoint, ``GET /?ci-process=qrcode-generate``.

Order of checks (the public documentation is silent on it): injected infrastructure faults,
method, bucket (``404 NoSuchBucket``), signature, parameters, rendering. Response faults then
corrupt the answer. A successful generation is billed to its bucket even if a response fault
then corrupts it (the service did the work).
"""

from __future__ import annotations

import asyncio
import base64
import re
import socket
import struct
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._auth import authenticate
from ._config import EmulatorConfig
from ._errors import ServiceError, invalid_argument
from ._faults import FaultPlan, Faults
from ._params import parse_params
from ._render import RenderError, cached, render
from ._request import Request, strip_default_port
from ._responses import (
    error_body,
    http_date,
    new_request_id,
    new_trace_id,
    success_body,
)

__all__ = ["INLINE_WIDTH", "Emulator", "create_app"]

INLINE_WIDTH = 1000
"""Images up to this width (1000 x 1000 px, ~1 ms to render) are rendered on the event loop."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_COS_HOST = re.compile(
    r"\A(?P<bucket>[^.]+)\.cos\.(?P<region>[a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn)\Z"
)
_NON_IMAGE = b"<html><body><h1>Welcome to nginx!</h1></body></html>\n"


class Emulator:
    """An offline Cloud Infinite ``qrcode-generate`` service (an ASGI application).

    Attributes:
        config: credentials, buckets, region and clock; may be changed between requests.
        faults: faults to inject; may be changed at any time, from any thread.
    """

    def __init__(self, config: EmulatorConfig, faults: Faults | None = None) -> None:
        self.config = config
        self.faults = faults if faults is not None else Faults()
        self._lock = threading.Lock()
        self._billable: dict[str, int] = {}
        self._requests = 0

    def __repr__(self) -> str:
        return f"Emulator(region={self.config.region!r}, buckets={self.config.buckets!r})"

    def billable_calls(self, bucket: str) -> int:
        """Successful generations billed to ``bucket`` so far."""
        with self._lock:
            return self._billable.get(bucket, 0)

    def requests_seen(self) -> int:
        """Every HTTP request that reached the emulator, faulted or not."""
        with self._lock:
            return self._requests

    def reset_counters(self) -> None:
        """Forget billed calls and seen requests."""
        with self._lock:
            self._billable.clear()
            self._requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        with self._lock:
            self._requests += 1
        plan = self.faults.take()
        if plan.latency > 0 and await _disconnected_within(plan.latency, receive):
            return
        if plan.reset_connection:
            await _drop(send, receive, reset=True)
            return
        request = Request.from_scope(scope)
        request_id = new_request_id(self.config.clock())
        status, body, extra_headers = await self._answer(request, plan, request_id)
        headers = [
            ("content-type", "application/xml"),
            ("content-length", str(len(body))),
            ("date", http_date(self.config.clock())),
            ("server", "tencent-ci"),
        ]
        if not plan.no_request_id:
            headers.append(("x-cos-request-id", request_id))
            headers.append(("x-ci-request-id", new_request_id(self.config.clock())))
        headers.extend((name.lower(), value) for name, value in extra_headers.items())
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        if plan.close_mid_response:
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            await _drop(send, receive, reset=False)
            return
        await send({"type": "http.response.body", "body": body})

    async def _answer(
        self, request: Request, plan: FaultPlan, request_id: str
    ) -> tuple[int, bytes, dict[str, str]]:
        try:
            return 200, await self._generate(request, plan), {}
        except ServiceError as error:
            body = error_body(
                code=error.code,
                message=error.message,
                resource=f"{request.host}{request.path}",
                request_id=request_id,
                trace_id=new_trace_id(),
                extra=error.extra,
            )
            return error.status, body, error.headers

    async def _generate(self, request: Request, plan: FaultPlan) -> bytes:
        if plan.status_500:
            raise ServiceError(
                500, "InternalError", "We encountered an internal error. Please try again."
            )
        if plan.slow_down_503 or plan.throttled:
            raise ServiceError(
                503, "SlowDown", "Please reduce your request rate.", headers={"Retry-After": "1"}
            )
        if request.method != "GET":
            raise ServiceError(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
            )
        bucket = self._bucket(request.host)
        authenticate(request, self.config, self.config.clock())
        params = parse_params(request)
        # A repeated request is answered from the renderings kept. A new small image is
        # rendered right here (a fraction of a millisecond: less than handing it to a thread);
        # a large one in a worker thread, so the loop keeps serving other connections.
        rendered = cached(params.content, params.mode, params.width)
        if rendered is None:
            try:
                if params.width <= INLINE_WIDTH:
                    rendered = render(params.content, params.mode, params.width)
                else:
                    rendered = await asyncio.to_thread(
                        render, params.content, params.mode, params.width
                    )
            except RenderError as exc:
                raise invalid_argument(str(exc)) from None
        with self._lock:
            self._billable[bucket] = self._billable.get(bucket, 0) + 1
        return _corrupt(base64.b64encode(rendered.png).decode("ascii"), plan)

    def _bucket(self, host: str) -> str:
        match = _COS_HOST.match(strip_default_port(host).lower())
        if match is None:
            return self.config.default_bucket
        bucket, region = match["bucket"], match["region"]
        if bucket not in self.config.buckets or region not in (self.config.region, "accelerate"):
            raise ServiceError(404, "NoSuchBucket", "The specified bucket does not exist.")
        return bucket


def _corrupt(result_image: str, plan: FaultPlan) -> bytes:
    if plan.non_image:
        result_image = base64.b64encode(_NON_IMAGE).decode("ascii")
    if plan.truncated_base64:
        cut = len(result_image) // 2
        if cut % 4 == 0:
            cut -= 1  # never a whole number of base64 quanta: not decodable as is
        result_image = result_image[:cut]
    body = success_body(result_image)
    if plan.malformed_xml:
        body = body.replace(b"</ResultImage></Response>", b"</ResultImag><Response")
    return body


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _disconnected_within(seconds: float, receive: Receive) -> bool:
    """Sleep ``seconds``; stop early (returning True) if the client or server hangs up."""

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(watch())
    try:
        done, _ = await asyncio.wait({watcher}, timeout=seconds)
        return bool(done)
    finally:
        watcher.cancel()


async def _drop(send: Send, receive: Receive, *, reset: bool) -> None:
    """Close (or reset) the client's connection, whatever was sent so far.

    Under uvicorn this closes the real TCP connection (a reset sends RST). In process (e.g.
    ``httpx.ASGITransport``) there is no connection, so the error httpx would have raised over
    a real one is raised instead.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        import httpx

        if reset:
            raise httpx.ReadError("[Errno 104] Connection reset by peer (emulated)")
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body (emulated)"
        )
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # Wait until the server has seen the disconnect, so it neither logs nor answers 500.
    try:
        async with asyncio.timeout(2):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass


def create_app(config: EmulatorConfig) -> Emulator:
    """A fresh emulator (no faults, counters at zero) for ``config``."""
    return Emulator(config)
