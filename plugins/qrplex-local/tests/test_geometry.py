"""Exact pixel geometry: widths, scale, quiet zones, square matrix codes, bar heights."""

from __future__ import annotations

from types import ModuleType

import pytest
from PIL import Image

from qrplex import spec
from qrplex.errors import InvalidOptionError
from qrplex_local import LocalBackend
from qrplex_local._geometry import DEFAULT_SCALE, layout

SYMBOLOGIES = {**spec.SYMBOLOGIES, **spec.GS1_SYMBOLOGIES}


def _quiet_modules(symbology: str) -> tuple[int, int]:
    spec = SYMBOLOGIES[symbology]
    return spec.quiet_left, spec.quiet_left if spec.dimension == 2 else spec.quiet_right


def _runs(row: list[object]) -> list[int]:
    lengths: list[int] = []
    for index, value in enumerate(row):
        if index and value == row[index - 1]:
            lengths[-1] += 1
        else:
            lengths.append(1)
    return lengths


def _check_symbol_pixels(kit: ModuleType, image: Image.Image, symbology: str) -> None:
    """The symbol sits at scale px a module, with at least the spec quiet zones all round."""
    width, height = image.size
    modules = kit.symbol_modules(kit.SAMPLES[symbology], symbology)
    quiet_left, quiet_right = _quiet_modules(symbology)
    scale = width // (modules + quiet_left + quiet_right)
    left, top, right, bottom = kit.dark_box(image)
    assert right - left == modules * scale  # the symbol starts and ends with a dark module
    assert left >= quiet_left * scale
    assert width - right >= quiet_right * scale
    if SYMBOLOGIES[symbology].dimension == 2:
        assert bottom - top == modules * scale
        assert top >= quiet_left * scale
        assert height - bottom >= quiet_left * scale
        # Same padding as left/right: the odd leftover pixel goes right and down.
        assert (top, height - bottom) == (left, width - right)
        assert width - right - left in (0, 1)
    rows = range(top, bottom, scale) if SYMBOLOGIES[symbology].dimension == 2 else [top]
    pixels = image.load()
    assert pixels is not None
    for y in rows:
        row: list[object] = [pixels[x, y] for x in range(left, right)]
        assert all(length % scale == 0 for length in _runs(row))


def test_default_scale(kit: ModuleType, sym: str) -> None:
    content = kit.SAMPLES[sym]
    rendering = kit.render(content, sym)
    spec = SYMBOLOGIES[sym]
    scale = DEFAULT_SCALE[spec.dimension]
    assert rendering.width == scale * kit.minimum_width(content, sym)
    image = kit.png_image(rendering.data)
    assert image.size == (rendering.width, rendering.height)
    left, _, right, _ = kit.dark_box(image)
    quiet_left, quiet_right = _quiet_modules(sym)
    assert (left, rendering.width - right) == (scale * quiet_left, scale * quiet_right)
    _check_symbol_pixels(kit, image, sym)


def test_default_sizes(kit: ModuleType) -> None:
    qr = kit.render("hello", "qr")  # version 1: 21 modules + 2 * 4
    assert (qr.width, qr.height) == (290, 290)
    ean = kit.render("4006381333931", "ean13")  # 95 modules + 11 + 7, 3 px each
    assert (ean.width, ean.height) == (339, 3 * 50 + 2 * 3)


@pytest.mark.parametrize("extra", [0, 1, 2, 3, 7, 17, 50, 99, 100, 101, 257, 1000])
@pytest.mark.parametrize("format", ["png", "svg"])
def test_exact_width(kit: ModuleType, sym: str, extra: int, format: str) -> None:
    content = kit.SAMPLES[sym]
    width = kit.minimum_width(content, sym) + extra
    rendering = kit.render(content, sym, format, width)
    assert rendering.width == width
    if SYMBOLOGIES[sym].dimension == 2:
        assert rendering.height == width
    image = kit.png_image(rendering.data) if format == "png" else kit.svg_image(rendering.data)
    assert image.size == (rendering.width, rendering.height)
    _check_symbol_pixels(kit, image, sym)


