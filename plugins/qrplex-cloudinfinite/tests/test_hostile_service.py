"""The cloud backend against a hostile service: a raw-socket HTTP server on loopback that
answers each request as a test scripts it (compression bombs, XML bombs, trickled headers
and bodies, odd ``Retry-After`` values, forged clock skew, ...).

Every test asserts what the promise is: bounded time and memory, a typed error, fallback to
``local``, and nothing corrupt returned.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import logging
import re
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest

import qrplex
from qrplex import CodeRequest
from qrplex.cli import main
from qrplex.errors import (
    BackendAuthError,
    BackendRejectedError,
    BackendUnavailableError,
    BadResponseError,
    ConfigError,
)
from qrplex.testing import decode
from qrplex_cloudinfinite import CloudInfiniteBackend

MiB = 1024 * 1024
SECRET_ID = "AKIDhostileTESTKEY000000000000000001"
SECRET_KEY = "hostileTestSecretKey0000000000001"
BUCKET = "examplebucket-1250000000"


# -- the hostile service ------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One request as the service saw it."""

    at: float  # time.monotonic() when its head had arrived
    target: str
    headers: dict[str, str]


class Reply:
    """How to answer one request: ``send(connection, service)`` writes whatever it likes."""

    def __init__(self, send: Callable[[socket.socket, HostileService], None]) -> None:
        self.send = send


def head(status: int, headers: dict[str, str], length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()  # UTF-8: a hostile server sends any bytes


def answer(status: int, body: bytes = b"", **headers: str) -> Reply:
    """A complete answer (``x-cos-request-id`` included unless given as ``""``)."""
    fields = {"x-cos-request-id": "HostileRequestId", "Content-Type": "application/xml"}
    fields.update({name.replace("_", "-"): value for name, value in headers.items()})
    fields = {name: value for name, value in fields.items() if value != ""}
    data = head(status, fields, len(body)) + body

    def send(connection: socket.socket, service: HostileService) -> None:
        connection.sendall(data)

    return Reply(send)


def trickle(data: bytes, *, prefix: bytes = b"", interval: float = 0.05) -> Reply:
    """``prefix`` at once, then ``data`` one byte every ``interval`` seconds (until the
    service stops or the client hangs up)."""

    def send(connection: socket.socket, service: HostileService) -> None:
        connection.sendall(prefix)
        for byte in data:
            if service.stopping.wait(interval):
                return
            connection.sendall(bytes([byte]))

    return Reply(send)


def image_xml(data: bytes) -> bytes:
    return b"<Response><ResultImage>" + base64.b64encode(data) + b"</ResultImage></Response>"


def error_xml(code: str, message: str, **extra: str) -> bytes:
    fields = "".join(f"<{key}>{value}</{key}>" for key, value in extra.items())
    return (
        "<?xml version='1.0' encoding='utf-8' ?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message><Resource>r</Resource>"
        f"<RequestId>HostileRequestId</RequestId>{fields}</Error>"
    ).encode()


@dataclass
class HostileService:
    """A raw HTTP/1.1 server on 127.0.0.1: request ``n`` gets ``replies[n]`` (the last reply
    for every request past the end). One thread per connection; nothing is kept alive."""

    replies: list[Reply]
    seen: list[Seen] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # so that the accepting thread sees ``stopping``
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def start(self) -> None:
        self._spawn(self._accept)

    def stop(self) -> None:
        self.stopping.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(10)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, connection)

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(0.1)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    try:
                        chunk = connection.recv(65536)
                    except TimeoutError:
                        if self.stopping.is_set():
                            return
                        continue
                    if not chunk:
                        return
                    data += chunk
                connection.settimeout(10)
                request_line, *lines = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines)
                }
                with self._lock:
                    self.seen.append(Seen(time.monotonic(), request_line.split(" ")[1], headers))
                    reply = self.replies[min(len(self.seen), len(self.replies)) - 1]
                reply.send(connection, self)
                connection.shutdown(socket.SHUT_WR)
            except OSError:
                return  # the client hung up: fine


@pytest.fixture
def serve() -> Iterator[Callable[..., HostileService]]:
    """``serve(reply, ...)`` starts a hostile service for this test (stopped after it)."""
    started: list[HostileService] = []

    def start(*replies: Reply) -> HostileService:
        service = HostileService(list(replies))
        service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


def settings(service: HostileService, **overrides: Any) -> dict[str, Any]:
    """The backend's settings for ``service``."""
    return {
        "bucket": BUCKET,
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "endpoint": service.base_url,
        "timeout": "2,2",
        **overrides,
    }


