"""``qrplex batch --dask``: an existing Dask cluster, or a ``distributed.LocalCluster``.

Imported only when used; needs ``qrplex[dask]``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any

from ._extras import missing
from .errors import InvalidOptionError

__all__ = ["CONNECT_TIMEOUT", "dask_executor", "dask_setup", "parse_address"]

CONNECT_TIMEOUT = "30s"
"""How long ``--dask tcp://...`` tries to reach the scheduler before it gives up."""


def dask_setup(worker: object) -> None:
    """Run in each worker process of a LocalCluster that ``--dask local`` starts (a Dask
    preload): Ctrl-C reaches the whole process group, and the coordinator decides (it
    cancels the partitions and closes the cluster); workers do not die with a traceback."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def parse_address(text: str) -> tuple[str, int | None]:
    """``("local", N)`` for ``local`` / ``local:N``, else ``(address, None)``.

    Raises:
        InvalidOptionError: ``local:N`` with N not a whole number from 1 to 256, or an
            address that is not ``local`` nor a scheduler URL.
    """
    if text == "local":
        return "local", os.cpu_count() or 1
    if text.startswith("local:"):
        count = text.removeprefix("local:")
        if not (count.isascii() and count.isdigit()) or not 1 <= int(count) <= 256:
            raise InvalidOptionError(
                f"--dask {text!r}: local:N takes N worker processes, a whole number 1 to 256"
            )
        return "local", int(count)
    if "://" not in text:
        raise InvalidOptionError(
            f"--dask {text!r}: give a scheduler address (tcp://host:8786), 'local' or 'local:N'"
        )
    return text, None


@contextlib.contextmanager
def dask_executor(address: str) -> Iterator[tuple[Executor, int]]:
    """A Dask client's executor and how many tasks it runs at once; the client (and a
    local cluster it started) is closed on exit.

    Raises:
        MissingExtraError: distributed is not installed (``qrplex[dask]``).
        InvalidOptionError: the address is malformed.
    """
    where, workers = parse_address(address)
    try:
        import distributed as imported
    except ImportError:
        raise missing("distributed", "dask", "--dask") from None
    distributed: Any = imported  # partly typed: used through Any
    cluster: Any = None
    if workers is not None:
        # The scheduler's HTTP routes (the dashboard is off) move to a free port if 8787 is
        # taken, with a warning that means nothing here.
        with warnings.catch_warnings():  # only around the start: not for the rest of the process
            warnings.filterwarnings("ignore", message="Port 8787 is already in use")
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                preload=["qrplex._dask"],
                silence_logs=logging.ERROR,
            )
        client = distributed.Client(cluster)
    else:
        try:
            client = distributed.Client(where, timeout=CONNECT_TIMEOUT)
        except Exception as error:  # refused, timed out, or not a Dask scheduler at all
            # (a service that answers with other bytes makes Dask read a huge frame length:
            # MemoryError, ValueError, ...)
            reason = str(error)[:200] or type(error).__name__
            raise InvalidOptionError(
                f"--dask {address}: cannot reach a Dask scheduler there "
                f"({type(error).__name__}: {reason})"
            ) from None
    try:
        slots = max(1, sum(client.nthreads().values()))
        yield client.get_executor(), slots
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
