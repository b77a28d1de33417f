"""Layering rules CI enforces on the source tree.

A plugin under ``plugins/`` uses qrplex's public API only (``qrplex``, ``qrplex.spec``,
``qrplex.errors``, ...), never a ``qrplex._*`` module: what the built-in plugins need, a third
party needs too, so it must be public (see :mod:`qrplex.spec`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A plugin's code and its tests alike: the tests are what a third party copies.
PLUGIN_SOURCES = sorted(ROOT.glob("plugins/*/src/**/*.py")) + sorted(
    ROOT.glob("plugins/*/tests/**/*.py")
)


def _private(module: str) -> bool:
    """Whether ``module`` is, or is inside, a private module of the ``qrplex`` package."""
    parts = module.split(".")
    return parts[0] == "qrplex" and any(part.startswith("_") for part in parts[1:])


def private_uses(source: str, filename: str) -> Iterator[tuple[int, str]]:
    """``(line, what)`` for every import of, or attribute access into, a ``qrplex._*`` module."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _private(alias.name):
                    yield node.lineno, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _private(node.module):
                yield node.lineno, f"from {node.module} import ..."
            elif node.module == "qrplex":
                for alias in node.names:
                    if alias.name.startswith("_"):
                        yield node.lineno, f"from qrplex import {alias.name}"
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            if isinstance(node.value, ast.Name) and node.value.id == "qrplex":
                yield node.lineno, f"qrplex.{node.attr}"
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and " " not in node.value
            and _private(node.value)
        ):  # import_module("qrplex._x") and friends
            yield node.lineno, f"{node.value!r} (a module name)"


def test_plugin_sources_are_found() -> None:
    found = {path.relative_to(ROOT).parts[1:3] for path in PLUGIN_SOURCES}
    for plugin in ("qrplex-local", "qrplex-cloudinfinite", "qrplex-zint"):
        assert {(plugin, "src"), (plugin, "tests")} <= found


def test_no_plugin_imports_a_private_qrplex_module() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in PLUGIN_SOURCES
        for line, what in private_uses(path.read_text("utf-8"), str(path))
    ]
    assert not found, "plugins must use qrplex's public API only:\n" + "\n".join(found)


def test_the_rule_catches_each_form() -> None:
    source = (
        "import qrplex._model\n"
        "import qrplex._model as m\n"
        "from qrplex._checks import png_size\n"
        "from qrplex import _validation\n"
        "import qrplex\n"
        "qrplex._registry.Registry\n"
        "import importlib; importlib.import_module('qrplex._cache')\n"
        "from qrplex import spec, errors, CodeRequest\n"
        "from qrplex.spec import plan_qr\n"
        "import qrplex_local._qr\n"
        "from ._qr import qr_rows\n"
        "x = 'see qrplex._model for more'\n"
    )
    assert [line for line, _ in private_uses(source, "example.py")] == [1, 2, 3, 4, 6, 7]
