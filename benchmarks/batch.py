"""Section 5: ``generate_many`` over worker processes on all cores, against one.

One batch of distinct QR codes (URLs, default size, PNG) on the local backend, three ways,
interleaved round by round: ``generate_many(processes=0)`` (one worker per core),
``generate_many(processes=1)``, and a plain loop over ``Client.generate`` in this process.
A fourth case times ``generate_many(processes=0)`` on two codes: the fixed cost of a pool
(start workers, build a client in each, tear down).

Section 6 (:func:`run_scale`, ``--only scale``): the same codes through a 2-worker Dask
``LocalCluster`` against ``processes=0``, and the batch coordinator's peak memory for a
1,000,000-row input (a fresh process, a stub generator, outputs dropped).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from ._probe import ParallelProbe
from ._profile import Profile
from ._report import Goal, Row, Section, fmt_ms, fmt_rate
from ._timing import Case, Plan, Series, interleave, ratio

__all__ = ["run", "run_scale"]

GOAL = Goal(">=", 1.7)


def _contents(count: int) -> list[str]:
    return [
        f"https://example.com/qrplex/item/{index:06d}?batch=benchmark" for index in range(count)
    ]


def _batch_row(
    key: str, title: str, ours: Series, theirs: Series, name: str, size: int, goal: Goal | None
) -> Row:
    r = ratio(ours, theirs, rates=True)
    return Row(
        key=key,
        title=title,
        subject=f"{fmt_ms(ours.median)} ({fmt_rate(size / ours.median)})",
        baseline=f"{fmt_ms(theirs.median)} ({fmt_rate(size / theirs.median)}, {name})",
        value=r.median,
        low=r.low,
        high=r.high,
        goal=goal,
        data={
            "seconds": round(ours.median, 4),
            "baseline_seconds": round(theirs.median, 4),
            "speedups": [round(v, 3) for v in r.values],
            "codes": size,
        },
    )


def run(profile: Profile, number: int) -> Section:
    """Measure section 5."""
    import qrplex

    section = Section(number, "batch", "Batch: `generate_many` on all cores vs one")
    size = profile.batch_size
    contents = _contents(size)
    workers = os.cpu_count() or 1
    with qrplex.Client(backend="local") as client, ParallelProbe(workers) as probe:

        def many(processes: int, items: list[str]) -> Callable[[int], None]:
            def go(n: int) -> None:
                for _ in range(n):
                    results = client.generate_many(items, processes=processes)
                    if any(isinstance(result, Exception) for result in results):
                        raise AssertionError("a batch item failed")

            return go

        def loop(n: int) -> None:
            for _ in range(n):
                for content in contents:
                    client.generate(content)

        series = interleave(
            [
                # Compared pairs are neighbours, so they run back to back in every round.
                Case("all-cores", many(0, contents), fixed_ops=1),
                Case("one-process", many(1, contents), fixed_ops=1),
                Case("probe-serial", probe.serial, fixed_ops=1),
                Case("probe-parallel", probe.parallel, fixed_ops=1),
                Case("loop", loop, fixed_ops=1),
                Case("pool-only", many(0, contents[:2]), fixed_ops=1),
            ],
            Plan(rounds=profile.batch_rounds, target=0.0, warmup=0.0),
        )
    all_cores, one, plain, pool = (
        series["all-cores"],
        series["one-process"],
        series["loop"],
        series["pool-only"],
    )
    control = ratio(series["probe-parallel"], series["probe-serial"], rates=True)
    speedup = ratio(all_cores, one, rates=True)
    section.rows.extend(
        [
            _batch_row(
                "batch.cores",
                f"{size} QR codes: `processes=0` ({workers} workers) vs `processes=1`",
                all_cores,
                one,
                "processes=1",
                size,
                GOAL,
            ),
            _batch_row(
                "batch.loop",
                f"{size} QR codes: `processes=0` vs a plain `Client.generate` loop",
                all_cores,
                plain,
                "loop",
                size,
                None,
            ),
            _batch_row(
                "batch.one",
                f"{size} QR codes: `processes=1` vs a plain loop",
                one,
                plain,
                "loop",
                size,
                None,
            ),
            Row(
                key="batch.control",
                title=f"Control: pure-Python work in {workers} processes vs 1 "
                "(the parallelism the machine offered)",
                subject=fmt_ms(series["probe-parallel"].median),
                baseline=f"{fmt_ms(series['probe-serial'].median)} (one process)",
                value=control.median,
                low=control.low,
                high=control.high,
                data={"speedups": [round(v, 3) for v in control.values]},
            ),
        ]
    )
    per_code = plain.median / size
    ideal = size * per_code / workers + pool.median
    notes = [
        f"Values are speed-ups (time of the baseline ÷ time of qrplex's way) per round, "
        f"{profile.batch_rounds} rounds, one whole batch per case per round. A plain loop "
        f"makes one code in {fmt_ms(per_code)}; a pool of {workers} workers costs "
        f"{fmt_ms(pool.median)} to start, fill and stop even for 2 codes (fork, a `Client` "
        f"per worker, shutdown), so {size} codes cannot take less than about "
        f"{fmt_ms(ideal)} on {workers} cores: at most {plain.median / ideal:.2f}× the loop.",
        f"Control (last row): in the same rounds, pure-Python arithmetic ran {control.median:.2f}× "
        f"faster in {workers} processes than in one (ideal {workers}×). That is the most any "
        f"CPU-bound work could gain from processes during this section; another process "
        f"holding a core (see the load average) takes it from the workers. `processes=0` got "
        f"{speedup.median / control.median:.0%} of that.",
    ]
    goal_row = section.rows[0]
    if goal_row.verdict == "met":
        notes.append(f"Goal {number}.1 (≥ {GOAL.threshold:g}×) was met.")
    elif control.median < 0.85 * workers:
        notes.append(
            f"Goal {number}.1 (≥ {GOAL.threshold:g}×) missed at {goal_row.value_text}, while "
            f"the machine itself offered only {control.median:.2f}× to any parallel work "
            f"(the control): other processes held a core for much of the section, so this "
            "run cannot tell whether `generate_many` would meet the goal on a quiet machine. "
            "Run the section again (`--only batch`) when the load average is low."
        )
    else:
        notes.append(
            f"Goal {number}.1 (≥ {GOAL.threshold:g}×) missed at {goal_row.value_text} although "
            f"the machine offered {control.median:.2f}× (the control): the parallel part is "
            "diluted by the pool's fixed cost and by the parent process, which pickles the "
            "requests and unpickles every image while the workers render. See "
            "docs/benchmarks.md for what would close the gap."
        )
    section.notes.extend(notes)
    return section


# -- scaling out: Dask against the in-process pool, and the coordinator's memory ------------

DASK_GOAL = Goal(">=", 0.9)
MEMORY_BUDGET_MB = 300.0
MEMORY_GOAL = Goal("<=", 1.0)

_MEMORY_SCRIPT = """
import sys, tempfile
from pathlib import Path


