"""What plugins register instead of a backend class: :class:`BackendDeclaration`.

:class:`BackendInfo` (what ``qrplex.backends()`` reports) lives in ``_backend_info`` and is
re-exported here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._backend import Capabilities

if TYPE_CHECKING:
    from ._backend_info import BackendInfo

__all__ = ["BackendDeclaration", "BackendInfo"]


@dataclass(frozen=True, slots=True)
class BackendDeclaration:
    """A backend declared by a plugin without importing it (the recommended way).

    A plugin's ``qrplex_register_backends`` hook may ``register()`` one of these instead of
    the backend class: qrplex then knows the backend's name and capabilities (for routing and
    duplicate checks) while the module that implements it, and everything that module
    imports, stays unloaded until a call actually uses the backend. Its settings are read
    from the class then. The class must have exactly the declared ``name`` (or using it
    raises :class:`qrplex.PluginError` saying what differs) and should have the declared
    ``capabilities``: when they differ, the class's are used after a ``RuntimeWarning``
    (a :class:`qrplex.PluginError` with ``QRPLEX_STRICT_PLUGINS=1``).

    Attributes:
        name: the backend name (``backend="acme"``).
        target: where the class is, as ``"package.module:ClassName"``.
        capabilities: what it serves (equal to the class's ``capabilities``).
    """

    name: str
    target: str
    capabilities: Capabilities


def __getattr__(name: str) -> Any:
    # BackendInfo is only needed to list backends or report a broken plugin: its own
    # module keeps its dataclass out of every start-up.
    if name == "BackendInfo":
        from ._backend_info import BackendInfo

        return BackendInfo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
