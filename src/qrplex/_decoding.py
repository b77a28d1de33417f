"""Reads codes back from images with zxing-cpp (install ``qrplex[verify]``).

The core's ``verify=True`` and the test kit (:mod:`qrplex.testing`, which re-exports
:func:`decode` and friends) both use this module, so verifying an image never imports the kit
or its test-only dependencies (hypothesis, pytest).

What a reader reports is normalized to what the symbol means by its standard, so that it can
be compared with the content that was asked for:

* QR Code / Micro QR Code: the segments are read back from the modules
  (:mod:`qrplex._qrbits`); byte segments without an ECI are ISO-8859-1, as ISO/IEC
  18004 says, not whatever charset zxing-cpp guesses (it reads Latin-1 ``"ÄÖÜ"`` as Shift JIS
  ``"ﾄﾖﾜ"``); with an ECI, its charset; Kanji segments are Shift JIS.
* Linear barcodes: the bytes as ISO-8859-1 (Code 128's character set; ASCII for the others),
  again instead of zxing-cpp's guess (which reads Code 128 ``"Ã©"`` as UTF-8 ``"é"``).
* UPC-A: zxing-cpp reports it as the 13-digit EAN-13 with a leading ``0``; with
  ``symbology="upca"`` the 12 digits are returned. EAN-13 / ISBN-13 are the 13 digits with
  the check digit (a 12-digit UPC-A reading gets its leading ``0`` back).
* Code 39 is read as standard Code 39 (``"$A"`` stays ``"$A"``, not full-ASCII ``"a"``).
* Data Matrix, Aztec Code, PDF417 (and any symbol whose identifier says it has ECIs): each
  ECI's charset applied to the bytes after it (``]d4`` + ECI 26 + UTF-8 bytes is the UTF-8
  text); without an ECI, the bytes as ISO-8859-1.
* GS1 data (symbology identifier ``]C1``, ``]d2``, ``]Q3``, ``]e0`` or ``]J1``): the text is
  the element string as the core normalizes GS1 content
  (:meth:`qrplex.gs1.ElementString.normalized`, ``(01)...(10)...``); the transmitted data,
  with its GS separators, stays in :attr:`Reading.data`. Data that is not valid GS1 is left
  as it was read.

zxing-cpp cannot read SVG. SVGs made of axis-aligned rectangles (what generators write) are
rasterized first (:func:`qrplex._images.rasterize_svg`); others raise
:class:`UnreadableImageError`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ._images import rasterize_svg
from ._inspection import sniff_media_type
from ._qrbits import QrSegment, decode_segments, read_segments

if TYPE_CHECKING:
    import zxingcpp

__all__ = ["Reading", "UnreadableImageError", "decode", "decode_all", "read"]

_ZXING_FORMATS: Final[dict[str, str]] = {
    "qr": "QRCode",
    "microqr": "MicroQRCode",
    "ean13": "EAN13",
    "ean8": "EAN8",
    "upca": "UPCA",
    "isbn13": "EAN13",
    "code128": "Code128",
    "code39": "Code39Std",
    "itf": "ITF",
    "gs1-128": "Code128",
}
_MATRIX_FORMATS: Final = frozenset({"QRCode", "MicroQRCode"})
_ECI_FORMATS: Final = frozenset({"DataMatrix", "Aztec", "PDF417"})
_ECI_MARK: Final = re.compile(rb"\\(\\|[0-9]{6})")
# The AIM symbology identifiers that say the data carries ECIs (QR Code, Data Matrix, Aztec
# Code, PDF417) in zxing-cpp's ECI text (its plain text's identifier never does); without
# one, that text has no marks and no escaped backslashes.
_ECI_IDENTIFIERS: Final = frozenset(
    {"]Q2", "]Q4", "]Q6", "]d4", "]d5", "]d6", "]z3", "]z4", "]z5", "]L1"}
)


class UnreadableImageError(ValueError):
    """The image is in a form zxing-cpp cannot read (an SVG the kit cannot rasterize)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One code zxing-cpp found, with its text normalized (see the module docstring).

    Attributes:
        text: what the symbol says by its standard (compare this with the content).
        reader_text: zxing-cpp's own text (``TextMode.Plain``), for messages.
        format: zxing-cpp's name of the format it read (``"QRCode"``, ``"EAN13"``, ...).
        symbology_identifier: the AIM symbology identifier (``"]Q1"``, ``"]C0"``, ...).
        data: the decoded bytes as zxing-cpp reports them.
        ec_level: the error correction level, for QR codes (``"M"``, ...), else ``""``.
        version: the QR version (``"7"``, ``"M2"``), else ``""``.
        segments: the QR segments read from the modules, when they could be; for Data
            Matrix, Aztec Code and PDF417, the byte runs between ECI designators, each with
            the designator in force (``None``: no ECI).
    """

    text: str
    reader_text: str
    format: str
    symbology_identifier: str
    data: bytes
    ec_level: str = ""
    version: str = ""
    segments: tuple[QrSegment, ...] | None = None

    @property
    def modes(self) -> tuple[str, ...]:
        """The QR segment modes, in order (``("eci", "byte")``); empty when unknown."""
        return tuple(segment.mode for segment in self.segments or ())


def _pil_image(data: bytes) -> Any:
    try:
        from PIL import Image
    except ImportError as error:  # pragma: no cover - depends on the environment
        message = "decoding needs Pillow and zxing-cpp: pip install 'qrplex[verify]'"
        raise ImportError(message) from error
    if sniff_media_type(data) == "image/svg+xml":  # parsed once, by the rasterizer
        raster = rasterize_svg(data)
        if raster is None:
            raise UnreadableImageError(
                "this SVG uses more than axis-aligned rectangles, so the kit cannot rasterize "
                "it for zxing-cpp (which reads raster images only)"
            )
        return raster
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _zxing() -> Any:
    try:
        import zxingcpp
    except ImportError as error:  # pragma: no cover - depends on the environment
        message = "decoding needs zxing-cpp and Pillow: pip install 'qrplex[verify]'"
        raise ImportError(message) from error
    return zxingcpp


def _formats(zx: Any, symbology: str | None) -> Any:
    if symbology is None:
        return None
    if symbology not in _ZXING_FORMATS:
        known = ", ".join(_ZXING_FORMATS)
        raise ValueError(f"unknown symbology {symbology!r}: use one of {known}")
    return getattr(zx.BarcodeFormat, _ZXING_FORMATS[symbology])


def _format_name(result: zxingcpp.Barcode) -> str:
    name = getattr(result.format, "name", None)
    return str(name) if name else str(result.format).rsplit(".", 1)[-1].replace(" ", "")


def _eci_segments(zx: Any, image: Any, formats: Any, index: int) -> list[QrSegment] | None:
    """zxing-cpp's bytes split at its ECI marks: one byte segment per run, with the ECI
    designator in force (``None`` before the first, or when the symbol has none)."""
    if formats is None:
        results = zx.read_barcodes(image, text_mode=zx.TextMode.HexECI)
    else:
        results = zx.read_barcodes(image, formats=formats, text_mode=zx.TextMode.HexECI)
    if index >= len(results):
        return None
    stream = bytes.fromhex(results[index].text)
    identifier, body = stream[:3], stream[3:]
    if identifier.decode("latin-1") not in _ECI_IDENTIFIERS:  # no ECI: ISO-8859-1
        return [QrSegment("byte", body, None)]
    segments: list[QrSegment] = []
    eci: int | None = None
    start = 0
    chunk = bytearray()
    for match in _ECI_MARK.finditer(body):
        chunk += body[start : match.start()]
        if match[1] == b"\\":
            chunk += b"\\"
        else:
            segments.append(QrSegment("byte", bytes(chunk), eci))
            chunk = bytearray()
            eci = int(match[1])
        start = match.end()
    chunk += body[start:]
    segments.append(QrSegment("byte", bytes(chunk), eci))
    return segments


def _eci_text(zx: Any, image: Any, formats: Any, index: int) -> str | None:
    """Fallback QR reading: zxing-cpp's bytes with its ECI marks, charsets applied."""
    segments = _eci_segments(zx, image, formats, index)
    return None if segments is None else decode_segments(segments)


