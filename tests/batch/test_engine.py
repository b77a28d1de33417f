"""The batch engine's promises that need no cluster: secrets never shipped, one overall rate,
progress output, extras imported only when used (and named when missing)."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import qrplex
from qrplex._batch import BatchRow, BatchSummary, run_batch
from qrplex._progress import Progress
from qrplex_cloudinfinite.emulator import EmulatorServer


class RecordingExecutor(ThreadPoolExecutor):
    """A real thread pool that also keeps every task as it would be pickled to a worker."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers)
        self.payloads: list[bytes] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.payloads.append(pickle.dumps((fn, args, kwargs)))
        return super().submit(fn, *args, **kwargs)


class CountingApp:
    """The emulator, noting when each request arrives."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.times.append(time.monotonic())
        await self.app(scope, receive, send)


def _cloud_env(monkeypatch: pytest.MonkeyPatch, server: Any, creds: Any) -> None:
    for key, value in {
        "ENDPOINT": server.base_url,
        "SECRET_ID": creds.secret_id,
        "SECRET_KEY": creds.secret_key,
        "BUCKET": creds.bucket,
        "REGION": creds.region,
    }.items():
        monkeypatch.setenv(f"QRPLEX_CLOUDINFINITE_{key}", value)


def test_secrets_never_travel_in_the_tasks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emulator_server: Any,
    emulator_credentials: Any,
) -> None:
    creds = emulator_credentials
    _cloud_env(monkeypatch, emulator_server, creds)  # how workers get them
    # ... and the caller also passes them explicitly, and in its own environ mapping
    explicit = {"backends": {"cloudinfinite": {"secret_key": creds.secret_key}}}
    environ = {
        "QRPLEX_CLOUDINFINITE_SECRET_KEY": creds.secret_key,
        "QRPLEX_RETRIES": "1",
        "AWS_SECRET_ACCESS_KEY": "not-qrplex-business",  # a whole os.environ passed on
    }
    rows = [BatchRow(n, {"content": f"secret row {n}"}) for n in range(1, 9)]
    executor = RecordingExecutor(2)
    with executor, qrplex.Client(backend="cloudinfinite", fallback=[], config=explicit) as client:
        summary = run_batch(
            client, iter(rows), tmp_path / "out", defaults={}, executor=executor, partition_rows=3
        )
        with qrplex.Client(backend="local", environ=environ) as other:
            other.generate_many(["x", "y"], executor=executor)
    assert (summary.written, summary.failed) == (8, 0)
    assert summary.served_by == {"cloudinfinite": 8}
    assert len(executor.payloads) == 5  # 3 partitions of the batch, 2 of generate_many
    for payload in executor.payloads:
        assert creds.secret_key.encode() not in payload
        assert creds.secret_id.encode() not in payload  # also a secret setting
        assert b"not-qrplex-business" not in payload
    assert b"QRPLEX_RETRIES" in executor.payloads[-1]  # the rest of environ does travel


def test_one_rate_for_the_whole_batch_is_split_across_workers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emulator_app: Any,
    emulator_credentials: Any,
) -> None:
    counting = CountingApp(emulator_app)
    server = EmulatorServer(counting)  # type: ignore[arg-type]
    server.start()
    try:
        _cloud_env(monkeypatch, server, emulator_credentials)
        rows = [BatchRow(n, {"content": f"rated {n}"}) for n in range(1, 41)]
        with (
            ThreadPoolExecutor(2) as executor,
            qrplex.Client(backend="cloudinfinite", fallback=[]) as client,
        ):
            summary = run_batch(
                client,
                iter(rows),
                tmp_path / "out",
                defaults={},
                executor=executor,
                partition_rows=5,
                rate=20.0,
                concurrency=4,  # threads per partition: the share still holds
            )
    finally:
        server.stop()
    assert summary.written == 40
    times = sorted(counting.times)
    assert len(times) >= 40
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 26, f"{busiest} requests in one second at a rate of 20/s"


def test_progress_lines_when_not_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "rows.txt"
    source.write_text("".join(f"p {n}\n" for n in range(300)), encoding="utf-8")
    command = [sys.executable, "-m", "qrplex.cli", "batch", str(source)]
    done = subprocess.run(
        [*command, "--out-dir", str(tmp_path), "--progress-every", "0.05", "-j", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("qrplex: progress:")]
    assert len(lines) >= 2, done.stderr
    assert "\r" not in done.stderr  # no bar drawn into a log
    assert "300 rows done  ok 300  failed 0" in lines[-1]
    assert "100%" in lines[-1]
    assert "/s" in lines[0]
    assert "ETA" in lines[0]


def test_progress_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    bar = Progress(stream, bar=True)
    summary = BatchSummary(total=50, written=40, expected=200)
    summary.failures.append((BatchRow(3, {"content": "x"}), "reason"))
    bar(summary)
    bar.finish(summary)
    text = stream.getvalue()
    assert text.startswith("\r[")
    assert " 20% " in text
    assert "41 rows done  ok 40  failed 1" in text
    assert "ETA " in text
    assert text.endswith("\n")


_BLOCK = """
import importlib.abc, sys
class Uninstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Uninstalled())
from qrplex.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("blocked", "option", "extra"),
    [
        ({"fsspec"}, ["--out-dir", "memory://x"], "qrplex[fsspec]"),
        ({"s3fs"}, ["--out-dir", "s3://bucket/x"], "qrplex[s3]"),
        ({"distributed", "dask"}, ["--out-dir", "OUT", "--dask", "local:1"], "qrplex[dask]"),
    ],
)
def test_a_missing_extra_is_named(
    tmp_path: Path, blocked: set[str], option: list[str], extra: str
) -> None:
    source = tmp_path / "rows.txt"
    source.write_text("a\n", encoding="utf-8")
    options = [str(tmp_path / "out") if o == "OUT" else o for o in option]
    script = _BLOCK.replace("BLOCKED", repr(blocked))
    done = subprocess.run(
        [sys.executable, "-c", script, "batch", str(source), *options],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"pip install '{extra}'" in done.stderr
    assert "Traceback" not in done.stderr


def test_import_qrplex_loads_no_batch_extra() -> None:
    script = (
        "import sys, json, qrplex, qrplex.cli, qrplex._batch, qrplex._engine\n"
        "print(json.dumps(sorted(m for m in ('fsspec', 's3fs', 'dask', 'distributed', 'tqdm')"
        " if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []


def test_a_manifest_line_that_is_not_a_record_leaves_the_row_to_do(tmp_path: Path) -> None:
    out = tmp_path / "out"
    rows = [BatchRow(n, {"content": f"m {n}"}) for n in range(1, 4)]
    with qrplex.Client() as client:
        assert run_batch(client, iter(rows), out, defaults={}).written == 3
        part = next((out / "manifest").iterdir())
        lines = part.read_text().splitlines()
        huge = json.dumps({"row": 10**15, "name": "x.png", "size": 1, "sha256": "0" * 64})
        part.write_text("\n".join([lines[0], "{not json", lines[2][:-5], huge]) + "\n")
        again = run_batch(client, iter(rows), out, defaults={})
    assert (again.skipped, again.written) == (1, 2)


def test_a_second_run_waits_for_nothing_it_cannot_see(tmp_path: Path) -> None:
    # Names claimed within a run stay unique across a million-row-scale name set.
    from qrplex._names import NameSet

    names = NameSet()
    for number in range(1, 5001):
        assert names.claim(f"{number:06d}.png", number) is None
    assert names.claim("002500.png", 9999) == 2500
    assert len(names) == 5000


def test_the_manifest_is_flushed_while_the_batch_runs(tmp_path: Path) -> None:
    from qrplex import _manifest

    out = tmp_path / "out"
    seen: list[int] = []

    def rows() -> Any:
        for number in range(1, 61):
            if number == 60:
                folder = out / "manifest"
                seen.append(len(list(folder.iterdir())) if folder.exists() else 0)
            yield BatchRow(number, {"content": f"f {number}"})

    old = _manifest.PART_ROWS
    _manifest.PART_ROWS = 10
    try:
        with qrplex.Client() as client:
            run_batch(client, rows(), out, defaults={}, concurrency=1)
    finally:
        _manifest.PART_ROWS = old
    assert seen[0] >= 3  # parts written as rows finish, not only at the end


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_is_a_bar_on_a_real_terminal(tmp_path: Path) -> None:
    import os
    import pty

    source = tmp_path / "rows.txt"
    source.write_text("".join(f"t {n}\n" for n in range(50)), encoding="utf-8")
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "qrplex.cli", "batch", str(source), "--out-dir", str(tmp_path)],
            stderr=follower,
            stdout=subprocess.DEVNULL,
        )
        os.close(follower)  # read while it runs: a full terminal buffer would block it
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
    finally:
        os.close(leader)
    text = b"".join(chunks).decode()
    assert process.returncode == 0, text
    assert "\r[" in text  # redrawn in place
    assert "50 rows done  ok 50  failed 0" in text
    assert "qrplex: progress:" not in text  # no log lines on a terminal


