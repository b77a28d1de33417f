"""qrplex: QR codes and barcodes through interchangeable, pluggable backends.

>>> import qrplex
>>> image = qrplex.generate("https://example.com")
>>> image.save("qr.png")

Everything is loaded lazily: ``import qrplex`` runs this module alone; the first use of a
name imports its module, and the first call that needs a backend discovers the plugins.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from typing import Any

    import pluggy

    from ._api import agenerate, backends, generate, symbologies
    from ._backend import Backend, Capabilities, Setting
    from ._backend_info import BackendInfo
    from ._client import Client
    from ._commands import Command
    from ._deadline import time_left
    from ._model import Attempt, CodeImage, CodeRequest, Rendering
    from ._registry_info import BackendDeclaration
    from .errors import (
        AllBackendsFailedError,
        BackendAuthError,
        BackendError,
        BackendRejectedError,
        BackendUnavailableError,
        BadResponseError,
        ConfigError,
        InvalidContentError,
        InvalidOptionError,
        InvalidRequestError,
        PluginError,
        QrplexError,
        UnknownBackendError,
        UnsupportedError,
        VerificationError,
    )

    hookimpl: pluggy.HookimplMarker

__version__ = "0.1.0"

__all__ = [
    "AllBackendsFailedError",
    "Attempt",
    "Backend",
    "BackendAuthError",
    "BackendDeclaration",
    "BackendError",
    "BackendInfo",
    "BackendRejectedError",
    "BackendUnavailableError",
    "BadResponseError",
    "Capabilities",
    "Client",
    "CodeImage",
    "CodeRequest",
    "Command",
    "ConfigError",
    "InvalidContentError",
    "InvalidOptionError",
    "InvalidRequestError",
    "PluginError",
    "QrplexError",
    "Rendering",
    "Setting",
    "UnknownBackendError",
    "UnsupportedError",
    "VerificationError",
    "agenerate",
    "backends",
    "generate",
    "hookimpl",
    "symbologies",
    "time_left",
]


# Where each public name lives: ``import qrplex`` loads none of them (start-up stays within
# a few milliseconds); the first use of a name imports its module.
_LAZY = {
    "agenerate": "_api",
    "backends": "_api",
    "generate": "_api",
    "symbologies": "_api",
    "Backend": "_backend",
    "Capabilities": "_backend",
    "Setting": "_backend",
    "Client": "_client",
    "Command": "_commands",
    "time_left": "_deadline",
    "hookimpl": "_hookspecs",
    "Attempt": "_model",
    "CodeImage": "_model",
    "CodeRequest": "_model",
    "Rendering": "_model",
    "BackendDeclaration": "_registry_info",
    "BackendInfo": "_backend_info",
    **{name: "errors" for name in __all__ if name.endswith("Error")},
}


_SUBMODULES = frozenset({"cli", "errors", "spec", "testing"})


def __getattr__(name: str) -> Any:
    from importlib import import_module

    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'qrplex' has no attribute {name!r}")
    value = getattr(import_module(f".{module_name}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
