"""Optional dependencies, imported only when a feature needs them, with a clear error if not
installed (which extra to install)."""

from __future__ import annotations

from .errors import ConfigError

__all__ = ["MissingExtraError", "missing"]


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


def missing(module: str, extra: str, feature: str) -> MissingExtraError:
    """The error for ``feature`` needing ``module``, which ``qrplex[extra]`` installs.

    Callers import the module with a plain ``import`` statement (so that the dependency
    graph check sees it) and raise this when it fails."""
    return MissingExtraError(
        f"{feature} needs {module}, which is not installed: pip install 'qrplex[{extra}]'",
        extra=extra,
    )
