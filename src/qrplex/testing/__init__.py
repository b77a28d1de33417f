"""Test helpers for qrplex and for plugin authors (install ``qrplex[testing]``).

* :func:`decode` / :func:`decode_all` / :func:`read`: read codes back from image bytes with
  zxing-cpp, normalized to what the symbol means by its standard.
* :mod:`qrplex.testing.strategies`: hypothesis strategies of valid and invalid requests.
* :class:`BackendConformance`: a pytest base class of contract tests for a backend.
* :func:`inspect_image`: the real media type and size of image bytes.
* The pytest plugin :mod:`qrplex.testing.pytest_plugin` (``qrplex_decode``,
  ``qrplex_client_factory`` fixtures) is registered automatically.

Importing this package is cheap; zxing-cpp, Pillow, hypothesis and pytest load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# Decoding is shared with the core's verify=True, so it lives in the core (qrplex._decoding).
from .._decoding import Reading, UnreadableImageError, decode, decode_all, read, read_one
from .._images import ImageInfo, inspect_image, rasterize_svg

if TYPE_CHECKING:
    from ._conformance import BackendConformance
    from .strategies import GenerateCall, InvalidCase, expected_text

__all__ = [
    "BackendConformance",
    "GenerateCall",
    "ImageInfo",
    "InvalidCase",
    "Reading",
    "UnreadableImageError",
    "decode",
    "decode_all",
    "expected_text",
    "inspect_image",
    "rasterize_svg",
    "read",
    "read_one",
]

_LAZY = {
    "BackendConformance": "._conformance",
    "GenerateCall": ".strategies",
    "InvalidCase": ".strategies",
    "expected_text": ".strategies",
}


def __getattr__(name: str) -> Any:
    # pytest and hypothesis are needed only by the conformance tests and the strategies.
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
