"""What a scanner needs from an image besides the right data: checked on the pixels and bits.

Each check returns ``None`` when the image is right, or a sentence naming the defect (the
conformance kit prefixes it with the backend and the request):

* :func:`transparency_problem`: every pixel fully opaque;
* :func:`contrast_problem`: symbol contrast of at least :data:`MIN_CONTRAST` (ISO grade C);
* :func:`polarity_problem`: dark modules on a light background (the edges of the image,
  which are its quiet zones, must be light), and :func:`finder_problem`: a QR / Micro QR
  finder pattern starting dark (no light-on-dark symbol inside a light margin);
* :func:`quiet_zone_problem`: at least the symbology's minimum quiet zone, in modules, on
  every side (left and right for a linear barcode, all four for a matrix code), measured in
  the image;
* :func:`bar_height_problem`: a linear barcode's bars high enough for a scan line
  (:func:`min_bar_height`), when no height was requested;
* :func:`charset_problem`: the QR segments, as the project's own bit reader
  (:mod:`qrplex._qrbits`) reads them from the modules, follow the charset policy
  (one segment, in the policy's mode, after the policy's ECI).

The quiet zone minimums come from the symbology's :class:`qrplex.spec.Symbology` (a plugin's
too) and the policy from :func:`qrplex.spec.segment_for`.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from qrplex import spec as symbol_facts
from qrplex.spec import Symbology

from .._images import paint_svg
from .._qrbits import QrSegment

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "MIN_CONTRAST",
    "TEXT_POLICY_SYMBOLOGIES",
    "QuietZones",
    "bar_height_problem",
    "charset_problem",
    "contrast_problem",
    "finder_problem",
    "greyscale",
    "measure_quiet_zones",
    "min_bar_height",
    "open_image",
    "polarity_problem",
    "quiet_zone_problem",
    "text_eci_problem",
    "to_grey",
    "transparency_problem",
]

_DARK: Final = 128  # a pixel below this grey level is dark
_MARGIN: Final = 0.5  # a quiet zone may be this many modules short (rounding of scaled images)
_ECI_NAMES: Final = {3: "ECI 3 (ISO-8859-1)", 26: "ECI 26 (UTF-8)"}


def open_image(data: bytes, media_type: str) -> Image.Image:
    """The image as Pillow opens it (an SVG painted by the kit, on a transparent canvas).

    Raises:
        AssertionError: an SVG the kit cannot rasterize (the message says why), or bytes
            Pillow cannot open.
    """
    from PIL import Image

    if media_type == "image/svg+xml":
        raster = paint_svg(data)
        if isinstance(raster, str):
            raise AssertionError(
                f"an SVG the kit cannot rasterize ({raster}), so it cannot be decoded; the "
                f"kit decodes every declared format and draws only what it draws as a "
                f"renderer does: rect elements and paths of straight lines (M, H, V, L, Z), "
                f"filled or stroked with plain opaque colours, in document order, without "
                f"curves, rotations, text, gradients, opacity, CSS (style elements, class), "
                f"defs or embedded images"
            )
        return raster
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as error:  # any decoding failure is the backend's
        raise AssertionError(f"Pillow cannot open the image: {error}") from None
    return image


def transparency_problem(image: Image.Image) -> str | None:
    """A sentence if a pixel is not fully opaque: a transparent background shows whatever
    is behind it (a dark page, a dark-mode viewer), where dark modules vanish."""
    if not (image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info):
        return None
    alpha = image.convert("RGBA").getchannel("A")
    lowest, _ = alpha.getextrema()
    if lowest == 255:
        return None
    count = sum(alpha.histogram()[:255])
    return (
        f"transparency: {count} of {image.width * image.height} pixels are not opaque (alpha "
        f"down to {lowest}); on a dark page or viewer the background turns dark and the "
        f"modules vanish: draw an opaque light background"
    )


def greyscale(data: bytes, media_type: str) -> Image.Image:
    """The image as a greyscale PIL image, transparency composited onto white.

    Raises:
        AssertionError: an SVG the kit cannot rasterize (the message says why), or bytes
            Pillow cannot open.
    """
    return to_grey(open_image(data, media_type))


def to_grey(image: Image.Image) -> Image.Image:
    """``image`` in greyscale, transparency composited onto white."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    return image.convert("L")


MIN_CONTRAST: Final = 0.40
"""The least symbol contrast the kit accepts: ISO/IEC 15415 / 15416 grade C (grade F is
under 20 %), as light minus dark reflectance over full scale."""
_TAIL: Final = 0.01  # the share of pixels ignored at each end of the grey histogram


