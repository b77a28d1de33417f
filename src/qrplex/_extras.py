"""Optional dependencies, imported only when a feature needs them, with a clear error if not
installed (which extra to install)."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import ConfigError

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(ConfigError):
    """A feature needs an optional dependency that is not installed.

    Attributes:
        extra: the qrplex extra that installs it (``"s3"``, ``"fsspec"``, ``"dask"``).
    """

    def __init__(self, message: str, *, extra: str) -> None:
        super().__init__(message)
        self.extra = extra

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (str(self), self.extra))


def _rebuild(message: str, extra: str) -> MissingExtraError:
    return MissingExtraError(message, extra=extra)


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` for ``feature``, or raise :class:`MissingExtraError` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{feature} needs {module.split('.')[0]}, which is not installed: "
            f"pip install 'qrplex[{extra}]'",
            extra=extra,
        ) from None
