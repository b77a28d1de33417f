"""docs/gs1.md says what qrplex does: its error table and its examples are run."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from qrplex import InvalidContentError, gs1

PAGE_DIR = Path(__file__).resolve().parents[2] / "docs"
PAGE = (PAGE_DIR / "gs1.md").read_text(encoding="utf-8")


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


def test_the_symbologies_page_lists_what_is_registered() -> None:
    """docs/symbologies.md prints ``qrplex.symbologies()`` as it is in a clone (qrplex-zint
    installed); it showed the core's nine only, without gs1-128 or the plugin's."""
    import contextlib
    import io

    page = (PAGE_DIR / "symbologies.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(\w+)\n(.*?)```", page, re.DOTALL)
    index = next(i for i, (_, body) in enumerate(blocks) if "qrplex.symbologies()" in body)
    assert blocks[index + 1][0] == "text"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[index][1], "docs/symbologies.md", "exec"), {})
    assert out.getvalue() == blocks[index + 1][1]
