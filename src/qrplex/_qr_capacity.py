"""QR Code and Micro QR Code capacity: which symbol version a content needs.

Charset policy (the core checks capacity with it; every backend must encode the same way, or
its symbol may not be the size the core promised):

* Content is encoded as **one segment in one mode**; no mixed-mode optimisation.
* All digits ``0-9`` → **numeric** mode.
* Otherwise, all characters in the QR alphanumeric set ``0-9 A-Z space $ % * + - . / :`` →
  **alphanumeric** mode.
* Otherwise, all ASCII → **byte** mode, **no ECI**.
* Otherwise, every character in ISO-8859-1 (code points 0-255) → **byte** mode, bytes in
  Latin-1, behind an **ECI designator 3** (ISO-8859-1). Latin-1 is the standard's default
  character set, but readers guess (zxing-cpp reads ``"ÄÖÜ"`` without ECI as half-width
  katakana), so the charset is always stated when it matters.
* Otherwise → **byte** mode with the content as **UTF-8**, behind an **ECI designator 26**.
  An ECI costs 12 bits (4-bit ECI mode indicator + 8-bit designator). Content that is not
  encodable as UTF-8 (lone surrogates) is rejected by the core.
* Kanji mode is never used. (segno picks Kanji mode by itself for Latin-1 text whose bytes
  happen to form Shift JIS pairs, e.g. ``"à@"``, which then decodes as a kanji: a backend
  using segno must pass ``mode=`` explicitly, see :attr:`QrPlan.segno_mode`.)
* Micro QR Code has no ECI, so it carries numeric, alphanumeric or ASCII byte content only.

The version chosen is the smallest whose data capacity (ISO/IEC 18004:2015 Table 7, data
codewords × 8 bits) holds mode indicator + character count indicator + data bits; the
terminator does not count, as the standard lets it be truncated. For Micro QR, M1 (which has
error detection only) counts as error correction level ``L``; level ``Q`` exists only in M4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ALPHANUMERIC_CHARS",
    "MICRO_QR_LEVELS",
    "QR_LEVELS",
    "Level",
    "Mode",
    "QrPlan",
    "Segment",
    "capacity_bits",
    "data_bits",
    "fit",
    "max_length",
    "plan_qr",
    "segment_for",
]

Mode = Literal["numeric", "alphanumeric", "byte"]
Level = str
"""An error correction level: ``"L"``, ``"M"``, ``"Q"`` or ``"H"`` (Micro QR: no ``"H"``)."""

QR_LEVELS: Final[tuple[str, ...]] = ("L", "M", "Q", "H")
MICRO_QR_LEVELS: Final[tuple[str, ...]] = ("L", "M", "Q")
ALPHANUMERIC_CHARS: Final[str] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_ALPHANUMERIC: Final[frozenset[str]] = frozenset(ALPHANUMERIC_CHARS)
_DIGITS: Final[frozenset[str]] = frozenset("0123456789")
_ECI_BITS: Final[int] = 12  # 4-bit ECI mode indicator + 8-bit designator (26 = UTF-8)

# ISO/IEC 18004:2015 Table 7: number of data codewords, per version 1..40, for L, M, Q, H.
_QR_DATA_CODEWORDS: Final[tuple[tuple[int, int, int, int], ...]] = (
    (19, 16, 13, 9),
    (34, 28, 22, 16),
    (55, 44, 34, 26),
    (80, 64, 48, 36),
    (108, 86, 62, 46),
    (136, 108, 76, 60),
    (156, 124, 88, 66),
    (194, 154, 110, 86),
    (232, 182, 132, 100),
    (274, 216, 154, 122),
    (324, 254, 180, 140),
    (370, 290, 206, 158),
    (428, 334, 244, 180),
    (461, 365, 261, 197),
    (523, 415, 295, 223),
    (589, 453, 325, 253),
    (647, 507, 367, 283),
    (721, 563, 397, 313),
    (795, 627, 445, 341),
    (861, 669, 485, 385),
    (932, 714, 512, 406),
    (1006, 782, 568, 442),
    (1094, 860, 614, 464),
    (1174, 914, 664, 514),
    (1276, 1000, 718, 538),
    (1370, 1062, 754, 596),
    (1468, 1128, 808, 628),
    (1531, 1193, 871, 661),
    (1631, 1267, 911, 701),
    (1735, 1373, 985, 745),
    (1843, 1455, 1033, 793),
    (1955, 1541, 1115, 845),
    (2071, 1631, 1171, 901),
    (2191, 1725, 1231, 961),
    (2306, 1812, 1286, 986),
    (2434, 1914, 1354, 1054),
    (2566, 1992, 1426, 1096),
    (2702, 2102, 1502, 1142),
    (2812, 2216, 1582, 1222),
    (2956, 2334, 1666, 1276),
)

# Micro QR data capacity in bits (M1 and M3 end in a 4-bit codeword), per version and level.
_MICRO_DATA_BITS: Final[tuple[dict[str, int], ...]] = (
    {"L": 20},
    {"L": 40, "M": 32},
    {"L": 84, "M": 68},
    {"L": 128, "M": 112, "Q": 80},
)

# Character count indicator bits: QR by version range 1-9 / 10-26 / 27-40.
_QR_COUNT_BITS: Final[dict[Mode, tuple[int, int, int]]] = {
    "numeric": (10, 12, 14),
    "alphanumeric": (9, 11, 13),
    "byte": (8, 16, 16),
}
# Micro QR by version M1..M4; 0 = mode not available in that version.
_MICRO_COUNT_BITS: Final[dict[Mode, tuple[int, int, int, int]]] = {
    "numeric": (3, 4, 5, 6),
    "alphanumeric": (0, 3, 4, 5),
    "byte": (0, 0, 4, 5),
}
_MICRO_MODE_BITS: Final[tuple[int, int, int, int]] = (0, 1, 2, 3)


@dataclass(frozen=True, slots=True)
class Segment:
    """The single segment a content is encoded as (see the module's charset policy).

    Attributes:
        mode: ``"numeric"``, ``"alphanumeric"`` or ``"byte"``.
        length: characters (numeric, alphanumeric) or bytes (byte) in the segment.
        eci: whether the bytes follow an ECI designator (3 for Latin-1, 26 for UTF-8).
        charset: the byte encoding of a byte-mode segment: ``"latin-1"`` (ASCII included)
            or ``"utf-8"``.
    """

    mode: Mode
    length: int
    eci: bool = False
    charset: str = "latin-1"

    @property
    def unit(self) -> str:
        """What ``length`` counts: ``digits``, ``characters`` or ``bytes``."""
        return {"numeric": "digits", "alphanumeric": "characters", "byte": "bytes"}[self.mode]

    @property
    def encoding(self) -> str:
        """The byte encoding of a byte-mode segment: ``"latin-1"`` or ``"utf-8"``."""
        return self.charset

    @property
    def eci_designator(self) -> int | None:
        """The ECI designator written before the data (3 or 26), or ``None``."""
        if not self.eci:
            return None
        return 26 if self.charset == "utf-8" else 3


@dataclass(frozen=True, slots=True)
class QrPlan:
    """The symbol a content needs under the charset policy: its version, and how its data
    is encoded (mode, ECI, byte charset). The core computes it when it validates a QR or
    Micro QR request (:attr:`qrplex.CodeRequest.qr`) and checks the width with it; a backend
    draws exactly this symbol.

    Attributes:
        micro: Micro QR Code (versions M1..M4) rather than QR Code (1..40).
        version: 1..40, or 1..4 for M1..M4.
        segment: how the content is encoded.
    """

    micro: bool
    version: int
    segment: Segment

    @property
    def name(self) -> str:
        """The version as usually written: ``"7"`` or ``"M2"``."""
        return f"M{self.version}" if self.micro else str(self.version)

    @property
    def modules(self) -> int:
        """Width (and height) of the symbol in modules, without quiet zones."""
        return 9 + 2 * self.version if self.micro else 17 + 4 * self.version

    @property
    def mode(self) -> Mode:
        """The segment's mode: ``"numeric"``, ``"alphanumeric"`` or ``"byte"``."""
        return self.segment.mode

    @property
    def eci(self) -> int | None:
        """The ECI designator written before the data (3 = Latin-1, 26 = UTF-8), or ``None``."""
        return self.segment.eci_designator

    @property
    def encoding(self) -> str:
        """The byte encoding of a byte-mode segment: ``"latin-1"`` (ASCII included) or
        ``"utf-8"``."""
        return self.segment.charset

    @property
    def segno_mode(self) -> str:
        """The ``mode=`` to pass to segno so that it encodes as the policy says."""
        return self.segment.mode


def segment_for(content: str) -> Segment:
    """The segment ``content`` is encoded as, under the module's charset policy.

    Raises:
        UnicodeEncodeError: the content is not encodable as UTF-8 (lone surrogates).
    """
    chars = set(content)
    if chars <= _DIGITS:
        return Segment("numeric", len(content))
    if chars <= _ALPHANUMERIC:
        return Segment("alphanumeric", len(content))
    if content.isascii():
        return Segment("byte", len(content))
    try:
        return Segment("byte", len(content.encode("latin-1")), eci=True)
    except UnicodeEncodeError:
        return Segment("byte", len(content.encode("utf-8")), eci=True, charset="utf-8")


def _payload_bits(mode: Mode, length: int) -> int:
    if mode == "numeric":
        return 10 * (length // 3) + (0, 4, 7)[length % 3]
    if mode == "alphanumeric":
        return 11 * (length // 2) + 6 * (length % 2)
    return 8 * length


def data_bits(segment: Segment, version: int, *, micro: bool = False) -> int | None:
    """Bits the segment takes in a symbol of ``version``; None if that version cannot hold it.

    A version cannot hold the segment when its mode (or ECI) is not available there, or when
    the length overflows the character count indicator.
    """
    if micro:
        count_bits = _MICRO_COUNT_BITS[segment.mode][version - 1]
        mode_bits = _MICRO_MODE_BITS[version - 1]
        if count_bits == 0 or segment.eci:
            return None
    else:
        count_bits = _QR_COUNT_BITS[segment.mode][0 if version < 10 else 1 if version < 27 else 2]
        mode_bits = 4 + (_ECI_BITS if segment.eci else 0)
    if segment.length >= 1 << count_bits:
        return None
    return mode_bits + count_bits + _payload_bits(segment.mode, segment.length)


def capacity_bits(version: int, level: Level, *, micro: bool = False) -> int | None:
    """Data capacity in bits of ``version`` at ``level``; None if that level does not exist."""
    if micro:
        return _MICRO_DATA_BITS[version - 1].get(level)
    return 8 * _QR_DATA_CODEWORDS[version - 1][QR_LEVELS.index(level)]


def fit(segment: Segment, level: Level, *, micro: bool = False) -> QrPlan | None:
    """The smallest symbol holding ``segment`` at error correction ``level``; None if none."""
    for version in range(1, (4 if micro else 40) + 1):
        capacity = capacity_bits(version, level, micro=micro)
        needed = data_bits(segment, version, micro=micro)
        if capacity is not None and needed is not None and needed <= capacity:
            return QrPlan(micro, version, segment)
    return None


def plan_qr(content: str, level: Level, *, micro: bool = False) -> QrPlan | None:
    """The symbol ``content`` needs at ``level``, under the charset policy.

    Returns None when no symbol can hold it (too long, not encodable, or, for Micro QR,
    not Latin-1). Backends can use it to draw exactly the symbol the core checked.
    """
    try:
        segment = segment_for(content)
    except UnicodeEncodeError:
        return None
    return fit(segment, level, micro=micro)


def max_length(mode: Mode, level: Level, *, micro: bool = False, eci: bool = False) -> int:
    """The longest content of ``mode`` that any symbol holds at ``level`` (0 if none does)."""
    best = 0
    for version in range(1, (4 if micro else 40) + 1):
        capacity = capacity_bits(version, level, micro=micro)
        if capacity is None:
            continue
        low, high = 0, capacity  # every unit takes >= 3 bits, so capacity bounds the length
        while low < high:
            middle = (low + high + 1) // 2
            needed = data_bits(Segment(mode, middle, eci), version, micro=micro)
            if needed is not None and needed <= capacity:
                low = middle
            else:
                high = middle - 1
        best = max(best, low)
    return best
