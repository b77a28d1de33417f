"""The parts of an ASGI HTTP request the emulator looks at."""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

__all__ = ["Request", "strip_default_port"]

_PORT = re.compile(r":[0-9]*\Z")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _parse_query(raw: bytes) -> list[tuple[str, str]]:
    """Split a query string into decoded pairs; ``+`` is a space (form encoding)."""
    pairs: list[tuple[str, str]] = []
    for part in raw.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        pairs.append(
            (
                _decode(unquote_to_bytes(key.replace(b"+", b" "))),
                _decode(unquote_to_bytes(value.replace(b"+", b" "))),
            )
        )
    return pairs


def strip_default_port(host: str) -> str:
    """``host:port`` without its port (IPv6 literals keep their brackets)."""
    if host.endswith("]"):
        return host
    return _PORT.sub("", host)


@dataclass(frozen=True)
class Request:
    """An HTTP request, decoded.

    Attributes:
        method: upper-case method.
        path: the decoded path.
        query: decoded query pairs in order (``+`` read as a space; a key without ``=`` has
            the value ``""``).
        headers: lower-case name -> value (repeated headers joined with ``,``).
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]

    @classmethod
    def from_scope(cls, scope: MutableMapping[str, Any]) -> Request:
        """Build from an ASGI ``http`` scope."""
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            value = _decode(raw_value).strip()
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        return cls(
            method=str(scope.get("method", "GET")).upper(),
            path=str(scope.get("path", "/")),
            query=tuple(_parse_query(scope.get("query_string", b""))),
            headers=headers,
        )

    @property
    def host(self) -> str:
        """The ``Host`` header (empty if missing)."""
        return self.headers.get("host", "")

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name`` (exact name), if present."""
        for key, value in self.query:
            if key == name:
                return value
        return None
