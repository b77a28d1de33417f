"""The emulator chooses its own QR segmentation (libzint), as the real service does, so the docs
promise the charset policy's sizes, not its segments, for ``cloudinfinite``."""

from __future__ import annotations

import random

import pytest

from qrplex.spec import plan_qr
from qrplex.testing import read_one
from qrplex_cloudinfinite.emulator._render import render

MIXED = {
    "HELLO WORLD 1234567890123456789 hello": ("alphanumeric", "numeric", "byte"),
    "12345678901234567890abc": ("numeric", "byte"),
    "0123456789012345678901234567890é": ("eci", "numeric", "byte"),
}


@pytest.mark.parametrize(("content", "modes"), MIXED.items())
def test_the_emulator_mixes_modes_and_still_reads_back(
    content: str, modes: tuple[str, ...]
) -> None:
    reading = read_one(render(content, 0, 600).png, "qr")
    assert reading.modes == modes  # not the policy's one segment (docs/symbologies.md)
    assert reading.text == content


def _contents(count: int) -> list[str]:
    pools = [
        "0123456789",
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
        "abcdefghij0123456789ABC:/. ",
        "éüß0123456789ABC",
        "日本語€0123456789ABCDEFG",
    ]
    generator = random.Random(10)
    return [
        "".join(generator.choice(pool) for _ in range(generator.randint(1, 300)))
        for pool in generator.choices(pools, k=count)
    ]


def test_its_symbols_are_never_larger_than_the_policy_planned() -> None:
    """So the capacity and minimum width the core checked with the policy hold for it."""
    for content in _contents(100):
        plan = plan_qr(content, "M")
        assert plan is not None
        rendered = render(content, 0, 400)
        assert rendered.modules <= plan.modules, content
        assert rendered.eci == plan.segment.eci_designator, content