def contrast_problem(image: Image.Image) -> str | None:
    """A sentence if the symbol contrast (the light reflectance minus the dark, taken as the
    1st and 99th percentiles of the greyscale pixels, over 255) is under
    :data:`MIN_CONTRAST`."""
    histogram = image.convert("L").histogram()
    total = sum(histogram)
    if not total:
        return "the image has no pixels"
    tail = total * _TAIL
    seen = 0
    dark = next(level for level, count in enumerate(histogram) if (seen := seen + count) > tail)
    seen = 0
    light = 255 - next(
        level for level, count in enumerate(reversed(histogram)) if (seen := seen + count) > tail
    )
    contrast = (light - dark) / 255
    if contrast >= MIN_CONTRAST:
        return None
    return (
        f"symbol contrast {contrast:.0%} (light grey {light}, dark grey {dark}); scanners "
        f"need at least {MIN_CONTRAST:.0%} (ISO/IEC 15415 / 15416 grade C; under 20 % is "
        f"grade F): dark modules near black on a background near white"
    )


def _dark_mask(image: Image.Image) -> Image.Image:
    """255 where the pixel is dark, 0 elsewhere."""
    return image.point(lambda value: 255 if value < _DARK else 0)


def polarity_problem(image: Image.Image, dimension: int) -> str | None:
    """A sentence if the image's edges are (almost all) dark: light modules on a dark
    background. For a linear barcode only the left and right edges count (its bars may run
    to the top and bottom)."""
    width, height = image.size
    if not width or not height:
        return "the image has no pixels"
    mask = _dark_mask(image)
    edges = [mask.crop((0, 0, 1, height)), mask.crop((width - 1, 0, width, height))]
    if dimension == 2:
        edges += [mask.crop((0, 0, width, 1)), mask.crop((0, height - 1, width, height))]
    pixels = b"".join(edge.tobytes() for edge in edges)
    if pixels.count(255) >= 0.9 * len(pixels):
        return (
            "polarity: the edges of the image are dark (light modules on a dark background, "
            "or no quiet zone at all); scanners need dark modules on a light background"
        )
    return None


@dataclass(frozen=True, slots=True)
class QuietZones:
    """The light margins around a symbol, in modules (``top`` / ``bottom``: ``None`` for a
    linear barcode), and the module size in pixels they were measured with."""

    left: float
    right: float
    top: float | None
    bottom: float | None
    module: float


def _linear_zones(mask: Image.Image, modules: int | None = None) -> QuietZones | None:
    """On the scan line through the bars (the most frequent dark row pattern: text rows
    under the bars differ from one another), the margins over the narrowest element (over
    the symbol's width divided by ``modules``, when that is given)."""
    width, height = mask.size
    data = mask.tobytes()
    rows = (data[y * width : (y + 1) * width] for y in range(height))
    patterns = Counter(row for row in rows if 255 in row)
    if not patterns:
        return None
    line = patterns.most_common(1)[0][0]
    left = line.index(255)
    right = line.rindex(255)
    inner = line[left : right + 1]
    module = float(min(len(run) for run in re.findall(rb"\xff+|\x00+", inner)))
    if modules:
        module = len(inner) / modules
    return QuietZones(left / module, (width - 1 - right) / module, None, None, module)


def _matrix_zones(mask: Image.Image, modules: int | None = None) -> QuietZones | None:
    """Around the dark pixels' bounding box (a QR Code's finder patterns reach three corners,
    a Micro QR Code's timing patterns the far edges); the module is the finder pattern's
    top row (7 modules) over 7, or the box's width over ``modules`` when that is given."""
    box = mask.getbbox()
    if box is None:
        return None
    width, height = mask.size
    left, top, right, bottom = box  # right and bottom are exclusive
    first = mask.crop((left, top, width, top + 1)).tobytes()
    run = first.find(0)
    module = max(run if run >= 0 else len(first), 1) / 7  # see finder_problem for run 0
    if modules:
        module = (right - left) / modules
    return QuietZones(
        left / module,
        (width - right) / module,
        top / module,
        (height - bottom) / module,
        module,
    )


def _runs(line: bytes) -> list[tuple[int, int]]:
    """(value, length) runs of a mask line."""
    return [(run[0], len(run)) for run in re.findall(rb"\xff+|\x00+", line)]


