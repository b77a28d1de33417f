"""The cloudinfinite backend against the emulator: over real HTTP on 127.0.0.1 and in process.

``http`` runs use the ``emulator_server`` fixture (uvicorn on a free port); ``asgi`` runs call
the app in process, through :class:`httpx.ASGITransport` for :meth:`arender` and through
:class:`BlockingASGITransport` (below) for the sync :meth:`render`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio.from_thread
import httpx
import pytest
import zxingcpp
from PIL import Image

from qrplex import CodeRequest, Rendering
from qrplex.errors import (
    BackendAuthError,
    BackendError,
    BackendRejectedError,
    BackendUnavailableError,
    BadResponseError,
)
from qrplex_cloudinfinite import CloudInfiniteBackend
from qrplex_cloudinfinite.emulator import (
    Emulator,
    EmulatorConfig,
    EmulatorServer,
)

IN_PROCESS_ENDPOINT = "http://emulator.invalid"


class BlockingASGITransport(httpx.BaseTransport):
    """A sync httpx transport that serves requests from an ASGI app in this process.

    httpx's own :class:`httpx.ASGITransport` is async only; this runs it on a private event
    loop thread (an anyio blocking portal) and hands back fully read responses.
    """

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._stack = contextlib.ExitStack()
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            try:
                body = await response.aread()
            finally:
                await response.aclose()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return self._portal.call(call)

    def close(self) -> None:
        self._stack.close()


# -- fixtures -----------------------------------------------------------------------------


def account(config: EmulatorConfig) -> dict[str, str]:
    """Settings for the emulator's first permanent key and first bucket (no endpoint)."""
    secret_id, secret_key = next(iter(config.credentials.items()))
    return {
        "bucket": config.buckets[0],
        "region": config.region,
        "secret_id": secret_id,
        "secret_key": secret_key,
        "timeout": "2,5",
    }


@pytest.fixture(params=["http", "asgi"])
def make_backend(
    request: pytest.FixtureRequest, emulator_config: EmulatorConfig, emulator_app: Emulator
) -> Iterator[Callable[..., CloudInfiniteBackend]]:
    """Build backends for the emulator (closed after the test); keyword arguments override
    settings (``...`` removes one)."""
    made: list[CloudInfiniteBackend] = []

    def make(**changes: Any) -> CloudInfiniteBackend:
        if request.param == "http":
            server: EmulatorServer = request.getfixturevalue("emulator_server")
            settings = {**account(emulator_config), "endpoint": server.base_url}
            extra: dict[str, Any] = {}
        else:
            settings = {**account(emulator_config), "endpoint": IN_PROCESS_ENDPOINT}
            extra = {
                "transport": BlockingASGITransport(emulator_app),
                "async_transport": httpx.ASGITransport(app=emulator_app),
            }
        clock = changes.pop("clock", None)
        if clock is not None:
            extra["clock"] = clock
        settings = {k: v for k, v in {**settings, **changes}.items() if v is not ...}
        backend = CloudInfiniteBackend(settings, **extra)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def backend(make_backend: Callable[..., CloudInfiniteBackend]) -> CloudInfiniteBackend:
    return make_backend()


@pytest.fixture
async def abackend(
    make_backend: Callable[..., CloudInfiniteBackend],
) -> AsyncIterator[CloudInfiniteBackend]:
    backend = make_backend()
    yield backend
    await backend.aclose()


@pytest.fixture
def http_backend(
    emulator_config: EmulatorConfig, emulator_server: EmulatorServer
) -> Iterator[CloudInfiniteBackend]:
    backend = CloudInfiniteBackend(
        {**account(emulator_config), "endpoint": emulator_server.base_url, "timeout": "1,0.5"}
    )
    yield backend
    backend.close()


QR = zxingcpp.BarcodeFormat.QRCode
EAN13 = zxingcpp.BarcodeFormat.EAN13


def decode(rendering: Rendering) -> list[tuple[Any, str]]:
    image = Image.open(io.BytesIO(rendering.data))
    assert image.format == "PNG"
    assert image.size == (rendering.width, rendering.height)
    return [(found.format, found.text) for found in zxingcpp.read_barcodes(image)]


# -- rendering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "width"),
    [
        ("https://www.example.com/path?q=1&r=a b", 300),
        ("Grüße, 你好 / +%&=?#", 457),
        ("x", 120),
    ],
)
def test_qr_decodes_to_the_content(backend: CloudInfiniteBackend, content: str, width: int) -> None:
    rendering = backend.render(CodeRequest(content, "qr", "png", width))
    assert rendering.media_type == "image/png"
    assert rendering.width == width
    assert decode(rendering) == [(QR, content)]


