"""The call's deadline bounds the attempt in flight, not only the gaps between attempts
(issue 9, item 2), for any backend: async attempts are cancelled by the core; sync backends
see the time left through ``qrplex.time_left()`` and bound their own waits by it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

import qrplex
from qrplex._registry import Registry
from qrplex.testing import decode


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """A loopback server that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[:2]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


class StuckBackend(qrplex.Backend):
    """A network backend whose service never answers: it waits on a silent loopback socket,
    bounding its wait by ``qrplex.time_left()`` as the plugin guide asks (sync), or not at all
    (async: the core cancels it)."""

    name = "stuck"
    capabilities = qrplex.Capabilities(frozenset({"qr"}), frozenset({"png"}), network=True)
    address: ClassVar[tuple[str, int]] = ("127.0.0.1", 9)
    seen_time_left: ClassVar[list[float | None]] = []

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        left = qrplex.time_left()
        self.seen_time_left.append(left)
        # (The 15 s is only a guard so that the test fails instead of hanging if the core
        # stopped setting the deadline: time_left() is never None inside these calls.)
        with socket.create_connection(self.address, timeout=left or 15) as connection:
            connection.settimeout(qrplex.time_left() or 15)
            try:
                connection.recv(1)
            except TimeoutError:
                raise qrplex.BackendUnavailableError(
                    "no answer before the call's deadline", backend=self.name
                ) from None
        raise qrplex.BadResponseError("the service hung up", backend=self.name)

    async def arender(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        self.seen_time_left.append(qrplex.time_left())
        reader, writer = await asyncio.open_connection(*self.address)
        try:
            await reader.read(1)  # no timeout of its own: waits for ever
        finally:
            writer.close()
        raise qrplex.BadResponseError("the service hung up", backend=self.name)


class OwnTimeoutBackend(StuckBackend):
    """An async backend that raises a TimeoutError of its own, at once."""

    name = "own-timeout"

    async def arender(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        raise TimeoutError("my own timeout")


class Plugin:
    @staticmethod
    @qrplex.hookimpl
    def qrplex_register_backends(register: Any) -> None:
        register(StuckBackend)
        register(OwnTimeoutBackend)


def client(backend: str, deadline: float) -> qrplex.Client:
    registry = Registry(plugins=[("stuck", Plugin)])
    config = {"deadline": deadline, "retries": 3, "retry_backoff": 0.01}
    return qrplex.Client(backend=backend, fallback=["local"], config=config, registry=registry)


def test_time_left_is_none_outside_a_call() -> None:
    assert qrplex.time_left() is None


def test_a_sync_attempt_sees_the_time_left_and_falls_back_when_it_runs_out(
    silent_server: tuple[str, int],
) -> None:
    StuckBackend.address = silent_server
    StuckBackend.seen_time_left.clear()
    started = time.monotonic()
    with client("stuck", deadline=1.0) as c:
        image = c.generate("still served")
    took = time.monotonic() - started
    assert image.backend == "local"
    assert decode(image.data) == "still served"
    assert took < 10, f"the call took {took:.1f} s with a 1 s deadline"
    first = StuckBackend.seen_time_left[0]
    assert first is not None
    assert 0 < first <= 1.0
    # The attempt used the whole budget, so no retry was made (none could fit).
    assert [a.error_type for a in image.attempts] == ["BackendUnavailableError"]


async def test_an_async_attempt_that_overruns_is_cancelled_and_falls_back(
    silent_server: tuple[str, int],
) -> None:
    StuckBackend.address = silent_server
    started = time.monotonic()
    with client("stuck", deadline=0.5) as c:
        # wait_for: fail (not hang) if the core stopped cancelling overrunning attempts.
        image = await asyncio.wait_for(c.agenerate("served anyway"), 15)
    took = time.monotonic() - started
    assert image.backend == "local"
    assert decode(image.data) == "served anyway"
    assert took < 10, f"the call took {took:.1f} s with a 0.5 s deadline"
    assert [a.error_type for a in image.attempts] == ["BackendUnavailableError"]
    assert "deadline passed" in image.attempts[0].message


async def test_a_backends_own_timeout_error_is_not_taken_for_the_deadline() -> None:
    with client("own-timeout", deadline=30) as c:
        image = await c.agenerate("x")
    assert image.backend == "local"
    assert "crashed with TimeoutError: my own timeout" in image.attempts[0].message


async def test_the_local_fallback_is_not_cut_by_a_deadline_that_has_passed(
    silent_server: tuple[str, int],
) -> None:
    # A symbol large enough that local renders it in a worker thread (an await the deadline
    # could cancel): network backends are bounded by the deadline, local ones are not.
    StuckBackend.address = silent_server
    content = "https://example.com/" + "x" * 300
    with client("stuck", deadline=0.3) as c:
        image = await asyncio.wait_for(c.agenerate(content, width=2000), 15)
    assert image.backend == "local"
    assert decode(image.data) == content
