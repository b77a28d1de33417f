"""The layers: ``verify=True`` needs only the ``verify`` extra, and every distribution declares
exactly what its code imports (the graph stated in the root ``pyproject.toml``)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# With hypothesis and pytest made unimportable (an environment with only qrplex[verify]),
# verify=True must still decode, and must not load the test kit.
VERIFY_WITHOUT_THE_KIT = """
import importlib.abc, json, sys

class Uninstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"hypothesis", "pytest", "_pytest"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Uninstalled())

import qrplex

with qrplex.Client(
    backend="local", fallback=[], environ={}, cwd=sys.argv[1], user_config=False
) as client:
    image = client.generate("verified: ÄÖÜ", verify=True)
    try:
        client.generate("", verify=True)
    except qrplex.InvalidContentError:
        pass
loaded = sorted(
    name for name in sys.modules
    if name == "qrplex.testing" or name.startswith("qrplex.testing.")
    or name.split(".")[0] in {"hypothesis", "pytest", "_pytest"}
)
print(json.dumps({"backend": image.backend, "zxing": "zxingcpp" in sys.modules, "kit": loaded}))
"""


def test_verify_needs_neither_the_test_kit_nor_hypothesis_nor_pytest(tmp_path: Path) -> None:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("QRPLEX_")}
    done = subprocess.run(
        [sys.executable, "-c", VERIFY_WITHOUT_THE_KIT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {"backend": "local", "zxing": True, "kit": []}


def _project(path: Path) -> dict[str, object]:
    with path.open("rb") as handle:
        project: dict[str, object] = tomllib.load(handle)["project"]
    return project


def _name(requirement: str) -> str:
    for stop in "<>=!~;[ ":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower().replace("_", "-").replace(".", "-")


def test_the_verify_extra_is_the_decoder_and_pillow_only() -> None:
    extras = _project(ROOT / "pyproject.toml")["optional-dependencies"]
    assert isinstance(extras, dict)
    assert {_name(r) for r in extras["verify"]} == {"zxing-cpp", "pillow"}
    assert {_name(r) for r in extras["testing"]} == {"qrplex", "hypothesis", "pytest"}
    assert "qrplex[verify]" in extras["testing"]


def _imported_distributions(source: Path, own: str) -> set[str]:
    """The distributions whose modules the code under ``source`` imports (not the stdlib)."""
    owners = packages_distributions()
    # Editable installs of the workspace's own distributions do not list their packages.
    owners.update({"qrplex": ["qrplex"], "qrplex_local": ["qrplex-local"]})
    owners.update({"qrplex_cloudinfinite": ["qrplex-cloudinfinite"]})
    owners.update({"qrplex_zint": ["qrplex-zint"]})
    # zint-bindings is one extension module, which Python 3.11's packages_distributions misses.
    owners.setdefault("zint", ["zint-bindings"])
    found: set[str] = set()
    for file in source.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == own:
                    continue
                assert top in owners, f"{file.name} imports {top}, which no distribution provides"
                found.update(_name(owner) for owner in owners[top])
    return found


def _declared(pyproject: Path) -> set[str]:
    project = _project(pyproject)
    requirements = list(project.get("dependencies", []))  # type: ignore[call-overload]
    for extra in project.get("optional-dependencies", {}).values():  # type: ignore[attr-defined]
        requirements += extra
    return {_name(requirement) for requirement in requirements}


# Declared without being imported, or imported without being declared, on purpose:
EXCEPTIONS = {
    # The core installs its default backend, and names the cloud and zint backends as extras;
    # it finds them through entry points. Its `testing` extra pulls in `qrplex[verify]`.
    # Its `s3` extra brings s3fs, which fsspec finds by the s3:// protocol (never imported).
    "qrplex": {
        "declared": {"qrplex", "qrplex-local", "qrplex-cloudinfinite", "qrplex-zint", "s3fs"},
        "imported": set(),
    },
    # Installed by qrplex only, so it does not declare qrplex back (no cycle).
    "qrplex-local": {"declared": set(), "imported": {"qrplex"}},
    # httpcore looks sniffio up on every async request (see the pyproject comment); uvicorn
    # loads httptools by name for the emulator (http="httptools").
    "qrplex-cloudinfinite": {"declared": {"sniffio", "httptools"}, "imported": set()},
    "qrplex-zint": {"declared": set(), "imported": set()},
}


@pytest.mark.parametrize(
    ("pyproject", "source", "package"),
    [
        ("pyproject.toml", "src/qrplex", "qrplex"),
        ("plugins/qrplex-local/pyproject.toml", "plugins/qrplex-local/src", "qrplex_local"),
        (
            "plugins/qrplex-cloudinfinite/pyproject.toml",
            "plugins/qrplex-cloudinfinite/src",
            "qrplex_cloudinfinite",
        ),
        ("plugins/qrplex-zint/pyproject.toml", "plugins/qrplex-zint/src", "qrplex_zint"),
    ],
)
def test_declared_dependencies_are_what_the_code_imports(
    pyproject: str, source: str, package: str
) -> None:
    distribution = _name(str(_project(ROOT / pyproject)["name"]))
    exceptions = EXCEPTIONS[distribution]
    declared = _declared(ROOT / pyproject) - exceptions["declared"]
    imported = _imported_distributions(ROOT / source, package) - exceptions["imported"]
    assert sorted(declared - imported) == [], "declared but never imported"
    assert sorted(imported - declared) == [], "imported but not declared"
