"""A PNG's chunks and CRCs are walked once per image, not once per check: a backend reading
its image's header (``qrplex.spec.read_header``) and the core's check of the same bytes
(``inspect_image``) share the walk; mutable buffers are walked every time."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from qrplex import _inspection
from qrplex._inspection import ImageDefectError, inspect_image, read_header


def png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (side, side), 255).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the chunk walks (the real walk still runs)."""
    counted: list[int] = []
    walk = _inspection._walk_png

    def counting(data: bytes) -> object:
        counted.append(len(data))
        return walk(data)

    monkeypatch.setattr(_inspection, "_walk_png", counting)
    return counted


def test_reading_the_header_then_checking_the_image_walks_it_once(walks: list[int]) -> None:
    data = png(40)
    assert read_header(data).width == 40
    assert inspect_image(data, max_side=100).width == 40
    assert len(walks) == 1
    other = png(41)  # another image: walked again, and the first is not mistaken for it
    assert inspect_image(other, max_side=100).width == 41
    assert len(walks) == 2


def test_equal_bytes_in_another_object_are_walked_again(walks: list[int]) -> None:
    data = png(40)
    read_header(data)
    inspect_image(bytes(bytearray(data)), max_side=100)
    assert len(walks) == 2


def test_a_mutable_buffer_is_walked_every_time(walks: list[int]) -> None:
    buffer = bytearray(png(40))
    read_header(buffer)  # type: ignore[arg-type]  # callers may pass any buffer
    buffer[20] ^= 0xFF  # break IHDR's CRC
    with pytest.raises(ImageDefectError, match="CRC"):
        inspect_image(buffer, max_side=100)  # type: ignore[arg-type]
    assert len(walks) == 2
