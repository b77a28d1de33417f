"""A third party's plugin that registers a symbology of its own, and a backend drawing it: the
kit tests the backend for that symbology too (contents from the symbology's spec, quiet zones
and polarity from its quiet zones and dimension), passes it when it is right and fails it,
naming the defect, when it is not.

The plugin lives in a throwaway project that :mod:`pytester` runs; the kit registers it with
``BackendConformance.plugins`` (no installed distribution needed).
"""

from __future__ import annotations

import pytest
import segno  # noqa: F401 - imported before pytester's runs, like zxingcpp below
import zxingcpp  # noqa: F401 - a nanobind extension must not be imported twice

PLUGIN = '''
"""A "Labelled QR" symbology (a QR Code of version 3 carrying printable ASCII) and
backends that draw it with segno."""

import io

import segno
from PIL import Image

import qrplex
from qrplex import spec


def labelled(content, options):
    if not (content.isascii() and content.isprintable()):
        raise qrplex.InvalidContentError(
            f"a Labelled QR carries printable ASCII only, not {content!r}"
        )
    if len(content) > 32:
        raise qrplex.InvalidContentError("a Labelled QR carries at most 32 characters")
    return content


LABELLED_QR = spec.Symbology(
    "lqr",
    "Labelled QR",
    2,
    4,
    4,
    content=labelled,
    modules=lambda content, options: 29,  # version 3
    examples=("LABEL-0001", "Shelf 4, bin 12"),
)


class LabelBackend(qrplex.Backend):
    """Right: the symbol with its 4-module quiet zone, exactly as wide as asked."""

    name = "labels"
    capabilities = qrplex.Capabilities(
        symbologies=frozenset({"lqr"}), formats=frozenset({"png"}), options=frozenset()
    )
    quiet = 4
    dark, light = "#000000", "#ffffff"

    def render(self, request):
        code = segno.make(request.content, version=3, error="M", micro=False, boost_error=False)
        size = 29 + 2 * self.quiet
        width = request.width or 4 * size
        scale = width // size
        symbol = io.BytesIO()
        code.save(symbol, kind="png", scale=scale, border=0, dark=self.dark, light=self.light)
        canvas = Image.new("RGB", (width, width), self.light)
        left = (width - scale * 29) // 2
        canvas.paste(Image.open(symbol).convert("RGB"), (left, left))
        out = io.BytesIO()
        canvas.save(out, format="PNG")
        return qrplex.Rendering(out.getvalue(), "image/png", width, width)


class NarrowLabelBackend(LabelBackend):
    """Wrong: a quiet zone of one module."""

    name = "narrowlabels"
    quiet = 1


class InvertedLabelBackend(LabelBackend):
    """Wrong: light modules on a dark background."""

    name = "invertedlabels"
    dark, light = "#ffffff", "#000000"


@qrplex.hookimpl
def qrplex_register_symbologies(register):
    register(LABELLED_QR)


@qrplex.hookimpl
def qrplex_register_backends(register):
    for backend in (LabelBackend, NarrowLabelBackend, InvertedLabelBackend):
        register(backend)
'''

TESTS = """
from hypothesis import Phase, settings

from qrplex.testing import BackendConformance

import acme_labels


class TestLabels(BackendConformance):
    backend_name = "labels"
    plugins = [acme_labels]
    conformance_settings = settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )


class TestNarrowLabels(TestLabels):
    backend_name = "narrowlabels"
    conformance_settings = settings(deadline=None, database=None, phases=[Phase.explicit])


class TestInvertedLabels(TestNarrowLabels):
    backend_name = "invertedlabels"
"""


@pytest.fixture
def labels(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with the ``acme_labels`` plugin and conformance tests for its backends."""
    pytester.makepyfile(acme_labels=PLUGIN, test_labels=TESTS)
    return pytester


def _run(pytester: pytest.Pytester, *selection: str) -> pytest.RunResult:
    return pytester.runpytest(*selection, "-p", "no:cacheprovider", "-p", "no:asyncio", "-v")


def test_a_plugin_symbology_is_tested_and_a_right_backend_passes(
    labels: pytest.Pytester,
) -> None:
    result = _run(labels, "test_labels.py::TestLabels")
    outcomes = result.parseoutcomes()
    assert set(outcomes) == {"passed"}, result.stdout.str()
    output = result.stdout.str()
    for test in (
        "test_valid_content[lqr-png]",
        "test_valid_content[lqr-svg]",  # undeclared format: refused
        "test_valid_content[qr-png]",  # the core's nine: refused
        "test_invalid_content[lqr]",
        "test_invalid_options[lqr]",
        "test_options_and_limits[lqr]",
        "test_async_generate[lqr]",
    ):
        assert f"TestLabels::{test} PASSED" in output, output


def test_a_plugin_symbologys_quiet_zone_is_checked_from_its_spec(
    labels: pytest.Pytester,
) -> None:
    result = _run(labels, "test_labels.py::TestNarrowLabels::test_valid_content[lqr-png]")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "backend 'narrowlabels', lqr content" in output, output
    assert "quiet zone too narrow: left 1.0, right 1.0, top 1.0, bottom 1.0 modules" in output
    assert "Labelled QR needs at least 4 modules on every side" in output


def test_a_plugin_symbologys_polarity_is_checked(labels: pytest.Pytester) -> None:
    result = _run(labels, "test_labels.py::TestInvertedLabels::test_valid_content[lqr-png]")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "backend 'invertedlabels', lqr content" in output, output
    assert "polarity: the edges of the image are dark" in output