def test_ean13_decodes_to_all_13_digits(backend: CloudInfiniteBackend) -> None:
    rendering = backend.render(CodeRequest("4006381333931", "ean13", "png", 400))
    assert rendering.width == 400
    assert decode(rendering) == [(EAN13, "4006381333931")]


def test_default_width(backend: CloudInfiniteBackend) -> None:
    assert backend.render(CodeRequest("default width")).width == 300
    assert backend.render(CodeRequest("5901234123457", "ean13")).width == 300


async def test_async_qr_and_ean13(abackend: CloudInfiniteBackend) -> None:
    qr = await abackend.arender(CodeRequest("async QR", "qr", "png", 250))
    ean = await abackend.arender(CodeRequest("9780306406157", "ean13", "png", 350))
    assert (qr.width, ean.width) == (250, 350)
    assert decode(qr) == [(QR, "async QR")]
    assert decode(ean) == [(EAN13, "9780306406157")]


async def test_async_requests_run_concurrently(
    abackend: CloudInfiniteBackend, emulator_app: Emulator
) -> None:
    contents = [f"item {i}" for i in range(8)]
    results: dict[str, Rendering] = {}

    async def one(content: str) -> None:
        results[content] = await abackend.arender(CodeRequest(content, width=200))

    async with anyio.create_task_group() as group:
        for content in contents:
            group.start_soon(one, content)
    for content in contents:
        assert decode(results[content]) == [(QR, content)]


def test_one_billable_call_per_render(
    backend: CloudInfiniteBackend, emulator_app: Emulator, emulator_config: EmulatorConfig
) -> None:
    before = emulator_app.billable_calls(emulator_config.buckets[0])
    seen = emulator_app.requests_seen()
    backend.render(CodeRequest("billed once"))
    assert emulator_app.billable_calls(emulator_config.buckets[0]) == before + 1
    assert emulator_app.requests_seen() == seen + 1


def test_connections_are_reused(
    emulator_config: EmulatorConfig, emulator_server: EmulatorServer
) -> None:
    connections = 0
    backend = CloudInfiniteBackend(
        {**account(emulator_config), "endpoint": emulator_server.base_url}
    )
    original = socket.create_connection

    def counting_connect(*args: Any, **kwargs: Any) -> socket.socket:
        nonlocal connections
        connections += 1
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "create_connection", counting_connect)
        for i in range(3):
            backend.render(CodeRequest(f"keep-alive {i}", width=100))
    backend.close()
    assert connections == 1


# -- credentials --------------------------------------------------------------------------


@pytest.fixture
def temporary(emulator_credentials: Any) -> dict[str, str]:
    """Settings for the emulator account's temporary key and its session token."""
    return {
        "secret_id": emulator_credentials.temp_secret_id,
        "secret_key": emulator_credentials.temp_secret_key,
        "token": emulator_credentials.token,
    }


def test_temporary_credentials(
    make_backend: Callable[..., CloudInfiniteBackend], temporary: dict[str, str]
) -> None:
    rendering = make_backend(**temporary).render(CodeRequest("temporary", width=200))
    assert decode(rendering) == [(QR, "temporary")]


async def test_temporary_credentials_async(
    make_backend: Callable[..., CloudInfiniteBackend], temporary: dict[str, str]
) -> None:
    backend = make_backend(**temporary)
    rendering = await backend.arender(CodeRequest("temporary", width=200))
    await backend.aclose()
    assert rendering.width == 200


def test_expired_token_is_an_auth_error(
    make_backend: Callable[..., CloudInfiniteBackend],
    emulator_credentials: Any,
    temporary: dict[str, str],
) -> None:
    expired = {**temporary, "token": emulator_credentials.expired_token}
    with pytest.raises(BackendAuthError) as caught:
        make_backend(**expired).render(CodeRequest("x"))
    assert_service_error(caught.value, 400, "ExpiredToken")
    assert_secret_free(caught.value, *expired.values())


def test_missing_token_for_temporary_key(
    make_backend: Callable[..., CloudInfiniteBackend], temporary: dict[str, str]
) -> None:
    with pytest.raises(BackendAuthError) as caught:
        make_backend(**{**temporary, "token": ...}).render(CodeRequest("x"))
    assert_service_error(caught.value, 403, "InvalidAccessKeyId")


