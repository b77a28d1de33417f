"""What image bytes really are: their media type and size, read from the bytes themselves.

Everything here treats its input as hostile: a backend (or the service behind it) may send
anything. Each reader walks the format's own structure, bounds the work it does by what the
header declares (never by what the data would expand to), and answers ``None`` or raises
:class:`ImageDefectError` instead of crashing or allocating without limit:

* PNG: chunks walked to ``IEND`` with their CRCs; ``IHDR`` fields checked; the ``IDAT``
  stream inflated *incrementally*, in slices of at most :data:`INFLATE_SLICE` bytes, and it
  must give exactly the scanlines the header declares (one filter byte, 0 to 4, per row).
* JPEG: segments walked to a start-of-frame; the file must end with ``EOI``.
* SVG: parsed with expat as a stream of events (no tree is built; an external DOCTYPE is
  read but never fetched, an internal subset or an entity declaration is refused); the root
  must be ``<svg>`` in the SVG namespace, with whole-pixel ``width`` and ``height``.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from typing import Final

__all__ = [
    "INFLATE_SLICE",
    "ImageDefectError",
    "ImageFacts",
    "inspect_image",
    "jpeg_size",
    "png_size",
    "read_header",
    "sniff_media_type",
    "svg_size",
]

INFLATE_SLICE: Final = 1 << 20
"""Most bytes of pixel data inflated at once while a PNG is checked (memory stays near it)."""

_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_SVG_HEAD: Final = 4096
"""Bytes of a document searched for its ``<svg`` root when sniffing."""
_SVG_NAMESPACE: Final = "http://www.w3.org/2000/svg"
_JPEG_MAGIC: Final = b"\xff\xd8\xff"

# PNG colour type -> (channels, allowed bit depths).
_COLOUR_TYPES: Final = {
    0: (1, (1, 2, 4, 8, 16)),
    2: (3, (8, 16)),
    3: (1, (1, 2, 4, 8)),
    4: (2, (8, 16)),
    6: (4, (8, 16)),
}

# Adam7 passes: (x start, y start, x step, y step).
_ADAM7: Final = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


class ImageDefectError(ValueError):
    """The bytes are not a whole, well-formed image of the kind they claim to be."""


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What an image is, according to its own bytes.

    Attributes:
        media_type: ``"image/png"``, ``"image/jpeg"`` or ``"image/svg+xml"``.
        width: width in pixels (for SVG, its root's ``width``).
        height: height in pixels.
    """

    media_type: str
    width: int
    height: int


def sniff_media_type(data: bytes) -> str | None:
    """The media type the bytes claim by their signature (PNG, JPEG or SVG), or ``None``."""
    if data.startswith(_PNG_MAGIC):
        return "image/png"
    if data.startswith(_JPEG_MAGIC):
        return "image/jpeg"
    head = data[:_SVG_HEAD].removeprefix(b"\xef\xbb\xbf").lstrip()
    # An XML document (a declaration, comments or a DOCTYPE may come first) with an svg
    # element near its start; the parse in :func:`inspect_image` decides whether it is one.
    if head.startswith(b"<") and re.search(rb"<([A-Za-z_][\w.-]*:)?svg[\s/>]", head):
        return "image/svg+xml"
    return None


def inspect_image(data: bytes, *, max_side: int) -> ImageFacts:
    """Media type and size of ``data``, checked through: raise :class:`ImageDefectError` unless it
    is a whole PNG, JPEG or SVG image no side of which is longer than ``max_side`` pixels
    (checked before any pixel data is inflated)."""
    if data.startswith(_PNG_MAGIC):  # its pixel data too, once its size is known to fit
        width, height = _png_checked(data, max_side)
        return ImageFacts("image/png", width, height)
    facts = read_header(data)
    width, height = facts.width, facts.height
    if not (0 < width <= max_side and 0 < height <= max_side):
        raise ImageDefectError(f"its size {width}x{height} px is outside 1 to {max_side} px a side")
    return facts


def read_header(data: bytes) -> ImageFacts:
    """Media type and size of ``data`` read from its own header, without inflating any pixel
    data: a PNG's chunks and CRCs up to ``IEND``, a JPEG's segments up to its frame header
    (and its final ``EOI``), an SVG's root element. A side may be 0 here: check it.

    Raises:
        ImageDefectError: not a PNG, JPEG or SVG image, or its structure is broken (the
            message says where).
    """
    media_type = sniff_media_type(data)
    if media_type == "image/png":
        (width, height, *_), _ = _png_chunks(data)
    elif media_type == "image/jpeg":
        width, height = _jpeg_checked(data)
    elif media_type == "image/svg+xml":
        width, height = _svg_checked(data)
    else:
        raise ImageDefectError("not a PNG, JPEG or SVG image")
    return ImageFacts(media_type, width, height)


