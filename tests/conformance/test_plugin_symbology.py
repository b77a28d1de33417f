"""A third party's plugin that registers a symbology of its own, and a backend drawing it: the
kit tests the backend for that symbology too (contents from the symbology's spec, quiet zones
and polarity from its quiet zones and dimension), passes it when it is right and fails it,
naming the defect, when it is not.

The plugin lives in a throwaway project that :mod:`pytester` runs; the kit registers it with
``BackendConformance.plugins`` (no installed distribution needed).
"""

from __future__ import annotations

import pytest
import segno  # noqa: F401 - see below
import zxingcpp  # noqa: F401 - see below

import qrplex._core_plugin
import qrplex._registry
import qrplex._validation
import qrplex.testing._conformance  # noqa: F401 - see below

# Imported here, before pytester's in-process runs: pytester drops the modules a run
# imported, and a nanobind extension (zxing-cpp) imported twice aborts the interpreter, while
# the core's validation re-imported in a later run would no longer recognise the core's
# symbologies registered by an earlier one.

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

DOTS = '''
"""A "Dots" symbology no stock reader knows: 8 bits in a ring of 10x10 modules."""

import io

from PIL import Image

import qrplex
from qrplex import spec


def bits(content, options):
    if not content or set(content) - {"0", "1"} or len(content) > 8:
        raise qrplex.InvalidContentError(f"Dots carries 1 to 8 bits (0 and 1), not {content!r}")
    return content.rjust(8, "0")


DOTS = spec.Symbology(
    "dots", "Dots", 2, 2, 2, content=bits, modules=lambda c, o: 10, examples=("10110001", "1")
)


class DotsBackend(qrplex.Backend):
    name = "dots"
    capabilities = qrplex.Capabilities(
        symbologies=frozenset({"dots"}), formats=frozenset({"png"}), options=frozenset()
    )

    def render(self, request):
        width = request.width or 4 * 14
        scale = width // 14
        left = (width - 10 * scale) // 2
        image = Image.new("L", (width, width), 255)
        dark = [(x, y) for x in range(10) for y in range(10) if x in (0, 9) or y in (0, 9)]
        dark += [(1 + i, 4) for i, bit in enumerate(request.content) if bit == "1"]
        for x, y in dark:
            x, y = left + x * scale, left + y * scale
            image.paste(0, (x, y, x + scale, y + scale))
        out = io.BytesIO()
        image.save(out, format="PNG")
        return qrplex.Rendering(out.getvalue(), "image/png", width, width)


def read(image):
    """The bits in a Dots image."""
    picture = Image.open(io.BytesIO(image.data)).convert("L")
    left, top, right, _ = picture.point(lambda v: 255 if v < 128 else 0).getbbox()
    module = (right - left) / 10
    return "".join(
        "1" if picture.getpixel((int(left + (1.5 + i) * module), int(top + 4.5 * module))) < 128
        else "0"
        for i in range(8)
    )


@qrplex.hookimpl
def qrplex_register_symbologies(register):
    register(DOTS)


@qrplex.hookimpl
def qrplex_register_backends(register):
    register(DotsBackend)
'''

TESTS = """
import pytest
from hypothesis import Phase, settings

from qrplex.testing import BackendConformance

import acme_dots
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


class TestDots(TestLabels):
    backend_name = "dots"
    plugins = [acme_dots]
    symbol_readers = {"dots": acme_dots.read}


class TestDotsWithoutReader(TestDots):
    symbol_readers = {}


class TestLabelsOverriddenClient(TestLabels):
    # a client the kit cannot see at collection: its plugin symbology is not parametrized
    plugins = []

    @pytest.fixture
    def conformance_client(self, qrplex_client_factory):
        from qrplex._registry import Registry

        return qrplex_client_factory(
            self.backend_name,
            registry=Registry(entry_points=False, plugins=[("labels", acme_labels)]),
            config={"breaker_threshold": 1_000_000_000},
        )
"""


@pytest.fixture
def labels(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with the ``acme_labels`` plugin and conformance tests for its backends."""
    pytester.makepyfile(acme_labels=PLUGIN, acme_dots=DOTS, test_labels=TESTS)
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


def test_a_symbology_zxing_cannot_read_is_read_with_the_plugins_reader(
    labels: pytest.Pytester,
) -> None:
    result = _run(labels, "test_labels.py::TestDots")
    outcomes = result.parseoutcomes()
    assert set(outcomes) == {"passed"}, result.stdout.str()
    assert "TestDots::test_valid_content[dots-png] PASSED" in result.stdout.str()


def test_without_a_reader_an_unreadable_symbology_fails_loudly(labels: pytest.Pytester) -> None:
    result = _run(labels, "test_labels.py::TestDotsWithoutReader::test_valid_content[dots-png]")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "backend 'dots' made an image zxing-cpp (any format) cannot read" in output, output
    assert "give the kit a reader for it in BackendConformance.symbol_readers" in output


def test_a_client_the_kit_cannot_see_at_collection_fails_the_declaration_test(
    labels: pytest.Pytester,
) -> None:
    selection = "test_labels.py::TestLabelsOverriddenClient::test_backend_declaration"
    result = _run(labels, selection)
    result.assert_outcomes(failed=1)
    output = " ".join(result.stdout.str().split())
    expected = "backend 'labels' declares ['lqr'], which the kit's tests were not parametrized"
    assert expected in output, output
    assert "TestLabelsOverriddenClient.plugins" in output