def assert_service_error(error: BackendError, status: int, code: str) -> None:
    assert error.backend == "cloudinfinite"
    assert (error.status, error.code) == (status, code)
    assert error.request_id
    assert f"request id {error.request_id}" in str(error)
    assert str(error).startswith("cloudinfinite: ")
    assert "\n" not in str(error)


def assert_secret_free(error: BaseException, *secrets: str) -> None:
    texts = [str(error), repr(error), *(str(arg) for arg in error.args)]
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_wrong_secret_key(
    make_backend: Callable[..., CloudInfiniteBackend], emulator_config: EmulatorConfig
) -> None:
    wrong = "WrongSecretKeyThatMustNotLeak0000"
    secret_id = account(emulator_config)["secret_id"]
    backend = make_backend(secret_key=wrong)
    with pytest.raises(BackendAuthError) as caught:
        backend.render(CodeRequest("x"))
    error = caught.value
    assert_service_error(error, 403, "SignatureDoesNotMatch")
    assert str(error) == (
        "cloudinfinite: The Signature you specified is invalid. "
        f"(HTTP 403, code SignatureDoesNotMatch, request id {error.request_id})"
    )
    assert_secret_free(error, wrong, secret_id)
    assert wrong not in repr(backend)


def test_unknown_secret_id(make_backend: Callable[..., CloudInfiniteBackend]) -> None:
    with pytest.raises(BackendAuthError) as caught:
        make_backend(secret_id="AKIDnobodyHasThisKey000000000000").render(CodeRequest("x"))
    assert_service_error(caught.value, 403, "InvalidAccessKeyId")
    assert_secret_free(caught.value, "AKIDnobodyHasThisKey000000000000")


async def test_wrong_secret_key_async(make_backend: Callable[..., CloudInfiniteBackend]) -> None:
    backend = make_backend(secret_key="WrongSecretKeyThatMustNotLeak0000")
    with pytest.raises(BackendAuthError) as caught:
        await backend.arender(CodeRequest("x"))
    await backend.aclose()
    assert_service_error(caught.value, 403, "SignatureDoesNotMatch")


# -- the bucket host (in process: the URL names a COS host, the app answers) ---------------


@pytest.mark.parametrize(("bucket", "ok"), [(None, True), ("nosuchbucket-1250000000", False)])
async def test_bucket_host(
    emulator_config: EmulatorConfig, emulator_app: Emulator, bucket: str | None, ok: bool
) -> None:
    settings = {**account(emulator_config), "scheme": "http"}
    if bucket is not None:
        settings["bucket"] = bucket
    backend = CloudInfiniteBackend(settings, async_transport=httpx.ASGITransport(app=emulator_app))
    try:
        if ok:
            rendering = await backend.arender(CodeRequest("bucket host", width=160))
            assert rendering.width == 160
            assert emulator_app.billable_calls(settings["bucket"]) == 1
        else:
            with pytest.raises(BackendRejectedError, match="Check the bucket") as caught:
                await backend.arender(CodeRequest("x"))
            assert_service_error(caught.value, 404, "NoSuchBucket")
    finally:
        await backend.aclose()


# -- clock skew ---------------------------------------------------------------------------


@pytest.mark.parametrize("skew", [2 * 3600, -2 * 3600])
def test_clock_skew_is_corrected_with_one_retry(
    make_backend: Callable[..., CloudInfiniteBackend],
    emulator_config: EmulatorConfig,
    emulator_app: Emulator,
    skew: int,
) -> None:
    emulator_config.clock = lambda: time.time() + skew
    backend = make_backend()
    bucket = emulator_config.buckets[0]
    seen, billed = emulator_app.requests_seen(), emulator_app.billable_calls(bucket)

    rendering = backend.render(CodeRequest("skewed", width=200))
    assert decode(rendering) == [(QR, "skewed")]
    assert emulator_app.requests_seen() == seen + 2
    assert emulator_app.billable_calls(bucket) == billed + 1
    assert abs(backend.clock_offset - skew) < 5

    backend.render(CodeRequest("skewed again", width=200))  # the offset is kept
    assert emulator_app.requests_seen() == seen + 3


async def test_clock_skew_async(
    make_backend: Callable[..., CloudInfiniteBackend],
    emulator_config: EmulatorConfig,
    emulator_app: Emulator,
) -> None:
    emulator_config.clock = lambda: time.time() - 7200
    backend = make_backend()
    seen = emulator_app.requests_seen()
    rendering = await backend.arender(CodeRequest("skewed", width=200))
    await backend.aclose()
    assert rendering.width == 200
    assert emulator_app.requests_seen() == seen + 2


