"""Resuming keys rows by name and request; the coordinator's sets spill to disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import qrplex
from qrplex import _names
from qrplex._batch import BatchRow, run_batch
from qrplex._names import NameSet, RowNames


def _rows(contents: list[str], files: list[str | None] | None = None) -> list[BatchRow]:
    files = files or [None] * len(contents)
    return [
        BatchRow(number, {"content": content}, file)
        for number, (content, file) in enumerate(zip(contents, files, strict=True), start=1)
    ]


def test_name_set_spills_to_disk_and_still_finds_every_claim() -> None:
    names = NameSet(spill_at=100)
    for number in range(1, 301):
        assert names.claim(f"{number:06d}.png", number) is None
    assert names.spilled
    assert names.claim("000050.png", 9999) == 50  # claimed before the spill
    assert names.claim("000250.png", 9999) == 250  # claimed after it
    assert len(names) == 300
    names.close()


def test_row_names_spill_to_disk_and_still_answer() -> None:
    done = RowNames(spill_at=_names._CHUNK)
    for row in (1, 5, 70_000, 200_000, 10**12):
        done.set(row, f"key {row}")
    assert done.spilled
    assert done.has(70_000, "key 70000")
    assert done.has(10**12, "key 1000000000000")
    assert not done.has(5, "another key")
    assert not done.has(6, "key 6")
    assert len(done) == 5
    done.close()


def test_a_batch_past_the_spill_point_still_refuses_duplicates_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_names, "SPILL_AT", 4)
    out = tmp_path / "out"
    files: list[str | None] = [f"f{n}" for n in range(12)] + ["f3"]
    rows = _rows([f"spill {n}" for n in range(13)], files)
    with qrplex.Client() as client:
        first = run_batch(client, iter(rows), out, defaults={}, concurrency=2)
        assert (first.written, first.failed) == (12, 1)
        assert "already used by row 4" in next(iter(first.failures))[1]
        again = run_batch(client, iter(rows), out, defaults={}, concurrency=2)
    assert (again.skipped, again.written, again.failed) == (12, 0, 1)


def test_a_row_whose_content_changed_is_not_skipped(tmp_path: Path) -> None:
    # Another input in the same folder: same row numbers and output names, other contents.
    out = tmp_path / "out"
    prefix = "https://example.com/a/long/path/that/fills/the/slug/"
    old = _rows([prefix + "1", prefix + "2", "same"], ["a", "b", None])
    new = _rows([prefix + "9", prefix + "2", "same"], ["a", "b", None])
    with qrplex.Client() as client:
        assert run_batch(client, iter(old), out, defaults={}).written == 3
        again = run_batch(client, iter(new), out, defaults={})
        assert (again.skipped, again.written) == (2, 1)
        bigger = run_batch(client, iter(new), out, defaults={"width": 300})
        assert (bigger.skipped, bigger.written) == (0, 3)  # options count too
        other = run_batch(client, iter(new), out, defaults={"width": 300, "backend": "local"})
    assert other.skipped == 3  # the backend does not change what was asked for
    records = [
        json.loads(line)
        for part in sorted((out / "manifest").iterdir())
        for line in part.read_text().splitlines()
    ]
    assert all(len(r["request"]) == 32 for r in records if r["error"] is None)


def test_the_latest_run_decides_even_within_one_second(tmp_path: Path) -> None:
    # A, then B over the same names, then A again: the objects hold B's codes, so A's rows
    # are written again (an older part read last would wrongly call them done).
    out = tmp_path / "out"
    first = _rows([f"first {n}" for n in range(4)], [f"n{n}" for n in range(4)])
    second = _rows([f"second {n}" for n in range(4)], [f"n{n}" for n in range(4)])
    with qrplex.Client() as client:
        for _ in range(3):
            assert run_batch(client, iter(first), out, defaults={}).written == 4
            assert run_batch(client, iter(second), out, defaults={}).written == 4