def client_config(service: HostileService, **overrides: Any) -> dict[str, Any]:
    """A service configuration: this cloud first, ``local`` as the fallback."""
    return {
        "backend": "cloudinfinite",
        "fallback": ["local"],
        "retries": 0,
        "retry_backoff": 0.01,
        "backends": {"cloudinfinite": settings(service)},
        **overrides,
    }


def local_png(content: str, width: int) -> bytes:
    """A real QR code PNG ``width`` px wide, as the service would send it."""
    with qrplex.Client(backend="local") as client:
        return client.generate(content, width=width).data


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Measure the peak of Python allocations in the block: ``[peak_bytes]`` after it."""
    result: list[int] = []
    tracemalloc.start()
    try:
        yield result
    finally:
        result.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


# -- 1. memory bounded by what arrives, not by what it decodes to -------------------------


@pytest.fixture(scope="module")
def double_gzip_bomb() -> bytes:
    """128 MiB of zeros, gzipped twice: 373 bytes on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MiB)
    layer = b"".join(compressor.compress(zeros) for _ in range(128)) + compressor.flush()
    return gzip.compress(layer, 9)


def test_a_compression_bomb_is_refused_unread(
    serve: Callable[..., HostileService], double_gzip_bomb: bytes
) -> None:
    service = serve(answer(200, double_gzip_bomb, Content_Encoding="gzip, gzip"))
    backend = CloudInfiniteBackend(settings(service))
    started = time.monotonic()
    with peak_memory() as peak, pytest.raises(BadResponseError, match="gzip, gzip-encoded"):
        backend.render(CodeRequest("bomb"))
    backend.close()
    assert time.monotonic() - started < 10
    assert peak[0] < 16 * MiB  # it inflates to 128 MiB (and 4 GB with more zeros)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd", "x-unknown"])
def test_any_content_encoding_but_identity_is_refused(
    serve: Callable[..., HostileService], encoding: str
) -> None:
    body = gzip.compress(image_xml(local_png("x", 300)))
    service = serve(answer(200, body, Content_Encoding=encoding))
    with pytest.raises(BadResponseError, match="asked for identity") as caught:
        CloudInfiniteBackend(settings(service)).render(CodeRequest("x"))
    assert caught.value.status == 200


def test_an_encoded_error_keeps_its_status_meaning(
    serve: Callable[..., HostileService], double_gzip_bomb: bytes
) -> None:
    service = serve(answer(503, double_gzip_bomb, Content_Encoding="gzip, gzip"))
    with peak_memory() as peak, pytest.raises(BackendUnavailableError) as caught:
        CloudInfiniteBackend(settings(service)).render(CodeRequest("x"))
    assert caught.value.status == 503
    assert peak[0] < 16 * MiB


