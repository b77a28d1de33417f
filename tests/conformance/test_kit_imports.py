"""The kit is what plugin authors read: it takes symbol facts from :mod:`qrplex.spec`, the
public API, not from the core's private modules that spec is made of."""

from __future__ import annotations

import ast
from pathlib import Path

import qrplex.testing

KIT = Path(qrplex.testing.__file__).parent

FACT_MODULES = {"_symbologies", "_qr_capacity", "_inspection", "_code128"}
"""The private modules :mod:`qrplex.spec` re-exports: the kit imports none of them."""

PRIVATE_ALLOWED = {
    "_config": {"MAX_BREAKER_THRESHOLD"},
    "_registry": {"Registry", "default_registry"},
    "_validation": {"validate_request"},  # the core's validation itself, not a fact
    "_decoding": None,  # the decoder the core's verify=True shares with the kit
    "_images": None,
    "_qrbits": None,
}
"""Core machinery the kit may use (``None``: any name), and only those names."""


def _private_imports(path: Path) -> list[tuple[str, set[str], int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.module is None:
            continue
        module = node.module
        if node.level == 2 or (node.level == 0 and module.startswith("qrplex.")):
            last = module.split(".")[-1] if node.level == 0 else module.split(".")[0]
            if last.startswith("_"):
                found.append((last, {alias.name for alias in node.names}, node.lineno))
    return found


def test_the_kit_takes_symbol_facts_from_the_public_spec() -> None:
    problems = []
    for path in sorted(KIT.glob("*.py")):
        for module, names, line in _private_imports(path):
            where = f"{path.name}:{line}"
            if module in FACT_MODULES:
                problems.append(f"{where} imports {sorted(names)} from qrplex.{module}")
            elif module not in PRIVATE_ALLOWED:
                problems.append(f"{where} imports qrplex.{module}")
            elif PRIVATE_ALLOWED[module] is not None and not names <= PRIVATE_ALLOWED[module]:
                extra = sorted(names - (PRIVATE_ALLOWED[module] or set()))
                problems.append(f"{where} imports {extra} from qrplex.{module}")
    assert not problems, "the kit should import these from qrplex.spec: " + "; ".join(problems)