# -- PNG -------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG whose chunks and CRCs check out up to ``IEND`` (the pixel
    data is not inflated: see :func:`inspect_image` for the whole check); else ``None``."""
    try:
        header, _ = _png_chunks(data)
    except ImageDefectError:
        return None
    return header[0], header[1]


_PngChunks = tuple[tuple[int, int, int, int, int], list[memoryview]]

_last_png: tuple[bytes, _PngChunks] | None = None
"""The last PNG walked whole, and what the walk found: a backend that reads its image's
header (:func:`read_header`) and the core's check (:func:`inspect_image`) of the same bytes
object walk its chunks and CRCs once, not twice."""


def _png_chunks(data: bytes) -> _PngChunks:
    """``IHDR``'s (width, height, bit depth, colour type, interlace) and the ``IDAT`` chunks."""
    global _last_png
    last = _last_png  # one read: another thread may replace it meanwhile
    if last is not None and last[0] is data:
        return last[1]
    found = _walk_png(data)
    if type(data) is bytes:  # immutable: the same object always has the same chunks
        _last_png = (data, found)
    return found


def _walk_png(data: bytes) -> _PngChunks:
    if not data.startswith(_PNG_MAGIC):
        raise ImageDefectError("no PNG signature")
    view = memoryview(data)
    position, header, idat, palette = 8, None, [], False
    while position + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 8 + length
        if end + 4 > len(data):
            raise ImageDefectError(f"the PNG chunk {kind!r} runs past the end of the file")
        if zlib.crc32(view[position + 4 : end]) != int.from_bytes(view[end : end + 4], "big"):
            raise ImageDefectError(f"the PNG chunk {kind!r} fails its CRC")
        if header is None:
            if kind != b"IHDR" or length != 13:
                raise ImageDefectError("the PNG does not start with an IHDR chunk")
            width, height, depth, colour, compression, filtering, interlace = struct.unpack_from(
                ">IIBBBBB", data, position + 8
            )
            if compression != 0 or filtering != 0 or interlace not in (0, 1):
                raise ImageDefectError("the PNG header names an unknown method")
            header = (width, height, depth, colour, interlace)
        elif kind == b"IHDR":
            raise ImageDefectError("the PNG has a second IHDR chunk")
        elif kind == b"PLTE":
            palette = True
        elif kind == b"IDAT":
            if header[3] == 3 and not palette:
                raise ImageDefectError("the PNG has palette colours but no PLTE chunk")
            idat.append(view[position + 8 : end])
        elif kind == b"IEND":
            return header, idat
        position = end + 4
    raise ImageDefectError("the PNG ends before its IEND chunk")


def _png_checked(data: bytes, max_side: int) -> tuple[int, int]:
    (width, height, depth, colour, interlace), idat = _png_chunks(data)
    if not (0 < width <= max_side and 0 < height <= max_side):
        raise ImageDefectError(f"its size {width}x{height} px is outside 1 to {max_side} px a side")
    channels, depths = _COLOUR_TYPES.get(colour, (0, ()))
    if depth not in depths:
        raise ImageDefectError(f"the PNG header has colour type {colour} with bit depth {depth}")
    if not idat:
        raise ImageDefectError("the PNG has no pixel data")
    rows = _scanline_layout(width, height, channels * depth, interlace)
    _check_pixel_stream(idat, rows)
    return width, height


