"""A plugin adds a symbology through ``qrplex_register_symbologies``, without touching the
core: validation, minimum width, the checks on a backend's image, ``qrplex.symbologies()``,
the CLI's ``-s`` and ``qrplex backends`` all see it. The plugins are installed through real
entry points (see ``conftest.py``)."""

from __future__ import annotations

import json

import pytest

import qrplex
from qrplex import spec
from qrplex._core_plugin import qrplex_register_symbologies as core_hook
from qrplex._registry import Registry
from qrplex.cli import main

DOTS_PLUGIN = """
import io
import zlib
import struct
from collections.abc import Callable

import qrplex
from qrplex import spec

QUIET = 3


def normalize(content, options):
    if not set(content) <= set("01"):
        raise qrplex.InvalidContentError(f"Dots carries 0 and 1 only, not {content!r}")
    if len(content) > 64:
        raise qrplex.InvalidContentError("Dots holds at most 64 bits")
    return content.rjust(16, "0")  # normalized: at least 16 bits


def modules(content, options):
    return 8 if len(content) <= 64 else None


DOTS = spec.Symbology(
    "dots", "Dots", 2, QUIET, QUIET, content=normalize, modules=modules, examples=("101",)
)


def png(size):
    raw = b"".join(b"\\x00" + b"\\xff" * size for _ in range(size))
    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


class DotsBackend(qrplex.Backend):
    name = "dots"
    capabilities = qrplex.Capabilities(
        symbologies=frozenset({"dots"}), formats=frozenset({"png"}), options=frozenset()
    )

    def render(self, request):
        width = request.width or 10 * (8 + 2 * QUIET)
        return qrplex.Rendering(png(width), "image/png", width, width)


@qrplex.hookimpl
def qrplex_register_symbologies(register: Callable[[spec.Symbology], None]) -> None:
    register(DOTS)


@qrplex.hookimpl
def qrplex_register_backends(register):
    register(DotsBackend)
"""

RIVAL_PLUGIN = """
import qrplex
from qrplex import spec


@qrplex.hookimpl
def qrplex_register_symbologies(register):
    register(spec.Symbology("dots", "Other dots", 1, 10, 10))
"""

QR_REDEFINED = """
import qrplex
from qrplex import spec


@qrplex.hookimpl
def qrplex_register_symbologies(register):
    register(spec.Symbology("qr", "Not a QR Code", 1, 0, 0))
"""


@pytest.fixture
def dots(install_plugin, monkeypatch) -> None:
    # These tests state the whole list: the core's nine, then the test plugin's (the zint
    # plugin, installed in the workspace, would add its six).
    monkeypatch.setenv("QRPLEX_DISABLE_PLUGINS", "zint")
    install_plugin(
        distribution="qrplex-dots", entry_name="dots", module="qrplex_dots", source=DOTS_PLUGIN
    )


def test_the_core_registers_its_nine_and_gs1_128_through_the_hook() -> None:
    registered: list[spec.Symbology] = []
    core_hook(register=registered.append)
    assert [s.name for s in registered] == [*spec.SYMBOLOGIES, *spec.GS1_SYMBOLOGIES]
    registry = Registry(entry_points=False)
    assert list(registry.symbologies()) == [*spec.SYMBOLOGIES, *spec.GS1_SYMBOLOGIES]
    assert registry.symbology_origin("qr") == "qrplex"


def test_a_plugin_adds_a_symbology(dots: None, tmp_path, monkeypatch) -> None:
    assert qrplex.symbologies()[-1] == "dots"
    assert spec.symbologies()["dots"].title == "Dots"
    image = qrplex.generate("101", symbology="dots", backend="dots")
    assert image.content == "0000000000000101"  # the plugin's normalization
    assert (image.width, image.height) == (140, 140)
    with pytest.raises(qrplex.InvalidContentError, match="0 and 1 only"):
        qrplex.generate("102", symbology="dots", backend="dots")
    with pytest.raises(qrplex.InvalidOptionError, match="minimum is 14 px"):
        qrplex.generate("1", symbology="dots", backend="dots", width=13)
    with pytest.raises(qrplex.InvalidOptionError, match="unknown option 'height' for Dots"):
        qrplex.generate("1", symbology="dots", backend="dots", height=40)
    assert qrplex.generate("1", symbology="dots", backend="dots", width=14).width == 14
    # the CLI: -s accepts it, --help lists it, backends shows who renders it
    monkeypatch.chdir(tmp_path)
    assert main(["make", "11", "-s", "dots", "-b", "dots", "-o", "d.png"]) == 0
    assert (tmp_path / "d.png").read_bytes().startswith(b"\x89PNG")


