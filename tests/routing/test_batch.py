"""``qrplex batch``: inputs, safe names, re-runs, reports; ``generate_many`` ordering."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import qrplex
from qrplex._batch import BatchRow, safe_file_name
from qrplex.cli import main
from qrplex.testing import decode


def test_text_input_writes_one_decodable_image_per_line(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.txt"
    source.write_text("alpha\n\nbeta\nγάμμα\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out)]) == 0
    files = sorted(out.glob("*.png"))  # and the manifest folder
    assert [f.name for f in files] == ["000001-alpha.png", "000003-beta.png", "000004.png"]
    assert [decode(f.read_bytes()) for f in files] == ["alpha", "beta", "γάμμα"]
    assert "3 rows: 3 written, 0 skipped (already there), 0 failed" in capsys.readouterr().err


def test_csv_rows_with_failures_get_a_report_and_reruns_skip(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "content,symbology,width,file\n"
        "590123412345,ean13,300,product\n"
        "5901234123458,ean13,,bad-check\n"
        "hello,qr,200,../../escape\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out)]) == 1
    assert decode((out / "product.png").read_bytes()) == "5901234123457"
    assert decode((out / "escape.png").read_bytes()) == "hello"
    assert not (tmp_path / "escape.png").exists()
    report = (out / "failed.csv").read_text(encoding="utf-8")
    assert '3,5901234123458,"InvalidContentError: ' in report
    assert "check digit" in report
    capsys.readouterr()
    assert main(["batch", str(source), "--out-dir", str(out)]) == 1
    assert "3 rows: 0 written, 2 skipped (already there), 1 failed" in capsys.readouterr().err


def test_jsonl_input(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    lines = [{"content": "one", "format": "svg"}, {"content": "two", "width": 300}]
    source.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out)]) == 0
    outputs = sorted(p.name for p in out.iterdir() if p.name != "manifest")
    assert outputs == ["000001-one.svg", "000002-two.png"]


def test_bad_input_file_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.csv"
    source.write_text("text\nx\n", encoding="utf-8")
    assert main(["batch", str(source), "--out-dir", str(tmp_path / "o")]) == 1
    assert "needs a 'content' column" in capsys.readouterr().err


@pytest.mark.parametrize(
    "given", ["../../etc/passwd", "/abs/path.png", "..", "a/../../b", "con\x00.png", "ü.png"]
)
def test_file_names_never_leave_the_directory(given: str) -> None:
    name = safe_file_name(BatchRow(7, {"content": "x"}, given), "png")
    assert "/" not in name
    assert "\\" not in name
    assert not name.startswith(".")
    assert name.endswith(".png")


def test_generate_many_keeps_order_and_returns_errors_in_place() -> None:
    items = ["a", {"content": "590123412345", "symbology": "ean13"}, "", "d"]
    with qrplex.Client() as client:
        results = client.generate_many(items, concurrency=3)
        async_results = asyncio.run(client.agenerate_many(items, concurrency=2))
    for batch in (results, async_results):
        assert isinstance(batch[2], qrplex.InvalidContentError)
        texts = [decode(r.data) for r in batch if isinstance(r, qrplex.CodeImage)]
        assert texts == ["a", "5901234123457", "d"]


def test_generate_many_in_worker_processes_keeps_order_and_errors() -> None:
    items = [f"p{i}" for i in range(12)] + [""]
    with qrplex.Client() as client:
        client.generate("warm up")  # the client has looked its registry up by now
        results = client.generate_many(items, processes=2)
    assert isinstance(results[-1], qrplex.InvalidContentError)
    assert [decode(r.data) for r in results[:-1] if isinstance(r, qrplex.CodeImage)] == items[:-1]


def test_backend_errors_survive_pickling_between_processes() -> None:
    import pickle

    error = qrplex.BackendUnavailableError(
        "slow down", backend="cloudinfinite", status=503, code="SlowDown", retry_after=2.0
    )
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.retry_after, copy.transient) == (str(error), 2.0, True)


def test_malformed_rows_fail_alone_and_names_never_collide(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"content": "good", "file": "same"}\n'
        "not json\n"
        '["a list"]\n'
        '{"content": "other", "file": "same"}\n'
        '{"content": "w", "width": "wide"}\n'
        '{"content": "c", "colour": "red"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out)]) == 1
    assert decode((out / "same.png").read_bytes()) == "good"
    report = (out / "failed.csv").read_text(encoding="utf-8")
    for expected in (
        "not JSON",
        "expected a JSON object",
        "already used by row 1",
        "'wide' is not a whole number",
        "unknown column 'colour'",
    ):
        assert expected in report
    assert "6 rows: 1 written, 0 skipped (already there), 5 failed" in capsys.readouterr().err


def test_input_that_is_not_utf8_is_one_clear_error(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(b"ok\n\xff bad\n")
    assert main(["batch", str(source), "--out-dir", str(tmp_path / "o")]) == 1
    assert "line 2 is not UTF-8 (byte 0xFF)" in capsys.readouterr().err


def test_batch_wide_mistakes_fail_before_any_row(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.txt"
    source.write_text("a\nb\n", encoding="utf-8")
    assert main(["batch", str(source), "--out-dir", str(tmp_path / "o"), "-s", "nope"]) == 1
    assert "unknown symbology 'nope': use one of" in capsys.readouterr().err
    assert not (tmp_path / "o" / "failed.csv").exists()


def test_a_stale_report_is_kept_and_named_when_everything_succeeds(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.txt"
    source.write_text("a\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "failed.csv").write_text("row,content,error\n9,old,reason\n", encoding="utf-8")
    assert main(["batch", str(source), "--out-dir", str(out)]) == 0
    assert (out / "failed.csv").read_text(encoding="utf-8").endswith("9,old,reason\n")
    assert "failed.csv is from an earlier run" in capsys.readouterr().err


def test_a_malformed_item_fails_alone_in_generate_many() -> None:
    with qrplex.Client() as client:
        results = client.generate_many(["ok", 42, {"no": "content"}])  # type: ignore[list-item]
        async_results = asyncio.run(client.agenerate_many(["ok", 42]))  # type: ignore[list-item]
    assert isinstance(results[0], qrplex.CodeImage)
    assert all(isinstance(r, qrplex.InvalidRequestError) for r in results[1:])
    assert isinstance(async_results[1], qrplex.InvalidRequestError)


def test_worker_processes_refuse_a_private_registry() -> None:
    from qrplex._registry import Registry

    with (
        qrplex.Client(registry=Registry()) as client,
        pytest.raises(qrplex.InvalidOptionError, match="own registry"),
    ):
        client.generate_many(["x"], processes=1)


_CTRL_C_SCRIPT = """
import sys
import qrplex

