"""A backend written as a third party would: the kit passes it when it is right, and fails it,
readably, when it mis-encodes.

The backends live in a throwaway project that :mod:`pytester` runs, with the kit's pytest
plugin (``qrplex_client_factory``) loaded from its entry point as in any project.
"""

from __future__ import annotations

import ast
import importlib
import io
import re

import pytest
import segno
import zxingcpp  # noqa: F401 - see below

import qrplex
from qrplex._registry import Registry
from qrplex.testing._conformance import ConformanceRun
from qrplex.testing.pytest_plugin import _plugin_for as plugin_for
from qrplex.testing.strategies import GenerateCall

# zxing-cpp is imported here, before pytester's in-process runs: pytester drops the modules a
# run imported, and a nanobind extension imported a second time aborts the interpreter.

PLUGIN = '''
"""A third party's qrplex backend: QR codes encoded with segno, drawn with Pillow."""

import io

import segno
from PIL import Image

import qrplex

_DIGITS = frozenset("0123456789")
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def encode(content, level):
    """segno symbol under qrplex's charset policy (one segment, the mode given explicitly)."""
    options = dict(error=level, micro=False, boost_error=False)
    chars = set(content)
    if chars <= _DIGITS:
        return segno.make(content, mode="numeric", **options)
    if chars <= _ALPHANUMERIC:
        return segno.make(content, mode="alphanumeric", **options)
    if content.isascii():
        return segno.make(content, mode="byte", encoding="latin-1", **options)
    try:
        content.encode("latin-1")
    except UnicodeEncodeError:
        return segno.make(content, mode="byte", encoding="utf-8", eci=True, **options)
    return segno.make(content, mode="byte", encoding="latin-1", eci=True, **options)


class AcmeBackend(qrplex.Backend):
    """Right: QR codes, PNG, exactly as wide as asked, with the quiet zone."""

    name = "acme"
    capabilities = qrplex.Capabilities(
        symbologies=frozenset({"qr"}), formats=frozenset({"png"}), options=frozenset({"error"})
    )

    def symbol(self, request):
        return encode(request.content, request.options["error"])

    def render(self, request):
        matrix = self.symbol(request).matrix
        size = len(matrix)
        width = request.width or 8 * (size + 8)
        scale = width // (size + 8)
        modules = Image.new("L", (size, size), 255)
        modules.putdata([0 if dark else 255 for row in matrix for dark in row])
        image = Image.new("L", (width, width), 255)
        offset = (width - size * scale) // 2
        image.paste(modules.resize((size * scale,) * 2, Image.Resampling.NEAREST), (offset,) * 2)
        out = io.BytesIO()
        image.save(out, "PNG")
        return qrplex.Rendering(out.getvalue(), "image/png", width, width)


class ShoutyBackend(AcmeBackend):
    """Wrong: upper-cases the content."""

    name = "shouty"

    def symbol(self, request):
        return encode(request.content.upper(), request.options["error"])


class MojibakeBackend(AcmeBackend):
    """Wrong: writes non-ASCII text as UTF-8 bytes without saying so (no ECI)."""

    name = "mojibake"

    def symbol(self, request):
        content, level = request.content, request.options["error"]
        if content.isascii():
            return encode(content, level)
        return segno.make(
            content, mode="byte", encoding="utf-8", error=level, micro=False, boost_error=False
        )


BACKENDS = [AcmeBackend, ShoutyBackend, MojibakeBackend]
'''

TESTS = """
import pytest
from hypothesis import Phase, settings

from qrplex.testing import BackendConformance

import acme_qrplex


class TestAcme(BackendConformance):
    backend_name = "acme"
    conformance_settings = settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],  # "explain" traces: slow
    )

    @pytest.fixture
    def conformance_client(self, qrplex_client_factory):
        return qrplex_client_factory(
            self.backend_name, backends=acme_qrplex.BACKENDS, entry_points=False
        )


class TestShouty(TestAcme):
    backend_name = "shouty"


class TestMojibake(TestAcme):
    backend_name = "mojibake"
"""


