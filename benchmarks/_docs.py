"""Pasting the latest results into ``docs/benchmarks.md`` (between two marker comments)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DOCS", "END", "START", "paste_results"]

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
START = "<!-- benchmarks:results:start -->"
END = "<!-- benchmarks:results:end -->"


def paste_results(markdown: str, docs: Path = DOCS) -> None:
    """Replace what lies between :data:`START` and :data:`END` in ``docs`` with ``markdown``.

    Raises:
        ValueError: the markers are missing or out of order.
    """
    text = docs.read_text(encoding="utf-8")
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{docs}: no {START} ... {END} block to replace")
    head, tail = text[: start + len(START)], text[end:]
    docs.write_text(f"{head}\n\n{markdown.strip()}\n\n{tail}", encoding="utf-8")
