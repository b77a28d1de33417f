"""Routing against the emulator over loopback: faults, fallback, retries, breaker, cache."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import qrplex
from qrplex._registry import Registry
from qrplex.testing import decode


def cloud_config(base_url: str, creds: Any, **overrides: Any) -> dict[str, Any]:
    """A service configuration: cloud primary, local fallback, quick retries for tests."""
    config: dict[str, Any] = {
        "backend": "cloudinfinite",
        "fallback": ["local"],
        "retries": 1,
        "retry_backoff": 0.01,
        "breaker_threshold": 3,
        "breaker_cooldown": 0.3,
        "backends": {
            "cloudinfinite": {
                "endpoint": base_url,
                "secret_id": creds.secret_id,
                "secret_key": creds.secret_key,
                "bucket": creds.bucket,
                "region": creds.region,
                "timeout": "1,1",
            }
        },
    }
    config.update(overrides)
    return config


@pytest.fixture
def client(emulator_server: Any, emulator_credentials: Any) -> Iterator[qrplex.Client]:
    with qrplex.Client(config=cloud_config(emulator_server.base_url, emulator_credentials)) as c:
        yield c


@pytest.fixture
def refused_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield int(server.getsockname()[1])
    server.close()


def test_healthy_cloud_serves_and_says_so(client: qrplex.Client, emulator_app: Any) -> None:
    image = client.generate("hello", width=300)
    assert (image.backend, image.attempts) == ("cloudinfinite", ())
    assert decode(image.data) == "hello"
    assert emulator_app.billable_calls("examplebucket-1250000000") == 1


@pytest.mark.parametrize(
    ("fault", "error_type", "tries"),
    [
        ("status_500", "BackendUnavailableError", 2),
        ("reset_connection", "BackendUnavailableError", 2),
        ("close_mid_response", "BackendUnavailableError", 2),
        ("no_request_id", "BackendUnavailableError", 2),
        ("malformed_xml", "BadResponseError", 1),
        ("truncated_base64", "BadResponseError", 1),
        ("non_image", "BadResponseError", 1),
    ],
)
def test_each_fault_falls_back_to_local_with_provenance(
    client: qrplex.Client, emulator_app: Any, fault: str, error_type: str, tries: int
) -> None:
    emulator_app.faults.set(**{fault: True})
    image = client.generate("fault tolerant", width=290)
    assert image.backend == "local"
    assert decode(image.data) == "fault tolerant"
    assert [a.backend for a in image.attempts] == ["cloudinfinite"] * tries
    assert {a.error_type for a in image.attempts} == {error_type}
    assert emulator_app.requests_seen() == tries  # transient faults retried once, others not


def test_a_transient_fault_is_retried_on_the_same_backend(
    client: qrplex.Client, emulator_app: Any
) -> None:
    emulator_app.faults.set(status_500=True, remaining=1)
    image = client.generate("second time lucky")
    assert image.backend == "cloudinfinite"
    assert [a.error_type for a in image.attempts] == ["BackendUnavailableError"]


def test_retry_after_is_honoured(client: qrplex.Client, emulator_app: Any) -> None:
    emulator_app.faults.set(slow_down_503=True, remaining=1)
    image = client.generate("throttled")
    assert image.backend == "cloudinfinite"
    (attempt,) = image.attempts
    assert "SlowDown" in attempt.message


def test_throttle_falls_back(
    emulator_server: Any, emulator_credentials: Any, emulator_app: Any
) -> None:
    emulator_app.faults.set(qps_limit=1)
    config = cloud_config(emulator_server.base_url, emulator_credentials, retries=0)
    with qrplex.Client(config=config) as client:
        served = [client.generate(f"q{i}").backend for i in range(3)]
    assert served[0] == "cloudinfinite"
    assert "local" in served[1:]


def test_invalid_content_never_reaches_the_cloud(client: qrplex.Client, emulator_app: Any) -> None:
    with pytest.raises(qrplex.InvalidContentError):
        client.generate("5901234123458", symbology="ean13")
    with pytest.raises(qrplex.InvalidContentError):
        client.generate("x" * 5000)
    assert emulator_app.requests_seen() == 0


def test_capability_routing_skips_without_counting_a_failure(
    client: qrplex.Client, emulator_app: Any
) -> None:
    for kwargs in ({"symbology": "microqr"}, {"format": "svg"}, {"symbology": "code128"}):
        image = client.generate("ABC123", **kwargs)
        assert (image.backend, image.attempts) == ("local", ())
    assert emulator_app.requests_seen() == 0
    assert client.circuit_states().get("cloudinfinite", "closed") == "closed"


def test_nothing_in_the_chain_can_serve(emulator_server: Any, emulator_credentials: Any) -> None:
    config = cloud_config(emulator_server.base_url, emulator_credentials, fallback=[])
    with (
        qrplex.Client(config=config) as client,
        pytest.raises(
            qrplex.UnsupportedError, match=r"cloudinfinite does not support symbology 'code128'"
        ),
    ):
        client.generate("x", symbology="code128")


def test_auth_errors_do_not_fall_back_unless_enabled(
    emulator_server: Any, emulator_credentials: Any, caplog: pytest.LogCaptureFixture
) -> None:
    config = cloud_config(emulator_server.base_url, emulator_credentials)
    config["backends"]["cloudinfinite"]["secret_key"] = "not-the-right-key"
    with (
        qrplex.Client(config=config) as client,
        pytest.raises(qrplex.BackendAuthError, match="SignatureDoesNotMatch"),
    ):
        client.generate("denied")
    config["fallback_on_auth_error"] = True
    with caplog.at_level(logging.WARNING, logger="qrplex"), qrplex.Client(config=config) as c:
        image = c.generate("allowed to fall back")
    assert image.backend == "local"
    assert [a.error_type for a in image.attempts] == ["BackendAuthError"]
    assert "backend cloudinfinite failed: cloudinfinite: The Signature" in caplog.text
    assert "not-the-right-key" not in caplog.text


def test_every_backend_failing_gives_one_error_with_every_attempt(
    refused_port: int, emulator_credentials: Any
) -> None:
    config = cloud_config(f"http://127.0.0.1:{refused_port}", emulator_credentials, fallback=[])
    client = qrplex.Client(config=config)
    with client, pytest.raises(qrplex.BackendUnavailableError, match="Connection refused") as one:
        client.generate("nobody home")
    assert [a.backend for a in one.value.attempts] == ["cloudinfinite", "cloudinfinite"]
    # With a fallback that fails too, one error carries every attempt of every backend.
    config["fallback"] = ["down"]
    client = qrplex.Client(config=config, registry=Registry(plugins=[("down", DownPlugin)]))
    with client, pytest.raises(qrplex.AllBackendsFailedError) as every:
        client.generate("nobody home")
    assert [a.backend for a in every.value.attempts] == ["cloudinfinite"] * 2 + ["down"] * 2
    assert every.value.backend == "cloudinfinite -> down"
    assert "maintenance" in str(every.value)
    assert every.value.transient


class DownBackend(qrplex.Backend):
    """A plugin backend that is always down for maintenance."""

    name = "down"
    capabilities = qrplex.Capabilities(frozenset({"qr"}), frozenset({"png"}))

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        raise qrplex.BackendUnavailableError("down for maintenance", backend=self.name)


class DownPlugin:
    @staticmethod
    @qrplex.hookimpl
    def qrplex_register_backends(register: Any) -> None:
        register(DownBackend)


def test_breaker_opens_then_calls_skip_the_network_then_it_closes_again(
    emulator_app: Any, emulator_credentials: Any
) -> None:
    from qrplex_cloudinfinite.emulator import EmulatorServer

    server = EmulatorServer(emulator_app).start()
    port = server.port
    config = cloud_config(server.base_url, emulator_credentials, retries=0)
    with qrplex.Client(config=config) as client:
        assert client.generate("up").backend == "cloudinfinite"
        server.stop()
        served = [client.generate(f"down {i}") for i in range(6)]
        assert all(image.backend == "local" for image in served)
        assert client.circuit_states()["cloudinfinite"] == "open"
        skipped = [image.attempts[0].error_type for image in served[3:]]
        assert skipped == ["CircuitOpen"] * 3
        info = next(i for i in client.backends() if i.name == "cloudinfinite")
        assert info.circuit == "open"
        seen = emulator_app.requests_seen()
        server = EmulatorServer(emulator_app, port=port).start()
        try:
            import time

            time.sleep(0.35)  # the cool-down
            assert client.circuit_states()["cloudinfinite"] == "half-open"
            assert client.generate("back").backend == "cloudinfinite"
            assert client.circuit_states()["cloudinfinite"] == "closed"
            assert emulator_app.requests_seen() == seen + 1
        finally:
            server.stop()


def test_a_port_that_never_answers_times_out_and_falls_back(
    silent_port: int, emulator_credentials: Any
) -> None:
    config = cloud_config(f"http://127.0.0.1:{silent_port}", emulator_credentials, retries=0)
    config["backends"]["cloudinfinite"]["timeout"] = "0.2,0.2"
    with qrplex.Client(config=config) as client:
        image = client.generate("patience")
    assert image.backend == "local"
    assert "timed out" in image.attempts[0].message.lower() or "timeout" in (
        image.attempts[0].message.lower()
    )


def test_emulator_stopped_mid_batch_the_batch_finishes_with_local(
    emulator_app: Any, emulator_credentials: Any
) -> None:
    from qrplex_cloudinfinite.emulator import EmulatorServer

    server = EmulatorServer(emulator_app).start()
    config = cloud_config(server.base_url, emulator_credentials)
    with qrplex.Client(config=config) as client:
        first = client.generate_many([f"item {i}" for i in range(5)], concurrency=4)
        server.stop()
        second = client.generate_many([f"item {i}" for i in range(5, 15)], concurrency=4)
    results = first + second
    assert all(isinstance(r, qrplex.CodeImage) for r in results)
    images = [r for r in results if isinstance(r, qrplex.CodeImage)]
    assert [decode(i.data) for i in images] == [f"item {i}" for i in range(15)]
    assert {i.backend for i in images[:5]} == {"cloudinfinite"}
    assert {i.backend for i in images[5:]} == {"local"}


def test_concurrent_threads_and_tasks_keep_breaker_state_consistent(
    refused_port: int, emulator_credentials: Any
) -> None:
    # A cool-down no run can outlast: with the 0.3 s of cloud_config, a loaded machine took
    # longer than that between the breaker opening (during the threads) and the tasks, so one
    # task was rightly let through as the half-open probe and paid a connection attempt.
    # (One probe among many threads or tasks: tests/routing/test_breaker.py.)
    config = cloud_config(
        f"http://127.0.0.1:{refused_port}",
        emulator_credentials,
        retries=0,
        breaker_cooldown=600.0,
    )
    with qrplex.Client(config=config) as client:
        results: list[qrplex.CodeImage] = []
        lock = threading.Lock()

        def work(i: int) -> None:
            image = client.generate(f"thread {i}")
            with lock:
                results.append(image)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        async def tasks() -> list[qrplex.CodeImage]:
            return list(await asyncio.gather(*(client.agenerate(f"task {i}") for i in range(24))))

        task_results = asyncio.run(tasks())
        assert client.circuit_states()["cloudinfinite"] == "open"
    assert len(results) == 24
    assert all(image.backend == "local" for image in results + task_results)
    # Threads raced into a closed breaker, so each may have paid one connection attempt;
    # once it opened, no task touched the network.
    assert all(len(image.attempts) == 1 for image in results)
    assert {image.attempts[0].error_type for image in task_results} == {"CircuitOpen"}


def test_async_generation_against_the_emulator(client: qrplex.Client) -> None:
    async def run() -> list[qrplex.CodeImage]:
        return list(await asyncio.gather(*(client.agenerate(f"a{i}") for i in range(8))))

    images = asyncio.run(run())
    assert [decode(i.data) for i in images] == [f"a{i}" for i in range(8)]
    assert {i.backend for i in images} == {"cloudinfinite"}


def test_cache_never_pays_twice_and_discards_corrupt_entries(
    emulator_server: Any, emulator_credentials: Any, emulator_app: Any, tmp_path: Any
) -> None:
    config = cloud_config(emulator_server.base_url, emulator_credentials, cache_dir=str(tmp_path))
    with qrplex.Client(config=config) as client:
        first = client.generate("cached", width=300)
        second = client.generate("cached", width=300)
        assert (first.cached, second.cached) == (False, True)
        assert second.data == first.data
        assert second.backend == "cloudinfinite"
        assert emulator_app.billable_calls("examplebucket-1250000000") == 1
        (entry,) = tmp_path.glob("*/*.qrplex")
        entry.write_bytes(entry.read_bytes()[:-10] + b"corrupted!")
        third = client.generate("cached", width=300)
        assert third.cached is False
        assert decode(third.data) == "cached"
        assert emulator_app.billable_calls("examplebucket-1250000000") == 2


def test_a_cancelled_probe_does_not_leave_the_breaker_open(
    emulator_server: Any, emulator_credentials: Any, emulator_app: Any
) -> None:
    import time

    config = cloud_config(
        emulator_server.base_url,
        emulator_credentials,
        retries=0,
        breaker_threshold=1,
        breaker_cooldown=0.1,
    )
    with qrplex.Client(config=config) as client:
        emulator_app.faults.set(status_500=True, remaining=1)
        assert client.generate("trip").backend == "local"
        assert client.circuit_states()["cloudinfinite"] == "open"
        time.sleep(0.15)
        emulator_app.faults.set(latency=2.0)

        async def cancelled_probe() -> None:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(client.agenerate("probe"), timeout=0.3)

        asyncio.run(cancelled_probe())
        assert client.circuit_states()["cloudinfinite"] == "half-open"
        emulator_app.faults.clear()
        assert client.generate("next probe").backend == "cloudinfinite"
        assert client.circuit_states()["cloudinfinite"] == "closed"


def test_a_long_retry_after_falls_back_instead_of_knocking_again() -> None:
    from qrplex._retry import RetryPolicy

    policy = RetryPolicy(retries=2, backoff=0.1, max_backoff=2.0)
    soon = qrplex.BackendUnavailableError("slow down", backend="b", retry_after=1.0)
    late = qrplex.BackendUnavailableError("slow down", backend="b", retry_after=120.0)
    assert policy.delay(1, soon) == 1.0
    assert policy.delay(1, late) is None


def test_cache_stays_within_its_bound_and_survives_an_unwritable_directory(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with qrplex.Client(config={"cache_dir": str(tmp_path / "c"), "cache_max_mb": 0.004}) as c:
        for i in range(40):
            c.generate(f"entry {i}")
    total = sum(p.stat().st_size for p in (tmp_path / "c").glob("*/*.qrplex"))
    assert 0 < total <= 0.004 * 1024 * 1024
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with (
        caplog.at_level(logging.WARNING, logger="qrplex"),
        qrplex.Client(config={"cache_dir": str(blocker / "cache")}) as c,
    ):
        assert decode(c.generate("still served").data) == "still served"
    assert "cannot be written" in caplog.text
