"""Reads codes back from images with zxing-cpp (install ``qrplex[verify]``)."""

from __future__ import annotations

import io

__all__ = ["decode", "decode_all"]


def _image(data: bytes) -> object:
    try:
        from PIL import Image
    except ImportError as error:  # pragma: no cover - depends on the environment
        message = "decoding needs Pillow and zxing-cpp: pip install 'qrplex[verify]'"
        raise ImportError(message) from error
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def decode_all(data: bytes) -> list[str]:
    """The text of every code zxing-cpp finds in the image bytes (PNG or JPEG)."""
    import zxingcpp

    return [result.text for result in zxingcpp.read_barcodes(_image(data))]


def decode(data: bytes) -> str:
    """The text of the single code in the image.

    Raises:
        AssertionError: zxing-cpp found no code, or more than one.
    """
    found = decode_all(data)
    if len(found) != 1:
        raise AssertionError(f"expected one code in the image, zxing-cpp found {found!r}")
    return found[0]
