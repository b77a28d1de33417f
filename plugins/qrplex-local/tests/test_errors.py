"""Bad requests fail with qrplex's own errors, never a raw segno / python-barcode exception."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from qrplex.errors import (
    InvalidContentError,
    InvalidOptionError,
    UnsupportedError,
)


@pytest.mark.parametrize(
    ("symbology", "content", "message"),
    [
        ("qr", "", "cannot be empty"),
        ("qr", "x" * 3000, "too long for a QR Code at error level M"),
        ("qr", "日" * 1000, "too long for a QR Code"),
        ("microqr", "", "cannot be empty"),
        ("microqr", "x" * 30, "too long for a Micro QR Code"),
        ("microqr", "日本", "only ASCII"),
        ("microqr", "é", "only ASCII"),
        ("ean13", "4006381333932", "check digit"),  # python-barcode would draw it
        ("ean13", "400638133393", "13 digits"),
        ("ean13", "40063813339310", "13 digits"),  # python-barcode would cut it
        ("ean13", "400638133393a", "digits 0-9 only"),
        ("ean13", "４００６３８１３３３９３１", "digits 0-9 only"),  # fullwidth digits
        ("isbn13", "4006381333931", "starts with 978 or 979"),
        ("isbn13", "9780306406158", "check digit"),
        ("ean8", "96385075", "check digit"),
        ("ean8", "9638507", "8 digits"),
        ("upca", "036000291453", "check digit"),  # python-barcode would recompute it
        ("upca", "03600029145", "12 digits"),
        ("code128", "", "cannot be empty"),
        ("code128", "€", "U\\+20AC"),
        ("code39", "", "cannot be empty"),
        ("code39", "abc", "'a'"),  # python-barcode would upper-case it
        ("code39", "A*B", "'\\*'"),
        ("itf", "123", "even number of digits"),  # python-barcode would prepend a 0
        ("itf", "", "cannot be empty"),
        ("ean13", "", "cannot be empty"),
        ("itf", "12a4", "digits 0-9 only"),
    ],
)
def test_invalid_content(kit: ModuleType, symbology: str, content: str, message: str) -> None:
    for format in ("png", "svg"):
        with pytest.raises(InvalidContentError, match=message):
            kit.render(content, symbology, format)


@pytest.mark.parametrize(
    ("symbology", "options", "message"),
    [
        ("qr", {"error": "X"}, "error level 'X' is not valid"),
        ("qr", {"error": 1}, "error level 1 is not valid"),
        ("microqr", {"error": "H"}, "use one of L, M, Q"),
        ("qr", {"height": 100}, "height option does not apply"),
        ("ean13", {"error": "M"}, "QR codes only"),
    ],
)
def test_invalid_options(
    kit: ModuleType, symbology: str, options: dict[str, Any], message: str
) -> None:
    content = kit.SAMPLES[symbology]
    with pytest.raises(InvalidOptionError, match=message):
        kit.render(content, symbology, **options)


def test_error_level_is_case_insensitive(kit: ModuleType) -> None:
    assert kit.render("hello", "qr", error="h").data == kit.render("hello", "qr", error="H").data


@pytest.mark.parametrize(
    ("symbology", "format"), [("qr", "jpeg"), ("qr", "gif"), ("pdf417", "png")]
)
def test_unsupported(kit: ModuleType, symbology: str, format: str) -> None:
    with pytest.raises(UnsupportedError):
        kit.render("hello", symbology, format)


@pytest.mark.parametrize(
    "content",
    ["", "\x00", "x" * 3000, "\ud800", "9" * 40, "ñ", "a" * 5, "0" * 13, "978" + "0" * 10],
)
def test_only_qrplex_errors_escape(kit: ModuleType, sym: str, content: str) -> None:
    for format in ("png", "svg"):
        error: Exception | None = None
        try:
            kit.render(content, sym, format)
        except Exception as exc:  # anything but a qrplex error fails the test below
            error = exc
        if error is not None:
            assert isinstance(error, (InvalidContentError, InvalidOptionError)), repr(error)
            assert str(error)