@pytest.mark.parametrize("width", [29, 30, 57, 58, 100, 290, 291, 999, 1000, 1001, 4099])
def test_qr_is_square_and_decodes_at_any_width(kit: ModuleType, width: int) -> None:
    rendering = kit.render("hello", "qr", width=width)
    assert (rendering.width, rendering.height) == (width, width)
    assert kit.decode(rendering.data, "qr") == ["hello"]


@pytest.mark.parametrize("format", ["png", "svg"])
def test_width_too_small_states_the_minimum(kit: ModuleType, sym: str, format: str) -> None:
    content = kit.SAMPLES[sym]
    minimum = kit.minimum_width(content, sym)
    with pytest.raises(InvalidOptionError, match=rf"minimum width is {minimum} px"):
        kit.render(content, sym, format, minimum - 1)
    assert kit.render(content, sym, format, minimum).width == minimum


@pytest.mark.parametrize("width", [0, -5, True, 12.5, "300"])
def test_width_must_be_a_positive_integer(kit: ModuleType, width: object) -> None:
    with pytest.raises(InvalidOptionError, match="width"):
        kit.render("hello", "qr", "png", width)


def test_linear_leftover_split_in_quiet_zone_ratio() -> None:
    # EAN-13: 95 modules, quiet zones 11 and 7; 1000 px -> scale 8, 240 px of quiet zone.
    lay = layout(SYMBOLOGIES["ean13"], 95, 1000)
    assert (lay.scale, lay.left, lay.width) == (8, 240 * 11 // 18, 1000)
    assert lay.left >= 11 * 8
    assert 1000 - lay.left - 95 * 8 >= 7 * 8


def test_matrix_leftover_split_evenly() -> None:
    lay = layout(SYMBOLOGIES["qr"], 21, 100)  # scale 3, 100 - 63 = 37 px: 18 left, 19 right
    assert (lay.scale, lay.left, lay.top, lay.width, lay.height) == (3, 18, 18, 100, 100)


LINEAR = sorted(s for s in LocalBackend.capabilities.symbologies if SYMBOLOGIES[s].dimension == 1)


@pytest.mark.parametrize("height", [1, 2, 8, 20, 37, 100, 1000])
@pytest.mark.parametrize("sym", LINEAR)
def test_height_option_is_the_image_height(kit: ModuleType, sym: str, height: int) -> None:
    content = kit.SAMPLES[sym]
    for format in ("png", "svg"):
        rendering = kit.render(content, sym, format, height=height)
        assert rendering.height == height
        image = (kit.png_image if format == "png" else kit.svg_image)(rendering.data)
        assert image.size == (rendering.width, height)
        _, top, _, bottom = kit.dark_box(image)
        scale = DEFAULT_SCALE[1]
        margin = min(scale, height // 8)
        assert (top, height - bottom) == (margin, margin)
    if height >= 8:
        texts = kit.decode(kit.render(content, sym, height=height).data, sym)
        assert texts in ([t] for t in kit.decoded_as(sym, content))


def test_default_height_grows_with_long_symbols(kit: ModuleType) -> None:
    content = "X" * 60
    rendering = kit.render(content, "code128")
    # 15 % of the width beats 50 modules for a symbol this long.
    assert rendering.height == round(0.15 * rendering.width) + 2 * 3
    assert rendering.height > 50 * 3 + 2 * 3


def test_bars_span_the_bar_height(kit: ModuleType) -> None:
    rendering = kit.render("4006381333931", "ean13", width=500, height=120)
    image = kit.png_image(rendering.data)
    left, top, right, bottom = kit.dark_box(image)
    assert (top, 120 - bottom) == (4, 4)  # scale 500 // 113 = 4: a one-module margin
    pixels = image.load()
    assert pixels is not None
    for x in range(left, right):
        column = {pixels[x, y] for y in range(top, bottom)}
        assert len(column) == 1  # every column is all bar or all space


@pytest.mark.parametrize("height", [0, -1, True, 2.5, "50"])
def test_height_must_be_a_positive_integer(kit: ModuleType, height: object) -> None:
    with pytest.raises(InvalidOptionError, match="height"):
        kit.render("4006381333931", "ean13", height=height)
