"""The emulator's renderer: a 1-bit PNG that decodes, written without Pillow; identical
requests answered from the renderings kept, within a byte budget."""

from __future__ import annotations

import io
import zlib

from PIL import Image

from qrplex.testing import decode
from qrplex_cloudinfinite.emulator import _render
from qrplex_cloudinfinite.emulator._render import Rendered, render


def test_png_is_one_bit_grayscale_and_decodes() -> None:
    rendered = render("render cache", 0, 301)
    image = Image.open(io.BytesIO(rendered.png))
    assert (image.mode, image.size) == ("1", (301, 301))
    assert decode(rendered.png) == "render cache"
    # Every row: filter byte 0, then ceil(301 / 8) bytes.
    idat = rendered.png.split(b"IDAT", 1)[1]
    assert len(zlib.decompressobj().decompress(idat)) == 301 * (1 + 38)
    ean = render("590123412345", 1, 250)
    assert Image.open(io.BytesIO(ean.png)).size == (250, ean.height)
    assert decode(ean.png) == "5901234123457"


def test_identical_requests_share_one_rendering() -> None:
    first = render("kept", 0, 200)
    assert render("kept", 0, 200) is first
    other_width = render("kept", 0, 201)
    assert other_width is not first
    assert other_width.width == 201
    assert _render.cached("kept", 0, 200) is first
    assert _render.cached("never rendered", 0, 200) is None


def test_the_renderings_kept_stay_within_their_budget() -> None:
    recent = _render._Recent(budget=4000)
    for index in range(50):
        recent.put(("c", 0, index), Rendered(b"x" * 200, 1, 1, 1))
    assert recent._size <= 4000
    assert recent.get(("c", 0, 49)) is not None  # the newest are kept
    assert recent.get(("c", 0, 0)) is None  # the oldest went first
    recent.put(("big", 0, 1), Rendered(b"x" * 1000, 1, 1, 1))
    assert recent.get(("big", 0, 1)) is None  # larger than a sixteenth: never kept