def finder_problem(image: Image.Image) -> str | None:
    """A sentence if the symbol's top-left corner is not a finder pattern drawn dark on
    light: along its diagonal, dark 1, light 1, dark 3 modules (light modules on a dark field
    inside a light margin, or a dark frame around the symbol, fail here, not later as a
    wrong module size)."""
    mask = _dark_mask(image)
    box = mask.getbbox()
    if box is None:
        return None
    left, top, right, bottom = box
    size = min(right - left, bottom - top)
    diagonal = bytes(mask.getpixel((left + i, top + i)) for i in range(size))  # type: ignore[misc]
    runs = _runs(diagonal)
    shape = [value for value, _ in runs[:3]]
    if shape == [255, 0, 255]:
        outer, gap, inner = (length for _, length in runs[:3])
        if 0.5 <= gap / outer <= 2 and 1.5 <= inner / outer <= 4.5:
            return None
    return (
        "polarity: the symbol's top-left corner is not a finder pattern drawn dark on light "
        "(along its diagonal: dark 1, light 1, dark 3 modules); light modules on a dark field "
        "(inverted, or inside a dark frame)? scanners need dark modules on a light background"
    )


def bar_height_problem(image: Image.Image, modules: int | None = None) -> str | None:
    """A sentence if a linear barcode's bars are shorter than :func:`min_bar_height`: the
    rows through the bars are those identical to the scan line (text and guard bars below
    differ from it)."""
    mask = _dark_mask(image)
    zones = _linear_zones(mask, modules)
    if zones is None:
        return None
    width, height = mask.size
    data = mask.tobytes()
    rows = Counter(data[y * width : (y + 1) * width] for y in range(height))
    line = max((row for row in rows if 255 in row), key=lambda row: rows[row])
    bars = line.rindex(255) - line.index(255) + 1
    needed = min_bar_height(bars, zones.module)
    if rows[line] >= needed:
        return None
    return (
        f"bars too short: {rows[line]} px high over a symbol {bars} px wide (module "
        f"{zones.module:.2f} px); without a requested height the kit needs bars at least "
        f"{needed} px high ({BAR_HEIGHT_SHARE:.0%} of the symbol's width or "
        f"{BAR_HEIGHT_MODULES} modules, whichever is less) so that a scan line can find them"
    )


BAR_HEIGHT_SHARE: Final = 0.15
BAR_HEIGHT_MODULES: Final = 25


def min_bar_height(symbol_width: float, module: float) -> int:
    """The least bar height, in pixels, the kit accepts when no ``height`` is requested:
    15 % of the symbol's width (first bar to last; ISO/IEC 15417's recommendation for
    Code 128) or 25 modules (6.35 mm at a 0.25 mm module), whichever is less."""
    return math.ceil(min(BAR_HEIGHT_SHARE * symbol_width, BAR_HEIGHT_MODULES * module))


def measure_quiet_zones(
    image: Image.Image, dimension: int, modules: int | None = None
) -> QuietZones | None:
    """The quiet zones of the one symbol in ``image`` (``None`` if it has no dark pixel).
    ``modules``: the symbol's width in modules, when known (a plugin's symbology, whose
    module the core's heuristics cannot find); otherwise the module is measured."""
    mask = _dark_mask(image)
    return _matrix_zones(mask, modules) if dimension == 2 else _linear_zones(mask, modules)


def quiet_zone_problem(
    image: Image.Image, symbology: str | Symbology, modules: int | None = None
) -> str | None:
    """A sentence if a side's quiet zone is narrower than the symbology's minimum (less
    :data:`_MARGIN` of a module, for images scaled to fractional modules). ``symbology`` is
    its :class:`~qrplex.spec.Symbology` or the name of a registered one; ``modules`` the
    symbol's width in modules (:func:`measure_quiet_zones`)."""
    spec = (
        symbology
        if isinstance(symbology, Symbology)
        else symbol_facts.symbologies()[symbology]  # plugin symbologies too
    )
    zones = measure_quiet_zones(image, spec.dimension, modules)
    if zones is None:
        return "the image has no dark pixel: there is no symbol in it"
    minimums: dict[str, tuple[float | None, int]] = {
        "left": (zones.left, spec.quiet_left),
        "right": (zones.right, spec.quiet_right),
    }
    if spec.dimension == 2:
        minimums["top"] = (zones.top, spec.quiet_left)
        minimums["bottom"] = (zones.bottom, spec.quiet_left)
    short = [
        f"{side} {measured:.1f}"
        for side, (measured, minimum) in minimums.items()
        if measured is not None and measured < minimum - _MARGIN
    ]
    if not short:
        return None
    wanted = (
        f"{spec.quiet_left} modules on every side"
        if spec.dimension == 2
        else f"{spec.quiet_left} modules left and {spec.quiet_right} right"
    )
    return (
        f"quiet zone too narrow: {', '.join(short)} modules (module {zones.module:.2f} px); "
        f"{spec.title} needs at least {wanted}"
    )


