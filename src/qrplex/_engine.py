"""The one batch engine behind ``Client.generate_many`` and ``qrplex batch``.

Rows are grouped into partitions and handed to an executor, with a bounded number of
partitions in flight, so the input is streamed in flat memory whatever its length:

- no executor: threads in this process share the caller's client (partitions of one row,
  ``concurrency`` threads; right for network backends);
- ``processes=N``: a :class:`~concurrent.futures.ProcessPoolExecutor` (local rendering is
  CPU-bound Python);
- any :class:`~concurrent.futures.Executor`: a Dask client's executor, a process pool, ...

A shipped partition carries a :class:`WorkerSpec` (the caller's configuration without its
secrets), the rows, where to write them, and its share of the rate limit. Each worker
process builds its own :class:`~qrplex.Client` once per spec and keeps it; secrets reach it
through the worker's environment or config files, never inside a task.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._manifest import ManifestWriter, Record, done_key, load_done, request_digest
from ._names import NameSet
from ._outputs import Outputs, open_outputs
from ._ratelimit import RateLimiter, limiter_for_this_thread, share
from .errors import InvalidOptionError, QrplexError

if TYPE_CHECKING:
    from ._batch import BatchRow, BatchSummary
    from ._client import Client
    from ._model import CodeImage

__all__ = [
    "DEFAULT_PARTITION_ROWS",
    "Partition",
    "WorkerSpec",
    "executor_slots",
    "map_items",
    "run_partition",
    "run_rows",
    "worker_spec",
]

DEFAULT_PARTITION_ROWS = 100
"""Rows per shipped partition for ``qrplex batch`` (a task's overhead is paid per partition)."""
ROWS_IN_FLIGHT_PER_WORKER = 4
"""Rows submitted and not yet done, per worker thread: bounds what Ctrl-C has to wait for."""
PARTITIONS_IN_FLIGHT_PER_SLOT = 2
_PROGRESS_EVERY = 0.1
_MAX_CHUNK = 64
_POLL = 0.05
"""How often a waiting loop looks for a Ctrl-C (seconds)."""


# -- what a worker needs --------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerSpec:
    """How a worker builds its client: the caller's explicit settings without secrets."""

    config: Mapping[str, Any]
    environ: Mapping[str, str] | None
    """``None``: the worker's own environment (where its secrets come from); otherwise the
    caller's ``QRPLEX_*`` variables without secrets, laid over the worker's environment."""
    cwd: str | None
    user_config: bool

    def key(self) -> str:
        return json.dumps(
            [self.config, self.environ, self.cwd, self.user_config], sort_keys=True, default=repr
        )


def _secret_names(client: Client) -> tuple[set[str], set[str], set[str]]:
    """The config keys and environment variables that hold secrets, for every backend, and
    the other variables that backends read besides ``QRPLEX_*``."""
    keys: set[str] = set()
    variables: set[str] = set()
    readable: set[str] = set()
    for info in client.registry.infos():
        if not info.ok:
            continue
        try:
            cls = client.registry.get(info.name)
        except QrplexError:
            continue
        prefix = f"QRPLEX_{info.name.upper().replace('-', '_')}_"
        for setting in cls.settings:
            if setting.secret:
                keys.add(setting.name)
                variables.add(prefix + setting.name.upper())
                variables.update(setting.env)
            else:
                readable.update(setting.env)
    return keys, variables, readable


def _without(value: Any, keys: set[str]) -> Any:
    if isinstance(value, Mapping):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    return value


def worker_spec(client: Client) -> WorkerSpec:
    """What workers need to build a client like ``client``: never its secrets."""
    explicit, environ, cwd, user_config = client._spec
    keys, variables, readable = _secret_names(client)
    shipped_environ = None
    if environ is not None:  # only what qrplex reads, and none of its secrets
        shipped_environ = {
            k: v
            for k, v in environ.items()
            if (k.startswith("QRPLEX_") or k in readable) and k not in variables
        }
    return WorkerSpec(
        _without(explicit, keys),
        shipped_environ,
        None if cwd is None else os.fspath(cwd),
        bool(user_config),
    )


_clients: dict[str, Client] = {}
_clients_lock = threading.Lock()


def _cache_key(spec: WorkerSpec) -> str:
    """The spec, and a digest of this process's qrplex variables: a client built before
    they changed (a thread pool in a long-lived process) is not reused after."""
    import hashlib

    ours = sorted(
        (k, v) for k, v in os.environ.items() if k.startswith(("QRPLEX_", "TENCENTCLOUD_"))
    )
    digest = hashlib.sha256(repr(ours).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{spec.key()}|{digest}"


def _client_for(spec: WorkerSpec) -> Client:
    """This worker process's client for ``spec``, built once."""
    from ._client import Client

    key = _cache_key(spec)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = Client(
                config=dict(spec.config),
                environ=None if spec.environ is None else {**os.environ, **spec.environ},
                cwd=spec.cwd,
                user_config=spec.user_config,
            )
            _clients[key] = client
        return client


def _start_process(full: tuple[Any, ...], spec: WorkerSpec) -> None:
    """A process pool's initializer: the client is built from the caller's whole spec (passed
    to the child process at start, not inside any task) under the shipped spec's key."""
    from ._client import Client

    # Ctrl-C reaches the whole process group: the coordinator decides (it drops the queued
    # partitions and waits for the running ones); workers do not die with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    explicit, environ, cwd, user_config = full
    client = Client(config=explicit, environ=environ, cwd=cwd, user_config=user_config)
    with _clients_lock:
        _clients[_cache_key(spec)] = client


# -- one partition ------------------------------------------------------------------------


Item = tuple[int, dict[str, Any], str | None]
"""A row number (or item index), ``generate()``'s arguments, and the output name (if any)."""


@dataclass(frozen=True)
class Partition:
    """A task: rows for one worker to generate (and write), in order."""

    spec: WorkerSpec
    items: tuple[Item, ...]
    outputs: Outputs | None
    """Where to write each output; ``None``: return the images (``generate_many``)."""
    rate: float | None
    """This partition's share of the batch's requests per second."""
    threads: int = 1


def _generate_one(
    client: Client, item: Item, outputs: Outputs | None, limiter: RateLimiter | None
) -> Record | CodeImage | QrplexError:
    number, kwargs, name = item
    try:
        if limiter is not None:
            limiter.acquire()
        image = client.generate(**kwargs)
        if outputs is None:
            return image
        assert name is not None
        outputs.write(name, image.data)  # write, then record
        request = request_digest(kwargs)
        attempts = len(image.attempts) + 1
        return Record.written(number, name, image.data, image.backend, attempts, request)
    except Exception as error:  # one row fails alone, whatever it was
        if outputs is None:
            if isinstance(error, QrplexError):
                return error
            raise
        return Record(number, name or "", error=f"{type(error).__name__}: {error}")


def run_rows(
    client: Client,
    items: Sequence[Item],
    outputs: Outputs | None,
    limiter: RateLimiter | None,
    threads: int = 1,
) -> list[Any]:
    """Generate ``items`` in order with ``client`` (and write them to ``outputs``)."""
    if threads <= 1 or len(items) <= 1:
        return [_generate_one(client, item, outputs, limiter) for item in items]
    with ThreadPoolExecutor(max_workers=min(threads, len(items))) as pool:
        return list(pool.map(lambda item: _generate_one(client, item, outputs, limiter), items))


def run_partition(partition: Partition) -> list[Any]:
    """A worker's task: one partition, with this process's client for its spec."""
    client = _client_for(partition.spec)
    limiter = limiter_for_this_thread(partition.rate)
    return run_rows(client, partition.items, partition.outputs, limiter, partition.threads)


# -- executors ----------------------------------------------------------------------------


def executor_slots(executor: Executor) -> int:
    """How many tasks ``executor`` runs at once (its workers' threads)."""
    dask_client = getattr(executor, "_client", None)
    if dask_client is not None and hasattr(dask_client, "nthreads"):
        return max(1, int(sum(dask_client.nthreads().values())))
    workers = getattr(executor, "_max_workers", None)
    if isinstance(workers, int) and workers > 0:
        return workers
    return os.cpu_count() or 1


def _process_pool(client: Client, processes: int) -> tuple[Executor, int, WorkerSpec]:
    from concurrent.futures import ProcessPoolExecutor

    if client._private_registry:
        raise InvalidOptionError(
            "processes= rebuilds the client from installed plugins in each worker; "
            "a client with its own registry= must use threads (leave processes unset)"
        )
    workers = processes or os.cpu_count() or 1
    spec = worker_spec(client)
    pool = ProcessPoolExecutor(workers, initializer=_start_process, initargs=(client._spec, spec))
    return pool, workers, spec


# -- Ctrl-C at safe points ------------------------------------------------------------------


@contextlib.contextmanager
def interrupts_at_safe_points(stop: threading.Event | None = None) -> Iterator[threading.Event]:
    """Turn the first Ctrl-C into ``stop`` being set, for the loops below to raise
    ``KeyboardInterrupt`` between two calls into an executor, never inside one.

    A ``KeyboardInterrupt`` raised by Python's default handler lands wherever the main
    thread is: inside ``ThreadPoolExecutor.submit`` it can leave the pool's idle semaphore's
    lock held (its worker threads then block for ever when they finish a row, and the
    shutdown that waits for them never returns), inside ``wait()`` the futures' locks, inside
    a Dask client call the client half done. Only Python's default handler is replaced, only
    in the main thread, and only for the time of the loop; a second Ctrl-C raises at once.
    """
    event = stop if stop is not None else threading.Event()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield event
        return

    def first(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        event.set()

    signal.signal(signal.SIGINT, first)
    try:
        yield event
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _settled(pending: Mapping[Future[Any], Any], stop: threading.Event) -> set[Future[Any]]:
    """The next done futures of ``pending``; ``KeyboardInterrupt`` once ``stop`` is set."""
    while True:
        if stop.is_set():
            raise KeyboardInterrupt
        done = wait(pending, timeout=_POLL, return_when=FIRST_COMPLETED).done
        if done:
            return done


# -- generate_many ------------------------------------------------------------------------


def map_items(
    client: Client,
    items: list[Any],
    *,
    concurrency: int,
    processes: int | None,
    executor: Executor | None,
) -> list[CodeImage | QrplexError]:
    """``generate_many``: results in input order, a failed item's error in its place."""
    from ._arguments import item_arguments

    results: list[Any] = [None] * len(items)
    work: list[Item] = []
    for index, item in enumerate(items):
        try:
            work.append((index, item_arguments(item), None))
        except QrplexError as error:  # a malformed item fails alone, and is never shipped
            results[index] = error
    if executor is None and processes is None:
        return _map_in_threads(client, work, results, concurrency)
    own = executor is None
    if executor is None:
        assert processes is not None
        executor, slots, spec = _process_pool(client, processes)
    else:
        if client._private_registry:
            raise InvalidOptionError(
                "an executor rebuilds the client from installed plugins in each worker; "
                "a client with its own registry= must use threads (leave executor unset)"
            )
        slots, spec = executor_slots(executor), worker_spec(client)
    size = max(1, min(len(work) // (slots * 4), _MAX_CHUNK))
    limit = slots * PARTITIONS_IN_FLIGHT_PER_SLOT
    pending: dict[Future[list[Any]], tuple[Item, ...]] = {}

    def settle(futures: Iterable[Future[list[Any]]]) -> None:
        for future in futures:
            part = pending.pop(future)
            for item, result in zip(part, future.result(), strict=True):
                results[item[0]] = result

    try:
        with interrupts_at_safe_points() as stop:
            for start in range(0, len(work), size):
                while len(pending) >= limit:
                    settle(_settled(pending, stop))
                if stop.is_set():
                    raise KeyboardInterrupt
                part = tuple(work[start : start + size])
                pending[executor.submit(run_partition, Partition(spec, part, None, None))] = part
            while pending:
                settle(_settled(pending, stop))
    except BaseException:
        for future in pending:
            future.cancel()
        raise
    finally:
        if own:  # on Ctrl-C, drop the queued partitions: only the ones running finish
            executor.shutdown(wait=True, cancel_futures=True)
    return results


def _map_in_threads(
    client: Client, work: list[Item], results: list[Any], concurrency: int
) -> list[Any]:
    """``generate_many`` on threads of this process, with the caller's client: at most
    ``concurrency *`` :data:`ROWS_IN_FLIGHT_PER_WORKER` items submitted and not done, so that
    Ctrl-C has only a few to drop."""
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="qrplex-many")
    pending: dict[Future[Any], int] = {}
    limit = concurrency * ROWS_IN_FLIGHT_PER_WORKER

    def settle(futures: Iterable[Future[Any]]) -> None:
        for future in futures:
            results[pending.pop(future)] = future.result()

    try:
        with interrupts_at_safe_points() as stop:
            for item in work:
                while len(pending) >= limit:
                    settle(_settled(pending, stop))
                if stop.is_set():
                    raise KeyboardInterrupt
                pending[pool.submit(_generate_one, client, item, None, None)] = item[0]
            while pending:
                settle(_settled(pending, stop))
    finally:  # on Ctrl-C, drop the queued items: only the ones running finish
        pool.shutdown(wait=True, cancel_futures=True)
    return results


# -- qrplex batch ---------------------------------------------------------------------------


def run_batch(
    client: Client,
    rows: Iterable[BatchRow],
    out_dir: str | os.PathLike[str],
    *,
    defaults: Mapping[str, Any],
    concurrency: int = 8,
    progress: Callable[[BatchSummary], None] | None = None,
    executor: Executor | None = None,
    slots: int | None = None,
    partition_rows: int | None = None,
    rate: float | None = None,
    expected: int | None = None,
    stop: threading.Event | None = None,
) -> BatchSummary:
    """Generate every row into ``out_dir`` (a local path or an fsspec URL), resuming from its
    manifest: rows it records as written (with the same output name) are skipped.

    ``defaults`` are keyword arguments for rows that do not set them (``symbology``,
    ``format``, ``width``, ``backend``). Failures are collected, never raised, and recorded
    in the manifest too. ``rows`` is consumed lazily, with a bounded number submitted and not
    done: ``concurrency *`` :data:`ROWS_IN_FLIGHT_PER_WORKER` rows on this process's threads,
    or two partitions of ``partition_rows`` rows per slot of ``executor`` (any
    :class:`~concurrent.futures.Executor`: a process pool, a Dask client's executor; then
    ``concurrency`` is the threads each partition uses). ``rate`` caps the requests per
    second of the whole batch, split across the ``slots`` partitions that run at once.

    On ``KeyboardInterrupt`` (or when ``stop`` is set) the rows not started are dropped, the
    ones running here finish and are counted, and the summary comes back with
    ``interrupted``. ``stop`` is for a signal handler: it stops at a safe point of this loop,
    never inside a Dask client call, which an exception raised from a signal handler can
    leave half done.
    """
    from ._batch import BatchSummary, safe_file_name

    outputs = open_outputs(out_dir)
    outputs.prepare()
    done_before = load_done(outputs)
    manifest = ManifestWriter(outputs)
    summary = BatchSummary(expected=expected)
    names = NameSet()
    own_pool: ThreadPoolExecutor | None = None
    submit: Callable[[tuple[Item, ...]], Future[list[Any]]]
    if executor is None:
        workers = max(1, concurrency)
        size, limit = 1, workers * ROWS_IN_FLIGHT_PER_WORKER
        pool = own_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qrplex-batch")
        limiter = RateLimiter(rate) if rate else None

        def submit(items: tuple[Item, ...]) -> Future[list[Any]]:
            return pool.submit(run_rows, client, items, outputs, limiter)

    else:
        slots = slots or executor_slots(executor)
        size = partition_rows or DEFAULT_PARTITION_ROWS
        limit = slots * PARTITIONS_IN_FLIGHT_PER_SLOT
        spec, each = worker_spec(client), share(rate, slots)
        remote = executor

        def submit(items: tuple[Item, ...]) -> Future[list[Any]]:
            task = Partition(spec, items, outputs, each, max(1, concurrency))
            return remote.submit(run_partition, task)

    pending: dict[Future[list[Any]], tuple[BatchRow, ...]] = {}
    buffer: list[tuple[BatchRow, Item]] = []
    shown = 0.0

    def show(force: bool = False) -> None:
        nonlocal shown
        if progress and (force or time.monotonic() - shown >= _PROGRESS_EVERY):
            shown = time.monotonic()
            progress(summary)

    def fail(row: BatchRow, reason: str, name: str = "") -> None:
        summary.failures.append((row, reason))
        manifest.add(Record(row.number, name, error=reason))

    def plan(row: BatchRow, kwargs: Mapping[str, Any]) -> str | None:
        format_ = str(row.kwargs.get("format") or defaults.get("format") or "png").lower()
        name = safe_file_name(row, format_)
        if row.problem:
            fail(row, f"InvalidRequestError: {row.problem}", name)
        elif outputs.escapes(name):  # e.g. a symlink planted in the output directory
            fail(row, "output name escapes the output directory", name)
        elif (used := names.claim(name, row.number)) is not None:
            fail(row, f"InvalidRequestError: output {name} is already used by row {used}", name)
        elif done_before.has(row.number, done_key(name, request_digest(kwargs))):
            summary.skipped += 1
        else:
            return name
        return None

    def settle(futures: Iterable[Future[list[Any]]]) -> None:
        for future in futures:
            part = pending.pop(future)
            if future.cancelled():
                continue
            try:
                records: list[Record] = future.result()
            except Exception as error:  # the worker was lost for good: a re-run redoes them
                reason = f"worker lost: {type(error).__name__}: {error}"
                records = [Record(row.number, "", error=reason) for row in part]
            for row, record in zip(part, records, strict=True):
                manifest.add(record)
                if record.ok:
                    summary.written += 1
                    summary.served_by[record.backend or "?"] += 1
                else:
                    summary.failures.append((row, record.error or "failed"))

    def next_done() -> set[Future[list[Any]]]:
        return _settled(pending, stopping)

    def dispatch() -> None:
        while len(pending) >= limit:
            settle(next_done())
        part = tuple(buffer)
        buffer.clear()
        pending[submit(tuple(item for _, item in part))] = tuple(row for row, _ in part)

    safe_points = interrupts_at_safe_points(stop)
    stopping = safe_points.__enter__()
    try:
        show(force=True)
        for row in rows:
            if stopping.is_set():
                raise KeyboardInterrupt
            summary.total += 1
            kwargs = {**defaults, **row.kwargs}
            name = plan(row, kwargs)
            if name is not None:
                buffer.append((row, (row.number, kwargs, name)))
                if len(buffer) >= size:
                    dispatch()
            show()
        if buffer:
            dispatch()
        while pending:
            settle(next_done())
            show()
    except KeyboardInterrupt:
        # Stop at once: rows not started are dropped (a re-run resumes them); in this process
        # the ones running finish and are counted; shipped partitions are cancelled, and any
        # output one writes after this is written again by the re-run (the manifest decides).
        summary.interrupted = True
        if own_pool is not None:
            own_pool.shutdown(wait=True, cancel_futures=True)
        for future in pending:
            future.cancel()
        settle([future for future in list(pending) if future.done()])
    finally:
        safe_points.__exit__(None, None, None)
        if own_pool is not None:
            own_pool.shutdown(wait=True, cancel_futures=True)
        manifest.flush()
        names.close()
        done_before.close()
    show(force=True)
    return summary
