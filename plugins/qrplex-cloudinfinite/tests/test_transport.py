"""The backend's HTTP engines against a real canned server on loopback (its own process,
``benchmarks/_canned.py``): connection reuse over HTTP and HTTPS, certificate checks, stale
kept-alive connections, pool limits, chunked bodies, and 64 threads sharing one client.
"""

from __future__ import annotations

import asyncio
import base64
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from benchmarks._canned import CannedServer, canned_answer

import qrplex
from qrplex import CodeRequest
from qrplex.errors import BackendAuthError, BackendUnavailableError
from qrplex_cloudinfinite import CloudInfiniteBackend
from qrplex_cloudinfinite._http1 import Body, Head, ProtocolError, encode_request, parse_head
from qrplex_cloudinfinite._sync_http import SyncTransport

CONTENT = "https://example.com/transport"
REQUEST = CodeRequest(content=CONTENT, symbology="qr", format="png", width=300)


@pytest.fixture(scope="module")
def body() -> bytes:
    """The service's XML answer for :data:`REQUEST` (a real 300 px QR code)."""
    with qrplex.Client(backend="local") as client:
        png = client.generate(CONTENT, width=300).data
    return b"<Response><ResultImage>" + base64.b64encode(png) + b"</ResultImage></Response>"


@pytest.fixture(scope="module")
def answer(body: bytes) -> bytes:
    return canned_answer(body)


