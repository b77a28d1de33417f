"""Module-level ``qrplex.generate`` reuses its client (resolved configuration, backend
instances) while the configuration is unchanged, and sees every change at the next call:
environment, working directory, config files created or edited. Real files, real
environment, a real plugin through its entry point."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import qrplex
from qrplex import _api

from .conftest import GOOD_PLUGIN, PluginInstaller

# The third-party backend of conftest.py, counting its instances in a file (so that a forked
# child's count is seen too); its scale setting shows which configuration it was built from.
COUNTING_PLUGIN = GOOD_PLUGIN.replace(
    "    def render(",
    """    def __init__(self, config):
        super().__init__(config)
        with open(COUNT_FILE, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\\n")

    def render(""",
).replace("import io\n", "import io\nimport os\n")

QR_MODULES = 21 + 8  # "x": version 1, with its quiet zone


@pytest.fixture
def acme(
    install_plugin: PluginInstaller,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """The counting ``acme`` backend, selected by ``QRPLEX_BACKEND``; returns the file that
    counts its instances."""
    counts = tmp_path_factory.mktemp("counts") / "instances.txt"
    counts.touch()
    module = f"acme_counting_{counts.parent.name}"
    install_plugin(
        distribution="acme-counting",
        entry_name="acme",
        module=module,
        source=f"COUNT_FILE = {str(counts)!r}\n" + COUNTING_PLUGIN,
    )
    monkeypatch.setenv("QRPLEX_BACKEND", "acme")
    return counts


def _instances(counts: Path) -> int:
    return len(counts.read_text(encoding="utf-8").split())


def _settled(path: Path, text: str, age: float = 30.0) -> None:
    """Write ``text`` and date the file ``age`` seconds back, as an edit made a while ago
    (a file changed in the last 2 s is read again on every call anyway)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    past = time.time() - age
    os.utime(path, (past, past))


def _scale() -> int:
    image = qrplex.generate("x")
    assert image.backend == "acme"
    return image.width // QR_MODULES


def _reused_then(counts: Path, change: Callable[[], None]) -> int:
    """Two calls share one backend instance; after ``change`` the next call builds another:
    returns its scale."""
    first = _scale()
    assert _scale() == first
    assert _instances(counts) == 1, "two calls with nothing changed must share the client"
    change()
    scale = _scale()
    assert _instances(counts) == 2, "the change was not seen"
    return scale


def test_an_environment_variable_is_seen(acme: Path, monkeypatch) -> None:
    assert _reused_then(acme, lambda: monkeypatch.setenv("QRPLEX_ACME_SCALE", "3")) == 3


def test_an_edited_config_file_is_seen(acme: Path, isolated_environment: Path) -> None:
    config = isolated_environment / "qrplex.toml"
    _settled(config, "[backends.acme]\nscale = 2\n", age=60)
    assert _reused_then(acme, lambda: _settled(config, "[backends.acme]\nscale = 3\n")) == 3


def test_a_config_file_created_in_the_working_directory_is_seen(
    acme: Path, isolated_environment: Path
) -> None:
    config = isolated_environment / "qrplex.toml"
    assert _reused_then(acme, lambda: _settled(config, "[backends.acme]\nscale = 4\n")) == 4


def test_pyproject_tool_qrplex_is_seen(acme: Path, isolated_environment: Path) -> None:
    pyproject = isolated_environment / "pyproject.toml"
    text = '[project]\nname = "x"\n[tool.qrplex.backends.acme]\nscale = 3\n'
    assert _reused_then(acme, lambda: _settled(pyproject, text)) == 3


def test_the_user_config_file_is_seen(acme: Path) -> None:
    user = Path(os.environ["XDG_CONFIG_HOME"]) / "qrplex" / "config.toml"
    assert _reused_then(acme, lambda: _settled(user, "[backends.acme]\nscale = 6\n")) == 6


def test_the_file_named_by_qrplex_config_is_seen(acme: Path, tmp_path: Path, monkeypatch) -> None:
    named = tmp_path / "named.toml"
    _settled(named, "[backends.acme]\nscale = 2\n", age=60)
    monkeypatch.setenv("QRPLEX_CONFIG", str(named))
    assert _reused_then(acme, lambda: _settled(named, "[backends.acme]\nscale = 7\n")) == 7


def test_another_working_directory_is_seen(acme: Path, tmp_path: Path, monkeypatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    _settled(elsewhere / "qrplex.toml", "[backends.acme]\nscale = 3\n")
    assert _reused_then(acme, lambda: monkeypatch.chdir(elsewhere)) == 3


def test_a_config_file_changed_a_moment_ago_is_read_on_every_call(
    acme: Path, isolated_environment: Path
) -> None:
    (isolated_environment / "qrplex.toml").write_text("[backends.acme]\nscale = 2\n")
    assert (_scale(), _scale()) == (2, 2)
    assert _instances(acme) == 2  # nothing reused while the file may still be changing


def test_threads_share_one_client(acme: Path) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                assert _scale() == 5
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert _instances(acme) <= 2  # at most one extra, built by a thread that lost the race


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX")
def test_a_forked_child_builds_its_own_client(acme: Path) -> None:
    assert _scale() == 5
    parent = _api._shared
    assert parent is not None
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        status = 1
        try:
            status = 0 if _api._shared is None and _scale() == 5 else 2
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    pids = acme.read_text(encoding="utf-8").split()
    assert pids[0] == str(os.getpid())
    assert pids[1] == str(pid)  # the child made its own instance
    assert _api._shared is parent  # the parent's client is untouched
    assert _scale() == 5
    assert _instances(acme) == 2


def test_no_secret_in_what_is_kept(acme: Path, monkeypatch) -> None:
    secret = "kept-nowhere-0123456789abcdef"
    monkeypatch.setenv("QRPLEX_CLOUDINFINITE_SECRET_KEY", secret)
    _scale()
    shared = _api._shared
    assert shared is not None
    assert secret not in repr(shared.fingerprint)
    assert secret not in repr(shared.client)
