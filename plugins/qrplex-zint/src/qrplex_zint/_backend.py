"""The ``zint`` backend: libzint encodes, this package draws, in-process."""

from __future__ import annotations

from typing import ClassVar, Final

from qrplex import Backend, Capabilities, CodeRequest, Rendering
from qrplex.errors import UnsupportedError
from qrplex.spec import GS1_SYMBOLOGIES, MEDIA_TYPES, Symbology, symbologies
from qrplex.spec import SYMBOLOGIES as CORE_SYMBOLOGIES

from ._layout import layout
from ._raster import to_png, to_svg
from ._symbologies import PLUGIN_SYMBOLOGIES
from .plugin import ZINT

__all__ = ["INLINE_CONTENT", "SERVED", "ZintBackend"]

INLINE_CONTENT: Final = 200
"""Up to this many characters (and the default or a moderate width), ``arender`` runs
inline: libzint and the writer take well under a millisecond; larger requests go to a worker
thread so the event loop stays responsive."""

_INLINE_WIDTH: Final = 1000
SERVED: Final = ZINT.capabilities.symbologies
"""What it serves. libzint (and the pydoc it imports, ~15 ms) loads on the first render, not
when qrplex discovers the plugin."""
_OWN: Final[dict[str, Symbology]] = {spec.name: spec for spec in PLUGIN_SYMBOLOGIES}


def _spec(name: str) -> Symbology:
    """The symbology's facts: the core's, this plugin's, else the registered ones."""
    found = CORE_SYMBOLOGIES.get(name) or GS1_SYMBOLOGIES.get(name) or _OWN.get(name)
    return found if found is not None else symbologies()[name]


class ZintBackend(Backend):
    """Renders every request in-process with libzint, with no network and no settings.

    It serves the core's nine symbologies and Data Matrix, PDF417, Aztec, GS1-128, GS1
    DataMatrix, GS1 QR Code and GS1 DataBar Expanded, as PNG or SVG, with the same geometry
    as the ``local`` backend (exact width, quiet zones in the leftover pixels, no text under
    bars): see :mod:`qrplex_zint._layout`. QR codes are the core's plan (version, error level,
    ECI); libzint picks the segment modes within it.
    """

    name: ClassVar[str] = "zint"
    capabilities: ClassVar[Capabilities] = ZINT.capabilities

    def render(self, request: CodeRequest) -> Rendering:
        """Render ``request`` as PNG or SVG.

        Raises:
            InvalidContentError: libzint cannot encode the content after all.
            UnsupportedError: a symbology or format it does not serve.
        """
        if request.format not in self.capabilities.formats:
            raise UnsupportedError(f"the zint backend writes png or svg, not {request.format!r}")
        if request.symbology not in SERVED:
            raise UnsupportedError(f"the zint backend cannot encode {request.symbology!r}")
        from ._matrix import encode

        spec = _spec(request.symbology)
        matrix = encode(request.symbology, request.content, request.options, request.qr)
        height = request.options.get("height") if spec.dimension == 1 else None
        lay = layout(spec, matrix, request.width, height)
        data = to_png(matrix, lay) if request.format == "png" else to_svg(matrix, lay)
        return Rendering(data, MEDIA_TYPES[request.format], lay.width, lay.height)

    async def arender(self, request: CodeRequest) -> Rendering:
        """Async :meth:`render`: inline for small requests, else in a worker thread."""
        if len(request.content) <= INLINE_CONTENT and (request.width or 0) <= _INLINE_WIDTH:
            return self.render(request)
        return await super().arender(request)
