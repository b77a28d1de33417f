"""The text policy of the plugin's 2D symbologies (Data Matrix, PDF417, Aztec).

The same as the core's QR charset policy (:func:`qrplex.spec.segment_for`): ASCII as plain
bytes (no ECI); other ISO-8859-1 text as Latin-1 bytes behind ECI 3; anything else as UTF-8
behind ECI 26. A reader then reads back exactly the text that was asked for: without an ECI,
Data Matrix and Aztec bytes are ISO-8859-1 by their standards, but PDF417's are code page 437,
so only ASCII goes without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from qrplex.errors import InvalidContentError

__all__ = ["Payload", "text_payload"]


@dataclass(frozen=True, slots=True)
class Payload:
    """The bytes handed to libzint, and the ECI designator written before them (or None)."""

    data: bytes
    eci: int | None


def text_payload(content: str, title: str) -> Payload:
    """The :class:`Payload` of ``content`` under the policy.

    Raises:
        InvalidContentError: the text has a lone surrogate (no charset can carry it).
    """
    if content.isascii():
        return Payload(content.encode("ascii"), None)
    try:
        return Payload(content.encode("latin-1"), 3)
    except UnicodeEncodeError:
        pass
    try:
        return Payload(content.encode("utf-8"), 26)
    except UnicodeEncodeError as error:
        bad = content[error.start]
        raise InvalidContentError(
            f"a {title} cannot carry U+{ord(bad):04X} (a lone surrogate, not a character) at "
            f"position {error.start}: give text that can be written as UTF-8"
        ) from None
