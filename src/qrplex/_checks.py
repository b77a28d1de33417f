"""Checks the core makes on what a backend returns before it reaches the user."""

from __future__ import annotations

import struct
import zlib

from ._model import CodeRequest, Rendering
from .errors import BadResponseError

__all__ = ["check_rendering", "png_size", "sniff_media_type"]

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff_media_type(data: bytes) -> str | None:
    """The media type the bytes really are (PNG, JPEG or SVG), or ``None``."""
    for magic, media_type in _SIGNATURES:
        if data.startswith(magic):
            return media_type
    head = data[:512].lstrip()
    if head.startswith((b"<?xml", b"<svg")) and b"<svg" in data[:4096]:
        return "image/svg+xml"
    return None


def check_rendering(rendering: Rendering, request: CodeRequest, backend: str) -> None:
    """Raise :class:`BadResponseError` unless ``rendering`` is what ``request`` asked for."""
    actual = sniff_media_type(rendering.data)
    if actual is None or actual != rendering.media_type:
        raise BadResponseError(
            f"returned {actual or 'unrecognised bytes'} but labelled it {rendering.media_type}",
            backend=backend,
        )
    expected = {"png": "image/png", "svg": "image/svg+xml"}.get(request.format)
    if actual != expected:
        raise BadResponseError(f"returned {actual} for a {request.format} request", backend=backend)
    if actual == "image/png":
        real = png_size(rendering.data)
        if real != (rendering.width, rendering.height):
            truth = "unreadable" if real is None else f"{real[0]}x{real[1]} px"
            raise BadResponseError(
                f"said its PNG is {rendering.width}x{rendering.height} px but it is {truth}",
                backend=backend,
            )
    if request.width is not None and rendering.width != request.width:
        raise BadResponseError(
            f"returned an image {rendering.width} px wide for a request of {request.width} px",
            backend=backend,
        )


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a whole, intact PNG: the chunks are walked up to ``IEND`` and
    their CRCs checked, so a truncated or corrupted file gives ``None``."""
    position, size = 8, None
    while position + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 8 + length
        if end + 4 > len(data) or zlib.crc32(data[position + 4 : end]) != int.from_bytes(
            data[end : end + 4], "big"
        ):
            return None
        if size is None:
            if kind != b"IHDR" or length != 13:
                return None
            size = struct.unpack_from(">II", data, position + 8)
        if kind == b"IEND":
            return (int(size[0]), int(size[1]))
        position = end + 4
    return None
