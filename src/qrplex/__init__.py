"""qrplex: QR codes and barcodes through interchangeable, pluggable backends.

>>> import qrplex
>>> image = qrplex.generate("https://example.com")
>>> image.save("qr.png")

Plugin discovery is lazy: importing qrplex loads no plugin and no pluggy; the first call that
needs a backend does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._api import agenerate, backends, generate, symbologies
from ._backend import Backend, Capabilities, Setting
from ._client import Client
from ._commands import Command
from ._model import Attempt, CodeImage, CodeRequest, Rendering
from ._registry_info import BackendInfo
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

if TYPE_CHECKING:
    import pluggy

    hookimpl: pluggy.HookimplMarker

__version__ = "0.1.0"

__all__ = [
    "AllBackendsFailedError",
    "Attempt",
    "Backend",
    "BackendAuthError",
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
]


def __getattr__(name: str) -> Any:
    # pluggy costs ~20 ms to import; only plugins (loaded lazily) need the marker.
    if name == "hookimpl":
        from ._hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'qrplex' has no attribute {name!r}")
