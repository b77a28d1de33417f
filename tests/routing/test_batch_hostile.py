"""``qrplex batch`` on hostile inputs: huge files and Ctrl-C, reports, malformed rows.

Ctrl-C is tested on a real ``qrplex batch`` subprocess with real ``SIGINT``s.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import qrplex
from qrplex._batch import (
    MAX_LINE_BYTES,
    ROWS_IN_FLIGHT_PER_WORKER,
    BatchRow,
    BatchSummary,
    read_rows,
    run_batch,
)
from qrplex.cli import main
from qrplex.testing import decode

posix_only = pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a subprocess")


def _start_batch(source: Path, out: Path, *extra: str, config: Path | None = None) -> Any:
    env = dict(os.environ)
    if config is not None:
        env["QRPLEX_CONFIG"] = str(config)
    command = [sys.executable, "-m", "qrplex.cli", "batch", str(source), "--out-dir", str(out)]
    return subprocess.Popen(
        [*command, *extra], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
    )


def _wait_for_outputs(process: Any, out: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"batch ended early: {process.stderr.read()}")
        if out.is_dir() and sum(1 for p in out.iterdir() if p.suffix == ".png") >= count:
            return
        time.sleep(0.01)
    process.kill()
    pytest.fail("no outputs appeared")


def _finish(process: Any, timeout: float) -> str:
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"still running {timeout} s after Ctrl-C; stderr: {err[-2000:]}")
    return str(err)


@posix_only
def test_ctrl_c_on_a_huge_input_stops_within_seconds(tmp_path: Path) -> None:
    source = tmp_path / "huge.txt"
    source.write_text("".join(f"row {n}\n" for n in range(300_000)), encoding="utf-8")
    out = tmp_path / "out"
    process = _start_batch(source, out, "-j", "2")
    _wait_for_outputs(process, out, 5)
    process.send_signal(signal.SIGINT)
    err = _finish(process, timeout=20)  # the unbounded code kept going for minutes
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "stopped after" in err
    assert "interrupted; run the same command again to resume" in err
    written = sum(1 for p in out.iterdir() if p.suffix == ".png")
    assert written < 20_000
    assert not [p for p in out.iterdir() if p.name.startswith(".qrplex-")]


@posix_only
def test_a_second_ctrl_c_ends_at_once_and_cleanly(
    tmp_path: Path, emulator_server: Any, emulator_app: Any, emulator_credentials: Any
) -> None:
    emulator_app.faults.set(latency=2.0)  # each row is in flight for 2 s
    creds = emulator_credentials
    config = tmp_path / "qrplex.toml"
    config.write_text(
        f'backend = "cloudinfinite"\nfallback = []\nretries = 0\n'
        f"[backends.cloudinfinite]\n"
        f'endpoint = "{emulator_server.base_url}"\nsecret_id = "{creds.secret_id}"\n'
        f'secret_key = "{creds.secret_key}"\nbucket = "{creds.bucket}"\n'
        f'region = "{creds.region}"\ntimeout = "10,10"\n',
        encoding="utf-8",
    )
    source = tmp_path / "in.txt"
    source.write_text("".join(f"slow {n}\n" for n in range(1000)), encoding="utf-8")
    out = tmp_path / "out"
    process = _start_batch(source, out, "-j", "1", config=config)
    _wait_for_outputs(process, out, 1)  # the next row has just started its 2 s
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    time.sleep(0.1)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # a third one must not make a traceback either
    err = _finish(process, timeout=20)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted again" in err
    assert time.monotonic() - started < 1.8  # did not wait out the row in flight


def test_rows_are_read_lazily_with_a_bounded_number_in_flight(tmp_path: Path) -> None:
    concurrency = 2
    limit = concurrency * ROWS_IN_FLIGHT_PER_WORKER
    seen: list[BatchSummary] = []
    ahead: list[int] = []

    def rows() -> Iterator[BatchRow]:
        for number in range(1, 121):
            if seen:
                ahead.append(number - 1 - seen[0].done)  # read, but not yet done
            yield BatchRow(number, {"content": f"lazy {number}"})

    with qrplex.Client() as client:
        summary = run_batch(
            client,
            rows(),
            tmp_path / "out",
            defaults={},
            concurrency=concurrency,
            progress=seen.append,
        )
    assert (summary.total, summary.written, summary.failed) == (120, 120, 0)
    assert max(ahead) <= limit


# -- reports ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
def test_a_report_path_that_is_the_input_is_refused(tmp_path: Path, capsys, how: str) -> None:
    source = tmp_path / "in.txt"
    source.write_text("a\nb\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    if how == "same path":
        report = source
    elif how == "symlink":
        report.symlink_to(source)
    else:
        os.link(source, report)
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out), "--report", str(report)]) == 1
    assert "is the input file" in capsys.readouterr().err
    assert source.read_text(encoding="utf-8") == "a\nb\n"
    assert not out.exists()  # refused before any row


def test_a_report_never_deletes_or_clobbers_someone_elses_file(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.txt"
    source.write_text("fine\n", encoding="utf-8")
    notes = tmp_path / "notes.csv"
    notes.write_text("my,own,data\n", encoding="utf-8")
    out = tmp_path / "out"
    # no failures: the file named as the report stays
    assert main(["batch", str(source), "--out-dir", str(out), "--report", str(notes)]) == 1
    assert "is not a qrplex report" in capsys.readouterr().err
    assert notes.read_text(encoding="utf-8") == "my,own,data\n"
    assert not out.exists()
    # a report from an earlier run is replaced by this run's
    bad = tmp_path / "bad.txt"
    bad.write_text("ok\n\t\n", encoding="utf-8")
    mine = tmp_path / "mine.csv"
    mine.write_text("row,content,error\r\n1,old,old reason\r\n", encoding="utf-8")
    assert main(["batch", str(bad), "--out-dir", str(out), "--report", str(mine)]) == 0
    assert "old reason" in mine.read_text(encoding="utf-8")  # nothing failed: kept
    source.write_text("590123412345\n5901234123458\n", encoding="utf-8")
    assert (
        main(["batch", str(source), "--out-dir", str(out), "-s", "ean13", "--report", str(mine)])
        == 1
    )
    text = mine.read_text(encoding="utf-8")
    assert "old reason" not in text
    assert "2,5901234123458" in text


def test_report_cells_are_neutralised_for_spreadsheets(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    hostile = ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\tTAB", "ＡＢＣ", "＝1+1"]
    source.write_text("\n".join(hostile) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out), "-s", "ean13"]) == 1
    with (out / "failed.csv").open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    contents = {record[1] for record in records[1:]}
    assert contents == {
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tTAB",
        "ＡＢＣ",
        "'＝1+1",
    }
    for record in records[1:]:
        assert not record[2].startswith(("=", "+", "-", "@", "\t", "\r"))


# -- malformed rows fail alone ---------------------------------------------------------


def _report(out: Path) -> dict[int, str]:
    with (out / "failed.csv").open(encoding="utf-8", newline="") as handle:
        return {int(r[0]): r[2] for r in list(csv.reader(handle))[1:]}


def test_malformed_csv_rows_fail_alone(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.csv"
    huge = "x" * (csv.field_size_limit() + 10)
    source.write_text(
        f"content,width\nfirst,200\nextra,200,surplus\n{huge},200\nsecond,\nwide,٣٠٠\nthird\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out)]) == 1
    assert "6 rows: 3 written, 0 skipped (already there), 3 failed" in capsys.readouterr().err
    report = _report(out)
    assert "3 fields, but the header names 2" in report[3]
    assert "field larger than field limit" in report[4]
    assert "is not a whole number" in report[6]
    names = sorted(p.name for p in out.glob("*.png"))
    assert [decode((out / n).read_bytes()) for n in names] == ["first", "second", "third"]


def test_malformed_jsonl_rows_fail_alone(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.jsonl"
    lines = [
        '{"content": "good"}',
        "[" * 100_000 + "]" * 100_000,
        '{"content": 5}',
        '{"content": ["a"]}',
        '{"content": "x", "width": true}',
        '{"content": "x", "width": 1.5}',
        '{"content": "x", "symbology": {}}',
        '{"content": "x", "file": ["f"]}',
        '{"content": "x", "width": ' + "1" * 5000 + "}",
        '{"content": "x", "width": "' + "1" * 5000 + '"}',
        '{"content": "line\u2028separator"}',
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out)]) == 1
    assert "11 rows: 2 written, 0 skipped (already there), 9 failed" in capsys.readouterr().err
    report = _report(out)
    assert "nested too deeply" in report[2]
    assert "content must be a string, not a number" in report[3]
    assert "content must be a string, not a list" in report[4]
    assert "width must be a whole number, not true/false" in report[5]
    assert "width must be a whole number, not a number" in report[6]
    assert "symbology must be a string, not an object" in report[7]
    assert "file must be a string, not a list" in report[8]
    assert "not usable JSON" in report[9]
    assert "is not a whole number" in report[10]
    made = [decode(p.read_bytes()) for p in sorted(out.glob("*.png"))]
    assert made == ["good", "line\u2028separator"]


@pytest.mark.parametrize(
    "separator", ["\u2028", "\u2029", "\u0085", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\r"]
)
def test_text_lines_end_at_newline_only(tmp_path: Path, separator: str) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(f"one{separator}piece\r\nnext\n".encode())
    contents = [row.kwargs["content"] for row in read_rows(source)]
    assert contents == [f"one{separator}piece", "next"]
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_bytes(
        (json.dumps({"content": f"a{separator}b"}, ensure_ascii=False) + "\r\n").encode()
    )
    assert [row.kwargs["content"] for row in read_rows(jsonl)] == [f"a{separator}b"]


def test_an_overlong_line_fails_alone_without_being_held(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.txt"
    with source.open("w", encoding="utf-8") as handle:
        handle.write("before\n")
        handle.write("y" * (MAX_LINE_BYTES * 3) + "\n")
        handle.write("after\n")
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out)]) == 1
    assert f"longer than {MAX_LINE_BYTES} bytes" in _report(out)[2]
    assert "3 rows: 2 written" in capsys.readouterr().err


def test_an_input_that_is_not_utf8_still_fails_before_any_row(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(b"ok\n" + b"fine\n" * 5000 + b"\xff bad\n")
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out)]) == 1
    assert "line 5002 is not UTF-8 (byte 0xFF)" in capsys.readouterr().err
    assert not out.exists()


def test_the_report_is_valid_csv_with_awkward_content(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"content": 'a,"b"\nc', "symbology": "ean13"}) + "\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out)]) == 1
    records = list(csv.reader(io.StringIO((out / "failed.csv").read_text(encoding="utf-8"))))
    assert records[1][:2] == ["1", 'a,"b"\nc']
