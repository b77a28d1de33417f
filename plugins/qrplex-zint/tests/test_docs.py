"""docs/zint.md runs: each Python example prints what the page says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs" / "zint.md"
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def _examples() -> list[tuple[str, str | None]]:
    blocks = _BLOCK.findall(DOCS.read_text("utf-8"))
    found = []
    for index, (language, body) in enumerate(blocks):
        if language == "python":
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            found.append((body, following[1] if following and following[0] == "text" else None))
    return found


@pytest.mark.parametrize("index", range(len(_examples())))
def test_the_example_prints_what_the_page_says(index: int) -> None:
    source, expected = _examples()[index]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, f"docs/zint.md example {index}", "exec"), {})
    if expected is not None:
        assert out.getvalue() == expected
