"""Ctrl-C in ``qrplex batch`` stops between two calls into the executor, never inside one."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from qrplex import _dask
from qrplex.cli import main


class _CtrlCInsideSubmit(ThreadPoolExecutor):
    """An executor whose third ``submit`` receives a real SIGINT half way through, as a Dask
    client's call can (a call that an exception must not cut in two)."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.calls = 0
        self.cut = False

    def submit(  # type: ignore[override]
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]:
        self.calls += 1
        if self.calls == 3:
            self.cut = True
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # Python checks for signals many times in here
                sum(range(10))
            self.cut = False  # not reached when the Ctrl-C is raised inside the call
        return super().submit(fn, *args, **kwargs)


def test_ctrl_c_during_an_executor_call_stops_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert threading.current_thread() is threading.main_thread()
    made: list[_CtrlCInsideSubmit] = []

    @contextlib.contextmanager
    def fake_cluster(address: str) -> Iterator[tuple[ThreadPoolExecutor, int]]:
        made.append(_CtrlCInsideSubmit())
        with made[-1]:
            yield made[-1], 1

    monkeypatch.setattr(_dask, "dask_executor", fake_cluster)
    source = tmp_path / "rows.txt"
    source.write_text("".join(f"row {n}\n" for n in range(200)))
    out = tmp_path / "out"
    args = ["batch", str(source), "--out-dir", str(out), "--dask", "local:1"]
    code = main([*args, "--partition-rows", "2"])
    executor = made[0]
    err = capsys.readouterr().err
    assert not executor.cut, "Ctrl-C was raised inside the executor's call"
    assert code == 130, err
    assert "interrupted; run the same command again to resume" in err
    assert executor.calls == 3  # stopped at the first safe point after the call
    assert main([*args, "--partition-rows", "100"]) == 0  # the re-run finishes the batch
    assert len(list(out.glob("*.png"))) == 200


def test_ctrl_c_while_the_cluster_closes_does_not_cut_the_close_or_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    closed: list[bool] = []

    @contextlib.contextmanager
    def fake_cluster(address: str) -> Iterator[tuple[ThreadPoolExecutor, int]]:
        with ThreadPoolExecutor(1) as pool:
            yield pool, 1
        os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C while Dask shuts down
        for _ in range(1000):
            sum(range(10))
        closed.append(True)

    monkeypatch.setattr(_dask, "dask_executor", fake_cluster)
    source = tmp_path / "rows.txt"
    source.write_text("".join(f"row {n}\n" for n in range(5)))
    code = main(["batch", str(source), "--out-dir", str(tmp_path / "out"), "--dask", "local:1"])
    err = capsys.readouterr().err
    assert closed == [True], "Ctrl-C was raised inside the cluster's close"
    assert "5 rows: 5 written" in err
    assert code == 0  # every row was done before the Ctrl-C
