"""Checks the core makes on what a backend returns before it reaches the user.

Every backend's output goes through :func:`check_rendering`, whatever the backend says about
it: the bytes must be a whole image of the requested format (:func:`qrplex.spec.inspect_image`), its
own header must give the size the backend reported, and that size must be one the request
can have (the requested width; square for a matrix code; the requested height for a linear
barcode; no side over the largest width or height qrplex accepts).
"""

from __future__ import annotations

from collections.abc import Mapping

from ._inspection import ImageDefectError, inspect_image
from ._model import CodeRequest, Rendering
from ._symbologies import MEDIA_TYPES, Symbology
from ._validation import MAX_HEIGHT, MAX_WIDTH, registered_symbologies
from .errors import BadResponseError

__all__ = ["check_rendering"]

_MAX_SIDE = max(MAX_WIDTH, MAX_HEIGHT)


def check_rendering(
    rendering: Rendering,
    request: CodeRequest,
    backend: str,
    symbologies: Mapping[str, Symbology] | None = None,
) -> None:
    """Raise :class:`BadResponseError` unless ``rendering`` is what ``request`` asked for.

    ``symbologies`` are those in effect for the request (a client's own registry's); by
    default, those of the installed plugins.
    """
    labelled = rendering.media_type
    try:
        facts = inspect_image(rendering.data, max_side=_MAX_SIDE)
    except ImageDefectError as defect:
        raise BadResponseError(
            f"returned a broken or unrecognised image labelled {labelled}: {defect}",
            backend=backend,
        ) from None
    if facts.media_type != labelled:
        raise BadResponseError(
            f"returned {facts.media_type} but labelled it {labelled}", backend=backend
        )
    expected = MEDIA_TYPES.get(request.format)
    if facts.media_type != expected:
        raise BadResponseError(
            f"returned {facts.media_type} for a {request.format} request", backend=backend
        )
    if (facts.width, facts.height) != (rendering.width, rendering.height):
        raise BadResponseError(
            f"said its image is {rendering.width}x{rendering.height} px "
            f"but it is {facts.width}x{facts.height} px",
            backend=backend,
        )
    table = symbologies if symbologies is not None else registered_symbologies()
    wrong = _size_mismatch(facts.width, facts.height, request, table.get(request.symbology))
    if wrong is not None:
        raise BadResponseError(f"returned an image {wrong}", backend=backend)


def _size_mismatch(
    width: int, height: int, request: CodeRequest, spec: Symbology | None
) -> str | None:
    """What is wrong with a ``width`` x ``height`` image for ``request``, or ``None``."""
    if request.width is not None and width != request.width:
        return f"{width} px wide for a request of {request.width} px"
    if width > MAX_WIDTH:
        return f"{width} px wide, over the largest width of {MAX_WIDTH} px"
    if spec is not None and spec.dimension == 2:
        if height != width:
            return f"of {width}x{height} px for a {spec.title}, which is square"
        return None
    wanted = request.options.get("height")
    if isinstance(wanted, int) and height != wanted:
        return f"{height} px high for a request of {wanted} px"
    if height > MAX_HEIGHT:
        return f"{height} px high, over the largest height of {MAX_HEIGHT} px"
    return None