@pytest.fixture
def serve() -> Iterator[Any]:
    """``serve(answer, **options)``: a canned server for this test, stopped after it."""
    servers: list[CannedServer] = []

    def start(answer: bytes, **options: Any) -> CannedServer:
        server = CannedServer(answer, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def backend_for(server: CannedServer, timeout: str = "2,3") -> CloudInfiniteBackend:
    return CloudInfiniteBackend(
        {
            "bucket": "examplebucket-1250000000",
            "secret_id": "AKIDtransportTEST0000000000000000001",
            "secret_key": "transportTestSecretKey00000000001",
            "endpoint": server.base_url,
            "timeout": timeout,
        }
    )


# -- the reliability bug: 64 threads sharing one sync client -------------------------------


def test_64_threads_sharing_a_client_never_wait_on_a_connection_another_closed(
    serve: Any, answer: bytes
) -> None:
    """httpcore's pool could close a connection it had just handed to another thread (httpcore
    issue 1110): that request then failed (EBADF) or waited for its whole read timeout. With
    answers arriving in bursts (20 ms server delay) and frequent thread switches, the old
    transport failed this in 5 runs out of 5; ours owns each connection in one thread."""
    server = serve(answer, delay=0.02)
    backend = backend_for(server, timeout="2,10")
    durations: list[float] = []
    errors: list[Exception] = []

    def worker() -> None:
        for _ in range(30):
            started = time.monotonic()
            try:
                backend.render(REQUEST)
            except Exception as exc:
                errors.append(exc)
            durations.append(time.monotonic() - started)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often, so that races get their chance
    try:
        threads = [threading.Thread(target=worker) for _ in range(64)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
        backend.close()
    assert errors == []
    assert len(durations) == 64 * 30
    assert max(durations) < 5  # the read timeout is 10 s (generous: a loaded machine is slow)


# -- reuse, over HTTP and HTTPS --------------------------------------------------------------


def test_sync_requests_reuse_one_https_connection(
    serve: Any, answer: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(answer, tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)  # what httpx trusts, as users do
    backend = backend_for(server)
    try:
        for _ in range(10):
            assert backend.render(REQUEST).width == 300
    finally:
        backend.close()
    assert server.counts() == (1, 10)  # one handshake, ten requests


def test_async_requests_reuse_their_https_connections(
    serve: Any, answer: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(answer, tls=True, delay=0.01)
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
    backend = backend_for(server)

    async def main() -> None:
        async def worker() -> None:
            for _ in range(5):
                assert (await backend.arender(REQUEST)).width == 300

        try:
            await asyncio.gather(*(worker() for _ in range(8)))
        finally:
            await backend.aclose()

    asyncio.run(main())
    connections, requests = server.counts()
    assert requests == 40
    assert connections <= 8  # at most one per request in flight, never one per request


def test_the_service_certificate_is_verified(serve: Any, answer: bytes) -> None:
    """A certificate nobody trusts: the service has not proved who it is. That is an
    authentication failure (a typed, permanent error), not an outage."""
    server = serve(answer, tls=True)  # signed by a CA nobody trusts
    backend = backend_for(server)
    with pytest.raises(BackendAuthError, match="TLS certificate was refused") as caught:
        backend.render(REQUEST)
    assert "CERTIFICATE_VERIFY_FAILED" not in str(caught.value)  # the reason, said plainly
    assert "certificate verify failed" in str(caught.value)
    assert "SSL_CERT_FILE" in str(caught.value)

    async def main() -> None:
        try:
            await backend.arender(REQUEST)
        finally:
            await backend.aclose()

    with pytest.raises(BackendAuthError, match="TLS certificate was refused"):
        asyncio.run(main())
    backend.close()
    assert server.counts() == (0, 0)  # no handshake completed, no request sent


def test_a_refused_certificate_through_httpx_s_own_transport_is_said_alike(
    serve: Any, answer: bytes
) -> None:
    server = serve(answer, tls=True)
    settings = {
        "bucket": "examplebucket-1250000000",
        "secret_id": "AKIDtransportTEST0000000000000000001",
        "secret_key": "transportTestSecretKey00000000001",
        "endpoint": server.base_url,
    }
    backend = CloudInfiniteBackend(settings, transport=httpx.HTTPTransport(retries=0))
    try:
        with pytest.raises(BackendAuthError, match="TLS certificate was refused"):
            backend.render(REQUEST)
    finally:
        backend.close()


def test_a_refused_certificate_fails_the_call_at_once(serve: Any, answer: bytes) -> None:
    """Not retried (it would be refused again), not counted by the circuit breaker (the
    service is not down), and raised rather than hidden by the fallback, unless the
    configuration falls back on authentication errors."""
    server = serve(answer, tls=True)
    config: dict[str, Any] = {
        "backend": "cloudinfinite",
        "fallback": ["local"],
        "retries": 3,
        "retry_backoff": 0.01,
        "breaker_threshold": 1,
        "backends": {
            "cloudinfinite": {
                "bucket": "examplebucket-1250000000",
                "secret_id": "AKIDtransportTEST0000000000000000001",
                "secret_key": "transportTestSecretKey00000000001",
                "endpoint": server.base_url,
            }
        },
    }
    with qrplex.Client(config=config) as client:
        for _ in range(2):
            with pytest.raises(BackendAuthError) as caught:
                client.generate(CONTENT, width=300)
            assert [a.error_type for a in caught.value.attempts] == ["BackendAuthError"]
        assert client.circuit_states() == {"cloudinfinite": "closed"}
    with qrplex.Client(config={**config, "fallback_on_auth_error": True}) as client:
        image = client.generate(CONTENT, width=300)
    assert image.backend == "local"
    assert [a.error_type for a in image.attempts] == ["BackendAuthError"]
    assert server.counts() == (0, 0)


# -- stale connections -----------------------------------------------------------------------


def test_a_connection_hung_up_on_as_a_request_arrives_is_replaced_once(
    serve: Any, answer: bytes
) -> None:
    """The server answers one request per connection and hangs up on the next unanswered:
    the client sees a kept-alive connection fail before any answer and sends again on a new
    one (sync and async), never failing the call."""
    server = serve(answer, per_connection=1)
    backend = backend_for(server)

    async def main() -> None:
        try:
            for _ in range(3):
                await backend.arender(REQUEST)
        finally:
            await backend.aclose()

    try:
        for _ in range(3):
            backend.render(REQUEST)
        assert backend._http.transport().replaced == 2  # type: ignore[attr-defined]
        asyncio.run(main())
    finally:
        backend.close()
    assert server.counts() == (6, 6)


def test_an_idle_connection_the_server_closed_is_not_used(serve: Any, answer: bytes) -> None:
    server = serve(answer, idle_close=0.05)
    transport = SyncTransport()
    with httpx.Client(transport=transport) as client:
        assert client.get(server.base_url).status_code == 200
        time.sleep(0.3)  # the server has closed it by now
        assert client.get(server.base_url).status_code == 200
    assert (transport.opened, transport.replaced) == (2, 0)  # never written to: not replaced
    assert server.counts() == (2, 2)


# -- limits ----------------------------------------------------------------------------------


def test_the_pool_opens_at_most_max_connections(serve: Any, answer: bytes) -> None:
    server = serve(answer, delay=0.02)
    transport = SyncTransport(limits=httpx.Limits(max_connections=2))
    with httpx.Client(transport=transport) as client:
        threads = [
            threading.Thread(target=lambda: [client.get(server.base_url) for _ in range(3)])
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert server.counts() == (2, 18)


def test_a_request_waits_for_a_free_connection_at_most_its_pool_timeout(
    serve: Any, answer: bytes
) -> None:
    server = serve(answer, delay=1.0)
    transport = SyncTransport(limits=httpx.Limits(max_connections=1))
    with httpx.Client(transport=transport, timeout=httpx.Timeout(5, pool=0.1)) as client:
        holder = threading.Thread(target=client.get, args=(server.base_url,))
        holder.start()
        time.sleep(0.2)
        started = time.monotonic()
        with pytest.raises(httpx.PoolTimeout):
            client.get(server.base_url)
        assert time.monotonic() - started < 0.8
        holder.join(10)


# -- framing ---------------------------------------------------------------------------------


def chunked(body: bytes, size: int = 7) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\nX-T: 1\r\n\r\n"


def test_a_chunked_answer_is_read_whole_and_the_connection_kept(serve: Any, body: bytes) -> None:
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n"
        b"x-cos-request-id: chunked\r\n\r\n"
    )
    server = serve(head + chunked(body, 1000))
    backend = backend_for(server)
    try:
        for _ in range(3):
            assert backend.render(REQUEST).width == 300
    finally:
        backend.close()
    assert server.counts() == (1, 3)


@pytest.mark.parametrize("step", [1, 2, 3, 5, 64])
def test_a_chunked_body_parses_the_same_however_it_is_split(step: int) -> None:
    payload = bytes(range(256)) * 3
    wire = chunked(payload)
    body = Body(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"))
    pieces = [piece for i in range(0, len(wire), step) for piece in body.feed(wire[i : i + step])]
    assert b"".join(pieces) == payload
    assert body.done
    assert body.keep_alive


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1",
        b"HTTP/1.1 200 OK\r\nContent-Length: \xd9\xa3",  # Arabic-Indic three
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip",
        b"HTTP/1.1 200 OK\r\n folded: line",
        b"HTTP/2 200 OK",
        b"HTTP/1.1 2000 OK",
    ],
)
def test_a_malformed_head_is_refused(head: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_head(head)


def test_bytes_past_the_body_make_the_connection_unusable() -> None:
    head: Head = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 3")
    body = Body(head)
    assert body.feed(b"abcHTTP/1.1 200 OK") == [b"abc"]
    assert body.done
    assert not body.keep_alive


def test_a_head_longer_than_64_kib_is_refused_sync_and_async(serve: Any) -> None:
    server = serve(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
    backend = backend_for(server, timeout="1,1")

    async def main() -> None:
        try:
            await backend.arender(REQUEST)
        finally:
            await backend.aclose()

    try:
        with pytest.raises(BackendUnavailableError, match="head is longer than 65536 bytes"):
            backend.render(REQUEST)
        with pytest.raises(BackendUnavailableError, match="head is longer than 65536 bytes"):
            asyncio.run(main())
    finally:
        backend.close()


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        (b"/?a=1 HTTP/1.1\r\nX-Injected: 1", []),
        (b"/?a=\n", []),
        (b"http://elsewhere/", []),
        (b"/", [(b"x-a", b"1\r\nX-Injected: 1")]),
        (b"/", [(b"bad name", b"1")]),
    ],
)
def test_nothing_can_be_smuggled_into_a_request(
    target: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    with pytest.raises(ProtocolError):
        encode_request(b"GET", target, headers, b"")
