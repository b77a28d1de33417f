"""``qrplex make --option NAME=VALUE``: any symbology option from the command line."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from .errors import InvalidOptionError

__all__ = ["parse_options"]

_NAME = re.compile(r"[a-z][a-z0-9_]*")


@functools.cache
def _reserved() -> frozenset[str]:
    """The named parameters of :meth:`qrplex.Client.generate` (content, symbology, width,
    ...): set by their own flags, never symbology options."""
    import inspect

    from ._client import Client

    parameters = inspect.signature(Client.generate).parameters.values()
    return frozenset(p.name for p in parameters if p.kind is not p.VAR_KEYWORD) - {"self"}


def parse_options(items: Iterable[str], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` (the options of dedicated flags, ``--error``, ``--height``) plus each
    ``NAME=VALUE`` of ``items``; a value of ASCII digits is an ``int``, any other a ``str``.
    The core checks names and values as for the Python API.

    Raises:
        InvalidOptionError: an item without ``=``, a bad name, an empty value, a name that
            is one of ``generate()``'s own parameters (``width``, ``symbology``, ...), or an
            option given twice.
    """
    options = dict(given)
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not _NAME.fullmatch(name) or not value:
            raise InvalidOptionError(
                f"--option takes NAME=VALUE, like --option shape=rectangle, not {item!r}"
            )
        if name in _reserved():
            raise InvalidOptionError(
                f"--option {name}=...: {name!r} is not a symbology option; it has its own "
                "flag or argument (see qrplex make --help)"
            )
        if name in options:
            flag = f" (--{name})" if name in given else ""
            raise InvalidOptionError(f"option {name!r} is given twice{flag}")
        options[name] = int(value) if value.isascii() and value.isdigit() else value
    return options