def peak_rss_kib():
    # VmHWM: this process's own peak RSS. Not getrusage's ru_maxrss, which Linux keeps across
    # execve: a child of a large benchmark process would report its parent's size.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")

import fsspec
from fsspec.spec import AbstractFileSystem

from qrplex._batch import read_rows, run_batch


class NullFileSystem(AbstractFileSystem):
    # Outputs and manifest parts are accepted and dropped: only the coordinator is measured.
    protocol = "null"

    def pipe_file(self, path, value, **kwargs):
        pass

    def ls(self, path, detail=True, **kwargs):
        raise FileNotFoundError(path)


class Image:
    data = b"x"
    backend = "stub"
    attempts = ()


class StubClient:
    # A trivially cheap generator: the rows go through the whole engine but no code is drawn.
    _spec = ({}, None, None, False)
    _private_registry = False

    def generate(self, **kwargs):
        return Image()


fsspec.register_implementation("null", NullFileSystem)
rows = int(sys.argv[1])
with tempfile.TemporaryDirectory() as folder:
    source = Path(folder) / "rows.txt"
    with source.open("w") as handle:
        for number in range(rows):
            handle.write(f"https://example.com/item/{number:09d}?lot=benchmark\\n")
    before = peak_rss_kib()
    summary = run_batch(StubClient(), read_rows(source), "null://out", defaults={}, concurrency=8)
    after = peak_rss_kib()
