"""The typed request and result that travel between the core and the backends."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._qr_capacity import QrPlan

__all__ = ["Attempt", "CodeImage", "CodeRequest", "Rendering"]


def _frozen(options: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(options or {}))


@dataclass(frozen=True, slots=True)
class CodeRequest:
    """One validated, normalized request, as a backend receives it.

    The core builds it after validation: ``content`` is already normalized (an EAN-13 has its
    check digit), ``symbology`` and ``format`` are known names, and ``width`` is ``None`` or a
    width the symbol fits in.

    Attributes:
        content: the text to encode, normalized.
        symbology: ``"qr"``, ``"ean13"``, ... (see :func:`qrplex.symbologies`).
        format: ``"png"`` or ``"svg"``.
        width: exact pixel width wanted, or ``None`` for the backend's default scale.
        options: symbology options (``error`` level for QR, ``height`` for barcodes, ...).
        qr: for a QR Code or Micro QR Code, the symbol the core checked the width with: its
            version and how the content is encoded (mode, ECI), under the charset policy of
            :mod:`qrplex.spec`. A backend draws exactly this symbol instead of planning its
            own. ``None`` for linear barcodes, and in a request not made by the core's
            validation (a backend then calls :func:`qrplex.spec.plan_qr` itself). It is
            derived from the other fields, so it takes no part in equality or in the cache
            key.
    """

    content: str
    symbology: str = "qr"
    format: str = "png"
    width: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    qr: QrPlan | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", _frozen(self.options))


@dataclass(frozen=True, slots=True)
class Rendering:
    """What a backend returns: the image bytes and what they are.

    The core checks it (media type sniffed from the bytes, width as requested) before it
    becomes a :class:`CodeImage`.
    """

    data: bytes
    media_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """A failed attempt on the way to a result: which backend, what went wrong, how long."""

    backend: str
    error_type: str
    message: str
    elapsed: float
    transient: bool = False


@dataclass(frozen=True, slots=True, repr=False)
class CodeImage:
    """A generated code: the image bytes plus what they show and who made them.

    Attributes:
        data: the encoded image (PNG, SVG, ...).
        media_type: the truthful media type of ``data`` (``image/png``, ``image/svg+xml``).
        symbology: the symbology drawn.
        width: image width in pixels (for SVG, the width of its viewport).
        height: image height in pixels.
        backend: name of the backend that produced it.
        content: the content encoded (normalized: an EAN-13 has its check digit).
        attempts: failed attempts (and retries) before ``backend`` served it.
        cached: whether it came from the on-disk cache instead of a backend.
    """

    data: bytes
    media_type: str
    symbology: str
    width: int
    height: int
    backend: str
    content: str
    attempts: tuple[Attempt, ...] = ()
    cached: bool = False

    @property
    def extension(self) -> str:
        """The usual file extension for ``media_type``, without a dot."""
        return {
            "image/png": "png",
            "image/svg+xml": "svg",
            "image/jpeg": "jpg",
        }.get(self.media_type, "bin")

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the image bytes to ``path``.

        A regular file is written whole or not at all (a uniquely named temporary file in
        the same directory, flushed to disk and renamed over it; an existing file keeps its
        permission bits, a new one gets the umask's). A symlink is written through: the file
        it points to is replaced the same way and the link stays. Anything that is not a
        regular file (a FIFO, ``/dev/null``, ``/dev/stdout``, a ``/dev/fd/N`` of process
        substitution) is opened and written directly, never replaced.

        Raises:
            OSError: the path cannot be written (a directory, a missing parent directory, a
                full disk, ...); ``filename`` is ``path``.
        """
        from ._files import write_file

        write_file(path, self.data)

    def data_uri(self) -> str:
        """The image as a ``data:`` URI, for HTML ``<img src=...>``."""
        encoded = base64.b64encode(self.data).decode("ascii")
        return f"data:{self.media_type};base64,{encoded}"

    def __repr__(self) -> str:
        return (
            f"CodeImage(symbology={self.symbology!r}, media_type={self.media_type!r}, "
            f"width={self.width}, height={self.height}, backend={self.backend!r}, "
            f"content={self.content!r}, bytes={len(self.data)})"
        )
