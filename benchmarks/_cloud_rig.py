"""The clients of the cloud comparison, aimed at one emulator, as timing cases.

* qrplex: ``Client(config=...).generate`` (sync, pooled httpx connections) and
  ``Client.agenerate`` (``IN_FLIGHT`` coroutines gathered, each sending its share in turn);
* the SDK: ``CosS3Client.ci_qrcode_generate`` then ``base64.b64decode(result["ResultImage"])``
  (what its documentation shows), sequentially or from ``IN_FLIGHT`` threads
  (``PoolMaxSize=IN_FLIGHT`` so that its connection pool holds that many connections);
* a raw client sending one precomputed request over kept-alive sockets (the emulator's own
  capacity, which bounds what any client can reach).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from ._emulator import ACCOUNT, Account, EmulatorProcess
from ._raw_http import RawClient, signed_request
from ._timing import Case, repeat

__all__ = ["CONTENT", "IN_FLIGHT", "WIDTH", "CloudRig", "qrplex_config", "sdk_client"]

CONTENT = "https://example.com/qrplex/benchmarks?id=42"
WIDTH = 300
IN_FLIGHT = 16


def qrplex_config(base_url: str, account: Account = ACCOUNT) -> dict[str, Any]:
    """A client configuration for the emulator: cloudinfinite only, no fallback."""
    return {
        "backend": "cloudinfinite",
        "fallback": [],
        "backends": {
            "cloudinfinite": {
                "endpoint": base_url,
                "secret_id": account.secret_id,
                "secret_key": account.secret_key,
                "bucket": account.bucket,
                "region": account.region,
            }
        },
    }


def sdk_client(port: int, account: Account = ACCOUNT) -> Any:
    """The SDK aimed at the emulator (``IP``/``Port``, as the plugin's tests do), no retries."""
    from qcloud_cos import CosConfig, CosS3Client

    config = CosConfig(
        Region=account.region,
        SecretId=account.secret_id,
        SecretKey=account.secret_key,
        Scheme="http",
        IP="127.0.0.1",
        Port=port,
        Timeout=10,
        PoolConnections=IN_FLIGHT,
        PoolMaxSize=IN_FLIGHT,
    )
    return CosS3Client(config, retry=0)


class CloudRig:
    """qrplex, the SDK and a raw client, all aimed at ``emulator``.

    Args:
        emulator: a started emulator.
        loop: the event loop the async cases run on (shared, never running between cases).
        pool: ``IN_FLIGHT`` threads for the threaded cases.
    """

    def __init__(
        self, emulator: EmulatorProcess, loop: asyncio.AbstractEventLoop, pool: ThreadPoolExecutor
    ) -> None:
        import qrplex

        self.emulator = emulator
        self._loop = loop
        self._pool = pool
        self.client = qrplex.Client(config=qrplex_config(emulator.base_url))
        self.sdk = sdk_client(emulator.port)
        self.raw = RawClient(emulator.port, signed_request(ACCOUNT, emulator.port, CONTENT, WIDTH))

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

    def check(self) -> None:
        """Raise unless every client gets the same image from the emulator."""
        image = self.client.generate(CONTENT, width=WIDTH)
        if image.backend != "cloudinfinite" or image.attempts:
            raise AssertionError(f"qrplex was not served by the emulator: {image.attempts}")
        if image.data != self.theirs():
            raise AssertionError("qrplex and the SDK got different images for the same request")
        if self.raw.get() <= 0:
            raise AssertionError("the raw client got an empty answer")

    # -- cases -----------------------------------------------------------------------------

    def _in_threads(self, call: Callable[[], object]) -> Callable[[int], None]:
        """``run(n)``: ``IN_FLIGHT`` threads, each making its share of ``n`` calls in turn."""

        def run(n: int) -> None:
            futures = [self._pool.submit(repeat(call), n // IN_FLIGHT) for _ in range(IN_FLIGHT)]
            wait(futures)
            for future in futures:
                future.result()

        return run

    def _gathered(self, n: int) -> None:
        async def worker(count: int) -> None:
            for _ in range(count):
                await self.client.agenerate(CONTENT, width=WIDTH)

        async def gather() -> None:
            await asyncio.gather(*(worker(n // IN_FLIGHT) for _ in range(IN_FLIGHT)))

        self._loop.run_until_complete(gather())

    def _raw_concurrently(self, n: int) -> None:
        self._loop.run_until_complete(self.raw.run_concurrently(n, IN_FLIGHT))

    def sequential(self, *, raw: bool) -> list[Case]:
        """qrplex, the SDK (and the raw client), one request at a time."""
        cases = [Case("qrplex", repeat(self.ours)), Case("sdk", repeat(self.theirs))]
        if raw:
            cases.append(Case("raw", self.raw.run))
        return cases

    def concurrent(self, *, extra: bool) -> list[Case]:
        """``IN_FLIGHT`` requests in flight: qrplex async, the SDK in threads (and qrplex's
        sync client in threads, and the raw client)."""
        cases = [
            Case("qrplex-async", self._gathered, IN_FLIGHT),
            Case("sdk-threads", self._in_threads(self.theirs), IN_FLIGHT),
        ]
        if extra:
            cases.append(Case("qrplex-threads", self._in_threads(self.ours), IN_FLIGHT))
            cases.append(Case("raw", self._raw_concurrently, IN_FLIGHT))
        return cases

    def close(self) -> None:
        """Close qrplex's clients (on the shared loop) and the raw connection."""
        self._loop.run_until_complete(self.client.aclose())
        self.raw.close()
