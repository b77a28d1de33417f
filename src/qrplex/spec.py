"""The facts about symbols that the core, every backend, the conformance kit and the docs share.

This module is the one public source of them; a backend imports what it needs from here (never
from a ``qrplex._*`` module) so that it draws exactly what the core checked:

* **Symbologies and formats**: :data:`SYMBOLOGIES` (the core's nine: name, title, dimension,
  quiet zones), :data:`GS1_SYMBOLOGIES` (GS1-128, which the core also checks and registers;
  its content is a GS1 element string, see :mod:`qrplex.gs1`), :func:`symbology_spec`,
  :func:`symbologies` (the core's and those plugins register through the
  ``qrplex_register_symbologies`` hook, with their content rules and module counts),
  :data:`MEDIA_TYPES`, :data:`FORMATS`, :data:`REQUEST_FORMATS`.
* **Sizes**: :data:`MAX_WIDTH`, :data:`MAX_HEIGHT`; :func:`symbol_modules` and
  :func:`minimum_width` for a request.
* **The QR charset policy**, as functions: :func:`segment_for` (mode, ECI, charset of a
  content) and :func:`plan_qr` (the :class:`QrPlan`: version, mode and ECI of the symbol a
  content needs at an error level). The core plans every QR and Micro QR request with it and
  hands the plan to the backend in :attr:`qrplex.CodeRequest.qr`.
* **QR and Micro QR capacity**: :func:`capacity_bits`, :func:`data_bits`, :func:`fit`,
  :func:`max_length`, :data:`QR_LEVELS`, :data:`MICRO_QR_LEVELS`,
  :data:`ALPHANUMERIC_CHARS`.
* **Linear symbologies**: :func:`gtin_check_digit`, :data:`CODE39_CHARS`,
  :func:`code128_values` and :func:`code128_modules` (the Code 128 encodation the core counts
  widths with; ``fnc1=True`` for GS1-128: FNC1 after the start, and for each ``"\\x1d"``),
  :data:`GS1_128_MAX_CHARACTERS`.
* **Image sniffing**: :func:`sniff_media_type`, :func:`png_size`, :func:`jpeg_size`,
  :func:`svg_size`, :func:`read_header` (media type and size from the header alone) and
  :func:`inspect_image` (the whole check the core makes on every backend's output).

>>> from qrplex import spec
>>> plan = spec.plan_qr("Grüße", "M")
>>> (plan.version, plan.mode, plan.eci)
(1, 'byte', 3)
>>> spec.gtin_check_digit("590123412345")
'7'
>>> spec.SYMBOLOGIES["ean13"].quiet_left
11

``import qrplex`` does not import this module; ``qrplex.spec`` (or ``from qrplex import
spec``) does, and it is light (no backend, no plugin discovery).
"""

from __future__ import annotations

from ._code128 import code128_modules, code128_values
from ._inspection import (
    ImageDefectError,
    ImageFacts,
    inspect_image,
    jpeg_size,
    png_size,
    read_header,
    sniff_media_type,
    svg_size,
)
from ._qr_capacity import (
    ALPHANUMERIC_CHARS,
    MICRO_QR_LEVELS,
    QR_LEVELS,
    Level,
    Mode,
    QrPlan,
    Segment,
    capacity_bits,
    data_bits,
    fit,
    max_length,
    plan_qr,
    segment_for,
)
from ._symbologies import (
    CODE39_CHARS,
    FORMATS,
    MEDIA_TYPES,
    ContentRule,
    Dimension,
    ModuleCount,
    Symbology,
    gtin_check_digit,
)
from ._validation import CORE_SYMBOLOGIES as SYMBOLOGIES
from ._validation import (
    DEFAULT_ERROR_LEVEL,
    GS1_128_MAX_CHARACTERS,
    MAX_HEIGHT,
    MAX_WIDTH,
    REQUEST_FORMATS,
    minimum_width,
    registered_symbologies,
    symbol_modules,
)
from ._validation import GS1_CORE_SYMBOLOGIES as GS1_SYMBOLOGIES

__all__ = [
    "ALPHANUMERIC_CHARS",
    "CODE39_CHARS",
    "DEFAULT_ERROR_LEVEL",
    "FORMATS",
    "GS1_128_MAX_CHARACTERS",
    "GS1_SYMBOLOGIES",
    "MAX_HEIGHT",
    "MAX_WIDTH",
    "MEDIA_TYPES",
    "MICRO_QR_LEVELS",
    "QR_LEVELS",
    "REQUEST_FORMATS",
    "SYMBOLOGIES",
    "ContentRule",
    "Dimension",
    "ImageDefectError",
    "ImageFacts",
    "Level",
    "Mode",
    "ModuleCount",
    "QrPlan",
    "Segment",
    "Symbology",
    "capacity_bits",
    "code128_modules",
    "code128_values",
    "data_bits",
    "fit",
    "gtin_check_digit",
    "inspect_image",
    "jpeg_size",
    "max_length",
    "minimum_width",
    "plan_qr",
    "png_size",
    "read_header",
    "segment_for",
    "sniff_media_type",
    "svg_size",
    "symbol_modules",
    "symbologies",
    "symbology_spec",
]


def symbology_spec(name: str) -> Symbology:
    """The core's :class:`Symbology` called ``name`` (one of the nine, or GS1-128), with its
    options and content rule (``KeyError`` if the core has none by that name;
    :func:`symbologies` has the plugins' too)."""
    found = SYMBOLOGIES.get(name) or GS1_SYMBOLOGIES.get(name)
    if found is None:
        raise KeyError(name)
    return found


def symbologies() -> dict[str, Symbology]:
    """The symbologies in effect, by name: the core's nine and GS1-128 (with their content
    rules and module counts), then those installed plugins register, in order. Loads the plugins on
    first use. A name two plugins register differently is left out (a request for it raises
    :class:`qrplex.PluginError` naming both)."""
    return registered_symbologies()
