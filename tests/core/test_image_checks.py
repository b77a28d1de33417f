"""The core checks every backend's image as an image before it is returned (issue 9, item 3).

A backend (or the service behind it) that returns a PNG claiming an absurd size, a "QR code"
that is not square, pixel data that is not zlib or inflates to the wrong number of bytes, or an
SVG that is not one, gets a ``BadResponseError`` and the call falls back, whatever backend it
is. The images here are built by hand, byte by byte; Pillow is the independent judge of which
ones are real images.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import qrplex
from qrplex._inspection import ImageDefectError, inspect_image
from qrplex._registry import Registry

MAX_SIDE = 10_000


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(
    width: int,
    height: int,
    *,
    pixels: bytes | None = None,
    idat: bytes | None = None,
    depth: int = 8,
    colour: int = 0,
    interlace: int = 0,
) -> bytes:
    """A PNG with this header; ``pixels`` are the raw scanlines (filter bytes included),
    ``idat`` the compressed stream (default: ``pixels`` compressed, or white grey rows)."""
    if idat is None:
        if pixels is None:
            pixels = (b"\x00" + b"\xff" * width) * height
        idat = zlib.compress(pixels)
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def adam7_png(width: int, height: int, value: Callable[[int, int], int]) -> bytes:
    """An interlaced 8-bit greyscale PNG (filter 0 on every row), written the standard way."""
    passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4))
    passes += ((1, 0, 2, 2), (0, 1, 1, 2))
    raw = bytearray()
    for x0, y0, dx, dy in passes:
        for y in range(y0, height, dy):
            row = bytes(value(x, y) for x in range(x0, width, dx))
            if row:
                raw += b"\x00" + row
    return png(width, height, pixels=bytes(raw), interlace=1)


class CannedBackend(qrplex.Backend):
    """A plugin backend that returns whatever the test put in :attr:`answer`."""

    name = "canned"
    capabilities = qrplex.Capabilities(
        frozenset({"qr", "ean13", "code128"}), frozenset({"png", "svg"}), frozenset({"height"})
    )
    answer: ClassVar[qrplex.Rendering | None] = None

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        assert self.answer is not None
        return self.answer


class CannedPlugin:
    @staticmethod
    @qrplex.hookimpl
    def qrplex_register_backends(register: Any) -> None:
        register(CannedBackend)


def served(answer: qrplex.Rendering, **request: Any) -> qrplex.CodeImage:
    """Generate through ``canned`` (answering ``answer``) with ``local`` as fallback."""
    CannedBackend.answer = answer
    registry = Registry(plugins=[("canned", CannedPlugin)])
    with qrplex.Client(backend="canned", fallback=["local"], registry=registry) as client:
        return client.generate(request.pop("content", "hello"), **request)


def refused_with(answer: qrplex.Rendering, reason: str, **request: Any) -> None:
    image = served(answer, **request)
    assert image.backend == "local", "the bad image was returned"
    assert [a.error_type for a in image.attempts] == ["BadResponseError"]
    assert reason in image.attempts[0].message


def test_a_good_answer_is_returned() -> None:
    image = served(qrplex.Rendering(png(300, 300), "image/png", 300, 300), width=300)
    assert (image.backend, image.width, image.height) == ("canned", 300, 300)


def test_a_tiny_png_claiming_two_billion_rows_is_refused() -> None:
    claimed = png(300, 2_147_483_647, idat=zlib.compress(b"\x00" * 301))
    assert len(claimed) < 80
    refused_with(
        qrplex.Rendering(claimed, "image/png", 300, 2_147_483_647), "outside 1 to 10000 px"
    )


def test_a_qr_code_that_is_not_square_is_refused() -> None:
    refused_with(qrplex.Rendering(png(300, 7), "image/png", 300, 7), "which is square", width=300)


def test_a_barcode_of_another_height_than_asked_is_refused() -> None:
    answer = qrplex.Rendering(png(300, 80), "image/png", 300, 80)
    refused_with(answer, "80 px high for a request of 120 px", content="590123412345",
                 symbology="ean13", width=300, height=120)  # fmt: skip


def test_a_png_whose_pixel_data_is_not_zlib_is_refused() -> None:
    broken = png(300, 300, idat=b"this is not a zlib stream at all")
    refused_with(qrplex.Rendering(broken, "image/png", 300, 300), "not valid zlib data")


@pytest.mark.parametrize(
    ("rows", "reason"),
    [(299, "has 89999 bytes where its header implies 90300"), (301, "longer than the 90300")],
)
def test_pixel_data_must_be_exactly_the_declared_scanlines(rows: int, reason: str) -> None:
    wrong = png(300, 300, pixels=(b"\x00" + b"\xff" * 300) * rows)
    refused_with(qrplex.Rendering(wrong, "image/png", 300, 300), reason)


def test_a_cut_short_zlib_stream_is_refused() -> None:
    whole = zlib.compress((b"\x00" + b"\xff" * 300) * 300)
    refused_with(qrplex.Rendering(png(300, 300, idat=whole[:-6]), "image/png", 300, 300),
                 "does not end")  # fmt: skip


def test_an_unknown_row_filter_is_refused() -> None:
    rows = (
        (b"\x00" + b"\xff" * 300) * 150
        + (b"\x07" + b"\xff" * 300)
        + (b"\x00" + b"\xff" * 300) * 149
    )
    refused_with(qrplex.Rendering(png(300, 300, pixels=rows), "image/png", 300, 300),
                 "unknown filter type")  # fmt: skip


def test_a_pixel_data_bomb_is_refused_in_bounded_memory() -> None:
    # 2 GiB of zeros compress to about 2 MB: inflating it whole would take 2 GiB.
    inflater = zlib.compressobj(9)
    zeros = bytes(1 << 24)
    bomb = b"".join(inflater.compress(zeros) for _ in range(128)) + inflater.flush()
    answer = qrplex.Rendering(png(300, 300, idat=bomb), "image/png", 300, 300)
    tracemalloc.start()
    try:
        refused_with(answer, "longer than the 90300")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 1024 * 1024, f"checking the bomb took {peak / 2**20:.0f} MiB"


def test_the_size_the_backend_reports_must_be_the_images_own() -> None:
    refused_with(qrplex.Rendering(png(300, 300), "image/png", 290, 290), "but it is 300x300")


def test_a_jpeg_for_a_png_request_is_refused() -> None:
    out = io.BytesIO()
    Image.new("L", (300, 300), 255).save(out, format="JPEG")
    jpeg = out.getvalue()
    refused_with(qrplex.Rendering(jpeg, "image/jpeg", 300, 300), "image/jpeg for a png request")
    refused_with(qrplex.Rendering(jpeg, "image/png", 300, 300), "labelled it image/png")


def svg(width: str, height: str, body: str = "", prolog: str = "") -> bytes:
    return (
        f'{prolog}<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'<rect width="10" height="10"/>{body}</svg>'
    ).encode()


def test_a_good_svg_is_returned() -> None:
    image = served(qrplex.Rendering(svg("290", "290"), "image/svg+xml", 290, 290), format="svg")
    assert (image.backend, image.width) == ("canned", 290)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (svg("290", "290")[:-3], "not well-formed"),
        (svg("290", "29"), "which is square"),
        (svg("290", "100%"), "height is not a whole number of pixels"),
        (b'<?xml version="1.0"?><html>' + svg("290", "290") + b"</html>", "not <svg>"),
        (
            svg(
                "290",
                "290",
                body="&lol9;",
                prolog='<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol">'
                + "".join(
                    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
                    for n in range(1, 10)
                )
                + "]>",
            ),
            "internal subset",
        ),
        (svg("290", "290").replace(b"2000/svg", b"2000/evil"), "not <svg> in the SVG namespace"),
    ],
    ids=["truncated", "not-square", "percent", "not-svg", "billion-laughs", "foreign-namespace"],
)
def test_a_bad_svg_is_refused(data: bytes, reason: str) -> None:
    height = 29 if b'height="29"' in data else 290  # the backend reports the SVG's own size
    refused_with(qrplex.Rendering(data, "image/svg+xml", 290, height), reason, format="svg")


@pytest.mark.parametrize(
    "head",
    [
        b"\xef\xbb\xbf",
        b"<!-- drawn by a plugin -->\n",
        b" " * 600,
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n',
    ],
    ids=["bom", "comment", "whitespace", "external-doctype"],
)
def test_ordinary_svg_prologues_pass(head: bytes) -> None:
    image = served(qrplex.Rendering(head + svg("290", "290"), "image/svg+xml", 290, 290),
                   format="svg")  # fmt: skip
    assert image.backend == "canned"


def test_a_prefixed_svg_root_passes() -> None:
    data = (
        b'<s:svg xmlns:s="http://www.w3.org/2000/svg" width="290" height="290">'
        b'<s:rect width="1" height="1"/></s:svg>'
    )
    assert inspect_image(data, max_side=MAX_SIDE).width == 290


def test_a_palette_png_without_its_palette_or_with_two_headers_is_refused() -> None:
    paletted = png(4, 4, pixels=(b"\x00" + b"\x00" * 4) * 4, colour=3)
    with pytest.raises(ImageDefectError, match="no PLTE"):
        inspect_image(paletted, max_side=MAX_SIDE)
    good = png(4, 4)
    header = good[8:33]
    with pytest.raises(ImageDefectError, match="second IHDR"):
        inspect_image(good[:33] + header + good[33:], max_side=MAX_SIDE)


# -- the inspector against Pillow: every real PNG passes, with its true size ------------------


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 70),
    height=st.integers(1, 70),
    mode=st.sampled_from(["1", "L", "P", "RGB", "RGBA", "LA", "I;16"]),
    seed=st.integers(0, 255),
)
def test_every_png_pillow_writes_passes_with_its_size(
    width: int, height: int, mode: str, seed: int
) -> None:
    image = Image.new("L", (width, height))
    image.putdata([(seed + x * 7 + y * 13) % 256 for y in range(height) for x in range(width)])
    out = io.BytesIO()
    image.convert(mode).save(out, format="PNG")
    facts = inspect_image(out.getvalue(), max_side=MAX_SIDE)
    assert (facts.media_type, facts.width, facts.height) == ("image/png", width, height)


@settings(max_examples=40, deadline=None)
@given(width=st.integers(1, 40), height=st.integers(1, 40), seed=st.integers(0, 255))
def test_interlaced_pngs_pass_with_their_size(width: int, height: int, seed: int) -> None:
    data = adam7_png(width, height, lambda x, y: (seed + 3 * x + 5 * y) % 256)
    with Image.open(io.BytesIO(data)) as decoded:  # the independent judge: it is a real PNG
        decoded.load()
        assert decoded.size == (width, height)
    assert inspect_image(data, max_side=MAX_SIDE).width == width
    with pytest.raises(ImageDefectError):
        inspect_image(adam7_png(width, height + 1, lambda x, y: 0)[:33] + data[33:], max_side=99)


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="101" height="50"/>', "101x50"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="0" height="50"/>', "0x50"),
    ],
)
def test_an_svg_outside_the_side_bounds_is_refused(data: bytes, size: str) -> None:
    with pytest.raises(ImageDefectError, match=f"its size {size} px is outside 1 to 100 px"):
        inspect_image(data, max_side=100)


def test_a_jpeg_outside_the_side_bounds_is_refused() -> None:
    out = io.BytesIO()
    Image.new("L", (120, 30)).save(out, "JPEG")
    assert inspect_image(out.getvalue(), max_side=120).width == 120
    with pytest.raises(ImageDefectError, match="its size 120x30 px is outside 1 to 100 px"):
        inspect_image(out.getvalue(), max_side=100)