def _normalize(
    zx: Any, image: Any, formats: Any, index: int, result: Any, symbology: str | None
) -> Reading:
    name = _format_name(result)
    data = bytes(result.bytes)
    extra = result.extra if isinstance(result.extra, dict) else {}
    version = str(extra.get("Version", ""))
    level = str(extra.get("ECLevel", result.ec_level or ""))
    segments: list[QrSegment] | None = None
    if name in _MATRIX_FORMATS:
        try:
            mask = int(extra["DataMask"])
        except (KeyError, TypeError, ValueError):
            mask = -1
        if mask >= 0:
            segments = read_segments(
                image, version=version, level=level, mask=mask, expected_bytes=data
            )
        text = decode_segments(segments) if segments is not None else None
        if text is None:
            text = _eci_text(zx, image, formats, index)
        if text is None:
            text = result.text
    elif name in _ECI_FORMATS:  # read again with ECI marks (plain text hides them)
        segments = _eci_segments(zx, image, formats, index)
        text = (decode_segments(segments) if segments else None) or data.decode("latin-1")
    else:
        text = data.decode("latin-1")
        if symbology == "upca" and len(text) == 13 and text.startswith("0"):
            text = text[1:]
        elif symbology in ("ean13", "isbn13") and len(text) == 12 and text.isdigit():
            text = "0" + text
    identifier = str(result.symbology_identifier)
    if identifier in _GS1_IDENTIFIERS:
        text = _gs1_text(data) or text
    return Reading(
        text=text,
        reader_text=result.text,
        format=name,
        symbology_identifier=result.symbology_identifier,
        data=data,
        ec_level=level if name in _MATRIX_FORMATS else "",
        version=version if name in _MATRIX_FORMATS else "",
        segments=tuple(segments) if segments is not None else None,
    )


