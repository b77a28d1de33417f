"""Module-level ``qrplex.generate`` reuses its client (resolved configuration, backend
instances) while the configuration is unchanged, and sees every change at the next call:
environment, working directory, config files created or edited. Real files, real
environment, a real plugin through its entry point."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
import warnings
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


def test_a_replaced_client_is_closed_once_its_last_call_returns(acme: Path, monkeypatch) -> None:
    _scale()
    shared = _api._shared
    assert shared is not None
    assert shared.client._instances, "the call left its backend instance open for reuse"
    monkeypatch.setenv("QRPLEX_ACME_SCALE", "3")
    assert _scale() == 3
    assert _api._shared is not shared
    assert shared.client._instances == {}, "the replaced client was never closed"


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


def _same_date(path: Path, text: str, like: os.stat_result) -> None:
    """Write ``text`` and give the file exactly the modification time ``like`` had."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(like.st_atime_ns, like.st_mtime_ns))


def test_a_file_rewritten_in_place_at_the_same_size_and_date_is_seen(
    acme: Path, isolated_environment: Path
) -> None:
    config = isolated_environment / "qrplex.toml"
    _settled(config, "[backends.acme]\nscale = 2\n", age=60)
    before = config.stat()

    def rewrite() -> None:
        _same_date(config, "[backends.acme]\nscale = 3\n", before)
        after = config.stat()
        assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
            before.st_ino,
            before.st_size,
            before.st_mtime_ns,
        )

    assert _reused_then(acme, rewrite) == 3


def test_a_file_replaced_by_a_rename_at_the_same_size_and_date_is_seen(
    acme: Path, isolated_environment: Path
) -> None:
    config = isolated_environment / "qrplex.toml"
    _settled(config, "[backends.acme]\nscale = 2\n", age=60)
    before = config.stat()

    def replace() -> None:
        fresh = isolated_environment / "qrplex.toml.new"
        _same_date(fresh, "[backends.acme]\nscale = 4\n", before)
        os.replace(fresh, config)

    assert _reused_then(acme, replace) == 4


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symlinked_config_pointed_elsewhere_is_seen(
    acme: Path, tmp_path: Path, monkeypatch
) -> None:
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    _settled(first, "[backends.acme]\nscale = 2\n", age=60)
    _same_date(second, "[backends.acme]\nscale = 6\n", first.stat())
    link = tmp_path / "qrplex-config.toml"
    link.symlink_to(first)
    monkeypatch.setenv("QRPLEX_CONFIG", str(link))

    def retarget() -> None:
        link.unlink()
        link.symlink_to(second)

    assert _reused_then(acme, retarget) == 6


def test_a_variable_changed_to_a_value_of_the_same_length_is_seen(acme: Path, monkeypatch) -> None:
    monkeypatch.setenv("QRPLEX_ACME_SCALE", "2")
    assert _reused_then(acme, lambda: monkeypatch.setenv("QRPLEX_ACME_SCALE", "3")) == 3


