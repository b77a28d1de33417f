"""The ``zint`` backend and the symbologies its plugin registers, through a real client.

Images are read back with zxing-cpp (``qrplex.testing.decode``) and measured in their pixels;
the plugin is found through its installed entry point, as a third party's would be.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from PIL import Image

import qrplex
import qrplex_zint.plugin
from qrplex import spec
from qrplex.testing import decode
from qrplex_zint import ZintBackend

URL = "https://example.com/?q=1"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[qrplex.Client]:
    """The zint backend alone, isolated from the developer's environment and config files."""
    with qrplex.Client(
        backend="zint", fallback=[], environ={}, cwd=tmp_path, user_config=False
    ) as client:
        yield client


def _dark_box(data: bytes) -> tuple[int, int, int, int]:
    """The bounding box of the dark pixels (left, top, right, bottom)."""
    image = Image.open(io.BytesIO(data)).convert("L").point(lambda v: 255 if v < 128 else 0)
    box = image.getbbox()
    assert box is not None
    return box


def test_entry_point_is_the_plugin_module() -> None:
    (entry,) = entry_points(group="qrplex", name="zint")
    assert entry.value == "qrplex_zint.plugin"
    assert entry.load() is qrplex_zint.plugin


def test_it_serves_every_symbology_local_serves() -> None:
    local = qrplex.Client(backend="local", environ={}, user_config=False).registry.get("local")
    assert local.capabilities.symbologies <= ZintBackend.capabilities.symbologies
    assert {"datamatrix", "pdf417", "aztec", "gs1-datamatrix", "gs1-qr"} <= (
        ZintBackend.capabilities.symbologies
    )
    assert ZintBackend.capabilities.network is False


def test_registered_symbologies_are_public_and_listed() -> None:
    table = spec.symbologies()
    for name in ("datamatrix", "pdf417", "aztec", "gs1-datamatrix", "gs1-qr"):
        assert table[name].dimension == 2
    assert table["gs1-databar-expanded"].dimension == 1
    assert table["datamatrix"].allowed_options == ("shape",)


@pytest.mark.parametrize(
    ("symbology", "content"),
    [
        ("datamatrix", "Grüße, 世界 \\000026"),
        ("datamatrix", "\x00\x7fÿ"),
        ("pdf417", "Grüße, 世界"),
        ("pdf417", "ab\\c\x01"),
        ("aztec", "Grüße, 世界"),
    ],
)
@pytest.mark.parametrize("format", ["png", "svg"])
def test_2d_text_reads_back_exactly(
    client: qrplex.Client, symbology: str, content: str, format: str
) -> None:
    image = client.generate(content, symbology=symbology, format=format, width=333)
    assert (image.backend, image.width, image.height) == ("zint", 333, 333)
    assert decode(image.data) == content


def test_qr_is_the_planned_version_at_the_requested_width(client: qrplex.Client) -> None:
    request_width = spec.plan_qr(URL, "H").modules + 8  # the minimum: one pixel a module
    image = client.generate(URL, error="H", width=request_width)
    assert image.width == request_width
    left, top, right, _ = _dark_box(image.data)
    assert right - left == spec.plan_qr(URL, "H").modules  # the plan's version, 1 px modules
    assert (left, top) == (4, 4)  # exactly the 4-module quiet zone
    assert decode(image.data, "qr") == URL


def test_qr_is_the_planned_version_where_libzint_would_pick_a_smaller_one(
    client: qrplex.Client,
) -> None:
    content = "a" + "1" * 60  # one byte segment: version 4; libzint's own modes fit version 3
    plan = spec.plan_qr(content, "M")
    assert plan.version == 4
    image = client.generate(content, width=plan.modules + 8)
    left, _, right, _ = _dark_box(image.data)
    assert right - left == plan.modules
    assert decode(image.data, "qr") == content


@pytest.mark.parametrize(
    ("symbology", "content", "eci"),
    [
        ("datamatrix", "Grüße", b"\\000003"),
        ("pdf417", "Grüße", b"\\000003"),
        ("aztec", "世界", b"\\000026"),
        ("pdf417", "plain ASCII", None),
    ],
)
def test_2d_text_carries_the_policys_eci(
    client: qrplex.Client, symbology: str, content: str, eci: bytes | None
) -> None:
    import zxingcpp

    image = client.generate(content, symbology=symbology)
    picture = Image.open(io.BytesIO(image.data))
    (found,) = zxingcpp.read_barcodes(picture, text_mode=zxingcpp.TextMode.HexECI)
    stream = bytes.fromhex(found.text)
    if eci is None:
        assert b"\\0000" not in stream
    else:
        assert stream[3:].startswith(eci)


