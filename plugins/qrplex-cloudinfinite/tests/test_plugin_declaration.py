"""The plugin declares its backend without importing it, exactly as the class declares
itself, and registers ``qrplex emulator``."""

from __future__ import annotations

import subprocess
import sys

import qrplex
import qrplex_cloudinfinite.plugin as plugin
from qrplex_cloudinfinite import CloudInfiniteBackend


def test_declaration_matches_the_class() -> None:
    declared = plugin.CLOUDINFINITE
    assert declared.target == "qrplex_cloudinfinite._backend:CloudInfiniteBackend"
    assert declared.name == CloudInfiniteBackend.name
    assert declared.capabilities == CloudInfiniteBackend.capabilities
    with qrplex.Client() as client:
        assert client.registry.get("cloudinfinite") is CloudInfiniteBackend


def test_registering_imports_neither_the_backend_nor_the_emulator() -> None:
    code = (
        "import sys\n"
        "import qrplex\n"
        "registry = qrplex.Client().registry\n"
        "assert registry.capabilities('cloudinfinite').network\n"
        "heavy = [m for m in ('qrplex_cloudinfinite._backend', 'qrplex_cloudinfinite.emulator',"
        " 'httpx') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert 'emulator' in registry.commands()\n"
        "assert 'qrplex_cloudinfinite.emulator' in sys.modules\n"
        "assert 'qrplex_cloudinfinite._backend' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
