"""Checks of the Python API's own arguments (not the request: see ``_validation``).

A wrong type or value given to :class:`qrplex.Client` or its methods is a typed
:class:`~qrplex.QrplexError` naming the argument and what is allowed, never a ``TypeError``
or ``AttributeError`` from deep inside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from .errors import InvalidOptionError, InvalidRequestError

__all__ = [
    "MAX_CONCURRENCY",
    "MAX_PROCESSES",
    "backend_argument",
    "batch_items",
    "describe",
    "flag_argument",
    "item_arguments",
    "short_repr",
    "whole_number_argument",
]

MAX_CONCURRENCY: Final[int] = 1024
"""The most requests ``generate_many`` / ``agenerate_many`` keep in flight."""

MAX_PROCESSES: Final[int] = 256
"""The most worker processes ``generate_many(processes=...)`` starts."""

_RESERVED_KEYS: Final[frozenset[str]] = frozenset({"self"})


def describe(value: object, *, show_text: bool = True) -> str:
    """A short description of a value of the wrong type, for messages (``int 5``,
    ``str '8'``, ``list``). Text is shown only with ``show_text`` (a string given by mistake
    in a config may be a secret), and cut to 40 characters."""
    if value is None:
        return "None"
    name = type(value).__name__
    if isinstance(value, int | float) or (show_text and isinstance(value, str)):  # bool too
        return f"{name} {short_repr(value)}"
    return name


def short_repr(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters; a huge int is not even converted."""
    if type(value) is int and value.bit_length() > 128:
        return f"<a {value.bit_length()}-bit integer>"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def whole_number_argument(name: str, value: object, minimum: int, maximum: int) -> int:
    """``value`` if it is an ``int`` (not a ``bool``) in ``[minimum, maximum]``.

    Raises:
        InvalidOptionError: naming ``name`` and the allowed range.
    """
    if type(value) is not int or not minimum <= value <= maximum:
        raise InvalidOptionError(
            f"{name} must be a whole number from {minimum} to {maximum}, not {describe(value)}"
        )
    return value


def flag_argument(name: str, value: object) -> bool:
    """``value`` if it is ``True`` or ``False``.

    Raises:
        InvalidOptionError: naming ``name``.
    """
    if not isinstance(value, bool):
        raise InvalidOptionError(f"{name} must be True or False, not {describe(value)}")
    return value


def backend_argument(value: object) -> str | None:
    """A per-call ``backend=``: ``None`` or a backend name.

    Raises:
        InvalidOptionError: anything else.
    """
    if value is None or (isinstance(value, str) and value.strip()):
        return value
    raise InvalidOptionError(
        f"backend must be a backend name (a non-empty string) or None, not {describe(value)}"
    )


def batch_items(requests: object) -> list[Any]:
    """The items of a ``generate_many`` batch as a list (each checked later, alone).

    Raises:
        InvalidOptionError: ``requests`` is a string, a mapping or not iterable.
    """
    if isinstance(requests, str | bytes | bytearray | Mapping) or not isinstance(
        requests, Iterable
    ):
        raise InvalidOptionError(
            "requests must be an iterable of content strings or of mappings of generate() "
            f"arguments, not {describe(requests)}"
        )
    return list(requests)


def item_arguments(item: object) -> dict[str, Any]:
    """The keyword arguments of ``generate()`` for one batch item.

    Raises:
        InvalidRequestError: the item is neither a content string nor a mapping with
            ``content`` and string keys.
    """
    if isinstance(item, str):
        return {"content": item}
    if isinstance(item, Mapping) and "content" in item:
        for key in item:
            if not isinstance(key, str) or key in _RESERVED_KEYS:
                raise InvalidRequestError(
                    f"a batch item's keys must be generate() argument or option names, not {key!r}"
                )
        return dict(item)
    raise InvalidRequestError(
        f"a batch item must be a content string or a mapping with 'content', not {describe(item)}"
    )