def test_the_cli_lists_a_plugins_symbology(dots: None, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["make", "--help"])
    assert "itf, gs1-128, dots (default: qr)" in " ".join(capsys.readouterr().out.split())
    assert main(["backends", "--json"]) == 0
    infos = {info["name"]: info for info in json.loads(capsys.readouterr().out)}
    assert infos["dots"]["capabilities"]["symbologies"] == ["dots"]
    assert main(["make", "1", "-s", "dotz"]) != 0
    known = "qr, microqr, ean13, ean8, upca, isbn13, code128, code39, itf, gs1-128, dots"
    assert f"use one of {known}" in capsys.readouterr().err


def test_a_square_symbology_must_come_back_square(dots: None, install_plugin) -> None:
    """The core's checks on a backend's image use the registered dimension."""
    from qrplex._checks import check_rendering
    from qrplex._validation import validate_request

    request = validate_request("1", symbology="dots", format="png", width=None, options={})
    with pytest.raises(qrplex.BadResponseError, match="for a Dots, which is square"):
        check_rendering(qrplex.Rendering(_png(20, 10), "image/png", 20, 10), request, "dots")


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, "PNG")
    return out.getvalue()


def test_two_plugins_defining_a_name_differently_is_an_error_naming_both(
    dots: None, install_plugin, capsys
) -> None:
    install_plugin(
        distribution="qrplex-otherdots",
        entry_name="otherdots",
        module="qrplex_otherdots",
        source=RIVAL_PLUGIN,
    )
    assert "dots" not in qrplex.symbologies()
    with pytest.raises(qrplex.PluginError) as raised:
        qrplex.generate("1", symbology="dots", backend="dots")
    message = str(raised.value)
    assert "'dots' (qrplex-dots)" in message
    assert "'otherdots' (qrplex-otherdots)" in message
    assert main(["backends"]) == 0
    assert "symbology dots" in capsys.readouterr().out


def test_redefining_a_core_symbology_is_a_conflict_with_the_core(install_plugin) -> None:
    install_plugin(
        distribution="qrplex-badqr", entry_name="badqr", module="qrplex_badqr", source=QR_REDEFINED
    )
    with pytest.raises(qrplex.PluginError, match=r"'qrplex' \(qrplex\) and 'badqr'"):
        qrplex.generate("hello")
    assert qrplex.generate("590123412345", symbology="ean13").content == "5901234123457"


def test_strict_mode_raises_at_registration(dots: None, install_plugin, monkeypatch) -> None:
    install_plugin(
        distribution="qrplex-otherdots",
        entry_name="otherdots",
        module="qrplex_otherdots",
        source=RIVAL_PLUGIN,
    )
    monkeypatch.setenv("QRPLEX_STRICT_PLUGINS", "1")
    with pytest.raises(qrplex.PluginError, match="registered differently"):
        Registry()


@pytest.mark.parametrize(
    ("symbology", "problem"),
    [
        ('spec.Symbology("Bad Name", "x", 2, 1, 1)', "its name must be"),
        ('spec.Symbology("ok", "", 2, 1, 1)', "its title"),
        ('spec.Symbology("ok", "Ok", 3, 1, 1)', "its dimension"),
        ('spec.Symbology("ok", "Ok", 1, -1, 1)', "its quiet_left"),
        ('spec.Symbology("ok", "Ok", 1, 1, 1, options=["height"])', "its options"),
        ('spec.Symbology("ok", "Ok", 1, 1, 1, content="upper")', "its content must be callable"),
        ('"not a spec"', "takes a qrplex.spec.Symbology"),
    ],
)
def test_a_malformed_spec_makes_the_plugin_broken(
    install_plugin, symbology: str, problem: str, monkeypatch
) -> None:
    monkeypatch.setenv("QRPLEX_DISABLE_PLUGINS", "zint")  # the list is the core's nine alone
    source = (
        "import qrplex\nfrom qrplex import spec\n\n@qrplex.hookimpl\n"
        f"def qrplex_register_symbologies(register):\n    register({symbology})\n"
    )
    module = "qrplex_bad_" + "".join(c if c.isalnum() else "_" for c in problem)
    install_plugin(distribution="qrplex-bad", entry_name="bad", module=module, source=source)
    with pytest.warns(RuntimeWarning, match=problem):
        registry = Registry()
    (broken,) = [info for info in registry.infos() if info.name == "bad"]
    assert problem in (broken.error or "")
    assert list(registry.symbologies()) == [*spec.SYMBOLOGIES, *spec.GS1_SYMBOLOGIES]