def _elements(size: int) -> bytes:
    return b"<Response>" + b"<a/>" * ((size - 30) // 4) + b"</Response>"


def _attributes(size: int) -> bytes:
    count = (size - 30) // 12
    return b"<Response" + b"".join(b' a%07d=""' % i for i in range(count)) + b"/>"


def _references(size: int) -> bytes:
    return b"<Response><ResultImage>" + b"&#65;" * ((size - 60) // 5) + b"</ResultImage></Response>"


@pytest.mark.parametrize("body", [_elements, _attributes, _references])
@pytest.mark.parametrize("status", [200, 503])
def test_an_xml_bomb_is_refused_within_bounded_memory_and_time(
    serve: Callable[..., HostileService], body: Callable[[int], bytes], status: int
) -> None:
    xml = body(20 * MiB - 1024)  # just under the body cap
    service = serve(answer(status, xml))
    backend = CloudInfiniteBackend(settings(service))
    started = time.monotonic()
    expected = BadResponseError if status == 200 else BackendUnavailableError
    with peak_memory() as peak, pytest.raises(expected) as caught:
        backend.render(CodeRequest("x"))
    backend.close()
    took = time.monotonic() - started
    del xml
    # The body itself is 20 MiB; parsing it took 500 MB and 5 s before.
    assert peak[0] < 64 * MiB, f"peak {peak[0] / MiB:.0f} MiB"
    assert took < 5
    if status == 200:
        assert "not well-formed, safe XML" in str(caught.value)


# -- 2. the call's deadline bounds the request in flight ----------------------------------


def _trickled_headers() -> Reply:
    """About 20 s of headers, a byte every 0.1 s."""
    headers = {"x-cos-request-id": "Slow", "x-padding": "p" * 100}
    return trickle(head(200, headers, 10) + b"0123456789", interval=0.1)


def _trickled_body() -> Reply:
    """Headers at once, then about 20 s of body, a byte every 0.1 s."""
    body = image_xml(b"\x89PNG" + bytes(100))
    return trickle(body, prefix=head(200, {"x-cos-request-id": "Slow"}, len(body)), interval=0.1)


TRICKLES = {"headers": _trickled_headers, "body": _trickled_body}


@pytest.mark.parametrize("part", sorted(TRICKLES))
def test_a_trickling_server_cannot_hold_a_call_past_its_deadline(
    serve: Callable[..., HostileService], part: str
) -> None:
    service = serve(TRICKLES[part]())  # each byte resets the 2 s read timeout
    with qrplex.Client(config=client_config(service, deadline=0.6)) as client:
        started = time.monotonic()
        image = client.generate("trickled", width=290)
        took = time.monotonic() - started
    assert image.backend == "local"
    assert decode(image.data) == "trickled"
    (attempt,) = image.attempts
    assert attempt.error_type == "BackendUnavailableError"
    assert "deadline" in attempt.message
    assert took < 5


@pytest.mark.parametrize("part", sorted(TRICKLES))
def test_a_trickling_server_cannot_hold_an_async_call_past_its_deadline(
    serve: Callable[..., HostileService], part: str
) -> None:
    service = serve(TRICKLES[part]())

    async def call() -> qrplex.CodeImage:
        async with qrplex.Client(config=client_config(service, deadline=0.6)) as client:
            return await client.agenerate("trickled", width=290)

    started = time.monotonic()
    image = asyncio.run(call())
    assert time.monotonic() - started < 5
    assert image.backend == "local"
    assert [a.error_type for a in image.attempts] == ["BackendUnavailableError"]


def test_a_request_is_bounded_as_a_whole_without_a_deadline(
    serve: Callable[..., HostileService],
) -> None:
    service = serve(_trickled_body())
    backend = CloudInfiniteBackend(settings(service, timeout="0.5,0.5"))
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="the request's 1 s limit ran out"):
        backend.render(CodeRequest("x"))  # outside a client call: no deadline
    assert time.monotonic() - started < 5
    backend.close()


def test_a_circuit_probe_is_bounded_too(serve: Callable[..., HostileService]) -> None:
    service = serve(_trickled_headers())
    config = client_config(service, deadline=0.5, breaker_threshold=1, breaker_cooldown=0.1)
    with qrplex.Client(config=config) as client:
        assert client.generate("opens").backend == "local"
        assert client.circuit_states()["cloudinfinite"] == "open"
        time.sleep(0.2)  # the cooldown passes: the next call probes the cloud
        started = time.monotonic()
        probed = client.generate("probe")
        assert time.monotonic() - started < 5
        assert probed.backend == "local"
        assert [a.error_type for a in probed.attempts] == ["BackendUnavailableError"]
        assert client.circuit_states()["cloudinfinite"] == "open"  # not stuck half-open
    assert len(service.seen) == 2


# -- 3. an image is checked as an image before it is returned -------------------------------


def _png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body).to_bytes(4, "big")
        return len(body).to_bytes(4, "big") + kind + body + crc

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


HOSTILE_PNGS = {
    # 65 bytes that claim 300 x 2147483647 px.
    "two-billion-rows": _png(300, 2_147_483_647, zlib.compress(b"\x00" * 301))[:65],
    "claims-two-billion-rows": _png(300, 2_147_483_647, zlib.compress(b"\x00" * 301)),
    "300x7-qr": _png(300, 7, zlib.compress((b"\x00" + b"\xff" * 300) * 7)),
    "not-zlib": _png(300, 300, b"pixel data that is not zlib at all"),
    "too-few-rows": _png(300, 300, zlib.compress((b"\x00" + b"\xff" * 300) * 299)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_PNGS))
def test_a_hostile_png_from_the_service_is_refused_and_falls_back(
    serve: Callable[..., HostileService], name: str
) -> None:
    service = serve(answer(200, image_xml(HOSTILE_PNGS[name])))
    with qrplex.Client(config=client_config(service)) as client:
        image = client.generate("checked as an image", width=300)
    assert image.backend == "local"
    assert decode(image.data) == "checked as an image"
    assert [a.error_type for a in image.attempts] == ["BadResponseError"]
    assert len(service.seen) == 1  # a bad response is not retried: it falls back