_GS1_IDENTIFIERS: Final = frozenset({"]C1", "]d2", "]Q3", "]e0", "]J1"})


def _gs1_text(data: bytes) -> str | None:
    """The normalized element string of GS1 data as transmitted, or None if it is not valid."""
    from .errors import InvalidContentError
    from .gs1 import parse

    try:
        return parse(data.decode("latin-1")).normalized()
    except InvalidContentError:
        return None


def read(data: bytes, symbology: str | None = None) -> list[Reading]:
    """Every code zxing-cpp finds in the image, as :class:`Reading` objects.

    Args:
        data: the image bytes: PNG, JPEG, or SVG made of rectangles.
        symbology: look only for this qrplex symbology (``"qr"``, ``"upca"``, ...) and
            normalize its text; ``None`` looks for every format.

    Raises:
        UnreadableImageError: an SVG that cannot be rasterized.
        AssertionError: the bytes are not a PNG, JPEG or well-formed SVG.
        ValueError: an unknown symbology.
    """
    zx = _zxing()
    formats = _formats(zx, symbology)
    image = _pil_image(data)
    try:
        if formats is None:
            results = zx.read_barcodes(image, text_mode=zx.TextMode.Plain)
        else:
            results = zx.read_barcodes(image, formats=formats, text_mode=zx.TextMode.Plain)
    except ValueError as error:  # e.g. "Maximum image width/height is 65535"
        raise UnreadableImageError(f"zxing-cpp cannot read this image: {error}") from None
    kept = _without_ghosts(list(results))
    return [
        _normalize(zx, image, formats, index, result, symbology)
        for index, result in enumerate(results)
        if result in kept
    ]


def _box(result: Any) -> tuple[float, float, float, float]:
    corners = result.position
    points = (corners.top_left, corners.top_right, corners.bottom_right, corners.bottom_left)
    xs, ys = [p.x for p in points], [p.y for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _area(box: tuple[float, float, float, float]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _without_ghosts(results: list[Any]) -> list[Any]:
    """``results`` without the "ghosts": a small symbol zxing-cpp reads *in* the modules of a
    larger one (e.g. a Micro QR "found" on a version-40 QR code's finder pattern). Two real
    symbols cannot overlap, so a result whose area lies mostly (half or more) inside another
    at least four times its size is an artefact of that one, not a second code."""
    boxes = [_box(result) for result in results]
    kept = []
    for index, box in enumerate(boxes):
        area = _area(box)
        ghost = any(
            other is not box
            and _area(other) >= 4 * area
            and _area(
                (max(box[0], other[0]), max(box[1], other[1]),
                 min(box[2], other[2]), min(box[3], other[3]))
            ) >= area / 2
            for other in boxes
        )  # fmt: skip
        if not ghost:
            kept.append(results[index])
    return kept


def decode_all(data: bytes, symbology: str | None = None) -> list[str]:
    """The normalized text of every code zxing-cpp finds in the image (see :func:`read`)."""
    return [reading.text for reading in read(data, symbology)]


def _what(symbology: str | None) -> str:
    return "code" if symbology is None else f"{symbology} code"


def read_one(data: bytes, symbology: str | None = None) -> Reading:
    """The single code in the image (see :func:`read`).

    Raises:
        AssertionError: zxing-cpp found no code, or more than one.
    """
    found = read(data, symbology)
    if len(found) != 1:
        what = _what(symbology)
        if not found:
            raise AssertionError(f"expected one {what} in the image, zxing-cpp found none")
        texts: Sequence[str] = [reading.text for reading in found]
        raise AssertionError(
            f"expected one {what} in the image, zxing-cpp found {len(found)}: {texts!r}"
        )
    return found[0]


def decode(data: bytes, symbology: str | None = None) -> str:
    """The normalized text of the single code in the image.

    ``decode(png)`` looks for any format; ``decode(png, "upca")`` looks only for that
    symbology and normalizes what zxing-cpp reports (see the module docstring), so the result
    equals the content the image was made from (with its check digit).

    Raises:
        AssertionError: zxing-cpp found no code, or more than one; or the bytes are not an
            image.
        UnreadableImageError: an SVG that cannot be rasterized.
    """
    return read_one(data, symbology).text
