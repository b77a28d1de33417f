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


def test_verify_records_what_it_found_and_the_next_run_remakes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from qrplex.cli import main

    source = tmp_path / "rows.txt"
    long = "v" * 45  # names keep 40 characters of the content: row 6's name stays the same
    source.write_text("".join(f"{long}{n}\n" for n in range(1, 7)))
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out), "-j", "2"]) == 0
    source.write_text("".join(f"{long}{n}\n" for n in range(1, 6)) + f"{long}changed\n")
    assert main(["batch", str(source), "--out-dir", str(out), "-j", "2"]) == 0
    verify = ["batch", "--verify-manifest", "--out-dir", str(out)]
    assert main(verify) == 0  # row 6's first record is superseded, not a changed output
    capsys.readouterr()
    outputs = sorted(out.glob("*.png"))
    outputs[0].unlink()
    outputs[1].write_bytes(b"changed")
    assert main(verify) == 1
    err = capsys.readouterr().err
    assert f"row 1: {outputs[0].name}: missing" in err
    assert f"row 2: {outputs[1].name}: size 7" in err
    assert main(["batch", str(source), "--out-dir", str(out)]) == 0
    assert "2 written, 4 skipped" in capsys.readouterr().err
    assert main(verify) == 0
    assert "6 outputs checked against the manifest: 6 match" in capsys.readouterr().err


def test_dask_at_an_address_that_is_not_a_scheduler_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A service answering with other bytes: Dask reads them as a huge frame length.
    import socket
    import threading
    import time

    import distributed  # noqa: F401  (the dev group installs it: a missing one fails, not skips)

    from qrplex.cli import main

    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"\xff" * 64 + b"HTTP/1.1 400 Bad Request\r\n\r\n")
                time.sleep(0.2)

    threading.Thread(target=answer, daemon=True).start()
    source = tmp_path / "rows.txt"
    source.write_text("a\n")
    address = f"tcp://127.0.0.1:{port}"
    start = time.monotonic()
    try:
        code = main(["batch", str(source), "--out-dir", str(tmp_path / "o"), "--dask", address])
    finally:
        server.close()
    err = capsys.readouterr().err
    assert code != 0
    assert f"--dask tcp://127.0.0.1:{port}: cannot reach a Dask scheduler there" in err
    assert "Traceback" not in err
    assert time.monotonic() - start < 40