def test_generate_many_checks_its_executor_argument() -> None:
    with qrplex.Client() as client, ThreadPoolExecutor(1) as executor:
        with pytest.raises(qrplex.InvalidOptionError, match="not both"):
            client.generate_many(["x"], processes=1, executor=executor)
        with pytest.raises(qrplex.InvalidOptionError, match=r"concurrent\.futures\.Executor"):
            client.generate_many(["x"], executor="dask")  # type: ignore[arg-type]
        results = client.generate_many(["one", 42, "two"], executor=executor)  # type: ignore[list-item]
    assert isinstance(results[1], qrplex.InvalidRequestError)  # failed alone, never shipped
    assert [r.backend for r in results if isinstance(r, qrplex.CodeImage)] == ["local", "local"]


def test_batch_arguments_that_cannot_work_are_one_line_errors(tmp_path: Path, capsys: Any) -> None:
    from qrplex.cli import main

    assert main(["batch", "--out-dir", str(tmp_path)]) == 1
    assert "name the INPUT file (or use --verify-manifest)" in capsys.readouterr().err
    assert main(["batch", "--verify-manifest", "--out-dir", str(tmp_path)]) == 1
    assert "has no manifest (nothing to verify)" in capsys.readouterr().err
    source = tmp_path / "rows.txt"
    source.write_text("a\n", encoding="utf-8")
    assert main(["batch", str(source), "--verify-manifest", "--out-dir", str(tmp_path)]) == 1
    assert "give no INPUT" in capsys.readouterr().err
    assert main(["batch", str(source), "--out-dir", "nope://bucket/x"]) == 1
    assert "nope" in capsys.readouterr().err