@pytest.fixture
def third_party(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with the ``acme_qrplex`` backends and conformance tests for each."""
    pytester.makepyfile(acme_qrplex=PLUGIN, test_acme=TESTS)
    return pytester


_REPR = r"'(?:[^'\\]|\\.)*'" + "|" + r'"(?:[^"\\]|\\.)*"'  # a Python str repr


def _run(pytester: pytest.Pytester, *selection: str) -> pytest.RunResult:
    return pytester.runpytest(*selection, "-p", "no:cacheprovider", "-p", "no:asyncio")


def test_a_right_backend_passes_the_kit(third_party: pytest.Pytester) -> None:
    result = _run(third_party, "test_acme.py::TestAcme")
    outcomes = result.parseoutcomes()
    assert outcomes == {"passed": 56}, result.stdout.str()


def _failure(output: str, backend: str) -> tuple[str, str]:
    """The content and the reading in the kit's "mis-encoded" message for ``backend``."""
    found = re.search(
        rf"backend '{backend}' mis-encoded qr content ({_REPR}) \(error [LMQH]\): "
        rf"zxing-cpp read ({_REPR}) \[png",
        output,
    )
    assert found is not None, output
    return ast.literal_eval(found[1]), ast.literal_eval(found[2])


def test_an_upper_casing_backend_fails_with_a_readable_message(
    third_party: pytest.Pytester,
) -> None:
    result = _run(third_party, "test_acme.py::TestShouty::test_valid_content[qr-png]")
    result.assert_outcomes(failed=1)
    content, read = _failure(result.stdout.str(), "shouty")
    assert read == content.upper() != content


def test_a_mojibake_backend_fails_with_a_readable_message(third_party: pytest.Pytester) -> None:
    result = _run(third_party, "test_acme.py::TestMojibake::test_valid_content[qr-png]")
    result.assert_outcomes(failed=1)
    content, read = _failure(result.stdout.str(), "mojibake")
    assert read == content.encode("utf-8").decode("latin-1") != content


def test_the_mojibake_message_names_input_and_reading(third_party: pytest.Pytester) -> None:
    """The exact message for one input, checked directly (no hypothesis)."""
    third_party.syspathinsert()
    acme = importlib.import_module("acme_qrplex")
    registry = Registry(entry_points=False, plugins=[("acme", plugin_for(acme.BACKENDS))])
    with qrplex.Client(backend="mojibake", fallback=[], registry=registry) as client:
        run = ConformanceRun("mojibake", client, (), None, b"direct")
        with pytest.raises(AssertionError) as failure:
            run.check_valid(GenerateCall("qr", "é", "png", 29, {"error": "M"}))
    assert str(failure.value).startswith(
        "backend 'mojibake' mis-encoded qr content 'é' (error M): zxing-cpp read 'Ã©' "
        "[png, width=29] (segments: byte; "
    )


class NaiveSegnoBackend(qrplex.Backend):
    """Lets segno pick the mode, as ``segno.make(content)`` does by default."""

    name = "naive"
    capabilities = qrplex.Capabilities(
        symbologies=frozenset({"qr"}), formats=frozenset({"png"}), options=frozenset({"error"})
    )

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        code = segno.make(
            request.content, error=request.options["error"], micro=False, boost_error=False
        )
        out = io.BytesIO()
        code.save(out, kind="png", scale=4, border=4)
        width, height = code.symbol_size(scale=4, border=4)
        return qrplex.Rendering(out.getvalue(), "image/png", width, height)


def test_segnos_automatic_kanji_mode_is_caught() -> None:
    """segno encodes Latin-1 'à@' (bytes E0 40, a Shift JIS pair) in Kanji mode: a kanji."""
    registry = Registry(entry_points=False, plugins=[("naive", plugin_for([NaiveSegnoBackend]))])
    with qrplex.Client(backend="naive", fallback=[], registry=registry) as client:
        run = ConformanceRun("naive", client, (), None, b"direct")
        with pytest.raises(AssertionError) as failure:
            run.check_valid(GenerateCall("qr", "à@", "png", None, {"error": "M"}))
    assert str(failure.value).startswith(
        "backend 'naive' mis-encoded qr content 'à@' (error M): zxing-cpp read '漾' "
        "[png, width=None] (segments: kanji; "
    )
