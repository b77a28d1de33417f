"""docs/gs1.md says what qrplex does: its error table and its examples are run."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from qrplex import InvalidContentError, gs1

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "gs1.md").read_text(encoding="utf-8")


def _error_rows() -> list[tuple[str, str]]:
    section = PAGE[PAGE.index("## The checks, and their errors") :]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) != 3 or not cells[1].startswith("`") or "..." in cells[2]:
            continue
        rows.append((cells[1].strip("`"), cells[2].strip("`")))
    return rows


@pytest.mark.parametrize(("data", "message"), _error_rows())
def test_every_documented_error_is_the_real_one(data: str, message: str) -> None:
    with pytest.raises(InvalidContentError) as caught:
        gs1.parse(data)
    assert str(caught.value) == message


def test_the_error_table_is_complete() -> None:
    assert len(_error_rows()) == 16  # and the GS1-128 capacity row, in test_gs1_128.py


def test_the_interactive_examples_run() -> None:
    blocks = re.findall(r"```python\n(>>> .*?)```", PAGE, flags=re.DOTALL)
    assert len(blocks) == 2
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for index, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"gs1.md block {index}", "gs1.md", 0))
    results = runner.summarize(verbose=False)
    assert (results.failed, results.attempted) == (0, 9)


def test_the_modules_examples_run() -> None:
    results = doctest.testmod(gs1, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert (results.failed, results.attempted) == (0, 7)
