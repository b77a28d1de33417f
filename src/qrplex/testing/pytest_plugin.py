"""The ``qrplex`` pytest plugin (entry point ``pytest11``): fixtures for testing with qrplex.

Installed with the ``qrplex`` distribution, so any project that has qrplex and pytest gets:

* ``qrplex_decode``: :func:`qrplex.testing.decode`, to read a code back from image bytes
  (``qrplex_decode(image.data, "qr")``); needs ``qrplex[verify]``.
* ``qrplex_client_factory``: makes :class:`qrplex.Client` objects that are closed after the
  test; ``backends=[MyBackend]`` registers backend classes without installing a plugin.

Importing this module is cheap: zxing-cpp, Pillow, hypothesis and pluggy are imported only
when a fixture is used. Hypothesis settings are left to the project (profiles in its
``conftest.py``); :class:`qrplex.testing.BackendConformance` uses the active profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    import qrplex
    from qrplex import Backend

__all__ = ["ClientFactory", "qrplex_client_factory", "qrplex_decode"]


class ClientFactory(Protocol):
    """The ``qrplex_client_factory`` fixture: ``factory(backend, *, backends=..., **kwargs)``."""

    def __call__(
        self,
        backend: str | None = None,
        *,
        backends: Sequence[type[Backend]] = (),
        entry_points: bool = True,
        fallback: Sequence[str] | None = (),
        config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> qrplex.Client:
        """A new client (see :func:`qrplex_client_factory`)."""
        ...


def _plugin_for(backends: Sequence[type[Backend]]) -> object:
    from qrplex import hookimpl

    class _Plugin:
        """Registers the given backend classes, as a plugin's hook would."""

        @staticmethod
        @hookimpl
        def qrplex_register_backends(register: Callable[[type[Backend]], None]) -> None:
            for backend in backends:
                register(backend)

    return _Plugin


@pytest.fixture
def qrplex_decode() -> Callable[..., str]:
    """:func:`qrplex.testing.decode`: ``qrplex_decode(data, symbology=None) -> str``, the text
    of the single code in the image (normalized; AssertionError if none or several)."""
    from qrplex.testing import decode

    return decode


@pytest.fixture
def qrplex_client_factory() -> Iterator[ClientFactory]:
    """Make :class:`qrplex.Client` objects, closed when the test ends.

    ``factory(backend=None, *, backends=(), entry_points=True, fallback=(), config=None,
    **kwargs)``: ``backends`` are :class:`qrplex.Backend` classes registered as if a plugin
    had (with ``entry_points=False``, only those); ``fallback`` defaults to none, so a test
    sees its backend's own failures; other keyword arguments go to :class:`qrplex.Client`.
    """
    import qrplex

    clients: list[qrplex.Client] = []

    def factory(
        backend: str | None = None,
        *,
        backends: Sequence[type[Backend]] = (),
        entry_points: bool = True,
        fallback: Sequence[str] | None = (),
        config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> qrplex.Client:
        if backends or not entry_points:
            from qrplex._registry import Registry

            plugins = [("qrplex-test-backends", _plugin_for(backends))] if backends else []
            kwargs["registry"] = Registry(entry_points=entry_points, plugins=plugins)
        client = qrplex.Client(backend, fallback=fallback, config=config, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()