def test_leftover_pixels_widen_the_quiet_zones(client: qrplex.Client) -> None:
    image = client.generate("hello", symbology="aztec", width=200)
    left, _, right, _ = _dark_box(image.data)
    modules = spec.symbologies()["aztec"].modules
    assert modules is not None
    side = modules("hello", {})
    scale = 200 // (side + 2)
    assert right - left == side * scale
    assert left >= scale
    assert 200 - right >= scale
    assert left - (200 - right) in (0, -1)


def test_barcodes_have_no_text_and_the_default_height(client: qrplex.Client) -> None:
    image = client.generate("590123412345", symbology="ean13", width=339)  # 3 px a module
    picture = Image.open(io.BytesIO(image.data)).convert("L")
    assert image.height == max(50 * 3, round(0.15 * 339)) + 2 * 3
    column = [picture.getpixel((33 + 1, y)) for y in range(image.height)]  # the first bar
    assert column[:3] == [255] * 3
    assert column[3:-3] == [0] * (image.height - 6)
    assert column[-3:] == [255] * 3  # nothing drawn under the bars
    assert decode(image.data, "ean13") == "5901234123457"


def test_height_option_is_exact(client: qrplex.Client) -> None:
    image = client.generate("CODE-39", symbology="code39", height=77, format="svg")
    assert image.height == 77
    assert decode(image.data, "code39") == "CODE-39"


def test_code39_wide_elements_are_three_modules(client: qrplex.Client) -> None:
    # The core counts 16 modules a character (with its gap): the symbol must be that wide.
    image = client.generate("A", symbology="code39", width=48 + 20)
    left, _, right, _ = _dark_box(image.data)
    assert right - left == 3 * 16 - 1


def test_code128_beyond_libzints_limit(client: qrplex.Client) -> None:
    content = "Grüße/0123456789/" * 12  # well over libzint's 102 symbol characters
    image = client.generate(content, symbology="code128")
    assert decode(image.data, "code128") == content


@pytest.mark.parametrize("content", ["A", "hello world"])  # "A": the smallest symbol is square
@pytest.mark.parametrize("shape", ["square", "rectangle"])
def test_datamatrix_shape(client: qrplex.Client, shape: str, content: str) -> None:
    image = client.generate(content, symbology="datamatrix", shape=shape, width=300)
    left, top, right, bottom = _dark_box(image.data)
    if shape == "square":
        assert right - left == bottom - top
    else:
        assert right - left > 2 * (bottom - top)  # 8x32 or so, in a square image
    assert decode(image.data) == content


def test_a_bad_shape_is_an_option_error(client: qrplex.Client) -> None:
    with pytest.raises(qrplex.InvalidOptionError, match="'square' or 'rectangle'"):
        client.generate("x", symbology="datamatrix", shape="round")


def test_a_lone_surrogate_is_a_content_error(client: qrplex.Client) -> None:
    with pytest.raises(qrplex.InvalidContentError, match="U\\+D800"):
        client.generate("a\ud800", symbology="datamatrix")


async def test_agenerate_gives_the_same_bytes(client: qrplex.Client) -> None:
    for symbology, content in (("qr", URL), ("pdf417", "x" * 500)):
        image = await client.agenerate(content, symbology=symbology, format="svg")
        assert image.data == client.generate(content, symbology=symbology, format="svg").data


def test_default_width_is_ten_pixels_a_module(client: qrplex.Client) -> None:
    image = client.generate(URL)
    assert image.width == 10 * (spec.plan_qr(URL, "M").modules + 8)


def test_the_backend_serves_what_the_encoder_knows() -> None:
    from qrplex_zint._backend import SERVED
    from qrplex_zint._matrix import SYMBOLOGIES

    assert SERVED == SYMBOLOGIES == ZintBackend.capabilities.symbologies


def test_discovery_does_not_load_libzint(tmp_path: Path) -> None:
    """``qrplex backends`` (every plugin loaded) leaves libzint, and the pydoc it imports,
    for the first render: start-up stays as fast as without the plugin."""
    import subprocess
    import sys

    code = (
        "import sys, qrplex; qrplex.Client().backends(); qrplex.spec.symbologies();"
        "assert 'zint' not in sys.modules, 'discovery imported zint';"
        "qrplex.generate('x', symbology='datamatrix'); assert 'zint' in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