def test_a_clients_own_registry_supplies_its_symbologies() -> None:
    """``Client(registry=...)`` (tests, embedding) validates with that registry's symbologies."""
    import types

    plugin = types.ModuleType("inline_dots")
    exec(compile(DOTS_PLUGIN, "inline_dots", "exec"), plugin.__dict__)
    registry = Registry(entry_points=False, plugins=[("dots", plugin)])
    with qrplex.Client(backend="dots", fallback=[], registry=registry) as client:
        assert client.generate("11", symbology="dots").content == "0000000000000011"
    assert "dots" not in qrplex.symbologies()  # the installed plugins are untouched


def test_a_private_registrys_square_symbology_must_come_back_square() -> None:
    """A square-only symbology registered only in a client's own registry is checked as
    square too: a backend returning a non-square image is a bad response, and the client
    falls back to the next backend."""
    import types

    source = DOTS_PLUGIN + (
        "\n\nclass WideDotsBackend(DotsBackend):\n"
        "    name = 'widedots'\n\n"
        "    def render(self, request):\n"
        "        return qrplex.Rendering(wide_png(), 'image/png', 140, 70)\n\n\n"
        "def wide_png():\n"
        "    from PIL import Image\n"
        "    out = io.BytesIO()\n"
        "    Image.new('L', (140, 70), 255).save(out, 'PNG')\n"
        "    return out.getvalue()\n\n\n"
        "@qrplex.hookimpl\n"
        "def qrplex_register_backends(register):\n"
        "    register(DotsBackend)\n"
        "    register(WideDotsBackend)\n"
    )
    plugin = types.ModuleType("inline_widedots")
    exec(compile(source, "inline_widedots", "exec"), plugin.__dict__)
    registry = Registry(entry_points=False, plugins=[("widedots", plugin)])
    assert "dots" not in qrplex.symbologies()  # only the private registry knows it
    with (
        qrplex.Client(backend="widedots", fallback=[], registry=registry) as client,
        pytest.raises(qrplex.BadResponseError) as raised,
    ):
        client.generate("1", symbology="dots")
    assert "of 140x70 px for a Dots, which is square" in str(raised.value)
    with qrplex.Client(backend="widedots", fallback=["dots"], registry=registry) as client:
        image = client.generate("1", symbology="dots")
    assert image.backend == "dots"
    (attempt,) = [a for a in image.attempts if a.backend == "widedots"]
    assert attempt.error_type == "BadResponseError"
    assert "which is square" in attempt.message


def test_a_cache_hit_is_checked_against_the_clients_own_symbologies(tmp_path) -> None:
    """A cached image of a private registry's square symbology must be square too: a
    non-square entry is a miss, and the backend draws a fresh one."""
    import io
    import types

    from PIL import Image

    from qrplex._cache import FileCache
    from qrplex._model import CodeImage
    from qrplex._validation import validate_request

    plugin = types.ModuleType("inline_dots")
    exec(compile(DOTS_PLUGIN, "inline_dots", "exec"), plugin.__dict__)
    registry = Registry(entry_points=False, plugins=[("dots", plugin)])
    config = {"cache_dir": str(tmp_path / "cache")}
    with qrplex.Client(backend="dots", fallback=[], registry=registry, config=config) as client:
        request = validate_request(
            "1", symbology="dots", format="png", width=None, options={}, registry=registry
        )
        wide = io.BytesIO()
        Image.new("L", (140, 70), 255).save(wide, "PNG")
        planted = CodeImage(wide.getvalue(), "image/png", "dots", 140, 70, "dots", request.content)
        FileCache(tmp_path / "cache", 10**7).put(request, planted)
        image = client.generate("1", symbology="dots")
    assert not image.cached
    assert (image.width, image.height) == (140, 140)