def test_failed_rows_past_a_few_thousand_wait_on_disk_and_come_back_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv

    from qrplex import _failures
    from qrplex.cli import main

    monkeypatch.setattr(_failures, "SPILL_AT", 7)  # spill every 7 failures
    source = tmp_path / "rows.txt"
    lines = [f"{'good' if n % 5 == 0 else 'bad'} {n}" for n in range(1, 61)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out), "-s", "ean13", "-j", "4"]) == 1
    with (out / "failed.csv").open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))[1:]
    assert [int(r[0]) for r in records] == list(range(1, 61))  # every row, in order
    assert records[9][1] == "good 10"
    assert all("InvalidContentError" in r[2] for r in records)


def test_verify_never_reads_outside_the_outputs_for_a_damaged_manifest(
    tmp_path: Path, capsys: Any
) -> None:
    from qrplex.cli import main

    secret = tmp_path / "private.txt"
    secret.write_text("not an output", encoding="utf-8")
    out = tmp_path / "out"
    (out / "manifest").mkdir(parents=True)
    record = {"row": 1, "name": "../private.txt", "size": 13, "sha256": "0" * 64, "error": None}
    (out / "manifest" / "x.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert main(["batch", "--verify-manifest", "--out-dir", str(out)]) == 1
    err = capsys.readouterr().err
    assert "row 1: ../private.txt: not a name qrplex writes: not read" in err
