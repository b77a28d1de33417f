"""Batches on a real Dask LocalCluster, into a real S3 API (moto in server mode)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import qrplex
from qrplex._batch import BatchRow, run_batch
from qrplex.cli import main
from qrplex.testing import decode

BUCKET = "qrplex-batch-tests"  # made by the s3_endpoint fixture (conftest.py)


def _manifest(fs: Any, prefix: str) -> list[dict[str, Any]]:
    fs.invalidate_cache()
    records = []
    for path in sorted(fs.ls(f"{prefix}/manifest", detail=False)):
        for line in fs.cat_file(path).decode().splitlines():
            records.append(json.loads(line))
    return records


def test_a_batch_on_dask_into_s3_resumes_and_verifies(
    tmp_path: Path, dask_address: str, s3: Any, capsys: Any
) -> None:
    source = tmp_path / "rows.txt"
    source.write_text("".join(f"code {n}\n" for n in range(1, 41)), encoding="utf-8")
    url = f"s3://{BUCKET}/first"
    command = ["batch", str(source), "--out-dir", url, "--dask", dask_address]
    assert main([*command, "--partition-rows", "7"]) == 0
    assert "40 rows: 40 written, 0 skipped (already there), 0 failed" in capsys.readouterr().err
    records = _manifest(s3, f"{BUCKET}/first")
    assert sorted(r["row"] for r in records) == list(range(1, 41))
    for record in records:
        data = s3.cat_file(f"{BUCKET}/first/{record['name']}")
        assert (record["size"], record["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
        assert record["backend"] == "local"
        assert record["error"] is None
    assert decode(s3.cat_file(f"{BUCKET}/first/000007-code_7.png")) == "code 7"
    pngs = [p for p in s3.ls(f"{BUCKET}/first", detail=False) if p.endswith(".png")]
    assert len(pngs) == 40
    # a re-run reads the manifest, not the objects: nothing to do
    assert main(command) == 0
    assert "40 rows: 0 written, 40 skipped (already there)" in capsys.readouterr().err
    # --verify-manifest re-reads every object
    assert main(["batch", "--verify-manifest", "--out-dir", url]) == 0
    assert "40 outputs checked against the manifest: 40 match" in capsys.readouterr().err
    s3.pipe_file(f"{BUCKET}/first/000003-code_3.png", b"\x89PNG changed")
    s3.rm_file(f"{BUCKET}/first/000005-code_5.png")
    blob = s3.cat_file(f"{BUCKET}/first/000009-code_9.png")
    s3.pipe_file(f"{BUCKET}/first/000009-code_9.png", bytes([blob[0] ^ 1]) + blob[1:])
    assert main(["batch", "--verify-manifest", "--out-dir", url]) == 1
    err = capsys.readouterr().err
    assert "row 3: 000003-code_3.png: size 12, recorded" in err
    assert "row 5: 000005-code_5.png: missing" in err
    assert "row 9: 000009-code_9.png: SHA-256 differs" in err
    assert "37 match, 3 missing or changed" in err


def test_a_partial_object_is_never_counted_as_done(tmp_path: Path, s3: Any, capsys: Any) -> None:
    # An interrupted writer left a truncated object, and no manifest record: the re-run
    # writes it again rather than taking its presence for done.
    source = tmp_path / "rows.txt"
    source.write_text("alpha\nbeta\n", encoding="utf-8")
    url = f"s3://{BUCKET}/partial"
    s3.pipe_file(f"{BUCKET}/partial/000001-alpha.png", b"\x89PNG\r\n\x1a\n")
    assert main(["batch", str(source), "--out-dir", url]) == 0
    assert "2 rows: 2 written, 0 skipped" in capsys.readouterr().err
    assert decode(s3.cat_file(f"{BUCKET}/partial/000001-alpha.png")) == "alpha"
    # the same locally: a half-written file is not done either
    out = tmp_path / "out"
    out.mkdir()
    (out / "000002-beta.png").write_bytes(b"\x89PNG")
    assert main(["batch", str(source), "--out-dir", str(out)]) == 0
    assert decode((out / "000002-beta.png").read_bytes()) == "beta"


def _worker_pids(client: Any) -> list[int]:
    return list(client.run(os.getpid).values())


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
    tmp_path: Path, dask_client: Any
) -> None:
    out = tmp_path / "out"
    rows = [BatchRow(n, {"content": f"row {n}", "width": 800}) for n in range(1, 161)]
    result: dict[str, Any] = {}

    def run() -> None:
        with qrplex.Client() as client:
            result["summary"] = run_batch(
                client,
                iter(rows),
                out,
                defaults={},
                executor=dask_client.get_executor(),
                partition_rows=8,
            )

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 60
    while sum(1 for _ in out.glob("*.png")) < 16 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.is_alive(), "the batch ended before a worker could be killed"
    os.kill(_worker_pids(dask_client)[0], signal.SIGKILL)
    worker.join(120)
    first = result["summary"]
    assert first.written + first.failed == 160
    # the re-run does whatever the first could not (nothing, if Dask rescheduled it all)
    with qrplex.Client() as client:
        second = run_batch(
            client, iter(rows), out, defaults={}, executor=dask_client.get_executor()
        )
    assert second.failed == 0
    assert second.skipped + second.written == 160
    written = []
    for part in sorted((out / "manifest").iterdir()):
        written += [r for r in map(json.loads, part.read_text().splitlines()) if not r["error"]]
    assert sorted(r["row"] for r in written) == list(range(1, 161))  # once each
    assert sorted(p.name for p in out.glob("*.png")) == sorted(r["name"] for r in written)
    for record in written:
        data = (out / record["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == record["sha256"]


def test_generate_many_takes_a_dask_executor(dask_client: Any) -> None:
    items = [f"d{i}" for i in range(20)] + ["", {"content": "590123412345", "symbology": "ean13"}]
    with qrplex.Client() as client:
        results = client.generate_many(items, executor=dask_client.get_executor())
    assert isinstance(results[20], qrplex.InvalidContentError)
    texts = [decode(r.data) for r in results if isinstance(r, qrplex.CodeImage)]
    assert texts == [*items[:20], "5901234123457"]


def test_a_malformed_dask_address_fails_before_any_row(tmp_path: Path, capsys: Any) -> None:
    source = tmp_path / "rows.txt"
    source.write_text("a\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", str(source), "--out-dir", str(out), "--dask", "local:many"]) == 1
    assert "local:N takes N worker processes" in capsys.readouterr().err
    assert not out.exists()
    assert main(["batch", str(source), "--out-dir", "memory://x", "--dask", "local:1"]) == 1
    assert "Dask workers cannot write to" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["memory://qrplex-tests/memory-run"])
def test_outputs_at_an_fsspec_url_in_process(tmp_path: Path, url: str, capsys: Any) -> None:
    import fsspec

    source = tmp_path / "rows.csv"
    source.write_text("content,file\nhello,h\n=1+1,f\n", encoding="utf-8")
    assert main(["batch", str(source), "--out-dir", url]) == 0
    fs, root = fsspec.core.url_to_fs(url)
    assert decode(fs.cat_file(f"{root}/h.png")) == "hello"
    assert fs.ls(f"{root}/manifest", detail=False)


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a process group")
def test_ctrl_c_on_a_local_cluster_stops_cleanly(tmp_path: Path) -> None:
    import subprocess
    import sys

    source = tmp_path / "rows.txt"
    source.write_text("".join(f"item {n}\n" for n in range(1, 20_001)), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "qrplex.cli", "batch", str(source), "--out-dir", str(out)]
    process = subprocess.Popen(
        [*command, "--dask", "local:1", "--partition-rows", "20"],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell job has: workers too
    )
    try:
        deadline = time.monotonic() + 90
        while not list(out.glob("manifest/*.jsonl")) and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, err
    assert "Traceback" not in err, err
    assert "interrupted; run the same command again to resume" in err
    stopped = int(err.split("stopped after ")[1].split(" rows")[0])
    assert 0 < stopped < 20_000


def test_failed_rows_report_lands_beside_outputs_in_the_bucket(
    tmp_path: Path, s3: Any, capsys: Any
) -> None:
    source = tmp_path / "rows.txt"
    source.write_text("590123412345\n5901234123458\n", encoding="utf-8")
    url = f"s3://{BUCKET}/report"
    assert main(["batch", str(source), "--out-dir", url, "-s", "ean13"]) == 1
    err = capsys.readouterr().err
    assert "2 rows: 1 written, 0 skipped (already there), 1 failed" in err
    assert f"failed rows and reasons: {url}/failed.csv" in err
    report = s3.cat_file(f"{BUCKET}/report/failed.csv").decode()
    assert report.startswith("row,content,error\r\n2,5901234123458,")
    failed = [r for r in _manifest(s3, f"{BUCKET}/report") if r["error"]]
    assert [(r["row"], r["sha256"]) for r in failed] == [(2, None)]