assert summary.written == rows, summary
print(before / 1024, after / 1024)
"""


def _coordinator_memory(rows: int) -> tuple[float, float]:
    """Peak RSS (MB) of a fresh process before and after streaming ``rows`` rows."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, str(rows)],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    before, after = (float(value) for value in done.stdout.split())
    return before, after


def run_scale(profile: Profile, number: int) -> Section:
    """Measure the scaling-out section: Dask vs the in-process pool, coordinator memory."""
    import time

    import distributed

    import qrplex

    quick = profile.name == "quick"
    size = 3_000 if quick else 100_000
    rows = 100_000 if quick else 1_000_000
    section = Section(number, "scale", "Scaling out: Dask and the coordinator's memory")
    contents = _contents(size)
    timings: dict[str, float] = {}
    with qrplex.Client(backend="local") as client:
        start = time.perf_counter()
        results = client.generate_many(contents, processes=0)
        timings["pool"] = time.perf_counter() - start
        assert not any(isinstance(result, Exception) for result in results)
        del results
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as dask,
        ):
            dask.run(lambda: None)  # workers up: their start is not timed
            start = time.perf_counter()
            results = client.generate_many(contents, executor=dask.get_executor())
            timings["dask"] = time.perf_counter() - start
            assert not any(isinstance(result, Exception) for result in results)
            del results
    from qrplex._names import SPILL_AT

    pool_rate, dask_rate = size / timings["pool"], size / timings["dask"]
    before, after = _coordinator_memory(rows)
    section.rows.extend(
        [
            Row(
                key="scale.dask",
                title=f"{size:,} QR codes: `generate_many` on a 2-worker Dask LocalCluster vs "
                "`processes=0`",
                subject=f"{fmt_ms(timings['dask'])} ({fmt_rate(dask_rate)})",
                baseline=f"{fmt_ms(timings['pool'])} ({fmt_rate(pool_rate)}, processes=0)",
                value=dask_rate / pool_rate,
                goal=DASK_GOAL,
                data={
                    "codes": size,
                    "dask_seconds": timings["dask"],
                    "pool_seconds": timings["pool"],
                },
            ),
            Row(
                key="scale.memory",
                title=f"Coordinator peak RSS for a {rows:,}-row text input, as a share of "
                f"{MEMORY_BUDGET_MB:g} MB (stub generator, outputs and manifest dropped by a "
                "null filesystem: reading, names, dispatch and manifest lines are measured; "
                f"past {SPILL_AT:,} names the name set is an on-disk SQLite table, whose "
                "pages sit in the OS file cache, not in this RSS)",
                subject=f"{after:.0f} MB peak",
                baseline=f"{before:.0f} MB after imports",
                value=after / MEMORY_BUDGET_MB,
                goal=MEMORY_GOAL,
                data={
                    "rows": rows,
                    "peak_mb": after,
                    "start_mb": before,
                    "spilled_to_disk": rows >= SPILL_AT,
                },
            ),
        ]
    )
    section.notes.append(
        f"One timed batch each (the cluster's start is not timed; a pool's is). "
        f"Per core: {pool_rate / (os.cpu_count() or 1):,.0f} codes/s with processes=0, "
        f"{dask_rate / 2:,.0f} codes/s per Dask worker; docs/scaling.md plans with these."
    )
    return section