items = [f"item {i}" for i in range(200_000)]
with qrplex.Client(backend="local") as client:
    print("started", flush=True)
    try:
        client.generate_many(items, concurrency=4, processes=PROCESSES)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
print("finished every item", flush=True)
"""


@pytest.mark.parametrize("processes", [None, 2])
def test_ctrl_c_stops_generate_many_within_seconds(processes: int | None) -> None:
    # 200,000 local codes take minutes: Ctrl-C must drop what is queued, not run it all.
    import os
    import signal
    import subprocess
    import sys
    import time

    script = _CTRL_C_SCRIPT.replace("PROCESSES", repr(processes))
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell job has
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "started"
        time.sleep(1.0)  # let it get going
        os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: workers too
        sent = time.monotonic()
        out, err = child.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        child.kill()
        child.wait()
    assert "interrupted" in out, err
    assert child.returncode == 130
    assert "Traceback" not in err, err
    assert took < 10, f"generate_many kept going for {took:.1f} s after Ctrl-C"


_SAFE_POINT_SCRIPT = """
import faulthandler, os, signal, sys, threading, time
import qrplex


class Image:
    data = b"x"
    backend = "stub"
    attempts = ()


client = qrplex.Client(backend="local")
client.generate = lambda **kwargs: (time.sleep(0.01), Image())[1]
calls = [0]
sent = [False]


def tracer(frame, event, arg):
    # Python's Condition.__enter__ acquires its lock, then checks for signals: the moment
    # where a KeyboardInterrupt raised by the default handler leaves the lock held.
    if (
        event == "call"
        and frame.f_code is threading.Condition.__enter__.__code__
        and frame.f_back.f_code is threading.Semaphore.acquire.__code__
        and threading.current_thread() is threading.main_thread()
    ):
        calls[0] += 1
        if calls[0] >= 20 and not sent[0]:  # the pool's threads are up and busy
            frame.f_trace_opcodes = True
            return inside
    return None


def inside(frame, event, arg):
    if event == "opcode" and frame.f_locals["self"]._lock.locked() and not sent[0]:
        sent[0] = True
        sys.settrace(None)
        os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, right there
    return inside


faulthandler.dump_traceback_later(8, exit=True)
sys.settrace(tracer)
try:
    client.generate_many([f"i{i}" for i in range(2000)], concurrency=4)
except KeyboardInterrupt:
    print("interrupted", sent[0], flush=True)
"""


def test_ctrl_c_inside_the_pools_lock_does_not_hang_generate_many() -> None:
    # The cause of the flaky test above, made to happen every time: a Ctrl-C arriving just
    # after the main thread took the thread pool's idle-semaphore lock. Raised there, it left
    # the lock held, the workers blocked for ever when they finished a row, and the pool's
    # shutdown waited for them for ever. Ctrl-C now only sets a flag, read between calls.
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _SAFE_POINT_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "interrupted True", done.stderr[-2000:]
    assert done.returncode == 0
