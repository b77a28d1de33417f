"""Every image the local backend draws decodes (zxing-cpp) to exactly its content."""

from __future__ import annotations

from types import ModuleType

import pytest

from qrplex.errors import InvalidContentError
from qrplex.spec import plan_qr

WIDTHS = (None, 150, 333, 1000)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_symbology_decodes(kit: ModuleType, sym: str, width: int | None) -> None:
    content = kit.SAMPLES[sym]
    if width is not None:
        width = max(width, kit.minimum_width(content, sym))
    png = kit.render(content, sym, "png", width)
    assert png.media_type == "image/png"
    assert kit.decode(png.data, sym) in ([text] for text in kit.decoded_as(sym, content))


@pytest.mark.parametrize("width", WIDTHS)
def test_svg_draws_the_same_pixels_as_png(kit: ModuleType, sym: str, width: int | None) -> None:
    content = kit.SAMPLES[sym]
    if width is not None:
        width = max(width, kit.minimum_width(content, sym))
    png = kit.render(content, sym, "png", width)
    svg = kit.render(content, sym, "svg", width)
    assert svg.media_type == "image/svg+xml"
    assert (svg.width, svg.height) == (png.width, png.height)
    assert kit.same_pixels(kit.svg_image(svg.data), kit.png_image(png.data))


def test_upca_reads_as_its_12_digits(kit: ModuleType) -> None:
    # zxing-cpp 3 reports UPC-A as the 13-digit EAN-13 it is equivalent to.
    texts = kit.decode(kit.render("036000291452", "upca").data, "upca")
    assert texts in (["036000291452"], ["0036000291452"])


@pytest.mark.parametrize(
    "content",
    [
        "hello",
        "1234",
        "ABC 123",
        "HTTPS://EXAMPLE.COM/A-B",
        "https://example.com/?a=1&b=ä",
        "é",
        "ÄÖÜ",  # no ECI: zxing-cpp guesses Shift JIS "ﾄﾖﾜ"
        "Ã©",  # no ECI: zxing-cpp guesses UTF-8 "é"
        "日本",
        "ａｂｃ",
        "丁偀",  # UTF-8 bytes that look like Shift JIS: segno would pick Kanji mode
        "\x81@",  # the same in Latin-1
        "à@",
        "😀 emoji",
        "\x00",
        "\x00\x01\r\n\t",
        " leading and trailing ",
        "\ufeffBOM",
        "x" * 1000,
    ],
)
@pytest.mark.parametrize("error", ["L", "M", "Q", "H"])
def test_qr_contents_round_trip(kit: ModuleType, content: str, error: str) -> None:
    png = kit.render(content, "qr", error=error)
    assert kit.decode(png.data, "qr") == [content]


@pytest.mark.parametrize("content", ["1", "12345", "HELLO", "hello", "a@b.c", "\x00x"])
@pytest.mark.parametrize("error", ["L", "M", "Q"])
def test_microqr_contents_round_trip(kit: ModuleType, content: str, error: str) -> None:
    if plan_qr(content, error, micro=True) is None:  # over capacity at this level
        with pytest.raises(InvalidContentError):
            kit.render(content, "microqr", error=error)
        return
    png = kit.render(content, "microqr", error=error)
    assert kit.decode(png.data, "microqr") == [content]


@pytest.mark.parametrize(
    ("symbology", "content"),
    [
        ("code128", "9912345"),  # python-barcode would drop the leading 99
        ("code128", "99"),
        ("code128", "1"),
        ("code128", "123"),
        ("code128", "a1234b"),
        ("code128", "a12345"),
        ("code128", "\x00\x1f ~\x7f"),
        ("code128", "ñòóô"),  # python-barcode reads these as FNC1..FNC4
        ("code128", "Grüße °123 ± ÿ\x80"),  # FNC4 for 128-255
        ("code39", "0123456789"),
        ("code39", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        ("code39", "-. $/+%"),
        ("code39", "+A"),  # a full-ASCII reader would say "a"
        ("itf", "00"),
        ("itf", "12"),
        ("itf", "98765432109876543210"),
        ("ean13", "0000000000000"),
        ("ean13", "9780201379624"),
        ("ean8", "00000000"),
        ("ean8", "55123457"),
        ("upca", "000000000000"),
        ("upca", "012345678905"),
        ("isbn13", "9791234567896"),
        ("isbn13", "9790260000438"),  # python-barcode's ISBN13 rejects 979-0
    ],
)
def test_linear_contents_round_trip(kit: ModuleType, symbology: str, content: str) -> None:
    png = kit.render(content, symbology)
    assert kit.decode(png.data, symbology) in ([t] for t in kit.decoded_as(symbology, content))
