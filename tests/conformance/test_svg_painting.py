"""The kit's SVG painter draws what a renderer shows, or refuses, naming the construct; and
the pixel checks that go with it (contrast, opacity, finder polarity, bar height)."""

from __future__ import annotations

import io

import pytest
import segno
from PIL import Image

from qrplex._images import explain_svg, paint_svg, rasterize_svg
from qrplex.testing._symbol_checks import (
    bar_height_problem,
    contrast_problem,
    finder_problem,
    measure_quiet_zones,
    to_grey,
    transparency_problem,
)

_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'


def _svg(body: str, head: str = _HEAD) -> bytes:
    return f"{head}{body}</svg>".encode()


def _pixels(svg: bytes) -> list[int]:
    image = explain_svg(svg)
    assert not isinstance(image, str), image
    return list(image.tobytes())


@pytest.mark.parametrize(
    ("body", "grey"),
    [
        ('<rect width="4" height="4"/>', 0),  # SVG's default fill is black
        ('<rect width="4" height="4"/><rect width="4" height="4" fill="#fff"/>', 255),
        ('<rect width="4" height="4" fill="#f4f4f4"/>', 244),
        ('<rect width="4" height="4" style="fill: rgb(110, 110, 110)"/>', 110),
        ('<rect width="4" height="4" fill="#000" style="fill:white"/>', 255),
        ('<g fill="#969696"><rect width="4" height="4"/></g>', 150),
        ('<rect width="4" height="4" fill="none"/>', 255),  # unpainted: white behind
        ('<path d="M0 0h4v4h-4z" fill="#000" stroke="#fff" stroke-width="10"/>', 255),
    ],
)
def test_shapes_are_painted_in_document_order_with_their_grey(body: str, grey: int) -> None:
    assert set(_pixels(_svg(body))) == {grey}


@pytest.mark.parametrize(
    ("body", "construct"),
    [
        ('<style>rect { fill: #fff }</style><rect width="4" height="4"/>', "a style element"),
        ("<defs/><rect width='4' height='4'/>", "a defs element"),
        ('<rect width="4" height="4" opacity="0.5"/>', "opacity='0.5' on a rect"),
        ('<rect width="4" height="4" style="fill-opacity:.2"/>', "fill-opacity='.2'"),
        ('<rect width="4" height="4" fill="url(#g)"/>', "the paint 'url(#g)'"),
        ('<rect width="4" height="4" fill="#0008"/>', "the translucent colour '#0008'"),
        ('<rect width="4" height="4" transform="rotate(45)"/>', "transform 'rotate(45)'"),
        ('<rect width="4" height="4" visibility="hidden"/>', "'visibility' attribute"),
        ('<rect width="4" height="4" rx="1"/>', "rx='1' on a rect"),
        ('<use href="#a"/>', "a use element"),
        ('<rect width="4" height="4" filter="url(#f)"/>', "'filter' attribute"),
    ],
)
def test_what_the_painter_does_not_understand_is_refused_by_name(body: str, construct: str) -> None:
    explained = explain_svg(_svg(body))
    assert isinstance(explained, str)
    assert construct in explained
    assert rasterize_svg(_svg(body)) is None


def test_a_letterboxed_viewbox_is_refused() -> None:
    head = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4" viewBox="0 0 2 4">'
    explained = explain_svg(_svg('<rect width="2" height="4"/>', head))
    assert isinstance(explained, str)
    assert "another aspect ratio" in explained


def test_what_no_shape_covers_is_transparent() -> None:
    painted = paint_svg(_svg('<rect width="2" height="4"/>'))
    assert not isinstance(painted, str)
    problem = transparency_problem(painted)
    assert problem is not None
    assert problem.startswith("transparency: 8 of 16 pixels are not opaque (alpha down to 0)")
    background = '<rect width="4" height="4" fill="#fff"/>'
    covered = paint_svg(_svg(background + '<rect width="2" height="4"/>'))
    assert not isinstance(covered, str)
    assert transparency_problem(covered) is None


def _qr_image(dark: int, light: int) -> Image.Image:
    out = io.BytesIO()
    segno.make("HELLO", micro=False).save(out, kind="png", scale=4, border=4)
    mask = Image.open(out).convert("L")
    return mask.point(lambda value: dark if value < 128 else light)


@pytest.mark.parametrize(
    ("dark", "light", "passes"),
    [(0, 255, True), (60, 170, True), (110, 150, False), (0, 90, False), (244, 255, False)],
)
def test_symbol_contrast_needs_forty_percent(dark: int, light: int, passes: bool) -> None:
    problem = contrast_problem(_qr_image(dark, light))
    assert (problem is None) == passes, problem
    if not passes:
        assert problem is not None
        assert problem.startswith(f"symbol contrast {(light - dark) / 255:.0%} ")


def _inverted_in_margin(frame: int) -> Image.Image:
    symbol = to_grey(_qr_image(255, 0))  # light modules on a dark field, 4-module zone
    canvas = Image.new("L", (symbol.width + 40 + 8 * frame, symbol.height + 40 + 8 * frame), 255)
    if frame:
        canvas.paste(0, (20, 20, canvas.width - 20, canvas.height - 20))
        canvas.paste(255, (24, 24, canvas.width - 24, canvas.height - 24))
    canvas.paste(symbol, (20 + 4 * frame, 20 + 4 * frame))
    return canvas


@pytest.mark.parametrize("frame", [0, 1])
def test_an_inverted_symbol_in_a_light_margin_is_named_not_a_crash(frame: int) -> None:
    image = _inverted_in_margin(frame)
    measure_quiet_zones(image, 2)  # no ZeroDivisionError
    problem = finder_problem(image)
    assert problem is not None
    assert problem.startswith("polarity: the symbol's top-left corner is not a finder pattern")
    assert finder_problem(_qr_image(0, 255)) is None


def _bars(height: int, module: int = 3) -> Image.Image:
    pattern = [1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1] * 4
    image = Image.new("L", ((len(pattern) + 20) * module, height), 255)
    for index, dark in enumerate(pattern):
        if dark:
            left = (10 + index) * module
            image.paste(0, (left, 0, left + module, height))
    return image


@pytest.mark.parametrize(("height", "passes"), [(2, False), (25, False), (26, True), (300, True)])
def test_bars_need_a_scannable_height(height: int, passes: bool) -> None:
    # 56 modules of 3 px: 168 px wide, so 15 % is 25.2 px, so 26 (less than 25 modules, 75 px).
    problem = bar_height_problem(_bars(height))
    assert (problem is None) == passes, problem