def test_clock_skew_is_retried_only_once(
    make_backend: Callable[..., CloudInfiniteBackend], emulator_app: Emulator
) -> None:
    # A local clock that runs two hours further behind at every reading: the learned offset
    # is always stale, so the retry fails as well, and there is no third call.
    readings = 0

    def drifting() -> float:
        nonlocal readings
        readings += 1
        return time.time() - 7200 * readings

    backend = make_backend(clock=drifting)
    seen = emulator_app.requests_seen()
    with pytest.raises(BackendAuthError) as caught:
        backend.render(CodeRequest("x"))
    assert emulator_app.requests_seen() == seen + 2
    assert caught.value.code == "AccessDenied"
    assert caught.value.message == "Request has expired."


def test_no_retry_without_skew(
    make_backend: Callable[..., CloudInfiniteBackend], emulator_app: Emulator
) -> None:
    seen = emulator_app.requests_seen()
    with pytest.raises(BackendAuthError):
        make_backend(secret_key="WrongSecretKeyThatMustNotLeak0000").render(CodeRequest("x"))
    assert emulator_app.requests_seen() == seen + 1


# -- faults -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "kind", "status", "code"),
    [
        ({"status_500": True}, BackendUnavailableError, 500, "InternalError"),
        ({"slow_down_503": True}, BackendUnavailableError, 503, "SlowDown"),
        ({"malformed_xml": True}, BadResponseError, 200, None),
        ({"truncated_base64": True}, BadResponseError, 200, None),
        ({"non_image": True}, BadResponseError, 200, None),
    ],
)
def test_faults_with_an_answer(
    backend: CloudInfiniteBackend,
    emulator_app: Emulator,
    fault: dict[str, Any],
    kind: type[BackendError],
    status: int,
    code: str | None,
) -> None:
    emulator_app.faults.set(**fault)
    seen = emulator_app.requests_seen()
    with pytest.raises(kind) as caught:
        backend.render(CodeRequest("fault"))
    error = caught.value
    assert type(error) is kind
    assert (error.status, error.code) == (status, code)
    assert error.request_id
    assert f"request id {error.request_id}" in str(error)
    assert emulator_app.requests_seen() == seen + 1  # never retried here
    if status == 503:
        assert isinstance(error, BackendUnavailableError)
        assert error.retry_after == 1.0
    emulator_app.faults.clear()
    assert backend.render(CodeRequest("healthy again")).width == 300


async def test_faults_async(abackend: CloudInfiniteBackend, emulator_app: Emulator) -> None:
    for fault, kind in (
        ({"status_500": True}, BackendUnavailableError),
        ({"truncated_base64": True}, BadResponseError),
        ({"reset_connection": True}, BackendUnavailableError),
        ({"close_mid_response": True}, BackendUnavailableError),
        ({"no_request_id": True}, BackendUnavailableError),
    ):
        emulator_app.faults.clear().set(**fault)
        with pytest.raises(kind):
            await abackend.arender(CodeRequest("fault"))
    emulator_app.faults.clear()
    assert (await abackend.arender(CodeRequest("healthy"))).width == 300


def test_qps_limit(backend: CloudInfiniteBackend, emulator_app: Emulator) -> None:
    emulator_app.faults.qps_limit = 1
    backend.render(CodeRequest("first"))
    with pytest.raises(BackendUnavailableError) as caught:
        backend.render(CodeRequest("second"))
    assert (caught.value.status, caught.value.code, caught.value.retry_after) == (
        503,
        "SlowDown",
        1.0,
    )


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [
        ({"reset_connection": True}, "the connection failed"),
        ({"close_mid_response": True}, "broke mid-answer"),
    ],
)
def test_broken_connections(
    backend: CloudInfiniteBackend, emulator_app: Emulator, fault: dict[str, Any], fragment: str
) -> None:
    emulator_app.faults.set(**fault, remaining=1)
    with pytest.raises(BackendUnavailableError, match=fragment) as caught:
        backend.render(CodeRequest("x"))
    assert caught.value.status is None
    assert backend.render(CodeRequest("the pool recovers")).width == 300


