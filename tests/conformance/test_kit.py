"""The kit itself: its strategies follow the core's rules, its decoder reads what the
standards say, and its pytest plugin is cheap to load."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata

import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

import qrplex
from qrplex._qr_capacity import MICRO_QR_LEVELS, QR_LEVELS
from qrplex._qrbits import _EC_BLOCKS
from qrplex._validation import validate_request
from qrplex.testing import (
    UnreadableImageError,
    decode,
    decode_all,
    inspect_image,
    read,
    read_one,
    strategies,
)
from qrplex.testing.strategies import GenerateCall, InvalidCase

LEVELS = {"qr": QR_LEVELS, "microqr": MICRO_QR_LEVELS}


def _png(code: segno.QRCode, scale: int = 3) -> bytes:
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=4 if not code.is_micro else 2)
    return out.getvalue()


def _svg(code: segno.QRCode, scale: int = 3) -> bytes:
    out = io.BytesIO()
    code.save(out, kind="svg", scale=scale, border=4)
    return out.getvalue()


# --- strategies ---------------------------------------------------------------------------


def _validate(content: str, symbology: str, **kwargs: object) -> None:
    format = kwargs.pop("format", "png")
    width = kwargs.pop("width", None)
    validate_request(content, symbology=symbology, format=format, width=width, options=kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("symbology", strategies.SYMBOLOGY_NAMES)
def test_valid_calls_are_valid(symbology: str) -> None:
    levels = LEVELS.get(symbology)

    @given(call=strategies.valid_calls(symbology, levels=levels, heights=True))
    def check(call: GenerateCall) -> None:
        kwargs = call.kwargs()
        del kwargs["symbology"]
        _validate(call.content, symbology, **kwargs)

    check()


@pytest.mark.parametrize("symbology", strategies.SYMBOLOGY_NAMES)
def test_invalid_requests_raise_what_they_say(symbology: str) -> None:
    @given(case=strategies.invalid_requests(symbology))
    def check(case: InvalidCase) -> None:
        kwargs = case.call_kwargs()
        with pytest.raises(case.error):
            _validate(case.content, str(kwargs.pop("symbology")), **kwargs)

    check()


@pytest.mark.parametrize("level", QR_LEVELS)
def test_qr_contents_reach_the_capacity_of_version_40(level: str) -> None:
    """Near-limit contents are drawn (the limit, not just short texts)."""
    found: set[str] = set()

    # 100 fresh examples (no replayed database): one run in ~25 had none at version 40 in 40.
    @settings(max_examples=100, database=None)
    @given(content=strategies.valid_content("qr", error=level))
    def check(content: str) -> None:
        request = validate_request(
            content, symbology="qr", format="png", width=None, options={"error": level}
        )
        from qrplex._validation import symbol_modules

        if symbol_modules(request) == 177:
            found.add(content)

    check()
    assert found, "no content at version 40"


def test_gtin_check_digit_is_computed_independently() -> None:
    assert strategies.gtin_check_digit("400638133393") == "1"
    assert strategies.gtin_check_digit("9638507") == "4"
    assert strategies.gtin_check_digit("03600029145") == "2"
    assert strategies.expected_text("ean13", "400638133393") == "4006381333931"


# --- decoding -------------------------------------------------------------------------------


def test_error_block_table_matches_segno() -> None:
    from segno import consts

    for version in range(1, 41):
        for index, level in enumerate(QR_LEVELS):
            blocks = consts.ECC[version][consts.ERROR_MAPPING[level]]
            assert sum(block.num_blocks for block in blocks) == _EC_BLOCKS[index][version - 1]


@given(
    content=st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=60),
    level=st.sampled_from(QR_LEVELS),
    mask=st.integers(0, 7),
    scale=st.integers(1, 4),
)
def test_segments_are_read_back_from_the_modules(
    content: str, level: str, mask: int, scale: int
) -> None:
    """Whatever segno encodes (one UTF-8 segment behind an ECI), the kit reads it back."""
    code = segno.make(
        content,
        error=level,
        mode="byte",
        encoding="utf-8",
        eci=True,
        micro=False,
        mask=mask,
        boost_error=False,
    )
    reading = read_one(_png(code, scale), "qr")
    assert reading.modes == ("eci", "byte")
    assert reading.text == content
    assert reading.version == str(code.version)
    assert reading.ec_level == level


@given(
    content=st.text(st.sampled_from("0123456789ABC abc$%"), min_size=1, max_size=14),
    mask=st.integers(0, 3),
)
def test_micro_qr_segments_are_read_back(content: str, mask: int) -> None:
    code = segno.make(content, micro=True, mask=mask, boost_error=False)
    reading = read_one(_png(code), "microqr")
    assert reading.text == content
    assert reading.segments is not None


def test_latin1_without_eci_reads_as_latin1_not_as_zxings_guess() -> None:
    code = segno.make("ÄÖÜ", mode="byte", encoding="latin-1", micro=False, boost_error=False)
    (reading,) = read(_png(code), "qr")
    assert reading.reader_text == "ﾄﾖﾜ"  # zxing-cpp guesses Shift JIS
    assert reading.text == "ÄÖÜ"  # ISO/IEC 18004: no ECI means ISO-8859-1
    assert reading.modes == ("byte",)


def test_kanji_mode_reads_as_kanji() -> None:
    """segno's automatic Kanji mode: Latin-1 'à@' are the Shift JIS bytes of one kanji."""
    code = segno.make("à@", micro=False, boost_error=False)
    reading = read_one(_png(code), "qr")
    assert reading.modes == ("kanji",)
    assert reading.data == "à@".encode("latin-1")
    assert reading.text == "漾"