def _scanline_layout(width: int, height: int, bits: int, interlace: int) -> list[tuple[int, int]]:
    """``(row count, bytes per row including its filter byte)`` for each (sub-)image."""
    if interlace == 0:
        return [(height, 1 + (width * bits + 7) // 8)]
    layout = []
    for x0, y0, dx, dy in _ADAM7:
        columns = (width - x0 + dx - 1) // dx if width > x0 else 0
        lines = (height - y0 + dy - 1) // dy if height > y0 else 0
        if columns and lines:
            layout.append((lines, 1 + (columns * bits + 7) // 8))
    return layout


def _check_pixel_stream(idat: list[memoryview], layout: list[tuple[int, int]]) -> None:
    """Inflate the ``IDAT`` stream a slice at a time: it must end exactly after the
    scanlines of ``layout``, and every row must start with a known filter type."""
    expected = sum(rows * stride for rows, stride in layout)
    # Offsets (in the inflated stream) where each sub-image starts, to find filter bytes.
    starts, offset = [], 0
    for rows, stride in layout:
        starts.append((offset, offset + rows * stride, stride))
        offset += rows * stride
    inflater = zlib.decompressobj()
    produced, trailing = 0, False
    try:
        for part in idat:
            if inflater.eof:
                trailing = trailing or len(part) > 0
                continue
            pending: bytes | memoryview = part
            while pending and not inflater.eof:
                out = inflater.decompress(pending, INFLATE_SLICE)
                pending = inflater.unconsumed_tail
                produced = _check_filters(out, produced, starts, expected)
        while not inflater.eof:
            out = inflater.decompress(b"", INFLATE_SLICE)
            if not out:
                break
            produced = _check_filters(out, produced, starts, expected)
    except zlib.error as error:
        raise ImageDefectError(f"the PNG's pixel data is not valid zlib data ({error})") from None
    if not inflater.eof:
        raise ImageDefectError("the PNG's pixel data is cut short (its zlib stream does not end)")
    if trailing or inflater.unused_data:
        raise ImageDefectError("the PNG has data after the end of its zlib stream")
    if produced != expected:
        raise ImageDefectError(
            f"the PNG's pixel data has {produced} bytes where its header implies {expected}"
        )


def _check_filters(
    out: bytes, produced: int, starts: list[tuple[int, int, int]], expected: int
) -> int:
    end = produced + len(out)
    if end > expected:
        raise ImageDefectError(
            f"the PNG's pixel data is longer than the {expected} bytes it declares"
        )
    for begin, finish, stride in starts:
        low, high = max(begin, produced), min(finish, end)
        if low >= high:
            continue
        first = low + (begin - low) % stride  # the first row start at or after ``low``
        if first < high and max(out[first - produced : high - produced : stride]) > 4:
            raise ImageDefectError("a PNG scanline has an unknown filter type")
    return end


# -- JPEG ------------------------------------------------------------------------------------

_SOF_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE: Final = frozenset(range(0xD0, 0xD8)) | {0x01}  # RSTn and TEM have no length


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a JPEG's start-of-frame segment, when the data starts like a JPEG
    and ends with ``EOI``; else ``None``."""
    try:
        width, height = _jpeg_checked(data)
    except ImageDefectError:
        return None
    return (width, height) if width and height else None


def _jpeg_checked(data: bytes) -> tuple[int, int]:
    """Width and height from the start-of-frame segment (either may be 0); the segments are
    walked from the start, and the data must end with ``EOI``."""
    if not data.startswith(_JPEG_MAGIC):
        raise ImageDefectError("no JPEG signature")
    if not data.endswith(b"\xff\xd9"):
        raise ImageDefectError("JPEG is truncated (no end-of-image marker)")
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ImageDefectError("JPEG has a malformed segment")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _STANDALONE:
            position += 2
            continue
        (length,) = struct.unpack_from(">H", data, position + 2)
        if length < 2:
            raise ImageDefectError("JPEG has a malformed segment")
        if marker in _SOF_MARKERS:
            if length < 7 or position + 9 > len(data):
                raise ImageDefectError("JPEG has a truncated frame header")
            height, width = struct.unpack_from(">HH", data, position + 5)
            return width, height
        if marker in (0xDA, 0xD9):  # start of scan or end of image before any frame header
            break
        position += 2 + length
    raise ImageDefectError("JPEG has no frame header")


# -- SVG -------------------------------------------------------------------------------------

_PIXELS: Final = re.compile(r"\s*([0-9]{1,9})(?:\.0*)?\s*(?:px)?\s*")


def svg_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a well-formed SVG document whose root has whole-pixel ``width``
    and ``height`` attributes; else ``None``."""
    try:
        return _svg_checked(data)
    except ImageDefectError:
        return None


def _svg_checked(data: bytes) -> tuple[int, int]:
    from xml.parsers import expat

    # Namespace processing on: element names arrive as "namespace-URI local-name".
    parser = expat.ParserCreate(namespace_separator=" ")
    root: dict[str, str] | None = None
    root_name = ""

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal root, root_name
        if root is None:
            root, root_name = attributes, name

    def doctype(name: str, system: str | None, public: str | None, internal: bool) -> None:
        if internal:  # entity declarations are how XML bombs are made; none is needed
            raise ImageDefectError("the SVG's DOCTYPE has an internal subset (refused)")

    def refuse(*_: object) -> None:
        raise ImageDefectError("the SVG declares an entity (refused)")

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)  # never fetch a DTD
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise ImageDefectError(f"the SVG is not well-formed XML ({error})") from None
    if root is None or root_name != f"{_SVG_NAMESPACE} svg":
        raise ImageDefectError(
            f"the document's root element is not <svg> in the SVG namespace ({_SVG_NAMESPACE})"
        )
    sizes = []
    for attribute in ("width", "height"):
        match = _PIXELS.fullmatch(root.get(attribute, ""))
        if match is None:
            raise ImageDefectError(f"the SVG's {attribute} is not a whole number of pixels")
        sizes.append(int(match.group(1)))
    return sizes[0], sizes[1]
