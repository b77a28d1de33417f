"""``verify=True``: decode the produced image and insist it reads back as the content."""

from __future__ import annotations

from ._model import CodeRequest, Rendering
from .errors import InvalidOptionError, VerificationError

__all__ = ["check_verifiable", "verify_rendering"]


def check_verifiable(request: CodeRequest) -> None:
    """Raise before any backend runs if ``verify=True`` cannot be honoured."""
    if request.format != "png":
        raise InvalidOptionError(
            f"verify=True decodes the image, which needs format='png' (got {request.format!r})"
        )
    try:
        import zxingcpp  # noqa: F401
        from PIL import Image  # noqa: F401
    except ImportError:
        raise InvalidOptionError(
            "verify=True needs a decoder: pip install 'qrplex[verify]' (zxing-cpp and Pillow)"
        ) from None


def verify_rendering(rendering: Rendering, request: CodeRequest, backend: str) -> None:
    """Raise :class:`VerificationError` unless the image decodes to exactly the content."""
    from ._decoding import decode

    try:
        text = decode(rendering.data, symbology=request.symbology)
    except Exception as error:  # no code found, or an image the decoder cannot open
        raise VerificationError(f"image does not read back: {error}", backend=backend) from None
    if text != request.content:
        raise VerificationError(
            f"image reads back as {text!r}, not {request.content!r}", backend=backend
        )
