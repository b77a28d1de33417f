"""A minimal HTTP/1.1 load generator: the emulator's own capacity, with (almost) no client.

One request is signed once (valid for an hour) and its bytes are sent again and again over
kept-alive connections; responses are read by ``Content-Length`` and only their status line
is looked at. Whatever time remains per request is the emulator's (and the loopback's).
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Final

from qrplex_cloudinfinite._signing import authorization, cos_quote

from ._emulator import Account

__all__ = ["RawClient", "signed_request"]

_HEADER_END: Final = b"\r\n\r\n"
_BUFFER: Final = 65536


def signed_request(account: Account, port: int, content: str, width: int) -> bytes:
    """The bytes of a signed ``qrcode-generate`` GET for ``content`` at ``width`` px."""
    host = f"127.0.0.1:{port}"
    params = {
        "ci-process": "qrcode-generate",
        "qrcode-content": content,
        "mode": "0",
        "width": str(width),
    }
    now = int(time.time())
    auth = authorization(
        secret_id=account.secret_id,
        secret_key=account.secret_key,
        method="GET",
        path="/",
        params=params,
        headers={"host": host},
        start=now - 60,
        end=now + 3600,
    )
    query = "&".join(f"{cos_quote(k)}={cos_quote(v)}" for k, v in params.items())
    return (
        f"GET /?{query} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n"
        "Accept-Encoding: identity\r\n\r\n"
    ).encode("ascii")


def _content_length(head: bytes) -> int:
    status = head.split(b"\r\n", 1)[0]
    if b" 200 " not in status + b" ":
        raise RuntimeError(f"the emulator answered {status.decode('latin-1')!r}")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    raise RuntimeError("the emulator's answer has no Content-Length")


class RawClient:
    """Sends one precomputed request over raw sockets (sync: one connection; async: many)."""

    def __init__(self, port: int, request: bytes) -> None:
        self.port = port
        self.request = request
        self._sock: socket.socket | None = None

    # -- one connection, blocking ----------------------------------------------------------

    def _connection(self) -> socket.socket:
        if self._sock is None:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
        return self._sock

    def get(self) -> int:
        """Send the request once and read the whole answer; return the body's length.

        A kept-alive connection the server closed while idle (uvicorn closes them after 5 s)
        is replaced once, as HTTP clients do.
        """
        data = b""
        for attempt in range(2):
            sock = self._connection()
            try:
                sock.sendall(self.request)
                data = sock.recv(_BUFFER)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if data:
                break
            self.close()
            if attempt:
                raise RuntimeError("the emulator closed the connection")
        while _HEADER_END not in data:
            chunk = sock.recv(_BUFFER)
            if not chunk:
                raise RuntimeError("the emulator closed the connection mid-answer")
            data += chunk
        head, _, body = data.partition(_HEADER_END)
        length = _content_length(head)
        received = len(body)
        while received < length:
            chunk = sock.recv(_BUFFER)
            if not chunk:
                raise RuntimeError("the emulator closed the connection mid-answer")
            received += len(chunk)
        return length

    def run(self, n: int) -> None:
        """``n`` requests, one after the other."""
        for _ in range(n):
            self.get()

    def close(self) -> None:
        """Close the blocking connection."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # -- many connections, asyncio ---------------------------------------------------------

    async def _worker(self, count: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            for _ in range(count):
                writer.write(self.request)
                head = await reader.readuntil(_HEADER_END)
                await reader.readexactly(_content_length(head[:-4]))
        finally:
            writer.close()
            await writer.wait_closed()

    async def run_concurrently(self, n: int, in_flight: int) -> None:
        """``n`` requests over ``in_flight`` connections, each sending its share in turn.

        (asyncio sets ``TCP_NODELAY`` on the connections it opens.)
        """
        share, extra = divmod(n, in_flight)
        counts = [share + (1 if index < extra else 0) for index in range(in_flight)]
        await asyncio.gather(*(self._worker(count) for count in counts if count))
