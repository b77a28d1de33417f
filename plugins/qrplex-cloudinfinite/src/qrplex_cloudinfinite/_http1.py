"""HTTP/1.1 on the wire, without I/O: a request's bytes, a response head, a body's framing.

The two engines (:mod:`._sync_http` over blocking sockets, :mod:`._async_http` over asyncio
streams) share this code, so they parse alike. It is strict where a lax parser could be
steered by a hostile server: one status line, at most :data:`MAX_HEAD` bytes of head and
:data:`MAX_FIELDS` fields, no folded lines, one ``Content-Length`` value, chunk-size lines
of hex digits only; anything else is a :class:`ProtocolError`. No pipelining: bytes past the
end of a body make the connection unusable (never read as the next answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "MAX_FIELDS",
    "MAX_HEAD",
    "Body",
    "Head",
    "ProtocolError",
    "encode_request",
    "parse_head",
]

MAX_HEAD: Final = 64 * 1024
"""Most bytes of a response head (status line and fields)."""

MAX_FIELDS: Final = 100
"""Most header fields in a response head."""

_MAX_CHUNK_LINE: Final = 1024
_STATUS = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: ([^\r\n]*))?\Z")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}\Z")
_UNSAFE_TARGET = re.compile(rb"[\x00-\x20\x7f-\xff]")


class ProtocolError(Exception):
    """The server broke HTTP/1.1 (the message says how)."""


@dataclass(frozen=True, slots=True)
class Head:
    """A parsed response head.

    Attributes:
        status: the status code.
        reason: the reason phrase (bytes, as sent).
        headers: ``(name, value)`` pairs as sent (values stripped).
        length: the ``Content-Length``, or ``None``.
        chunked: whether the body is chunked.
        keep_alive: whether the connection may carry another request afterwards.
    """

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    length: int | None
    chunked: bool
    keep_alive: bool


def encode_request(
    method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes:
    """The bytes of one request (``headers`` as given; a body needs its ``Content-Length``
    among them, which httpx puts there)."""
    if not target.startswith(b"/") or _UNSAFE_TARGET.search(target):
        raise ProtocolError("the request target is not an origin-form path of visible ASCII")
    for name, value in headers:
        if b"\r" in value or b"\n" in value or not _TOKEN.match(name):
            raise ProtocolError("a request header has a line break or an invalid name")
    lines = [method + b" " + target + b" HTTP/1.1"]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def parse_head(data: bytes, *, method: bytes = b"GET") -> Head:
    """Parse a response head (``data`` up to, not including, the blank line)."""
    status_line, *lines = data.split(b"\r\n")
    match = _STATUS.match(status_line)
    if match is None:
        raise ProtocolError(f"not an HTTP/1.1 status line: {status_line[:40]!r}")
    if len(lines) > MAX_FIELDS:
        raise ProtocolError(f"more than {MAX_FIELDS} header fields")
    minor, status = match.group(1), int(match.group(2))
    headers: list[tuple[bytes, bytes]] = []
    lengths: set[bytes] = set()
    codings: list[bytes] = []
    connection = b""
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.match(name):
            raise ProtocolError(f"malformed header line: {line[:40]!r}")
        value = value.strip(b" \t")
        lower = name.lower()
        if lower == b"content-length":
            lengths.update(part.strip() for part in value.split(b","))
        elif lower == b"transfer-encoding":
            codings += [part.strip().lower() for part in value.split(b",")]
        elif lower == b"connection":
            connection += b"," + value.lower()
        headers.append((name, value))
    keep_alive = (b"close" not in connection) if minor == b"1" else (b"keep-alive" in connection)
    no_body = method == b"HEAD" or status in (204, 304) or 100 <= status < 200
    length: int | None = None
    chunked = False
    if codings:
        if codings[-1] != b"chunked":
            raise ProtocolError("a Transfer-Encoding other than chunked")
        chunked = True
        keep_alive = keep_alive and not lengths  # both framings: trust neither afterwards
    elif lengths:
        if len(lengths) != 1:
            raise ProtocolError("conflicting Content-Length values")
        (text,) = lengths
        if not (text.isdigit() and len(text) <= 18):
            raise ProtocolError("Content-Length is not a number")
        length = int(text)
    if no_body:
        length, chunked = 0, False
    elif length is None and not chunked:
        keep_alive = False  # the body runs to the end of the connection
    return Head(status, match.group(3) or b"", headers, length, chunked, keep_alive)


class Body:
    """Splits the bytes that follow a head into the body's pieces.

    Args:
        head: the response head (its framing: length, chunked, or up to end of stream).
    """

    __slots__ = ("_buffer", "_left", "_state", "done", "keep_alive")

    def __init__(self, head: Head) -> None:
        self._buffer = b""
        self.keep_alive = head.keep_alive
        self.done = False
        if head.chunked:
            self._state, self._left = "size", 0
        elif head.length is not None:
            self._state, self._left = "data", head.length
            self.done = head.length == 0
        else:
            self._state, self._left = "eof", 0

    def feed(self, data: bytes) -> list[bytes]:
        """The body's pieces in ``data`` (bytes received after what was fed before)."""
        if self.done:
            if data:
                self.keep_alive = False  # more than the body: never reuse the connection
            return []
        if self._state == "eof":
            return [data] if data else []
        if self._state == "data":  # Content-Length framing: the common case, kept short
            piece = data[: self._left]
            self._left -= len(piece)
            if self._left == 0:
                self.done = True
                if len(data) > len(piece):
                    self.keep_alive = False
            return [piece] if piece else []
        return self._chunked(data)

    def _chunked(self, data: bytes) -> list[bytes]:
        buffer = self._buffer + data
        pieces: list[bytes] = []
        while buffer and not self.done:
            if self._state == "size":
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > _MAX_CHUNK_LINE:
                        raise ProtocolError("a chunk-size line is too long")
                    break
                size = buffer[:end].split(b";", 1)[0].strip()
                if not _HEX.match(size):
                    raise ProtocolError(f"a malformed chunk size: {size[:20]!r}")
                self._left = int(size, 16)
                buffer = buffer[end + 2 :]
                self._state = "chunk" if self._left else "trailer"
            elif self._state == "chunk":
                piece = buffer[: self._left]
                pieces.append(piece)
                self._left -= len(piece)
                buffer = buffer[len(piece) :]
                if self._left == 0:
                    self._state = "crlf"
            elif self._state == "crlf":
                if len(buffer) < 2:
                    break
                if buffer[:2] != b"\r\n":
                    raise ProtocolError("a chunk does not end with CRLF")
                buffer = buffer[2:]
                self._state = "size"
            else:  # trailer fields, up to an empty line
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD:
                        raise ProtocolError("the chunked trailer is too long")
                    break
                line, buffer = buffer[:end], buffer[end + 2 :]
                if not line:
                    self.done = True
        if self.done and buffer:
            self.keep_alive = False
        self._buffer = b"" if self.done else buffer
        return pieces

    def end_of_stream(self) -> None:
        """The server closed the connection: fine for a body that runs to the end, else
        :class:`ProtocolError` (the answer was cut short)."""
        if self._state == "eof":
            self.done = True
        elif not self.done:
            raise ProtocolError("the server closed the connection mid-answer")
