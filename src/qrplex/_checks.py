"""Checks the core makes on what a backend returns before it reaches the user."""

from __future__ import annotations

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
    """Width and height from a PNG's IHDR chunk, or ``None`` if it has none."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
