"""What ``qrplex.backends()`` and ``qrplex backends`` report about each backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._backend import Capabilities

__all__ = ["BackendInfo"]


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """One installed backend, or one plugin that failed to provide its backends.

    Attributes:
        name: the backend name (for a broken plugin: the entry-point name).
        plugin: the entry-point (plugin) name that registered it.
        distribution: the distribution that ships the plugin, and ``version`` its version.
        capabilities: what it serves (``None`` for a broken plugin).
        status: ``"ok"`` or ``"broken"``.
        error: why it is broken, in one line.
        circuit: circuit-breaker state for this backend in the client asked, if any.
    """

    name: str
    plugin: str
    distribution: str | None
    version: str | None
    capabilities: Capabilities | None
    status: str = "ok"
    error: str | None = None
    circuit: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the backend can be used."""
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "name": self.name,
            "plugin": self.plugin,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "capabilities": self.capabilities.as_dict() if self.capabilities else None,
            "circuit": self.circuit,
        }