def test_utf8_without_eci_is_mojibake() -> None:
    code = segno.make("é", mode="byte", encoding="utf-8", micro=False, boost_error=False)
    assert decode(_png(code), "qr") == "Ã©"


@pytest.fixture(scope="module")
def local() -> qrplex.Client:
    return qrplex.Client(backend="local", fallback=[], environ={}, user_config=False)


@pytest.mark.parametrize(
    ("symbology", "content", "expected"),
    [
        ("upca", "03600029145", "036000291452"),
        ("ean13", "003600029145", "0036000291452"),
        ("isbn13", "978030640615", "9780306406157"),
        ("ean8", "9638507", "96385074"),
        ("code128", "Ã©\x00", "Ã©\x00"),
        ("code39", "$A", "$A"),
        ("itf", "12", "12"),
    ],
)
def test_linear_readings_are_normalized(
    local: qrplex.Client, symbology: str, content: str, expected: str
) -> None:
    for format in ("png", "svg"):
        image = local.generate(content, symbology=symbology, format=format)
        assert decode(image.data, symbology) == expected


def test_decode_without_symbology_reads_any_format(local: qrplex.Client) -> None:
    assert decode(local.generate("γάμμα").data) == "γάμμα"
    assert decode(local.generate("5901234123457", symbology="ean13").data) == "5901234123457"
    assert decode_all(local.generate("hi").data) == ["hi"]


def test_no_code_or_two_codes_are_readable_assertions(local: qrplex.Client) -> None:
    blank = io.BytesIO()
    Image.new("L", (100, 100), 255).save(blank, "PNG")
    with pytest.raises(
        AssertionError, match="expected one qr code in the image, zxing-cpp found none"
    ):
        decode(blank.getvalue(), "qr")
    one = Image.open(io.BytesIO(local.generate("left", width=100).data)).convert("L")
    two = Image.new("L", (200, 100), 255)
    two.paste(one, (0, 0))
    two.paste(Image.open(io.BytesIO(local.generate("right", width=100).data)), (100, 0))
    out = io.BytesIO()
    two.save(out, "PNG")
    with pytest.raises(AssertionError, match=r"found 2: \['(left|right)', '(left|right)'\]"):
        decode(out.getvalue(), "qr")


def test_svg_with_strokes_is_rasterized() -> None:
    code = segno.make("stroked paths", micro=False)
    assert decode(_svg(code), "qr") == "stroked paths"


def test_svg_the_kit_cannot_draw_is_reported() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<circle cx="5" cy="5" r="4"/></svg>'
    )
    assert inspect_image(svg).width == 10
    with pytest.raises(UnreadableImageError):
        decode(svg)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a....", "not a PNG, JPEG or SVG"),
        (b"<svg width='10'", "not well-formed"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' width='10'/>",
            "height is not a whole number of pixels",
        ),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' width='10mm' height='3'/>",
            "width is not a whole number of pixels",
        ),
    ],
)
def test_broken_images_are_assertions(data: bytes, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        inspect_image(data)


def test_inspect_image_reads_sizes_from_the_bytes() -> None:
    image = Image.new("RGB", (33, 21), "white")
    ImageDraw.Draw(image).point((1, 1), fill="black")
    for kind, media_type in (("PNG", "image/png"), ("JPEG", "image/jpeg")):
        out = io.BytesIO()
        image.save(out, kind)
        info = inspect_image(out.getvalue())
        assert (info.media_type, info.width, info.height) == (media_type, 33, 21)


# --- the pytest plugin ---------------------------------------------------------------------


def test_the_pytest_plugin_is_registered() -> None:
    (entry_point,) = [e for e in metadata.entry_points(group="pytest11") if e.name == "qrplex"]
    assert entry_point.value == "qrplex.testing.pytest_plugin"


def test_the_pytest_plugin_imports_no_decoder() -> None:
    code = (
        "import sys, qrplex.testing.pytest_plugin\n"
        "heavy = {'zxingcpp', 'PIL', 'hypothesis', 'segno'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_qrplex_decode_fixture(
    qrplex_decode: Callable[..., str], qrplex_client_factory: Callable[..., qrplex.Client]
) -> None:
    client = qrplex_client_factory("local")
    assert qrplex_decode(client.generate("fixture").data, "qr") == "fixture"


def test_client_factory_registers_backend_classes(
    qrplex_client_factory: Callable[..., qrplex.Client],
) -> None:
    from qrplex_local import LocalBackend

    class Renamed(LocalBackend):
        name = "renamed"

    client = qrplex_client_factory("renamed", backends=[Renamed], entry_points=False)
    assert client.generate("x").backend == "renamed"
    assert [info.name for info in client.backends()] == ["renamed"]
