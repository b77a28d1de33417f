"""Real parts for the batch tests: an S3 API served by moto on 127.0.0.1, and a Dask
``LocalCluster`` of two worker processes on loopback, each started once per test module that
uses them (and stopped after it).

The S3 credentials are dummies, put in the environment here (never in a task): the worker
processes inherit them, as a real cluster's workers get theirs from their environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

BUCKET = "qrplex-batch-tests"
S3_SECRET = "s3-test-secret-key-do-not-ship-0001"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (a free port) with one bucket; AWS_* set for it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {k: os.environ.get(k) for k in _AWS}
    os.environ.update(
        AWS_ACCESS_KEY_ID="qrplex-test-access-key",
        AWS_SECRET_ACCESS_KEY=S3_SECRET,
        AWS_ENDPOINT_URL=endpoint,
        AWS_DEFAULT_REGION="us-east-1",
    )
    try:
        import s3fs

        s3fs.S3FileSystem().mkdir(BUCKET)
        yield endpoint
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


_AWS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION")


@pytest.fixture(scope="module")
def dask_address(s3_endpoint: str) -> Iterator[str]:
    """A LocalCluster of 2 worker processes (1 thread each) on 127.0.0.1, dashboard off."""
    import distributed

    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    try:
        yield str(cluster.scheduler_address)
    finally:
        cluster.close()


@pytest.fixture
def dask_client(dask_address: str) -> Iterator[Any]:
    """A client of the session's cluster."""
    import distributed

    client = distributed.Client(dask_address)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    """The s3fs filesystem of the test bucket (fresh listings)."""
    import s3fs

    fs = s3fs.S3FileSystem()
    fs.invalidate_cache()
    return fs