def test_a_client_is_never_kept_for_a_configuration_it_was_not_built_from(
    acme: Path, monkeypatch
) -> None:
    """Threads calling while another flips the environment back and forth: no call fails,
    and once it stops, the client used is the one of the environment then (a client built
    while the variable read 3, kept under the fingerprint of 2, would answer 3). Which
    interleavings happen is up to the scheduler; the two tests after this one pin the
    interleavings that went wrong."""
    monkeypatch.setenv("QRPLEX_ACME_SCALE", "2")
    stop = threading.Event()
    errors: list[BaseException] = []

    def flip() -> None:
        while not stop.is_set():
            for value in ("3", "2"):
                os.environ["QRPLEX_ACME_SCALE"] = value

    def call() -> None:
        try:
            while not stop.is_set():
                assert _scale() in (2, 3)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # interleave the threads as often as possible
    try:
        threads = [threading.Thread(target=flip)] + [
            threading.Thread(target=call) for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        sys.setswitchinterval(previous)
    assert not errors
    os.environ["QRPLEX_ACME_SCALE"] = "2"
    assert [_scale() for _ in range(3)] == [2, 2, 2]
    os.environ["QRPLEX_ACME_SCALE"] = "3"
    assert [_scale() for _ in range(3)] == [3, 3, 3]


def test_variables_a_plugin_sets_when_it_loads_are_part_of_the_fingerprint(
    install_plugin: PluginInstaller, monkeypatch
) -> None:
    """The registry is built (plugins imported) before the fingerprint is taken: a plugin
    that sets a variable on import must not leave a client labelled with the environment
    from before (which would be reused once the variable is gone again)."""
    monkeypatch.delenv("QRPLEX_ACME_SCALE", raising=False)
    monkeypatch.setenv("QRPLEX_BACKEND", "acme")
    install_plugin(
        distribution="acme-setenv",
        entry_name="acme",
        module="acme_setenv_on_import",
        source='import os\nos.environ["QRPLEX_ACME_SCALE"] = "3"\n' + GOOD_PLUGIN,
    )
    assert _scale() == 3
    del os.environ["QRPLEX_ACME_SCALE"]
    assert _scale() == 5


DECLARED_FLIPPING = """
import qrplex

@qrplex.hookimpl
def qrplex_register_backends(register):
    register(
        qrplex.BackendDeclaration(
            name="acme",
            target="acme_flipping_backend:AcmeBackend",
            capabilities=qrplex.Capabilities(
                symbologies=frozenset({"qr"}), formats=frozenset({"png"}), network=False
            ),
        )
    )
"""


def test_a_change_while_a_call_is_in_flight_never_sticks_to_the_client(
    install_plugin: PluginInstaller, monkeypatch
) -> None:
    """The environment changes after the client was built and back again before the next
    call (here, deterministically, by the backend's own module while it loads and by its
    constructor: another thread's ``os.environ`` writes, pinned in time). The client
    resolves every setting from the copy of the environment its fingerprint was taken
    from, so the second call, with the environment as it was, gets what the first got."""
    monkeypatch.delenv("QRPLEX_ACME_SCALE", raising=False)
    monkeypatch.setenv("QRPLEX_BACKEND", "acme")
    backend = GOOD_PLUGIN.split("@qrplex.hookimpl")[0].replace(
        "    def render(",
        """    def __init__(self, config):
        super().__init__(config)
        os.environ.pop("QRPLEX_ACME_SCALE", None)  # and back again

    def render(""",
    )
    (install_plugin.root / "acme_flipping_backend.py").write_text(
        'import os\nos.environ["QRPLEX_ACME_SCALE"] = "3"  # set while the call runs\n' + backend,
        encoding="utf-8",
    )
    install_plugin(
        distribution="acme-flipping",
        entry_name="acme",
        module="acme_flipping_plugin",
        source=DECLARED_FLIPPING,
    )
    assert [_scale(), _scale()] == [5, 5]


def _child_generates(queue: multiprocessing.Queue[object]) -> None:  # pragma: no cover
    image = qrplex.generate("from the child", backend="local")
    queue.put((image.backend, image.width, _api._shared is not None))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="fork() is POSIX")
def test_a_child_forked_while_another_thread_holds_qrplex_locks_does_not_hang(
    monkeypatch,
) -> None:
    """multiprocessing's 'fork' start method while another thread of the parent is inside
    qrplex (building the registry, importing a backend, sharing the client): the child
    starts with fresh locks, builds its own client, and generates."""
    from qrplex import _registry

    registry = _registry.default_registry()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with _registry._default_lock, registry._load_lock, _api._lock:
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: on purpose
            child = context.Process(target=_child_generates, args=(queue,))
            child.start()
        child.join(timeout=15)
        alive = child.is_alive()
        if alive:  # pragma: no cover - the failure being tested for
            child.kill()
            child.join()
    finally:
        release.set()
        holder.join()
    assert not alive, "the forked child hung on a lock another thread held at the fork"
    assert child.exitcode == 0
    assert queue.get(timeout=10) == ("local", 290, True)
