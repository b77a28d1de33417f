"""An offline emulator of Tencent Cloud Infinite's ``qrcode-generate`` API.

It verifies COS "q-sign" signatures (permanent and temporary keys), validates parameters like
the service, renders with libzint (independent of the ``local`` backend), answers with the
service's headers and XML, counts billable calls, and injects faults on demand::

    from qrplex_cloudinfinite.emulator import EmulatorConfig, EmulatorServer, create_app

    app = create_app(EmulatorConfig(credentials={"AKID...": "key"},
                                    buckets=("examplebucket-1250000000",)))
    with EmulatorServer(app) as server:
        ...  # point a client at server.base_url
        app.faults.set(status_500=True, remaining=1)

Importing this package is cheap: the server, renderer and their dependencies (uvicorn,
libzint, Pillow) load on first use of :class:`Emulator`, :func:`create_app` or
:class:`EmulatorServer`. ``qrplex emulator`` (:data:`COMMAND`) runs it from the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._cli import COMMAND
from ._config import EmulatorConfig, TemporaryCredential
from ._faults import Faults

if TYPE_CHECKING:
    from ._app import Emulator, create_app
    from ._server import EmulatorServer

__all__ = [
    "COMMAND",
    "Emulator",
    "EmulatorConfig",
    "EmulatorServer",
    "Faults",
    "TemporaryCredential",
    "create_app",
]


def __getattr__(name: str) -> Any:
    if name in ("Emulator", "create_app"):
        from . import _app

        return getattr(_app, name)
    if name == "EmulatorServer":
        from ._server import EmulatorServer

        return EmulatorServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
