"""A canned HTTP/1.1 server: the same valid answer to every request, so the client is what
is measured.

It runs in its own process (``python -m benchmarks._canned``, pinned to a core of its
own when the machine has two), keeps connections alive, answers each request head with the
same bytes (by default, exactly what the emulator answered to one ``qrcode-generate``
request), optionally after a fixed delay, optionally over TLS with a throwaway certificate
(``trustme``), and optionally closes connections left idle for a while (as real servers and
load balancers do). It counts the connections it accepted (for TLS: completed handshakes)
and the requests it answered, so tests and benchmarks can check that clients reuse their
connections. It stops when told, when its parent dies, or after 20 minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, Final

__all__ = ["CannedServer", "canned_answer", "fetch_answer"]

_LIFETIME: Final = 20 * 60.0
_START_TIMEOUT: Final = 30.0
_REPO: Final = Path(__file__).resolve().parent.parent


def canned_answer(body: bytes, *, request_id: str = "NjQ0ZmNhbm5lZA==") -> bytes:
    """A complete ``200`` answer carrying ``body`` (an XML ``<Response>``), as the service
    sends it."""
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/xml\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n"
        f"x-cos-request-id: {request_id}\r\n"
        "Server: tencent-ci\r\n\r\n"
    )
    return head.encode("ascii") + body


def fetch_answer(port: int, request: bytes) -> bytes:
    """The exact bytes (head and body) a server on ``127.0.0.1:port`` answers to
    ``request``, read by its ``Content-Length``; raises unless it is a ``200``."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("the server closed the connection mid-answer")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(f"not a 200 answer: {head[:60]!r}")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")[1:]
            if line.split(b":", 1)[0].strip().lower() == b"content-length"
        )
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("the server closed the connection mid-answer")
            body += chunk
    return head + b"\r\n\r\n" + body


# -- the child process ----------------------------------------------------------------------


class _Counters:
    def __init__(self) -> None:
        self.connections = 0
        self.requests = 0


class _Canned(asyncio.Protocol):
    def __init__(
        self, answer: bytes, delay: float, idle_close: float, limit: int, counters: _Counters
    ) -> None:
        self._answer = answer
        self._delay = delay
        self._idle_close = idle_close
        self._limit = limit
        self._answered = 0
        self._counters = counters
        self._transport: asyncio.Transport | None = None
        self._pending = b""
        self._idle: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._counters.connections += 1
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        data = self._pending + data
        heads = data.count(b"\r\n\r\n")
        self._pending = data[data.rfind(b"\r\n\r\n") + 4 :] if heads else data
        for _ in range(heads):
            if self._limit and self._answered >= self._limit:
                if self._transport is not None:
                    self._transport.close()  # hung up on, unanswered: a stale connection
                return
            self._answered += 1
            self._counters.requests += 1
            if self._delay:
                self._loop.call_later(self._delay, self._send)
            else:
                self._send()

    def _send(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(self._answer)
            self._arm()

    def _arm(self) -> None:
        if self._idle_close and self._transport is not None:
            if self._idle is not None:
                self._idle.cancel()
            self._idle = self._loop.call_later(self._idle_close, self._transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._transport = None


def _serve(options: dict[str, Any]) -> None:
    """The child: serve until standard input ends; answer each ``stats`` line on it with
    ``<connections> <requests>`` on standard output."""
    if options["cpu"] is not None:
        os.sched_setaffinity(0, {options["cpu"]})
    context = None
    if options["chain"] is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options["chain"], options["key"])
    answer = Path(options["answer"]).read_bytes()
    counters = _Counters()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Canned(
                answer, options["delay"], options["idle_close"], options["limit"], counters
            ),
            "127.0.0.1",
            0,
            ssl=context,
            backlog=1024,
        )
        print(server.sockets[0].getsockname()[1], flush=True)
        stop = loop.create_future()

        def command() -> None:
            line = sys.stdin.readline()
            if not line:
                if not stop.done():
                    stop.set_result(None)
                return
            print(counters.connections, counters.requests, flush=True)

        loop.add_reader(sys.stdin.fileno(), command)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop, _LIFETIME)
        server.close()

    asyncio.run(main())


# -- the parent's handle ----------------------------------------------------------------------


class CannedServer:
    """Start a canned server in a child process (a context manager).

    Args:
        answer: the bytes sent for every request head (a whole HTTP/1.1 answer).
        delay: seconds to wait before each answer.
        tls: serve HTTPS with a throwaway certificate for ``127.0.0.1`` and ``localhost``
            (trust it with :attr:`ca_file` or :meth:`client_context`).
        idle_close: close a connection idle for this many seconds (0: never).
        per_connection: answer at most this many requests on one connection, then hang up
            on the next one unanswered, as a server does that closes a kept-alive
            connection just as a request arrives (0: no limit).
        cpu: pin the child to this CPU (``None``: leave it where the OS puts it).

    Attributes:
        port: the port it listens on, once started.
        ca_file: the PEM file of the CA that signed its certificate (TLS only).
    """

    def __init__(
        self,
        answer: bytes,
        *,
        delay: float = 0.0,
        tls: bool = False,
        idle_close: float = 0.0,
        per_connection: int = 0,
        cpu: int | None = None,
    ) -> None:
        self.answer = answer
        self.delay = delay
        self.tls = tls
        self.idle_close = idle_close
        self.per_connection = per_connection
        self.cpu = cpu
        self.port = 0
        self.ca_file: str | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        """``http(s)://127.0.0.1:<port>``."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def counts(self) -> tuple[int, int]:
        """``(connections, requests)`` so far: connections accepted (over TLS, handshakes
        completed) and request heads answered (or being answered)."""
        process = self._process
        assert process is not None
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write("stats\n")
        process.stdin.flush()
        connections, requests = process.stdout.readline().split()
        return int(connections), int(requests)

    @property
    def connections(self) -> int:
        """Connections accepted so far (over TLS: handshakes completed)."""
        return self.counts()[0]

    @property
    def requests(self) -> int:
        """Request heads answered (or being answered) so far."""
        return self.counts()[1]

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this server's certificate (TLS only)."""
        assert self.ca_file is not None, "not a TLS server"
        return ssl.create_default_context(cafile=self.ca_file)

    def cpu_seconds(self) -> float:
        """CPU seconds (user + system) the child has used so far."""
        assert self._process is not None
        with open(f"/proc/{self._process.pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def start(self) -> CannedServer:
        """Start the child and wait until it listens."""
        self._folder = tempfile.TemporaryDirectory()
        folder = Path(self._folder.name)
        options: dict[str, Any] = {
            "answer": str(folder / "answer"),
            "delay": self.delay,
            "idle_close": self.idle_close,
            "limit": self.per_connection,
            "cpu": self.cpu,
            "chain": None,
            "key": None,
        }
        (folder / "answer").write_bytes(self.answer)
        if self.tls:
            import trustme

            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost")
            self.ca_file = str(folder / "ca.pem")
            ca.cert_pem.write_to_path(self.ca_file)
            options["chain"], options["key"] = str(folder / "chain.pem"), str(folder / "key.pem")
            cert.private_key_and_cert_chain_pem.write_to_path(options["chain"])
            cert.private_key_pem.write_to_path(options["key"])
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._canned", json.dumps(options)],
            cwd=_REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], _START_TIMEOUT)
        line = self._process.stdout.readline() if ready else ""
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError("the canned server did not start")
        self.port = int(line)
        return self

    def stop(self) -> None:
        """Stop the child (kill it if it does not stop within 5 s)."""
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()  # the child stops at the end of its input
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            if process.stdout is not None:
                process.stdout.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> CannedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
