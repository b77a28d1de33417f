"""Validation plans a QR symbol once per request (the content check's fit is the plan the
request carries), and that shortcut never hands a request another request's plan."""

from __future__ import annotations

import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrplex import spec
from qrplex._validation import validate_request
from qrplex.errors import InvalidContentError

TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=120),
    st.text("0123456789", min_size=1, max_size=400),
    st.text(st.characters(max_codepoint=255, exclude_categories=["Cs"]), min_size=1),
)
LEVELS = ("L", "M", "Q", "H")


def _plan(content: str, symbology: str, level: str) -> spec.QrPlan | None:
    try:
        request = validate_request(
            content, symbology=symbology, format="png", width=None, options={"error": level}
        )
    except InvalidContentError:
        return None
    return request.qr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=TEXT, first=st.sampled_from(LEVELS), second=st.sampled_from(LEVELS))
def test_the_same_content_at_two_levels_gets_each_its_own_plan(
    content: str, first: str, second: str
) -> None:
    assert _plan(content, "qr", first) == spec.plan_qr(content, first)
    assert _plan(content, "qr", second) == spec.plan_qr(content, second)
    micro = spec.plan_qr(content, "L", micro=True)
    assert _plan(content, "microqr", "L") == micro
    assert _plan(content, "qr", "L") == spec.plan_qr(content, "L")  # not the Micro QR plan


def test_a_request_is_never_planned_with_another_threads_check() -> None:
    """Threads validating at once (the same content objects at other levels, as Micro QR,
    or other contents) each get their own request's plan, however their checks interleave."""
    contents = ["1" * 30, "HELLO WORLD", "Grüße", "12345"]
    jobs = [(c, s, lv) for c in contents for s in ("qr", "microqr") for lv in ("L", "M")]
    wrong: list[tuple[str, str, str]] = []

    def worker(content: str, symbology: str, level: str) -> None:
        expected = spec.plan_qr(content, level, micro=symbology == "microqr")
        for _ in range(400):
            if _plan(content, symbology, level) != expected:
                wrong.append((content, symbology, level))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads between the check and the plan, often
    try:
        threads = [threading.Thread(target=worker, args=job) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []


@pytest.mark.parametrize("symbology", ["qr", "microqr"])
def test_linear_and_matrix_plans_stay_apart(symbology: str) -> None:
    """A linear request right after a QR check carries no plan; the QR one its own."""
    qr = validate_request("12345", symbology=symbology, format="png", width=None, options={})
    ean = validate_request("590123412345", symbology="ean13", format="png", width=None, options={})
    assert qr.qr == spec.plan_qr("12345", "M", micro=symbology == "microqr")
    assert ean.qr is None


def test_a_plan_left_by_another_check_is_not_taken() -> None:
    """What a thread finds when another thread's content check ran between its own check
    and its request (too rare to force with real threads): only its own plan is taken."""
    from qrplex import _validation

    content, other = "HELLO WORLD" * 3, "1" * 90
    _plan(content, "qr", "L")  # leaves its plan behind
    for symbology, level in (("qr", "H"), ("microqr", "L")):
        micro = symbology == "microqr"
        found = _validation._qr_plan(content, symbology, {"error": level})
        assert found == spec.plan_qr(content, level, micro=micro)
    _plan(content, "qr", "L")
    assert _validation._qr_plan(other, "qr", {"error": "L"}) == spec.plan_qr(other, "L")


@pytest.mark.parametrize("symbology", ["qr", "microqr"])
def test_validation_plans_the_symbol_once(symbology: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The content check's fit is the plan the request carries: no second planning."""
    from qrplex import _validation

    planned: list[str] = []

    def counting(content: str, level: str, *, micro: bool = False) -> spec.QrPlan | None:
        planned.append(content)
        return spec.plan_qr(content, level, micro=micro)

    monkeypatch.setattr(_validation, "plan_qr", counting)
    request = validate_request("HELLO", symbology=symbology, format="png", width=None, options={})
    assert request.qr == spec.plan_qr(
        "HELLO", "M" if symbology == "qr" else "L", micro=symbology == "microqr"
    )
    assert planned == []
