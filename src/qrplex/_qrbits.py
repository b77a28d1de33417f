"""Reads the data segments of a QR Code or Micro QR Code back from a clean, generated image.

zxing-cpp reports the decoded bytes, but not the modes they were encoded in, and it *guesses*
the character set of byte segments that have no ECI (``"ÄÖÜ"`` in Latin-1 comes back as Shift
JIS ``"ﾄﾖﾜ"``). A conformance check needs what the standard says instead: byte segments
without an ECI are ISO-8859-1, and a Kanji segment is Shift JIS. So this module samples the
module grid of the symbol zxing-cpp found (version, level and mask as zxing-cpp reported
them), removes the mask, de-interleaves the data codewords and parses the segments.

It handles axis-aligned images whose dark pixels' bounding box is the symbol (what every
generator draws); when anything does not add up (the segments' bytes differ from zxing-cpp's),
:func:`read_segments` returns ``None`` and the caller falls back to zxing-cpp's reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ._qr_capacity import capacity_bits

__all__ = ["QrSegment", "decode_segments", "read_segments"]

SegmentMode = Literal["numeric", "alphanumeric", "byte", "kanji", "eci", "fnc1", "append"]

# ISO/IEC 18004:2015 Table 9: error correction blocks per version 1..40, for L, M, Q, H.
_EC_BLOCKS: Final[tuple[tuple[int, ...], ...]] = (
    (1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
     8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25),
    (1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
     17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49),
    (1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
     23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68),
    (1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
     25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81),
)  # fmt: skip
_LEVELS: Final = ("L", "M", "Q", "H")
_ALPHANUMERIC: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
# Character count indicator bits, QR by version range 1-9 / 10-26 / 27-40, Micro by M1..M4.
_QR_COUNT: Final[dict[str, tuple[int, int, int]]] = {
    "numeric": (10, 12, 14),
    "alphanumeric": (9, 11, 13),
    "byte": (8, 16, 16),
    "kanji": (8, 10, 12),
}
_MICRO_COUNT: Final[dict[str, tuple[int, int, int, int]]] = {
    "numeric": (3, 4, 5, 6),
    "alphanumeric": (0, 3, 4, 5),
    "byte": (0, 0, 4, 5),
    "kanji": (0, 0, 3, 4),
}
_MICRO_MODES: Final = ("numeric", "alphanumeric", "byte", "kanji")
_MASKS: Final[tuple[Callable[[int, int], bool], ...]] = (
    lambda y, x: (y + x) % 2 == 0,
    lambda y, x: y % 2 == 0,
    lambda y, x: x % 3 == 0,
    lambda y, x: (y + x) % 3 == 0,
    lambda y, x: (y // 2 + x // 3) % 2 == 0,
    lambda y, x: (y * x) % 2 + (y * x) % 3 == 0,
    lambda y, x: ((y * x) % 2 + (y * x) % 3) % 2 == 0,
    lambda y, x: ((y + x) % 2 + (y * x) % 3) % 2 == 0,
)
_MICRO_MASKS: Final = (1, 4, 6, 7)  # Micro QR mask patterns 00..11 are QR patterns 1, 4, 6, 7
# ECI assignment number -> Python codec (ISO/IEC 18004 refers to the AIM ECI register).
_ECI_CODECS: Final[dict[int, str]] = {
    0: "cp437",
    1: "latin-1",
    2: "cp437",
    3: "latin-1",
    **{number: f"iso8859-{part}" for number, part in zip(range(4, 12), range(2, 10), strict=True)},
    12: "iso8859-10",
    13: "iso8859-11",
    15: "iso8859-13",
    16: "iso8859-14",
    17: "iso8859-15",
    18: "iso8859-16",
    20: "shift_jis",
    21: "cp1250",
    22: "cp1251",
    23: "cp1252",
    24: "cp1256",
    25: "utf-16-be",
    26: "utf-8",
    27: "ascii",
    28: "big5",
    29: "gb18030",
    30: "euc-kr",
    170: "ascii",
    899: "latin-1",
}


@dataclass(frozen=True, slots=True)
class QrSegment:
    """One segment of a QR Code's data.

    Attributes:
        mode: ``numeric``, ``alphanumeric``, ``byte``, ``kanji``, or a control segment:
            ``eci`` (``eci`` holds the designator), ``fnc1`` or ``append`` (structured append).
        data: the segment's bytes (ASCII digits / characters, raw bytes, Shift JIS for Kanji).
        eci: the ECI designator in force (for ``eci`` segments: the one it sets); ``None``
            before any ECI, which means ISO-8859-1.
    """

    mode: SegmentMode
    data: bytes = b""
    eci: int | None = None


class _Bits:
    def __init__(self, bits: Sequence[int]) -> None:
        self.bits = bits
        self.pos = 0

    def left(self) -> int:
        return len(self.bits) - self.pos

    def read(self, count: int) -> int:
        if count > self.left():
            raise ValueError("the bit stream ends inside a segment")
        value = 0
        for bit in self.bits[self.pos : self.pos + count]:
            value = value << 1 | bit
        self.pos += count
        return value


def _function_modules(size: int, version: int, micro: bool) -> list[list[bool]]:
    func = [[False] * size for _ in range(size)]

    def mark(top: int, left: int, height: int, width: int) -> None:
        for row in range(max(top, 0), min(top + height, size)):
            for col in range(max(left, 0), min(left + width, size)):
                func[row][col] = True

    if micro:
        mark(0, 0, 9, 9)  # finder, separator and format information
        mark(0, 0, 1, size)  # timing patterns
        mark(0, 0, size, 1)
        return func
    mark(0, 0, 9, 9)
    mark(0, size - 8, 9, 8)
    mark(size - 8, 0, 8, 9)  # includes the dark module
    mark(6, 0, 1, size)
    mark(0, 6, size, 1)
    if version >= 2:
        count = version // 7 + 2
        step = 26 if version == 32 else (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
        positions = [6, *sorted(size - 7 - i * step for i in range(count - 1))]
        last = positions[-1]
        for row in positions:
            for col in positions:
                if (row, col) not in ((6, 6), (6, last), (last, 6)):
                    mark(row - 2, col - 2, 5, 5)
    if version >= 7:
        mark(0, size - 11, 6, 3)
        mark(size - 11, 0, 3, 6)
    return func


def _placement_bits(dark: list[list[bool]], version: int, micro: bool, mask: int) -> list[int]:
    size = len(dark)
    func = _function_modules(size, version, micro)
    masked = _MASKS[_MICRO_MASKS[mask] if micro else mask]
    bits: list[int] = []
    upward = True
    right = size - 1
    while right >= 1:
        if not micro and right == 6:
            right = 5
        for vert in range(size):
            y = size - 1 - vert if upward else vert
            for x in (right, right - 1):
                if not func[y][x]:
                    bits.append(int(dark[y][x] ^ masked(y, x)))
        upward = not upward
        right -= 2
    return bits


def _qr_data_bits(bits: list[int], version: int, level: str) -> list[int]:
    capacity = capacity_bits(version, level)
    if capacity is None:  # pragma: no cover - every QR level has a capacity
        raise ValueError(f"no QR level {level}")
    data_codewords = capacity // 8
    blocks = _EC_BLOCKS[_LEVELS.index(level)][version - 1]
    total_codewords = len(bits) // 8
    codewords = [int("".join(map(str, bits[i * 8 : i * 8 + 8])), 2) for i in range(total_codewords)]
    short = data_codewords // blocks
    long_blocks = data_codewords % blocks
    lengths = [short] * (blocks - long_blocks) + [short + 1] * long_blocks
    split: list[list[int]] = [[] for _ in range(blocks)]
    index = 0
    for position in range(short + 1):
        for block, length in enumerate(lengths):
            if position < length:
                split[block].append(codewords[index])
                index += 1
    data = [value for block in split for value in block]
    return [value >> shift & 1 for value in data for shift in range(7, -1, -1)]


def _digits(stream: _Bits, count: int) -> bytes:
    out = ""
    while count >= 3:
        value = stream.read(10)
        if value > 999:
            raise ValueError("a numeric group above 999")
        out += f"{value:03d}"
        count -= 3
    if count == 2:
        value = stream.read(7)
        if value > 99:
            raise ValueError("a numeric group above 99")
        out += f"{value:02d}"
    elif count == 1:
        value = stream.read(4)
        if value > 9:
            raise ValueError("a numeric digit above 9")
        out += str(value)
    return out.encode("ascii")


def _alphanumeric(stream: _Bits, count: int) -> bytes:
    out = ""
    while count >= 2:
        value = stream.read(11)
        if value >= 45 * 45:
            raise ValueError("an alphanumeric pair out of range")
        out += _ALPHANUMERIC[value // 45] + _ALPHANUMERIC[value % 45]
        count -= 2
    if count:
        value = stream.read(6)
        if value >= 45:
            raise ValueError("an alphanumeric character out of range")
        out += _ALPHANUMERIC[value]
    return out.encode("ascii")


def _kanji(stream: _Bits, count: int) -> bytes:
    out = bytearray()
    for _ in range(count):
        value = stream.read(13)
        assembled = (value // 0xC0) << 8 | value % 0xC0
        assembled += 0x8140 if assembled < 0x1F00 else 0xC140
        out += assembled.to_bytes(2, "big")
    return bytes(out)


def _payload(stream: _Bits, mode: str, count: int) -> bytes:
    if mode == "numeric":
        return _digits(stream, count)
    if mode == "alphanumeric":
        return _alphanumeric(stream, count)
    if mode == "byte":
        return bytes(stream.read(8) for _ in range(count))
    return _kanji(stream, count)


def _parse_qr(bits: list[int], version: int) -> list[QrSegment]:
    stream = _Bits(bits)
    band = 0 if version < 10 else 1 if version < 27 else 2
    segments: list[QrSegment] = []
    eci: int | None = None
    while stream.left() >= 4:
        indicator = stream.read(4)
        if indicator == 0:
            break
        if indicator == 0b0111:
            first = stream.read(8)
            if first & 0x80 == 0:
                eci = first
            elif first & 0xC0 == 0x80:
                eci = (first & 0x3F) << 8 | stream.read(8)
            elif first & 0xE0 == 0xC0:
                eci = (first & 0x1F) << 16 | stream.read(16)
            else:
                raise ValueError("a malformed ECI designator")
            segments.append(QrSegment("eci", eci=eci))
        elif indicator in (0b0101, 0b1001):
            if indicator == 0b1001:
                stream.read(8)
            segments.append(QrSegment("fnc1", eci=eci))
        elif indicator == 0b0011:
            stream.read(16)
            segments.append(QrSegment("append", eci=eci))
        else:
            mode = {1: "numeric", 2: "alphanumeric", 4: "byte", 8: "kanji"}.get(indicator)
            if mode is None:
                raise ValueError(f"mode indicator {indicator:04b} is not supported")
            count = stream.read(_QR_COUNT[mode][band])
            segments.append(QrSegment(mode, _payload(stream, mode, count), eci))  # type: ignore[arg-type]
    return segments


def _parse_micro(bits: list[int], version: int) -> list[QrSegment]:
    stream = _Bits(bits)
    terminator = 2 * version + 1
    segments: list[QrSegment] = []
    while stream.left() >= terminator and any(bits[stream.pos : stream.pos + terminator]):
        mode = _MICRO_MODES[stream.read(version - 1)]
        count_bits = _MICRO_COUNT[mode][version - 1]
        if count_bits == 0:
            raise ValueError(f"{mode} mode does not exist in M{version}")
        count = stream.read(count_bits)
        segments.append(QrSegment(mode, _payload(stream, mode, count)))  # type: ignore[arg-type]
    return segments


def _sample(image: object, size: int) -> list[list[bool]] | None:
    from PIL import Image, ImageOps

    assert isinstance(image, Image.Image)
    grey = image.convert("L")
    box = ImageOps.invert(grey).point(lambda value: 255 if value > 127 else 0).getbbox()
    if box is None:
        return None
    left, top, right, bottom = box
    step_x, step_y = (right - left) / size, (bottom - top) / size
    if step_x < 1 or abs(step_x - step_y) > 0.5:
        return None
    pixels = grey.load()
    assert pixels is not None
    rows: list[list[bool]] = []
    for row in range(size):
        y = int(top + (row + 0.5) * step_y)
        line = []
        for col in range(size):
            value = pixels[int(left + (col + 0.5) * step_x), y]
            assert isinstance(value, int)
            line.append(value < 128)
        rows.append(line)
    return rows


def read_segments(
    image: object, *, version: str, level: str, mask: int, expected_bytes: bytes
) -> list[QrSegment] | None:
    """The segments of the QR Code (``version`` ``"1"``..``"40"``) or Micro QR Code
    (``"M1"``..``"M4"``) drawn in ``image`` (a PIL image), or ``None`` if it cannot tell.

    Args:
        image: the PIL image with the one symbol (as zxing-cpp found it).
        version: the version zxing-cpp reported.
        level: the error correction level zxing-cpp reported (``L``, ``M``, ``Q``, ``H``).
        mask: the data mask zxing-cpp reported.
        expected_bytes: zxing-cpp's bytes; the segments must carry exactly these, or the
            reading is not trusted (``None``).
    """
    micro = version.startswith("M")
    try:
        number = int(version[1:] if micro else version)
        if not (1 <= number <= (4 if micro else 40)) or level not in _LEVELS:
            return None
        size = 9 + 2 * number if micro else 17 + 4 * number
        dark = _sample(image, size)
        if dark is None:
            return None
        bits = _placement_bits(dark, number, micro, mask)
        if micro:
            capacity = capacity_bits(number, level, micro=True)
            if capacity is None:
                return None
            segments = _parse_micro(bits[:capacity], number)
        else:
            segments = _parse_qr(_qr_data_bits(bits, number, level), number)
    except (ValueError, IndexError):
        return None
    if b"".join(segment.data for segment in segments) != expected_bytes:
        return None
    return segments


def decode_segments(segments: Sequence[QrSegment]) -> str | None:
    """The text of ``segments`` as the standard reads it: byte segments in the character
    set of the ECI in force (ISO-8859-1 without one), Kanji segments as Shift JIS; ``None``
    for an ECI this module does not know."""
    parts: list[str] = []
    for segment in segments:
        if segment.mode in ("numeric", "alphanumeric"):
            parts.append(segment.data.decode("ascii"))
        elif segment.mode == "kanji":
            parts.append(segment.data.decode("shift_jis", errors="replace"))
        elif segment.mode == "byte":
            codec = "latin-1" if segment.eci is None else _ECI_CODECS.get(segment.eci)
            if codec is None:
                return None
            parts.append(segment.data.decode(codec, errors="replace"))
    return "".join(parts)
