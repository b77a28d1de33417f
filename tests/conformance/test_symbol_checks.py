"""The kit's pixel and bit checks on images made here: quiet zones, polarity, charset policy."""

from __future__ import annotations

import io

import pytest
import segno
from PIL import Image, ImageDraw

from qrplex._qrbits import QrSegment
from qrplex.testing._symbol_checks import (
    charset_problem,
    greyscale,
    measure_quiet_zones,
    polarity_problem,
    quiet_zone_problem,
)


def _qr(
    border: int, *, scale: int = 5, dark: str = "black", light: str | None = "white"
) -> Image.Image:
    out = io.BytesIO()
    segno.make("HELLO", micro=False).save(
        out, kind="png", scale=scale, border=border, dark=dark, light=light
    )
    return greyscale(out.getvalue(), "image/png")


@pytest.mark.parametrize("border", [0, 1, 2, 3, 4, 6])
def test_a_qr_codes_quiet_zone_is_measured_in_modules(border: int) -> None:
    zones = measure_quiet_zones(_qr(border), 2)
    assert zones is not None
    assert (zones.left, zones.right, zones.top, zones.bottom) == (border,) * 4
    assert zones.module == 5
    problem = quiet_zone_problem(_qr(border), "qr")
    assert (problem is None) == (border >= 4)
    if border < 4:
        assert problem is not None
        assert problem.startswith(f"quiet zone too narrow: left {border:.1f}, ")
        assert problem.endswith("QR Code needs at least 4 modules on every side")


def test_a_micro_qr_code_needs_two_modules() -> None:
    out = io.BytesIO()
    segno.make("12345", micro=True).save(out, kind="png", scale=3, border=1)
    problem = quiet_zone_problem(greyscale(out.getvalue(), "image/png"), "microqr")
    assert problem is not None
    assert "Micro QR Code needs at least 2 modules on every side" in problem


def _barcode(left: int, right: int, *, module: int = 2, text_left: bool = False) -> Image.Image:
    """A linear 'barcode' of 1- and 2-module bars, 40 px high, with digits-like marks
    under the bars (and, like EAN-13's first digit, in the left quiet zone if asked)."""
    bars = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1]
    width = (left + len(bars) + right) * module
    image = Image.new("L", (width, 50), 255)
    draw = ImageDraw.Draw(image)
    for index, dark in enumerate(bars):
        if dark:
            x = (left + index) * module
            draw.rectangle((x, 0, x + module - 1, 39), fill=0)
    draw.rectangle((left * module, 43, (left + 4) * module, 48), fill=0)  # "text"
    if text_left:
        draw.rectangle((0, 43, module, 48), fill=0)
    return image


def test_a_linear_quiet_zone_is_measured_on_the_bars_not_the_text() -> None:
    zones = measure_quiet_zones(_barcode(11, 7, text_left=True), 1)
    assert zones is not None
    assert (zones.left, zones.right, zones.top, zones.bottom) == (11, 7, None, None)
    assert quiet_zone_problem(_barcode(11, 7, text_left=True), "ean13") is None


def test_a_linear_quiet_zone_of_one_module_is_named() -> None:
    problem = quiet_zone_problem(_barcode(1, 10), "code128")
    assert problem == (
        "quiet zone too narrow: left 1.0 modules (module 2.00 px); Code 128 needs at least "
        "10 modules left and 10 right"
    )


def test_light_on_dark_is_named() -> None:
    assert polarity_problem(_qr(4), 2) is None
    problem = polarity_problem(_qr(4, dark="white", light="black"), 2)
    assert problem is not None
    assert problem.startswith("polarity: the edges of the image are dark")


def test_a_transparent_background_is_read_as_white() -> None:
    image = _qr(4, light=None)  # segno: a transparent background
    assert polarity_problem(image, 2) is None
    assert quiet_zone_problem(image, "qr") is None


@pytest.mark.parametrize(
    ("content", "segments", "problem"),
    [
        ("ÄÖÜ", [QrSegment("eci", eci=3), QrSegment("byte", b"\xc4\xd6\xdc", 3)], None),
        ("ÄÖÜ", [QrSegment("byte", b"\xc4\xd6\xdc")], "under no ECI; expected ECI 3"),
        ("é", [QrSegment("eci", eci=26), QrSegment("byte", b"\xc3\xa9", 26)], "ECI 26"),
        ("日本", [QrSegment("byte", "日本".encode(), 26)], None),
        ("a\tb", [QrSegment("byte", b"a\tb", 3)], "expected no ECI (ASCII needs no ECI"),
        ("123", [QrSegment("byte", b"123")], "segments byte; expected one numeric segment"),
        ("AB1", [QrSegment("alphanumeric", b"AB"), QrSegment("numeric", b"1")], "segments"),
        ("AB", None, "could not read the symbol's segments"),
    ],
)
def test_the_charset_policy_is_checked_on_segments(
    content: str, segments: list[QrSegment] | None, problem: str | None
) -> None:
    found = charset_problem(content, "qr", segments)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith("charset policy: ")
        assert problem in found


def test_free_segmentation_allows_mixed_modes_but_not_a_missing_eci() -> None:
    mixed = [QrSegment("alphanumeric", b"AB"), QrSegment("numeric", b"1")]
    assert charset_problem("AB1", "qr", mixed, free_segmentation=True) is None
    missing = [QrSegment("numeric", b"1"), QrSegment("byte", b"\xe9")]
    assert charset_problem("1é", "qr", missing, free_segmentation=True) is not None


def test_an_svg_the_kit_cannot_draw_fails_with_the_reason() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<circle cx="5" cy="5" r="2"/></svg>'
    )
    with pytest.raises(AssertionError, match=r"cannot rasterize \(it uses a circle element\)"):
        greyscale(svg, "image/svg+xml")


def test_short_values_are_not_searched_as_secrets() -> None:
    """A setting like ``auth_mode = "basic"`` is not a secret to hunt for in image bytes and
    log lines, where it would match by chance; a realistic secret is."""
    from qrplex.testing._conformance import ConformanceRun

    run = ConformanceRun(
        name="acme",
        client=None,  # type: ignore[arg-type]  # leak() needs no client
        secrets=("basic", "sk-live-5f3a9c1e"),
        settings=None,
        database_key=b"",
    )
    assert run.leak("mode basic, 12 bytes", "a log line") is None
    leak = run.leak("calling with sk-live-5f3a9c1e", "a log line")
    assert leak is not None
    assert "conformance_secrets[1]" in leak
    assert "sk-live" not in leak