def test_no_request_id_is_unavailable(
    backend: CloudInfiniteBackend, emulator_app: Emulator
) -> None:
    emulator_app.faults.no_request_id = True
    with pytest.raises(BackendUnavailableError, match="x-cos-request-id") as caught:
        backend.render(CodeRequest("x"))
    assert (caught.value.status, caught.value.request_id) == (200, None)


def test_latency_beyond_the_timeout(
    http_backend: CloudInfiniteBackend, emulator_app: Emulator
) -> None:
    emulator_app.faults.latency = 3.0
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="timed out waiting") as caught:
        http_backend.render(CodeRequest("slow"))
    assert time.monotonic() - started < 2.5
    assert "ReadTimeout" in str(caught.value)
    emulator_app.faults.clear()


async def test_latency_beyond_the_timeout_async(
    emulator_config: EmulatorConfig, emulator_server: EmulatorServer, emulator_app: Emulator
) -> None:
    backend = CloudInfiniteBackend(
        {**account(emulator_config), "endpoint": emulator_server.base_url, "timeout": 0.5}
    )
    emulator_app.faults.latency = 3.0
    with pytest.raises(BackendUnavailableError, match="timed out"):
        await backend.arender(CodeRequest("slow"))
    emulator_app.faults.clear()
    await backend.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused(emulator_config: EmulatorConfig) -> None:
    backend = CloudInfiniteBackend(
        {**account(emulator_config), "endpoint": f"http://127.0.0.1:{free_port()}"}
    )
    with pytest.raises(BackendUnavailableError, match="could not connect") as caught:
        backend.render(CodeRequest("x"))
    assert (caught.value.status, caught.value.code, caught.value.request_id) == (None, None, None)
    assert_secret_free(caught.value, *account(emulator_config).values())
    backend.close()


async def test_connection_refused_async(emulator_config: EmulatorConfig) -> None:
    backend = CloudInfiniteBackend(
        {**account(emulator_config), "endpoint": f"http://127.0.0.1:{free_port()}"}
    )
    with pytest.raises(BackendUnavailableError, match="could not connect"):
        await backend.arender(CodeRequest("x"))
    await backend.aclose()


def test_server_goes_down_and_comes_back(
    http_backend: CloudInfiniteBackend, emulator_server: EmulatorServer
) -> None:
    assert http_backend.render(CodeRequest("up")).width == 300
    emulator_server.stop()
    with pytest.raises(BackendUnavailableError):
        http_backend.render(CodeRequest("down"))
    emulator_server.start()
    assert http_backend.render(CodeRequest("up again")).width == 300


def test_rejected_request(make_backend: Callable[..., CloudInfiniteBackend]) -> None:
    # The core would refuse this width; the service refuses it too.
    with pytest.raises(BackendRejectedError) as caught:
        make_backend().render(CodeRequest("x", width=20000))
    assert_service_error(caught.value, 400, "InvalidArgument")


# -- lifecycle ----------------------------------------------------------------------------


def test_async_use_from_successive_event_loops(
    emulator_config: EmulatorConfig,
    emulator_server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = CloudInfiniteBackend(
        {**account(emulator_config), "endpoint": emulator_server.base_url}
    )
    # The first loop's pooled connection cannot be closed once that loop is gone; the garbage
    # collector reclaims it (with a ResourceWarning, caught here).
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    first = asyncio.run(backend.arender(CodeRequest("first loop")))
    second = asyncio.run(backend.arender(CodeRequest("second loop")))
    asyncio.run(backend.aclose())
    gc.collect()
    assert (first.width, second.width) == (300, 300)
    assert all(issubclass(u.exc_type, ResourceWarning) for u in unraisable)


async def test_sync_close_from_async_code(
    emulator_config: EmulatorConfig, emulator_server: EmulatorServer
) -> None:
    backend = CloudInfiniteBackend(
        {**account(emulator_config), "endpoint": emulator_server.base_url}
    )
    await backend.arender(CodeRequest("x"))
    backend.render(CodeRequest("y"))
    backend.close()  # schedules the async client's close on this loop
    await asyncio.sleep(0.05)
    assert (await backend.arender(CodeRequest("reopened"))).width == 300  # clients come back
    await backend.aclose()


def test_sync_close_after_async_use_on_a_live_loop(
    emulator_config: EmulatorConfig, emulator_server: EmulatorServer
) -> None:
    backend = CloudInfiniteBackend(
        {**account(emulator_config), "endpoint": emulator_server.base_url}
    )
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(backend.arender(CodeRequest("x")))
        backend.close()  # the loop is not running: the client is closed on it
    finally:
        loop.close()