def _eci_name(designator: int | None) -> str:
    if designator is None:
        return "no ECI"
    return _ECI_NAMES.get(designator, f"ECI {designator}")


def charset_problem(
    content: str,
    symbology: str,
    segments: Sequence[QrSegment] | None,
    *,
    free_segmentation: bool = False,
) -> str | None:
    """A sentence if the QR segments do not follow the charset policy for ``content``.

    The policy: the whole content in one segment, numeric if all digits, alphanumeric if all
    in the 45-character set, else byte; ASCII bytes without an ECI, ISO-8859-1 text after
    ECI 3, anything else as UTF-8 after ECI 26 (Micro QR has no ECI). With
    ``free_segmentation`` (a service that chooses its own segments) the modes may be mixed,
    but every byte segment must still be under the policy's ECI.

    Args:
        content: the normalized content.
        symbology: ``qr`` or ``microqr``.
        segments: what :mod:`qrplex._qrbits` read from the modules, or ``None`` if
            it could not read them (a failure: the policy cannot be checked otherwise).
    """
    if segments is None:
        return (
            "charset policy: the kit's bit reader could not read the symbol's segments from "
            "its modules (is the symbol drawn axis-aligned, with square modules of at least "
            "one pixel?), so its mode and ECI cannot be checked"
        )
    policy = symbol_facts.segment_for(content)
    expected_eci = None if symbology == "microqr" else policy.eci_designator
    data = [segment for segment in segments if segment.mode not in ("eci", "fnc1", "append")]
    modes = ", ".join(segment.mode for segment in data) or "none"
    ecis = sorted({_eci_name(segment.eci) for segment in data if segment.mode == "byte"})
    wrong_eci = [
        segment for segment in data if segment.mode == "byte" and segment.eci != expected_eci
    ]
    if wrong_eci:
        found = " and ".join(ecis)
        if expected_eci == 3 and None in {segment.eci for segment in wrong_eci}:
            why = (
                "ISO-8859-1 bytes without ECI 3: scanners guess the charset (zxing-cpp "
                "reads Latin-1 'ÄÖÜ' as 'ﾄﾖﾜ')"
            )
        elif expected_eci is None:
            why = "ASCII needs no ECI (and Micro QR has none)"
        else:
            why = f"{_eci_name(expected_eci)} tells scanners the charset"
        return (
            f"charset policy: the byte segment is under {found}; expected "
            f"{_eci_name(expected_eci)} ({why})"
        )
    if free_segmentation:
        return None
    if len(data) != 1 or data[0].mode != policy.mode:
        return (
            f"charset policy: the symbol has segments {modes}; expected one {policy.mode} "
            f"segment for this content"
        )
    return None


TEXT_POLICY_SYMBOLOGIES: Final = frozenset({"datamatrix", "pdf417", "aztec"})
"""The 2D symbologies whose text follows the QR charset policy's ECIs (``qrplex-zint``
registers them): ASCII without an ECI, other ISO-8859-1 text after ECI 3, the rest after
ECI 26, so that every reader gets the text back (PDF417 without an ECI is code page 437)."""


def text_eci_problem(content: str, segments: Sequence[QrSegment] | None) -> str | None:
    """A sentence if the ECI designators zxing-cpp read in a Data Matrix, Aztec Code or
    PDF417 symbol (``segments``: its byte runs between them) are not the policy's for
    ``content``; ``None`` when they are, or when the reading has no segments."""
    if segments is None:
        return None
    expected = symbol_facts.segment_for(content).eci_designator
    found = sorted({segment.eci for segment in segments if segment.data}, key=str)
    if found == [expected]:
        return None
    names = " and ".join(_eci_name(eci) for eci in found) or "no data"
    return (
        f"its text is written with {names}; the charset policy wants {_eci_name(expected)} "
        "for this content (ASCII without an ECI, other ISO-8859-1 text after ECI 3, "
        "anything else after ECI 26), so that every reader gets the text back"
    )