# -- 4. Retry-After: honoured end to end, parsed strictly ---------------------------------


def _slow_down(retry_after: str) -> Reply:
    return answer(
        503, error_xml("SlowDown", "Please reduce your request rate."), Retry_After=retry_after
    )


def test_retry_after_is_waited_for_before_the_retry(serve: Callable[..., HostileService]) -> None:
    service = serve(_slow_down("1"), answer(200, image_xml(local_png("patient", 300))))
    config = client_config(service, retries=1, retry_backoff=0.01)
    with qrplex.Client(config=config) as client:
        image = client.generate("patient", width=300)
    assert image.backend == "cloudinfinite"
    first, second = service.seen
    # Without Retry-After the backoff would be at most 0.01 s.
    assert 0.9 <= second.at - first.at < 5


@pytest.mark.parametrize(
    "retry_after",
    [
        "100000",
        "9" * 5000,  # more digits than int() takes
        format_datetime(datetime.fromtimestamp(time.time() + 7 * 86400, UTC), usegmt=True),
    ],
    ids=["seconds", "more digits than int() takes", "date in a week"],
)
def test_a_long_retry_after_falls_back_at_once(
    serve: Callable[..., HostileService], retry_after: str
) -> None:
    service = serve(_slow_down(retry_after), answer(200, image_xml(local_png("x", 300))))
    config = client_config(service, retries=2, retry_backoff=0.01)
    with qrplex.Client(config=config) as client:
        started = time.monotonic()
        image = client.generate("impatient", width=300)
        assert time.monotonic() - started < 3
    assert image.backend == "local"
    assert len(service.seen) == 1  # no knocking again before the time the service asked


@pytest.mark.parametrize("retry_after", ["²", "1.5", "-3", "١", "٣٠", "1e3", "soon", "0x10"])
def test_an_odd_retry_after_counts_as_absent(
    serve: Callable[..., HostileService], retry_after: str
) -> None:
    service = serve(_slow_down(retry_after), answer(200, image_xml(local_png("odd", 300))))
    config = client_config(service, retries=1, retry_backoff=0.01)
    with qrplex.Client(config=config) as client:
        image = client.generate("odd", width=300)
    assert image.backend == "cloudinfinite"  # a plain transient failure, retried
    (attempt,) = image.attempts
    assert attempt.error_type == "BackendUnavailableError"
    assert "SlowDown" in attempt.message


# -- 5. a server cannot move the client's clock -------------------------------------------


