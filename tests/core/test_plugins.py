"""Plugins are found through real entry points; broken ones are reported, not fatal."""

from __future__ import annotations

import json
import re
import warnings

import pytest

import qrplex
from qrplex._registry import Registry
from qrplex.cli import main
from qrplex.testing import decode

from .conftest import GOOD_PLUGIN, PluginInstaller

BROKEN_IMPORT = "raise ImportError('acme needs libfoo')\n"

MISSPELLED_HOOK = """
import qrplex

@qrplex.hookimpl
def qrplex_register_backend(register):  # missing the final "s"
    pass
"""

DUPLICATE_LOCAL = """
import qrplex
from qrplex_local._backend import LocalBackend

class Impostor(LocalBackend):
    name = "local"

@qrplex.hookimpl
def qrplex_register_backends(register):
    register(Impostor)
"""

BYSTANDERS = {
    "alone": None,
    # Another working plugin in the environment, with a backend of its own.
    "beside another plugin": GOOD_PLUGIN.replace('name = "acme"', 'name = "bystander"'),
    # A plugin someone installed that does not import.
    "beside a broken plugin": "raise ImportError('bystander needs libbar')\n",
}

# The broken bystander's own warning is expected; the tests look at their own plugins' warnings.
pytestmark = pytest.mark.filterwarnings("ignore:.*'bystander' cannot be imported:RuntimeWarning")


@pytest.fixture(autouse=True, params=list(BYSTANDERS))
def bystander(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> str | None:
    """Every test here runs alone and again with a third plugin installed through a real entry
    point (after the built-in ones, before the test's own), so none depends on which other
    plugins happen to be installed."""
    source = BYSTANDERS[request.param]
    if source is not None:
        root = tmp_path_factory.mktemp("bystander")
        installer = PluginInstaller(root, monkeypatch)
        installer(
            distribution="qrplex-bystander",
            entry_name="bystander",
            module=f"qrplex_{root.name}",  # a fresh module: sys.modules keeps the last one
            source=source,
        )
    return request.param


def _installed_names() -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a broken bystander is reported, and not our concern
        return Registry().names()


def test_builtin_backends_come_from_their_own_entry_points() -> None:
    registry = Registry()
    infos = {info.name: info for info in registry.infos()}
    assert infos["local"].distribution == "qrplex-local"
    assert infos["local"].status == "ok"
    assert infos["cloudinfinite"].distribution == "qrplex-cloudinfinite"
    assert "qr" in infos["local"].capabilities.symbologies  # type: ignore[union-attr]


def test_third_party_backend_is_selected_by_config(install_plugin, isolated_environment) -> None:
    install_plugin(distribution="acme-qr", entry_name="acme", module="acme_qr_config")
    (isolated_environment / "qrplex.toml").write_text(
        'backend = "acme"\n[backends.acme]\nscale = 3\n', encoding="utf-8"
    )
    image = qrplex.generate("third party")
    assert image.backend == "acme"
    assert decode(image.data) == "third party"
    assert image.width == 3 * (21 + 8)
    info = next(i for i in qrplex.backends() if i.name == "acme")
    assert (info.distribution, info.version, info.status) == ("acme-qr", "1.0", "ok")


def test_broken_plugin_is_reported_and_others_keep_working(install_plugin, capsys) -> None:
    install_plugin(
        distribution="acme-broken",
        entry_name="acme-broken",
        module="acme_broken",
        source=BROKEN_IMPORT,
    )
    assert main(["backends", "--json"]) == 0
    out, err = capsys.readouterr()
    assert "qrplex: warning: qrplex plugin 'acme-broken' cannot be imported" in err
    assert "Traceback" not in err
    assert "_registry.py" not in err
    listing = {entry["name"]: entry for entry in json.loads(out)}
    assert listing["acme-broken"]["status"] == "broken"
    assert "libfoo" in listing["acme-broken"]["error"]
    assert listing["local"]["status"] == "ok"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert qrplex.generate("still works").backend == "local"


def test_strict_mode_raises_for_a_broken_plugin(install_plugin, monkeypatch) -> None:
    install_plugin(
        distribution="acme-strict",
        entry_name="acme-strict",
        module="acme_strict",
        source=BROKEN_IMPORT,
    )
    monkeypatch.setenv("QRPLEX_STRICT_PLUGINS", "1")
    with pytest.raises(qrplex.PluginError, match="acme-strict") as caught:
        Registry()
    assert isinstance(caught.value.__cause__, ImportError)


def test_disabled_plugin_is_not_loaded(install_plugin, monkeypatch) -> None:
    install_plugin(
        distribution="acme-off", entry_name="acme-off", module="acme_off", source=BROKEN_IMPORT
    )
    everything = _installed_names()
    monkeypatch.setenv("QRPLEX_DISABLE_PLUGINS", "acme-off, cloudinfinite")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*acme-off")  # the disabled one is not loaded
        registry = Registry()
    assert registry.names() == [name for name in everything if name != "cloudinfinite"]
    assert "local" in registry.names()
    assert all(info.distribution != "acme-off" for info in registry.infos())


def test_misspelled_hook_is_an_error(install_plugin) -> None:
    install_plugin(
        distribution="acme-typo",
        entry_name="acme-typo",
        module="acme_typo",
        source=MISSPELLED_HOOK,
    )
    with pytest.warns(RuntimeWarning, match="acme-typo.*unknown hook.*qrplex_register_backend"):
        registry = Registry()
    broken = {info.name: info for info in registry.infos() if info.status == "broken"}
    assert "acme-typo" in broken
    assert "local" in registry.names()


def test_two_plugins_registering_one_name_is_an_error_naming_both(install_plugin) -> None:
    install_plugin(
        distribution="acme-dup", entry_name="acme-dup", module="acme_dup", source=DUPLICATE_LOCAL
    )
    registry = Registry()
    with pytest.raises(qrplex.PluginError, match=r"'local' is registered by both.*acme-dup"):
        registry.get("local")
    message = next(i.error for i in registry.infos() if i.name == "local")
    assert "qrplex-local" in str(message)
    assert "acme-dup" in str(message)


def test_unknown_backend_lists_installed_ones(bystander: str) -> None:
    installed = _installed_names()
    assert {"cloudinfinite", "local"} <= set(installed)
    assert ("bystander" in installed) == (bystander == "beside another plugin")
    listing = re.escape(f"installed backends: {', '.join(installed)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(qrplex.UnknownBackendError, match=rf"'nope'.*{listing}"):
            qrplex.generate("x", backend="nope")


def test_registering_something_that_is_not_a_backend_breaks_only_that_plugin(
    install_plugin,
) -> None:
    source = (
        "import qrplex\n@qrplex.hookimpl\ndef qrplex_register_backends(register):\n"
        "    register(object)\n"
    )
    install_plugin(distribution="acme-obj", entry_name="acme-obj", module="acme_obj", source=source)
    with pytest.warns(RuntimeWarning, match="acme-obj.*Backend subclass"):
        registry = Registry()
    assert "local" in registry.names()
