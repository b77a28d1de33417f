"""Committed docs and benchmark results show no absolute path of the machine they were made
on (issue 13's housekeeping): paths relative to the repository, ``<venv>``, ``<tmp>``..."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_machine_module() -> object:
    """``benchmarks/_machine.py`` (standard library only), without putting the repository
    on ``sys.path``."""
    spec = importlib.util.spec_from_file_location(
        "qrplex_benchmarks_machine", ROOT / "benchmarks" / "_machine.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shown_path = _load_machine_module().shown_path  # type: ignore[attr-defined]
COMMITTED = sorted(
    [
        *ROOT.glob("docs/**/*.md"),
        *ROOT.glob("benchmarks/results/latest.*"),
        ROOT / "README.md",
    ]
)

# Paths of any machine: generated temporary names, virtual environments, Python installs.
GENERIC = re.compile(
    r"/(?:tmp|var/folders)/(?:tmp[a-z0-9_]{6,}|pytest-of-|qrplex-bench-|qrplex-hyperfine-)"
    r"|/site-packages/|/\.pyenv/|/\.local/share/uv/|/(?:home|Users|root)/[^/\s]+/\.venv/"
)


def _this_machine() -> list[str]:
    """This machine's own absolute paths that must never appear."""
    home = os.path.expanduser("~")
    candidates = {str(ROOT), sys.prefix, sys.base_prefix, sys.exec_prefix, tempfile.gettempdir()}
    if len(home) > 1:
        candidates.add(home + os.sep)
    return sorted(c for c in candidates if len(c) > 1)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_file_shows_no_machine_path(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for absolute in _this_machine():
        if absolute == tempfile.gettempdir():
            # /tmp/project/... in the docs is an example; a generated name is not (GENERIC).
            continue
        assert absolute not in text, f"{path.name} shows {absolute!r}"
    found = GENERIC.search(text)
    assert found is None, f"{path.name} shows a machine path: {found.group(0)!r}"


def test_shown_path_leaves_no_machine_path() -> None:
    scratch = tempfile.mkdtemp(prefix="qrplex-bench-")
    os.rmdir(scratch)
    home = os.path.expanduser("~")
    text = " ".join(
        [
            f"{ROOT}/.venv/bin/qrplex",
            f"{sys.base_prefix}/bin/python3",
            f"{sys.prefix}/bin/segno",
            f"{scratch}/qrplex.png",
            f"{home}/.config/qrplex",
        ]
    )
    shown = shown_path(text)
    for absolute in _this_machine():
        assert absolute not in shown, shown
    assert GENERIC.search(shown) is None, shown
    assert ".venv/bin/qrplex" in shown
    assert "<tmp>/qrplex.png" in shown
