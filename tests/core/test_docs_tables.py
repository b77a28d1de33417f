"""The docs' symbology tables are checked against ``qrplex.spec``, the one source of the facts
they state: a quiet zone changed in the spec and not in the docs (or the other way) fails."""

from __future__ import annotations

import re
from pathlib import Path

from qrplex import spec

ROOT = Path(__file__).resolve().parents[2]


def _table(page: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table of ``page`` whose header row starts with ``header``."""
    lines = (ROOT / "docs" / page).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_quiet_zone_table_is_the_specs() -> None:
    documented: dict[str, tuple[int, int]] = {}
    for names, left, right, _scale in _table("symbologies.md", "| symbology | quiet zone left"):
        for name in re.findall(r"`(\w+)`", names):
            documented[name] = (int(left.split()[0]), int(right))
    facts = {name: (s.quiet_left, s.quiet_right) for name, s in spec.SYMBOLOGIES.items()}
    assert documented == facts


def test_the_readme_names_every_core_symbology_and_format() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Symbologies: ") :].split("\n\n")[0]
    symbologies, formats = paragraph.split(";", 1)
    assert re.findall(r"`(\w+)`", symbologies) == list(spec.SYMBOLOGIES)
    assert re.findall(r"formats `(\w+)` and `(\w+)`", formats) == [spec.REQUEST_FORMATS]