def _skewed(seconds: float, **headers: str) -> Reply:
    stamp = datetime.fromtimestamp(time.time() + seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = error_xml("RequestTimeTooSkewed", "The difference is too large.", ServerTime=stamp)
    return answer(403, body, **headers)


def _sign_start(seen: Seen) -> int:
    found = re.search(r"q-sign-time=(\d+);", seen.headers["authorization"])
    assert found is not None
    return int(found.group(1))


@pytest.mark.parametrize("days", [300, -300, 1.5])
def test_a_claimed_skew_over_a_day_is_reported_not_followed(
    serve: Callable[..., HostileService], days: float
) -> None:
    service = serve(_skewed(days * 86400), answer(200, image_xml(local_png("x", 300))))
    backend = CloudInfiniteBackend(settings(service))
    with pytest.raises(BackendAuthError, match="fix this machine's clock") as caught:
        backend.render(CodeRequest("x"))
    assert f"{abs(days):.1f} days" in str(caught.value)
    assert ("behind" if days > 0 else "ahead of") in str(caught.value)
    assert backend.clock_offset == 0.0
    assert len(service.seen) == 1  # not re-signed with the forged time
    assert backend.render(CodeRequest("x")).width == 300
    assert abs(_sign_start(service.seen[1]) - (time.time() - 60)) < 10  # signed on our clock


def _two_hours_ahead() -> dict[str, str]:
    """``<ServerTime>`` and ``Date`` two hours ahead: within the day that would be learned."""
    moment = datetime.fromtimestamp(time.time() + 7200, UTC)
    return {
        "ServerTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Date": format_datetime(moment, usegmt=True),
    }


AHEAD = _two_hours_ahead()


@pytest.mark.parametrize(
    "reply",
    [
        _skewed(7200, x_cos_request_id=""),  # not from the service
        answer(400, error_xml("RequestTimeTooSkewed", "x", ServerTime=AHEAD["ServerTime"])),
        # A malformed <ServerTime>: the Date header (well-formed) must not stand in.
        answer(
            403, error_xml("RequestTimeTooSkewed", "x", ServerTime="2099-01-0"), Date=AHEAD["Date"]
        ),
        answer(403, b"<Error><Code>RequestTimeTooSkewed</Code>", Date=AHEAD["Date"]),
    ],
    ids=["no request id", "wrong status", "malformed time", "malformed body"],
)
def test_a_skew_reply_failing_other_checks_teaches_nothing(
    serve: Callable[..., HostileService], reply: Reply
) -> None:
    service = serve(reply)
    backend = CloudInfiniteBackend(settings(service))
    with pytest.raises(qrplex.BackendError):
        backend.render(CodeRequest("x"))
    assert backend.clock_offset == 0.0
    assert len(service.seen) == 1


def test_a_learned_offset_refused_again_is_unlearned(
    serve: Callable[..., HostileService],
) -> None:
    refused = answer(
        403, error_xml("SignatureDoesNotMatch", "The Signature you specified is invalid.")
    )
    service = serve(_skewed(7200), refused)
    backend = CloudInfiniteBackend(settings(service))
    with pytest.raises(BackendAuthError, match="Signature"):
        backend.render(CodeRequest("x"))
    assert len(service.seen) == 2  # re-signed once with the learned time...
    assert abs(_sign_start(service.seen[1]) - (time.time() + 7200 - 60)) < 10
    assert backend.clock_offset == 0.0  # ...which was refused: forgotten


# -- 6. no password from the endpoint URL in any message ----------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://user:hunter2@127.0.0.1:{port}",
        "http://user:hunter2@127.0.0.1:99999",
        "ftp://user:hunter2@127.0.0.1",
        "http://user:hunter2@",
        "http://user:hunt/er2@127.0.0.1:{port}",
        "http://u:hunter2@[::1",
        "user:hunter2@127.0.0.1:{port}",
    ],
)
def test_a_password_in_the_endpoint_never_shows(
    endpoint: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:  # a port nothing listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = endpoint.format(port=port)
    config = {
        "backend": "cloudinfinite",
        "fallback": ["local"],
        "backends": {
            "cloudinfinite": {
                "bucket": BUCKET,
                "secret_id": SECRET_ID,
                "secret_key": SECRET_KEY,
                "endpoint": endpoint,
            }
        },
    }
    shown: list[str] = []
    with caplog.at_level(logging.DEBUG):
        with qrplex.Client(config=config) as client:
            shown.append(repr(client))
            with pytest.raises(ConfigError) as caught:
                client.generate("x")
            shown += [str(caught.value), repr(caught.value)]
        monkeypatch.setenv("QRPLEX_BACKEND", "cloudinfinite")
        monkeypatch.setenv("QRPLEX_CLOUDINFINITE_ENDPOINT", endpoint)
        monkeypatch.setenv("QRPLEX_CLOUDINFINITE_BUCKET", BUCKET)
        monkeypatch.setenv("QRPLEX_CLOUDINFINITE_SECRET_ID", SECRET_ID)
        monkeypatch.setenv("QRPLEX_CLOUDINFINITE_SECRET_KEY", SECRET_KEY)
        main(["config"])
        main(["make", "x", "-o", "out.png"])
    captured = capsys.readouterr()
    shown += [captured.out, captured.err, caplog.text]
    assert "user name or password" in str(caught.value)
    for text in shown:
        assert "hunter2" not in text
        assert "er2@" not in text


@pytest.mark.parametrize("asynchronous", [False, True])
def test_the_request_on_the_wire(serve: Callable[..., HostileService], asynchronous: bool) -> None:
    """What the engines send: one signed GET with the plugin's User-Agent, asking for an
    uncompressed answer (the request is built directly, not by ``httpx.Client``, and its path
    and query travel in the ``target`` extension)."""
    service = serve(answer(200, image_xml(local_png("wire", 300))))
    backend = CloudInfiniteBackend(settings(service))
    request = CodeRequest(content="wire", symbology="qr", format="png", width=300)

    async def main() -> None:
        try:
            await backend.arender(request)
        finally:
            await backend.aclose()

    try:
        if asynchronous:
            asyncio.run(main())
        else:
            backend.render(request)
    finally:
        backend.close()
    (seen,) = service.seen
    assert seen.target.startswith("/?ci-process=qrcode-generate&qrcode-content=wire&")
    assert seen.headers["user-agent"] == "qrplex-cloudinfinite/0.1"
    assert seen.headers["accept-encoding"] == "identity"
    assert seen.headers["host"] == service.base_url.removeprefix("http://")
    assert seen.headers["authorization"].startswith("q-sign-algorithm=sha1&q-ak=AKID")


# -- the transport called directly: what httpx.Client did (or did not do) still holds ------


def _render_both_ways(backend: CloudInfiniteBackend, asynchronous: bool) -> Any:
    """``backend.render(x)``, or ``arender`` in a fresh event loop; the backend closed."""
    request = CodeRequest(content="direct", symbology="qr", format="png", width=300)

    async def main() -> Any:
        try:
            return await backend.arender(request)
        finally:
            await backend.aclose()

    try:
        return asyncio.run(main()) if asynchronous else backend.render(request)
    finally:
        backend.close()


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_redirect_is_judged_not_followed(
    serve: Callable[..., HostileService], asynchronous: bool
) -> None:
    elsewhere = serve(answer(200, image_xml(local_png("direct", 300))))
    service = serve(answer(302, location=f"{elsewhere.base_url}/"))
    backend = CloudInfiniteBackend(settings(service))
    with pytest.raises(BackendRejectedError, match="redirected") as caught:
        _render_both_ways(backend, asynchronous)
    assert caught.value.status == 302
    assert len(service.seen) == 1
    assert elsewhere.seen == []


@pytest.mark.parametrize("asynchronous", [False, True])
def test_cookies_are_neither_kept_nor_sent(
    serve: Callable[..., HostileService], asynchronous: bool
) -> None:
    png = local_png("direct", 300)
    reply = answer(200, image_xml(png), set_cookie="session=stolen; Path=/")
    service = serve(reply)
    backend = CloudInfiniteBackend(settings(service))
    request = CodeRequest(content="direct", symbology="qr", format="png", width=300)

    async def main() -> None:
        try:
            for _ in range(2):
                assert (await backend.arender(request)).data == png
        finally:
            await backend.aclose()

    try:
        if asynchronous:
            asyncio.run(main())
        else:
            for _ in range(2):
                assert backend.render(request).data == png
    finally:
        backend.close()
    assert len(service.seen) == 2
    assert all("cookie" not in seen.headers for seen in service.seen)


def _endless_body(sent: list[int]) -> Reply:
    """A 200 whose body runs to the end of the connection, 1 MiB at a time, for up to
    64 MiB (counted in ``sent``)."""

    def send(connection: socket.socket, service: HostileService) -> None:
        connection.sendall(head(200, {"x-cos-request-id": "Endless"}, None))
        chunk = b"A" * MiB
        for _ in range(64):
            if service.stopping.is_set():
                return
            connection.sendall(chunk)
            sent[0] += len(chunk)

    return Reply(send)


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_body_over_the_cap_is_cut_off_by_the_default_transport(
    serve: Callable[..., HostileService], asynchronous: bool
) -> None:
    sent = [0]
    service = serve(_endless_body(sent))
    backend = CloudInfiniteBackend(settings(service, timeout="2,5"))
    with pytest.raises(BadResponseError, match="larger than 20 MiB") as caught:
        _render_both_ways(backend, asynchronous)
    assert caught.value.request_id == "Endless"
    time.sleep(0.2)  # let the service notice the client hung up
    assert sent[0] < 48 * MiB  # the client hung up: the rest was never sent (nor read)


def test_each_kind_of_call_keeps_its_own_routing_plan(
    serve: Callable[..., HostileService],
) -> None:
    """The client makes a call's routing plan once per backend choice, option names and
    ``verify``: calls of one kind never route with another kind's plan. The service answers
    every request with a QR code of other content."""
    service = serve(answer(200, image_xml(local_png("other", 300))))
    with qrplex.Client(config=client_config(service)) as client:

        def served(**arguments: Any) -> str:
            return client.generate("plan", width=300, **arguments).backend

        assert served() == "cloudinfinite"
        assert served(error="H") == "local"  # the service has no error-correction option
        assert served() == "cloudinfinite"
        assert served(verify=True) == "local"  # the service's image does not read "plan"
        assert served() == "cloudinfinite"
        assert served(backend="local") == "local"
        assert served() == "cloudinfinite"
        assert client._plan(None, {}) is client._plan(None, {})  # made once
    assert len(service.seen) == 5  # the four plain calls and the verified one
