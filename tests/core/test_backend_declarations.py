"""Plugins declare backends without importing them (``qrplex.BackendDeclaration``), the old
way (registering the class) keeps working, and the entry points are scanned once."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import warnings
import zipfile
from importlib import metadata
from typing import Any

import pytest

import qrplex
from qrplex import _registry
from qrplex._registry import Registry, reset_default_registry, scan_entry_points
from qrplex.cli import main
from qrplex.testing import decode

from .conftest import GOOD_PLUGIN, PluginInstaller

# The backend module: a third party's class, in a module of its own.
BACKEND_MODULE = GOOD_PLUGIN.split("@qrplex.hookimpl")[0]

DECLARING_PLUGIN = """
import qrplex

@qrplex.hookimpl
def qrplex_register_backends(register):
    register(
        qrplex.BackendDeclaration(
            name="acme",
            target="{module}:AcmeBackend",
            capabilities=qrplex.Capabilities(
                symbologies=frozenset({{"qr"}}), formats=frozenset({{"png"}})
            ),
        )
    )
"""


def _install(
    install_plugin: PluginInstaller, stem: str, plugin_source: str | None = None
) -> tuple[str, str]:
    """Install a plugin ``<stem>_plugin`` declaring backend ``acme`` in ``<stem>_backend``."""
    backend_module, plugin_module = f"{stem}_backend", f"{stem}_plugin"
    (install_plugin.root / f"{backend_module}.py").write_text(BACKEND_MODULE, encoding="utf-8")
    install_plugin(
        distribution=f"{stem.replace('_', '-')}",
        entry_name="acme",
        module=plugin_module,
        source=(plugin_source or DECLARING_PLUGIN).format(module=backend_module),
    )
    return backend_module, plugin_module


def test_a_declared_backend_is_imported_only_when_used(install_plugin) -> None:
    backend_module, plugin_module = _install(install_plugin, "acme_lazy")
    registry = Registry()
    assert plugin_module in sys.modules
    assert "acme" in registry.names()
    assert registry.capabilities("acme").symbologies == {"qr"}
    assert backend_module not in sys.modules
    with qrplex.Client(backend="acme", registry=registry) as client:
        image = client.generate("declared, then loaded")
    assert backend_module in sys.modules
    assert (image.backend, decode(image.data)) == ("acme", "declared, then loaded")
    assert image.width == 5 * (25 + 8)  # its setting (scale) default: read from the class


def test_a_stale_declaration_warns_and_the_class_wins(install_plugin, capsys) -> None:
    stale = DECLARING_PLUGIN.replace('formats=frozenset({{"png"}})', 'formats=frozenset({{"svg"}})')
    _install(install_plugin, "acme_stale", stale)
    registry = Registry()
    assert registry.capabilities("acme").formats == {"svg"}  # declared, nothing imported
    with pytest.warns(RuntimeWarning, match="capabilities differ from the declaration") as seen:
        registry.get("acme")
    assert "using the class's" in str(seen[0].message)
    assert registry.capabilities("acme").formats == {"png"}  # the class's, from now on
    with qrplex.Client(backend="acme", registry=registry) as client:
        assert client.generate("the class wins").backend == "acme"
        with pytest.raises(qrplex.UnsupportedError):
            client.generate("declared, not served", format="svg", backend="acme")


def test_strict_mode_refuses_a_stale_declaration(install_plugin, monkeypatch, capsys) -> None:
    stale = DECLARING_PLUGIN.replace('formats=frozenset({{"png"}})', 'formats=frozenset({{"svg"}})')
    _install(install_plugin, "acme_strict_stale", stale)
    monkeypatch.setenv("QRPLEX_STRICT_PLUGINS", "1")
    with pytest.raises(qrplex.PluginError, match="capabilities differ from the declaration") as e:
        qrplex.generate("x", backend="acme", format="svg")
    assert "refused (QRPLEX_STRICT_PLUGINS=1)" in str(e.value)
    assert "using the class" not in str(e.value)  # it is not used
    assert main(["backends", "--json"]) == 0
    listing = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert listing["acme"]["status"] == "broken"
    assert "capabilities differ" in listing["acme"]["error"]
    assert listing["local"]["status"] == "ok"
    assert qrplex.generate("others keep working").backend == "local"


def test_a_declaration_naming_another_backend_is_refused(install_plugin) -> None:
    wrong = DECLARING_PLUGIN.replace('name="acme"', 'name="acme-other"')
    _install(install_plugin, "acme_misnamed", wrong)
    with pytest.raises(qrplex.PluginError, match="whose name is 'acme'"):
        qrplex.generate("x", backend="acme-other")


def test_a_declared_module_that_cannot_be_imported(install_plugin) -> None:
    backend_module, _ = _install(install_plugin, "acme_gone")
    (install_plugin.root / f"{backend_module}.py").write_text(
        "raise ImportError('acme needs libfoo')\n", encoding="utf-8"
    )
    for _ in range(2):  # the same typed error every time, not a half-registered backend
        with pytest.raises(qrplex.PluginError, match="cannot be imported: ImportError: acme"):
            qrplex.generate("x", backend="acme")
    # The import was tried once: the failure is kept, not retried on every call.
    (install_plugin.root / f"{backend_module}.py").write_text(BACKEND_MODULE, encoding="utf-8")
    with pytest.raises(qrplex.PluginError, match="cannot be imported"):
        qrplex.generate("x", backend="acme")
    assert qrplex.generate("others keep working").backend == "local"


def test_a_malformed_declaration_is_a_broken_plugin(install_plugin) -> None:
    bad = DECLARING_PLUGIN.replace('target="{module}:AcmeBackend"', 'target="no colon"')
    _install(install_plugin, "acme_malformed", bad)
    with pytest.warns(RuntimeWarning, match="target must name the class"):
        registry = Registry()
    assert "acme" not in registry.names()


def test_the_old_way_registers_the_class(install_plugin) -> None:
    install_plugin(distribution="acme-old", entry_name="acme", module="acme_old_way")
    assert "acme_old_way" in sys.modules or Registry().get("acme").__name__ == "AcmeBackend"
    assert qrplex.generate("old way", backend="acme").backend == "acme"


def test_the_entry_points_are_scanned_once(monkeypatch, install_plugin) -> None:
    calls = []
    real = _registry._read_entry_points

    def counting() -> list[Any]:
        calls.append(1)
        return real()

    monkeypatch.setattr(_registry, "_read_entry_points", counting)
    reset_default_registry()
    Registry()
    Registry()
    qrplex.generate("one scan")
    qrplex.backends()
    assert len(calls) == 1
    install_plugin(distribution="acme-late", entry_name="acme", module="acme_late")
    assert "acme" in Registry().names()  # sys.path changed: scanned again
    assert len(calls) == 2
    reset_default_registry()
    scan_entry_points()
    assert len(calls) == 3


def _found() -> list[tuple[str, str, str | None, str | None]]:
    return [
        (point.name, point.value, origin.distribution, origin.version)
        for point, origin in scan_entry_points()
    ]


def _by_importlib_metadata() -> list[tuple[str, str, str | None, str | None]]:
    return [
        (point.name, point.value, point.dist.metadata["Name"], point.dist.version)
        for point in metadata.entry_points(group="qrplex")
        if point.dist is not None
    ]


def test_the_scan_finds_what_importlib_metadata_finds(install_plugin, tmp_path) -> None:
    """qrplex reads the dist-info directories itself (importlib.metadata costs a third of
    ``qrplex make``'s start-up): the same entry points, origins and order, in awkward
    layouts too."""
    install_plugin(distribution="acme-one", entry_name="acme1", module="acme_one")
    site = install_plugin.root
    # An egg-info (setup.py develop), with PKG-INFO, a comment, other groups, extras.
    egg = site / "Acme_Egg-2.0-py3.11.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text(
        "Metadata-Version: 1.1\nName: Acme.Egg\nVersion: 2.0\n\nName: not this one\n",
        encoding="utf-8",
    )
    (egg / "entry_points.txt").write_text(
        "[console_scripts]\nacme = acme_egg:main\n\n# a comment\n[qrplex]\n"
        "acme-egg = acme_egg.plugin : hooks [extra]\n  acme-egg2=acme_egg.other\n",
        encoding="utf-8",
    )
    # The same distribution again later on sys.path: importlib.metadata keeps the first.
    later = tmp_path / "later"
    shadow = later / "acme_one-9.9.dist-info"
    shadow.mkdir(parents=True)
    (shadow / "METADATA").write_text("Name: acme-one\nVersion: 9.9\n", encoding="utf-8")
    (shadow / "entry_points.txt").write_text("[qrplex]\nshadow = nowhere\n", encoding="utf-8")
    sys.path.append(str(later))
    try:
        reset_default_registry()
        assert _registry._scan_directories() is not None  # not handed to importlib
        found = _found()
        assert found == _by_importlib_metadata()
    finally:
        sys.path.remove(str(later))
    assert ("acme-egg", "acme_egg.plugin : hooks [extra]", "Acme.Egg", "2.0") in found
    assert ("acme-egg2", "acme_egg.other", "Acme.Egg", "2.0") in found
    assert ("acme1", "acme_one", "acme-one", "1.0") in found
    assert not any(name == "shadow" for name, *_ in found)
    assert {"local", "cloudinfinite", "zint"} <= {name for name, *_ in found}


def test_an_unreadable_distribution_does_not_stop_the_scan(install_plugin) -> None:
    broken = install_plugin.root / "broken_dist-1.0.dist-info"
    broken.mkdir()
    (broken / "entry_points.txt").write_bytes(b"[qrplex]\nbroken = \xff\xfe\n")
    install_plugin(distribution="acme-after", entry_name="acme", module="acme_after")
    with contextlib.suppress(ImportError):  # its finder joins sys.meta_path: still ours
        import importlib_metadata  # noqa: F401

    reset_default_registry()
    assert _registry._scan_directories() is not None
    assert ("acme", "acme_after", "acme-after", "1.0") in _found()


def test_a_plugin_in_a_zip_file_is_found_through_importlib_metadata(tmp_path) -> None:
    """A zip file on sys.path (zipapp, zipimport): qrplex hands the scan to importlib."""
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("acme_zipped.py", GOOD_PLUGIN)
        bundle.writestr("acme_zipped-1.0.dist-info/METADATA", "Name: acme-zipped\nVersion: 1.0\n")
        bundle.writestr(
            "acme_zipped-1.0.dist-info/entry_points.txt", "[qrplex]\nacme = acme_zipped\n"
        )
    sys.path.insert(0, str(archive))
    try:
        reset_default_registry()
        assert _registry._scan_directories() is None
        assert ("acme", "acme_zipped", "acme-zipped", "1.0") in _found()
        with qrplex.Client(backend="acme", registry=Registry()) as client:
            assert client.generate("zipped").backend == "acme"
    finally:
        sys.path.remove(str(archive))
        sys.modules.pop("acme_zipped", None)
        reset_default_registry()


def test_an_entry_point_value_is_loaded_like_importlib_loads_it(install_plugin) -> None:
    install_plugin(distribution="acme-attr", entry_name="acme", module="acme_attr")
    point = _registry._EntryPoint("acme", "acme_attr : AcmeBackend [extra]")
    assert point.load() is metadata.EntryPoint("acme", point.value, "qrplex").load()
    with pytest.raises(ValueError, match="malformed"):
        _registry._EntryPoint("bad", "not a module!").load()


def test_make_imports_no_backend_it_does_not_use(tmp_path) -> None:
    code = (
        "import sys\n"
        "from qrplex.cli import main\n"
        "assert main(['make', 'hello', '-o', 'x.png']) == 0\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('qrplex_cloudinfinite.')"
        " and not m.endswith('.plugin') or m in {'httpx', 'platformdirs', 'tomllib'}"
        # a plugin's package runs before its entry point: the zint backend stays unloaded
        " or m.startswith('qrplex_zint.') and m not in {'qrplex_zint.plugin',"
        " 'qrplex_zint._symbologies'} or m == 'zint'"
        # what only listing backends or commands needs, and the entry-point scan's old cost
        " or m in {'qrplex._commands', 'qrplex._backend_info', 'importlib.metadata'})\n"
        "print(loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "x.png").is_file()


def test_warnings_are_not_hidden() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Registry()  # the installed plugins register cleanly


def test_the_guides_package_is_discovered_without_importing_its_backend(tmp_path) -> None:
    """docs/plugins.md's qrplex-acme, installed by entry point: discovering it (and making a
    code with another backend) imports its package and plugin.py, never _backend.py."""
    from .test_plugin_guide import FILES, PYPROJECT

    for name, text in FILES.items():
        if name.startswith("src/"):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text, encoding="utf-8")
    info = tmp_path / "src" / "qrplex_acme-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: qrplex-acme\nVersion: 0.1.0\n", encoding="utf-8"
    )
    entry = PYPROJECT["project"]["entry-points"]["qrplex"]["acme"]
    (info / "entry_points.txt").write_text(f"[qrplex]\nacme = {entry}\n", encoding="utf-8")
    code = (
        "import sys, qrplex\n"
        "from qrplex._registry import default_registry\n"
        "assert qrplex.generate('hello', backend='local').backend == 'local'\n"
        "assert 'acme' in default_registry().names()\n"
        "print(sorted(m for m in sys.modules if m.startswith('qrplex_acme')))\n"
    )
    environ = {key: value for key, value in os.environ.items() if not key.startswith("QRPLEX_")}
    environ |= {"PYTHONPATH": str(tmp_path / "src"), "QRPLEX_STRICT_PLUGINS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['qrplex_acme', 'qrplex_acme.plugin']"
