"""The plugin entry point and what the backend declares about itself."""

from __future__ import annotations

from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy

import qrplex_local.plugin
from qrplex import Backend, CodeRequest
from qrplex_local import LocalBackend


def test_entry_point_is_the_plugin_module() -> None:
    (entry,) = entry_points(group="qrplex", name="local")
    assert entry.value == "qrplex_local.plugin"
    assert entry.load() is qrplex_local.plugin


class _PublicHookContract:
    """The hook as the plugin guide documents it (project ``qrplex``), declared here as a
    third party would, without qrplex's private hookspec module."""

    @pluggy.HookspecMarker("qrplex")
    def qrplex_register_backends(self, register: Any) -> None:
        """Register backend classes."""


def test_hook_registers_the_backend_through_pluggy() -> None:
    manager = pluggy.PluginManager("qrplex")
    manager.add_hookspecs(_PublicHookContract)
    manager.register(qrplex_local.plugin)
    registered: list[type[Backend]] = []
    manager.hook.qrplex_register_backends(register=registered.append)
    assert registered == [LocalBackend]


def test_declared_capabilities() -> None:
    assert LocalBackend.name == "local"
    assert LocalBackend.settings == ()
    capabilities = LocalBackend.capabilities
    assert capabilities.symbologies == {
        "qr", "microqr", "ean13", "ean8", "upca", "isbn13", "code128", "code39", "itf",
        "gs1-128",
    }  # fmt: skip
    assert capabilities.formats == {"png", "svg"}
    assert capabilities.options == {"error", "height"}
    assert capabilities.network is False
    assert capabilities.max_width is None


def test_rendering_describes_the_image(kit: ModuleType) -> None:
    png = LocalBackend({}).render(CodeRequest("hello", "qr", "png", 123))
    assert (png.media_type, png.width, png.height) == ("image/png", 123, 123)
    svg = LocalBackend({}).render(CodeRequest("4006381333931", "ean13", "svg", 400))
    assert (svg.media_type, svg.width) == ("image/svg+xml", 400)


async def test_arender_gives_the_same_bytes() -> None:
    backend = LocalBackend({})
    request = CodeRequest("hello", "qr", "svg", 200)
    assert (await backend.arender(request)).data == backend.render(request).data
    await backend.aclose()


def test_arender_keeps_large_symbols_off_the_event_loop() -> None:
    import asyncio
    import threading

    from qrplex import CodeRequest
    from qrplex_local import LocalBackend

    seen: list[bool] = []

    class Recording(LocalBackend):
        def render(self, request: CodeRequest):  # type: ignore[no-untyped-def]
            seen.append(threading.current_thread() is threading.main_thread())
            return super().render(request)

    backend = Recording({})

    async def both() -> None:
        await backend.arender(CodeRequest("small", "qr", "png", None, {"error": "M"}))
        await backend.arender(CodeRequest("x" * 1500, "qr", "png", None, {"error": "M"}))

    asyncio.run(both())
    assert seen == [True, False]
