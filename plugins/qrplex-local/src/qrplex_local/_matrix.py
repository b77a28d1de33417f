"""The module matrix a symbol is drawn from, and the dispatch to the right encoder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from qrplex import CodeRequest
from qrplex.errors import UnsupportedError

__all__ = ["LINEAR_SYMBOLOGIES", "MATRIX_SYMBOLOGIES", "ModuleMatrix", "build_matrix"]

MATRIX_SYMBOLOGIES: Final = frozenset({"qr", "microqr"})
"""The 2D symbologies, encoded with segno (:mod:`qrplex_local._qr`)."""

LINEAR_SYMBOLOGIES: Final = frozenset(
    {"ean13", "ean8", "upca", "isbn13", "code128", "code39", "itf", "gs1-128"}
)
"""The 1D symbologies, encoded with python-barcode (:mod:`qrplex_local._linear`)."""


@dataclass(frozen=True, slots=True)
class ModuleMatrix:
    """A symbol as modules, without any quiet zone.

    Attributes:
        rows: one ``bytes`` per module row, one byte per module: 1 dark, 0 light. A linear
            barcode has exactly one row, whose bars span the height of the image.
        dimension: 2 for a matrix code, 1 for a linear barcode.
    """

    rows: tuple[bytes, ...]
    dimension: Literal[1, 2]

    @property
    def width(self) -> int:
        """The symbol width in modules (quiet zones excluded)."""
        return len(self.rows[0])


def build_matrix(request: CodeRequest) -> ModuleMatrix:
    """Encode ``request.content`` in ``request.symbology`` as a :class:`ModuleMatrix`.

    The content is checked again before it is encoded: both libraries silently "fix" some
    contents instead of rejecting them, and whatever would not decode to exactly
    ``request.content`` is rejected instead.

    Raises:
        InvalidContentError: the content cannot be carried exactly (bad characters, wrong
            length or check digit, over capacity, ...).
        InvalidOptionError: an option value does not apply (unknown error level, ...).
        UnsupportedError: the symbology is not one this backend knows.
    """
    if request.symbology in MATRIX_SYMBOLOGIES:
        from ._qr import qr_rows

        return ModuleMatrix(rows=qr_rows(request), dimension=2)
    if request.symbology in LINEAR_SYMBOLOGIES:
        from ._linear import linear_row

        return ModuleMatrix(rows=(linear_row(request),), dimension=1)
    raise UnsupportedError(f"the local backend cannot encode {request.symbology!r}")
