"""Encoder defects found in segno and python-barcode, and how the backend works around them."""

from __future__ import annotations

from types import ModuleType

import barcode
import pytest

from qrplex import CodeRequest
from qrplex.errors import InvalidContentError
from qrplex.spec import plan_qr
from qrplex_local._code128 import code128_values
from qrplex_local._qr import qr_symbol


@pytest.mark.parametrize("content", ["\x81@", "à@", "00000000000\x81@0", "丁偀", "丁偀丁偀"])
def test_segno_kanji_guess_is_never_used(kit: ModuleType, content: str) -> None:
    # segno picks Kanji mode when the encoded bytes look like Shift JIS pairs.
    assert qr_symbol(CodeRequest(content, "qr")).mode == "byte"
    assert kit.decode(kit.render(content, "qr").data, "qr") == [content]


@pytest.mark.parametrize("content", ["ÄÖÜ", "Ã©", "00000000000\x81@0"])
def test_non_ascii_latin1_gets_an_eci(kit: ModuleType, content: str) -> None:
    # Without ECI 3, zxing-cpp reads these as Shift JIS / UTF-8 (the policy always adds it,
    # and the core counts its 12 bits, so even the smallest width holds it).
    assert kit.decode(kit.render(content, "qr").data, "qr") == [content]
    planned = plan_qr(content, "M")
    assert planned is not None
    tight = kit.render(content, "qr", width=planned.modules + 8)
    assert kit.decode(tight.data, "qr") == [content]


def test_python_barcode_drops_a_leading_99(kit: ModuleType) -> None:
    # python-barcode merges the code C value 99 into the start character ("9912345" is
    # drawn as "12345"); our Code 128 encoder keeps it.
    assert barcode.get_barcode_class("code128")("9912345")._build()[:2] == [105, 12]
    assert code128_values("9912345")[:3] == [105, 99, 12]
    assert kit.decode(kit.render("9912345", "code128").data, "code128") == ["9912345"]


def test_code128_fnc_lookalikes_are_text(kit: ModuleType) -> None:
    # python-barcode treats ñ ò ó ô in the content as FNC1..FNC4.
    assert kit.decode(kit.render("ñòóô", "code128").data, "code128") == ["ñòóô"]


def test_upca_check_digit_is_not_silently_fixed(kit: ModuleType) -> None:
    assert str(barcode.get_barcode_class("upca")("036000291453")) == "036000291452"
    with pytest.raises(InvalidContentError, match="check digit"):
        kit.render("036000291453", "upca")


@pytest.mark.parametrize(
    ("symbology", "content", "python_barcode_draws"),
    [("code39", "abc", "ABC"), ("itf", "123", "0123")],
)
def test_contents_python_barcode_would_change_are_rejected(
    kit: ModuleType, symbology: str, content: str, python_barcode_draws: str
) -> None:
    assert str(barcode.get_barcode_class(symbology)(content)).startswith(python_barcode_draws)
    with pytest.raises(InvalidContentError):
        kit.render(content, symbology)


def test_isbn13_979_0_is_drawn_as_the_ean13_it_is(kit: ModuleType) -> None:
    with pytest.raises(barcode.errors.BarcodeError):
        barcode.get_barcode_class("isbn13")("9790260000438")
    png = kit.render("9790260000438", "isbn13")
    assert kit.decode(png.data, "isbn13") == ["9790260000438"]


def test_microqr_level_l_may_be_m1(kit: ModuleType) -> None:
    # The core counts M1 (error detection only) as level L; segno never makes M1 when given
    # an explicit level, so L is passed as "no level".
    assert qr_symbol(CodeRequest("12345", "microqr", options={"error": "L"})).version == "M1"
    assert qr_symbol(CodeRequest("12345", "microqr", options={"error": "M"})).version == "M2"
    png = kit.render("12345", "microqr", width=11 + 4, error="L")
    assert kit.decode(png.data, "microqr") == ["12345"]
