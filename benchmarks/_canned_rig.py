"""The clients of the client-cost comparison, aimed at one canned server, as timing cases.

* qrplex: ``Client.generate`` (sync) and ``Client.agenerate`` (one at a time, or ``n``
  coroutines gathered), and ``Client.generate`` from ``n`` threads;
* the SDK: ``CosS3Client.ci_qrcode_generate`` then ``base64.b64decode`` (as in
  :mod:`benchmarks._cloud_rig`), sequentially or from ``n`` threads (``PoolMaxSize=n``);
* a raw client: :mod:`http.client` on one kept-alive connection sending a request signed
  once (what any client must at least spend: the floor).

Over HTTPS, qrplex trusts the server's throwaway CA through ``SSL_CERT_FILE`` (what
:func:`httpx.create_ssl_context` reads, so the default transport is the one measured), the
SDK through ``VerifySSL`` and the raw client through its own context.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from ._canned import CannedServer
from ._cloud_rig import CONTENT, WIDTH, qrplex_config
from ._emulator import ACCOUNT
from ._raw_http import signed_request
from ._timing import Case, repeat

__all__ = ["CannedRig", "trusting"]


@contextmanager
def trusting(server: CannedServer) -> Iterator[None]:
    """Within the block, httpx (and so qrplex) trusts ``server``'s certificate."""
    if server.ca_file is None:
        yield
        return
    before = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = server.ca_file
    try:
        yield
    finally:
        if before is None:
            del os.environ["SSL_CERT_FILE"]
        else:
            os.environ["SSL_CERT_FILE"] = before


class CannedRig:
    """qrplex, the SDK and a raw client, all aimed at ``server``.

    Args:
        server: a started canned server (HTTP or HTTPS).
        loop: the event loop the async cases run on.
        pool: the threads for the threaded cases (as many as ``in_flight``).
        in_flight: requests in flight in the concurrent cases.
    """

    def __init__(
        self,
        server: CannedServer,
        loop: asyncio.AbstractEventLoop,
        pool: ThreadPoolExecutor,
        in_flight: int,
    ) -> None:
        from qcloud_cos import CosConfig, CosS3Client

        import qrplex

        self.server = server
        self.in_flight = in_flight
        self._loop = loop
        self._pool = pool
        self.client = qrplex.Client(config=qrplex_config(server.base_url))
        self.sdk = CosS3Client(
            CosConfig(
                Region=ACCOUNT.region,
                SecretId=ACCOUNT.secret_id,
                SecretKey=ACCOUNT.secret_key,
                Scheme="https" if server.tls else "http",
                IP="127.0.0.1",
                Port=server.port,
                Timeout=10,
                PoolConnections=in_flight,
                PoolMaxSize=in_flight,
                VerifySSL=server.ca_file,
            ),
            retry=0,
        )
        wire = signed_request(ACCOUNT, server.port, CONTENT, WIDTH)
        head = wire.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
        self._target = head[0].split(" ")[1]
        self._headers = dict(line.split(": ", 1) for line in head[1:])
        self._raw: http.client.HTTPConnection | None = None

    # -- one request each ------------------------------------------------------------------

    def ours(self) -> bytes:
        """One image through qrplex's sync client."""
        return self.client.generate(CONTENT, width=WIDTH).data

    def theirs(self) -> bytes:
        """One image through the SDK."""
        result = self.sdk.ci_qrcode_generate(
            Bucket=ACCOUNT.bucket, QrcodeContent=CONTENT, Width=WIDTH, Mode=0
        )
        return base64.b64decode(result["ResultImage"])

    def raw(self) -> int:
        """One precomputed request on the raw client's kept-alive connection."""
        if self._raw is None:
            if self.server.tls:
                self._raw = http.client.HTTPSConnection(
                    "127.0.0.1", self.server.port, context=self.server.client_context()
                )
            else:
                self._raw = http.client.HTTPConnection("127.0.0.1", self.server.port)
        self._raw.request("GET", self._target, headers=self._headers)
        response = self._raw.getresponse()
        return len(response.read())

    def check(self) -> None:
        """Raise unless qrplex and the SDK get the same image, and the raw client a body."""
        image = self.client.generate(CONTENT, width=WIDTH)
        if image.backend != "cloudinfinite" or image.attempts:
            raise AssertionError(f"qrplex was not served by the canned server: {image.attempts}")
        if image.data != self.theirs():
            raise AssertionError("qrplex and the SDK decoded different images")
        if self.raw() <= 0:
            raise AssertionError("the raw client got an empty answer")

    # -- cases -----------------------------------------------------------------------------

    def _async_one_at_a_time(self, n: int) -> None:
        async def run() -> None:
            for _ in range(n):
                await self.client.agenerate(CONTENT, width=WIDTH)

        self._loop.run_until_complete(run())

    def _gathered(self, n: int) -> None:
        async def worker(count: int) -> None:
            for _ in range(count):
                await self.client.agenerate(CONTENT, width=WIDTH)

        async def gather() -> None:
            share = n // self.in_flight
            await asyncio.gather(*(worker(share) for _ in range(self.in_flight)))

        self._loop.run_until_complete(gather())

    def _in_threads(self, call: Callable[[], object]) -> Callable[[int], None]:
        def run(n: int) -> None:
            share = n // self.in_flight
            futures = [self._pool.submit(repeat(call), share) for _ in range(self.in_flight)]
            wait(futures)
            for future in futures:
                future.result()

        return run

    def sequential(self) -> list[Case]:
        """One request at a time: qrplex sync and async, the SDK, the raw client."""
        return [
            Case("qrplex", repeat(self.ours)),
            Case("qrplex-async", self._async_one_at_a_time),
            Case("sdk", repeat(self.theirs)),
            Case("raw", repeat(self.raw)),
        ]

    def concurrent(self, waves: int = 1) -> list[Case]:
        """``in_flight`` requests in flight: qrplex async gathered, qrplex sync and the SDK in
        threads (batches of ``in_flight × waves`` requests or a multiple)."""
        n = self.in_flight * waves
        return [
            Case("qrplex-async", self._gathered, n),
            Case("qrplex-threads", self._in_threads(self.ours), n),
            Case("sdk-threads", self._in_threads(self.theirs), n),
        ]

    def reuse(self, requests: int) -> dict[str, Any]:
        """Handshakes (connections) the server accepted for ``requests`` requests from each of
        qrplex's paths, ``in_flight`` at a time, with fresh clients."""
        import qrplex

        found: dict[str, Any] = {}
        for name, run in (("sync", self._fresh_threads), ("async", self._fresh_gathered)):
            client = qrplex.Client(config=qrplex_config(self.server.base_url))
            try:
                before = self.server.counts()
                run(client, requests)
                after = self.server.counts()
            finally:
                self._loop.run_until_complete(client.aclose())
            found[name] = {
                "connections": after[0] - before[0],
                "requests": after[1] - before[1],
            }
        return found

    def _fresh_threads(self, client: Any, n: int) -> None:
        self._in_threads(lambda: client.generate(CONTENT, width=WIDTH))(n)

    def _fresh_gathered(self, client: Any, n: int) -> None:
        async def worker(count: int) -> None:
            for _ in range(count):
                await client.agenerate(CONTENT, width=WIDTH)

        async def gather() -> None:
            share = n // self.in_flight
            await asyncio.gather(*(worker(share) for _ in range(self.in_flight)))

        self._loop.run_until_complete(gather())

    def close(self) -> None:
        """Close qrplex's clients (on the shared loop) and the raw connection."""
        self._loop.run_until_complete(self.client.aclose())
        if self._raw is not None:
            self._raw.close()
