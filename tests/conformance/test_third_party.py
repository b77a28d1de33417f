"""Backends written as a third party would: the kit passes them when they are right, and
fails them, with a message naming the defect, when they have one a real scanner (or a user)
would suffer from.

The backends live in a throwaway project that :mod:`pytester` runs, registered with the
kit's ``backend_classes`` hook (no installed plugin needed), as in any project.
"""

from __future__ import annotations

import ast
import importlib
import io
import re

import pytest
import segno
import zxingcpp  # noqa: F401 - see below
from PIL import Image

import qrplex
from qrplex._registry import Registry
from qrplex.testing._conformance import ConformanceRun
from qrplex.testing.pytest_plugin import _plugin_for as plugin_for
from qrplex.testing.strategies import GenerateCall

# zxing-cpp is imported here, before pytester's in-process runs: pytester drops the modules a
# run imported, and a nanobind extension imported a second time aborts the interpreter.

SECRET = "sk-live-5f3a9c1e7b2d4086"
"""The leaky backends' API key: no output of a kit run may show it."""

PLUGIN = '''
"""A third party's qrplex backends: the plugin guide's, right, and copies with one defect each."""

import io

import segno
from PIL import Image

import qrplex

_DIGITS = frozenset("0123456789")
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def charset_policy(content):
    """segno arguments that encode ``content`` the way the qrplex core sized it."""
    chars = set(content)
    if chars <= _DIGITS:
        mode = "numeric"
    elif chars <= _ALPHANUMERIC:
        mode = "alphanumeric"
    else:
        mode = "byte"
    if content.isascii():
        return {"mode": mode, "encoding": "latin-1", "eci": False}
    try:
        content.encode("latin-1")
    except UnicodeEncodeError:
        return {"mode": mode, "encoding": "utf-8", "eci": True}  # ECI 26
    return {"mode": mode, "encoding": "latin-1", "eci": True}  # ECI 3


class AcmeBackend(qrplex.Backend):
    """Right (the plugin guide's backend): QR codes from segno, PNG and SVG, exactly as wide
    as asked, with the quiet zone."""

    name = "acme"
    capabilities = qrplex.Capabilities(
        symbologies=frozenset({"qr"}),
        formats=frozenset({"png", "svg"}),
        options=frozenset({"error"}),
    )
    quiet = 4
    dark, light = "#000000", "#ffffff"

    def symbol(self, request):
        return segno.make(
            request.content,
            error=request.options["error"],
            micro=False,
            boost_error=False,
            **charset_policy(request.content),
        )

    def render(self, request):
        code = self.symbol(request)
        modules = len(code.matrix)
        size = modules + 2 * self.quiet
        width = request.width or 10 * size
        scale = width // size
        left = (width - scale * modules) // 2
        if request.format == "svg":
            data, media_type = self.svg(code, width, scale, left), "image/svg+xml"
        else:
            data, media_type = self.png(code, width, scale, left), "image/png"
        return qrplex.Rendering(data, media_type, width, width)

    def svg(self, code, width, scale, left):
        dark = "".join(
            f"M{left + x * scale} {left + y * scale}h{scale}v{scale}h-{scale}z"
            for y, row in enumerate(code.matrix)
            for x, module in enumerate(row)
            if module
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{width}" '
            f'viewBox="0 0 {width} {width}" shape-rendering="crispEdges">'
            f'<rect width="{width}" height="{width}" fill="{self.light}"/>'
            f'<path fill="{self.dark}" d="{dark}"/></svg>'
        ).encode("utf-8")

    def png(self, code, width, scale, left):
        symbol = io.BytesIO()
        code.save(symbol, kind="png", scale=scale, border=0, dark=self.dark, light=self.light)
        canvas = Image.new("RGB", (width, width), self.light)
        canvas.paste(Image.open(symbol).convert("RGB"), (left, left))
        out = io.BytesIO()
        canvas.save(out, format="PNG")
        return out.getvalue()


class SegnoWriterBackend(AcmeBackend):
    """Right: segno's own PNG writer, with its 4-module border, padded to the width."""

    name = "segnowriter"
    capabilities = qrplex.Capabilities(
        symbologies=frozenset({"qr"}), formats=frozenset({"png"}), options=frozenset({"error"})
    )

    def render(self, request):
        code = self.symbol(request)
        size = len(code.matrix) + 8
        width = request.width or 4 * size
        out = io.BytesIO()
        code.save(out, kind="png", scale=width // size, border=4)
        symbol = Image.open(io.BytesIO(out.getvalue())).convert("L")
        canvas = Image.new("L", (width, width), 255)
        offset = (width - symbol.width) // 2
        canvas.paste(symbol, (offset, offset))
        out = io.BytesIO()
        canvas.save(out, format="PNG")
        return qrplex.Rendering(out.getvalue(), "image/png", width, width)


class ShoutyBackend(AcmeBackend):
    """Wrong: upper-cases the content."""

    name = "shouty"

    def symbol(self, request):
        return segno.make(
            request.content.upper(),
            error=request.options["error"],
            micro=False,
            boost_error=False,
            **charset_policy(request.content.upper()),
        )


class MojibakeBackend(AcmeBackend):
    """Wrong: writes non-ASCII text as UTF-8 bytes without saying so (no ECI)."""

    name = "mojibake"

    def symbol(self, request):
        content, level = request.content, request.options["error"]
        if content.isascii():
            return super().symbol(request)
        return segno.make(
            content, mode="byte", encoding="utf-8", error=level, micro=False, boost_error=False
        )


class NarrowQuietBackend(AcmeBackend):
    """Wrong: a quiet zone of 1 module."""

    name = "narrowquiet"
    quiet = 1


class InvertedBackend(AcmeBackend):
    """Wrong: light modules on a dark background."""

    name = "inverted"
    dark, light = "#ffffff", "#000000"


class NoEciBackend(AcmeBackend):
    """Wrong: ISO-8859-1 bytes without ECI 3 (zxing-cpp reads 'ÄÖÜ' as 'ﾄﾖﾜ')."""

    name = "noeci"

    def symbol(self, request):
        policy = charset_policy(request.content)
        if policy["encoding"] == "latin-1":
            policy["eci"] = False
        return segno.make(
            request.content,
            error=request.options["error"],
            micro=False,
            boost_error=False,
            **policy,
        )


class SpacesBackend(AcmeBackend):
    """Wrong: turns tabs and U+00A0 into spaces ("normalizing whitespace")."""

    name = "spaces"

    def symbol(self, request):
        content = request.content.replace("\\t", " ").replace("\\xa0", " ")
        return segno.make(
            content,
            error=request.options["error"],
            micro=False,
            boost_error=False,
            **charset_policy(content),
        )


class RoundSvgBackend(AcmeBackend):
    """Wrong for the kit: draws SVG modules as circles, which it cannot rasterize."""

    name = "roundsvg"

    def svg(self, code, width, scale, left):
        dots = "".join(
            f'<circle cx="{left + x * scale + scale / 2}" cy="{left + y * scale + scale / 2}" '
            f'r="{scale / 2}"/>'
            for y, row in enumerate(code.matrix)
            for x, module in enumerate(row)
            if module
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{width}">'
            f'<rect width="{width}" height="{width}" fill="#fff"/>{dots}</svg>'
        ).encode("utf-8")


class LeakyBackend(AcmeBackend):
    """Wrong: its first attempt fails with a transient error that shows its API key; the
    core retries, so the image comes back with the key in ``image.attempts``."""

    name = "leaky"
    settings = (qrplex.Setting("api_key", "the API key", secret=True),)

    def __init__(self, config):
        super().__init__(config)
        self.api_key = config["api_key"]
        self.calls = 0

    def render(self, request):
        self.calls += 1
        if self.calls == 1:
            raise qrplex.BackendUnavailableError(
                f"503 from upstream for key={self.api_key}", backend=self.name
            )
        return super().render(request)


class LoudBackend(LeakyBackend):
    """Wrong: every call fails with an error whose message shows its API key."""

    name = "loud"

    def render(self, request):
        raise qrplex.BackendRejectedError(f"key {self.api_key} is not allowed", backend=self.name)


class ReprBackend(AcmeBackend):
    """Wrong: right images, clean errors, but its repr shows its API key."""

    name = "repr"
    settings = LeakyBackend.settings

    def __repr__(self):
        return f"<ReprBackend key={self.config['api_key']}>"


class HiddenSvgBackend(AcmeBackend):
    """Wrong: its SVG ends with a white rect over the whole symbol (a renderer shows a blank
    square; a rasterizer that only looks for dark shapes would still see the modules)."""

    name = "hiddensvg"

    def svg(self, code, width, scale, left):
        cover = f'<rect width="{width}" height="{width}" fill="#fff"/></svg>'
        return super().svg(code, width, scale, left).replace(b"</svg>", cover.encode())


class PaleSvgBackend(AcmeBackend):
    """Wrong: modules in #f4f4f4 on white (no contrast at all)."""

    name = "palesvg"
    dark = "#f4f4f4"


class StyledSvgBackend(AcmeBackend):
    """Wrong for the kit: a <style> element paints the modules white (CSS the kit does not
    apply, so it must refuse the SVG rather than guess)."""

    name = "styledsvg"

    def svg(self, code, width, scale, left):
        style = '<style>path { fill: #fff }</style><rect'
        return super().svg(code, width, scale, left).replace(b"<rect", style.encode(), 1)


class FadedSvgBackend(AcmeBackend):
    """Wrong for the kit: modules drawn at opacity 0.1."""

    name = "fadedsvg"

    def svg(self, code, width, scale, left):
        return super().svg(code, width, scale, left).replace(b"<path ", b'<path opacity="0.1" ')


class GreyBackend(AcmeBackend):
    """Wrong: grey 110 modules on a grey 150 background (16 % symbol contrast, grade F)."""

    name = "grey"
    dark, light = "#6e6e6e", "#969696"


class TransparentBackend(AcmeBackend):
    """Wrong: black modules on a fully transparent background."""

    name = "transparent"

    def png(self, code, width, scale, left):
        canvas = Image.new("RGBA", (width, width), (255, 255, 255, 0))
        for y, row in enumerate(code.matrix):
            for x, module in enumerate(row):
                if module:
                    box = (left + x * scale, left + y * scale)
                    canvas.paste((0, 0, 0, 255), (*box, box[0] + scale, box[1] + scale))
        out = io.BytesIO()
        canvas.save(out, format="PNG")
        return out.getvalue()


class InvertedInsideBackend(AcmeBackend):
    """Wrong: an inverted symbol (light modules, dark quiet zone of 1 module) on a white
    margin: the image's edges are light, the symbol is not dark on light."""

    name = "invertedinside"
    frame = 0

    def png(self, code, width, scale, left):
        canvas = Image.new("L", (width, width), 255)
        edge = left - scale * (1 + self.frame)
        canvas.paste(0, (edge, edge, width - edge, width - edge))
        if self.frame:
            inner = edge + scale * self.frame
            canvas.paste(255, (inner, inner, width - inner, width - inner))
            inner += scale
            canvas.paste(0, (inner, inner, width - inner, width - inner))
        for y, row in enumerate(code.matrix):
            for x, module in enumerate(row):
                if module:
                    box = (left + x * scale, left + y * scale)
                    canvas.paste(255, (*box, box[0] + scale, box[1] + scale))
        out = io.BytesIO()
        canvas.save(out, format="PNG")
        return out.getvalue()


class InvertedFramedBackend(InvertedInsideBackend):
    """Wrong: the same inverted symbol, inside a 1-module dark frame."""

    name = "invertedframed"
    frame = 1


class TaggedBackend(LeakyBackend):
    """Wrong: writes its API key into the PNG's metadata (a tEXt chunk)."""

    name = "tagged"

    def render(self, request):
        from PIL import PngImagePlugin

        rendering = AcmeBackend.render(self, request)
        if request.format != "png":
            return rendering
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", f"made for {self.api_key}")
        out = io.BytesIO()
        Image.open(io.BytesIO(rendering.data)).save(out, format="PNG", pnginfo=info)
        return qrplex.Rendering(out.getvalue(), "image/png", rendering.width, rendering.height)


class ChattyBackend(LeakyBackend):
    """Wrong: logs its API key (at DEBUG)."""

    name = "chatty"

    def render(self, request):
        import logging

        logging.getLogger("acme.http").debug("POST /qr with key=%s", self.api_key)
        return AcmeBackend.render(self, request)


class WarnyBackend(LeakyBackend):
    """Wrong: warns with its API key."""

    name = "warny"

    def render(self, request):
        import warnings

        warnings.warn(f"key {self.api_key} expires soon", UserWarning, stacklevel=1)
        return AcmeBackend.render(self, request)


BACKENDS = [
    HiddenSvgBackend,
    PaleSvgBackend,
    StyledSvgBackend,
    FadedSvgBackend,
    GreyBackend,
    TransparentBackend,
    InvertedInsideBackend,
    InvertedFramedBackend,
    TaggedBackend,
    ChattyBackend,
    WarnyBackend,
    LoudBackend,
    ReprBackend,
    AcmeBackend,
    SegnoWriterBackend,
    ShoutyBackend,
    MojibakeBackend,
    NarrowQuietBackend,
    InvertedBackend,
    NoEciBackend,
    SpacesBackend,
    RoundSvgBackend,
    LeakyBackend,
]
'''

TESTS = f"""
import pytest
from hypothesis import Phase, settings

from qrplex.testing import BackendConformance

import acme_qrplex


class TestAcme(BackendConformance):
    backend_name = "acme"
    backend_classes = acme_qrplex.BACKENDS
    conformance_settings = settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],  # "explain" traces: slow
    )


class TestSegnoWriter(TestAcme):
    backend_name = "segnowriter"


class TestShouty(TestAcme):
    backend_name = "shouty"


class TestMojibake(TestAcme):
    backend_name = "mojibake"


class ExplicitOnly(TestAcme):
    # The defects below must be caught by the explicit examples alone (no random ones).
    conformance_settings = settings(deadline=None, database=None, phases=[Phase.explicit])


class TestNarrowQuiet(ExplicitOnly):
    backend_name = "narrowquiet"


class TestInverted(ExplicitOnly):
    backend_name = "inverted"


class TestNoEci(ExplicitOnly):
    backend_name = "noeci"


class TestSpaces(ExplicitOnly):
    backend_name = "spaces"


class TestRoundSvg(ExplicitOnly):
    backend_name = "roundsvg"


class TestLeaky(ExplicitOnly):
    backend_name = "leaky"

    @pytest.fixture
    def backend_settings(self):
        return {{"api_key": {SECRET!r}}}


class TestHiddenSvg(ExplicitOnly):
    backend_name = "hiddensvg"


class TestPaleSvg(ExplicitOnly):
    backend_name = "palesvg"


class TestStyledSvg(ExplicitOnly):
    backend_name = "styledsvg"


class TestFadedSvg(ExplicitOnly):
    backend_name = "fadedsvg"


class TestGrey(ExplicitOnly):
    backend_name = "grey"


class TestTransparent(ExplicitOnly):
    backend_name = "transparent"


class TestInvertedInside(ExplicitOnly):
    backend_name = "invertedinside"


class TestInvertedFramed(ExplicitOnly):
    backend_name = "invertedframed"


class TestTagged(TestLeaky):
    backend_name = "tagged"


class TestChatty(TestLeaky):
    backend_name = "chatty"


class TestWarny(TestLeaky):
    backend_name = "warny"


class TestLoud(TestLeaky):
    backend_name = "loud"


class TestRepr(TestLeaky):
    backend_name = "repr"


class TestOverriddenClient(TestAcme):
    # The pre-settings-hook way: a whole client, here with the default circuit breaker.
    @pytest.fixture
    def conformance_client(self, qrplex_client_factory):
        return qrplex_client_factory(
            self.backend_name, backends=acme_qrplex.BACKENDS, entry_points=False
        )
"""


@pytest.fixture
def third_party(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with the ``acme_qrplex`` backends and conformance tests for each."""
    pytester.makepyfile(acme_qrplex=PLUGIN, test_acme=TESTS)
    return pytester


_REPR = r"'(?:[^'\\]|\\.)*'" + "|" + r'"(?:[^"\\]|\\.)*"'  # a Python str repr


def _run(pytester: pytest.Pytester, *selection: str) -> pytest.RunResult:
    return pytester.runpytest(*selection, "-p", "no:cacheprovider", "-p", "no:asyncio")


@pytest.mark.parametrize("backend", ["Acme", "SegnoWriter"])
def test_a_right_backend_passes_the_kit(third_party: pytest.Pytester, backend: str) -> None:
    """The plugin guide's backend (PNG and SVG), and one using segno's own PNG writer."""
    result = _run(third_party, f"test_acme.py::Test{backend}")
    outcomes = result.parseoutcomes()
    assert set(outcomes) == {"passed"}, result.stdout.str()


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


@pytest.mark.parametrize(
    ("backend", "test", "message"),
    [
        pytest.param(
            "NarrowQuiet",
            "test_valid_content[qr-png]",
            r"backend 'narrowquiet', qr content .* \[png, width=None\]: quiet zone too narrow: "
            r"left 1\.0, right 1\.0, top 1\.0, bottom 1\.0 modules \(module 10\.00 px\); "
            r"QR Code needs at least 4 modules on every side",
            id="quiet-zone-of-1-module",
        ),
        pytest.param(
            "Inverted",
            "test_valid_content[qr-svg]",
            r"backend 'inverted', qr content .*: polarity: the edges of the image are dark "
            r"\(light modules on a dark background",
            id="light-on-dark",
        ),
        pytest.param(
            "NoEci",
            "test_valid_content[qr-png]",
            r"backend 'noeci', qr content .* \(error M\) \[png, width=None\]: charset "
            r"policy: the byte segment is under no ECI; expected ECI 3 \(ISO-8859-1\) "
            r"\(ISO-8859-1 bytes without ECI 3: scanners guess the charset",
            id="latin-1-without-eci-3",
        ),
        pytest.param(
            "Spaces",
            "test_valid_content[qr-png]",
            r"backend 'spaces' mis-encoded qr content '\\t' \(error M\): zxing-cpp read ' ' "
            r"\[png, width=None\] \(.*first difference at character 0: U\+0009 CHARACTER "
            r"TABULATION became U\+0020 SPACE\)",
            id="tabs-turned-into-spaces",
        ),
        pytest.param(
            "RoundSvg",
            "test_valid_content[qr-svg]",
            r"backend 'roundsvg', qr content .* \[svg, width=None\]: an SVG the kit cannot "
            r"rasterize \(it uses a circle element\), so it cannot be decoded",
            id="svg-the-kit-cannot-read",
        ),
        pytest.param(
            "HiddenSvg",
            "test_valid_content[qr-svg]",
            r"backend 'hiddensvg', qr content .* \[svg, width=None\]: symbol contrast 0% "
            r"\(light grey 255, dark grey 255\)",
            id="svg-covered-by-a-white-rect",
        ),
        pytest.param(
            "PaleSvg",
            "test_valid_content[qr-svg]",
            r"backend 'palesvg', qr content .* \[svg, width=None\]: symbol contrast 4% "
            r"\(light grey 255, dark grey 244\); scanners need at least 40%",
            id="svg-modules-in-near-white",
        ),
        pytest.param(
            "StyledSvg",
            "test_valid_content[qr-svg]",
            r"backend 'styledsvg', qr content .* \[svg, width=None\]: an SVG the kit cannot "
            r"rasterize \(it uses a style element\)",
            id="svg-styled-by-css",
        ),
        pytest.param(
            "FadedSvg",
            "test_valid_content[qr-svg]",
            r"backend 'fadedsvg', qr content .* \[svg, width=None\]: an SVG the kit cannot "
            r"rasterize \(it uses opacity='0.1' on a path element\)",
            id="svg-with-opacity",
        ),
        pytest.param(
            "Grey",
            "test_valid_content[qr-png]",
            r"backend 'grey', qr content .* \[png, width=None\]: symbol contrast 16% "
            r"\(light grey 150, dark grey 110\); scanners need at least 40% \(ISO/IEC 15415",
            id="low-contrast",
        ),
        pytest.param(
            "Transparent",
            "test_valid_content[qr-png]",
            r"backend 'transparent', qr content .* \[png, width=None\]: transparency: \d+ of "
            r"\d+ pixels are not opaque \(alpha down to 0\)",
            id="transparent-background",
        ),
        pytest.param(
            "InvertedInside",
            "test_valid_content[qr-png]",
            r"backend 'invertedinside', qr content .* \[png, width=None\]: polarity: the "
            r"symbol's top-left corner is not a finder pattern drawn dark on light",
            id="inverted-inside-a-light-margin",
        ),
        pytest.param(
            "InvertedFramed",
            "test_valid_content[qr-png]",
            r"backend 'invertedframed', qr content .* \[png, width=None\]: polarity: the "
            r"symbol's top-left corner is not a finder pattern drawn dark on light",
            id="inverted-inside-a-dark-frame",
        ),
        pytest.param(
            "Tagged",
            "test_valid_content[qr-png]",
            r"backend 'tagged': the image's bytes \(png\) for qr content .* shows "
            r"conformance_secrets\[0\] \(24 characters; not repeated here\)",
            id="secret-in-png-metadata",
        ),
        pytest.param(
            "Chatty",
            "test_valid_content[qr-png]",
            r"backend 'chatty': a DEBUG log record of logger 'acme.http' during the call for "
            r"qr content .* shows conformance_secrets\[0\] \(24 characters; not repeated",
            id="secret-in-a-log-record",
        ),
        pytest.param(
            "Warny",
            "test_valid_content[qr-png]",
            r"backend 'warny': a UserWarning during the call for qr content .* shows "
            r"conformance_secrets\[0\] \(24 characters; not repeated here\)",
            id="secret-in-a-warning",
        ),
        pytest.param(
            "Leaky",
            "test_valid_content[qr-png]",
            r"backend 'leaky': the message of a retried attempt \(image.attempts\[0\], "
            r"BackendUnavailableError\) before the image for qr content .* shows "
            r"conformance_secrets\[0\] \(24 characters; not repeated here\)",
            id="secret-in-an-attempt",
        ),
    ],
)
def test_a_defect_fails_the_kit_with_a_message_naming_it(
    third_party: pytest.Pytester, backend: str, test: str, message: str
) -> None:
    """Each defect class, on a backend that has only that one, fails on the explicit
    examples alone (no random example needed), with a message that names it; and the kit's
    report, even with local variables shown, never shows the secret."""
    result = _run(third_party, f"test_acme.py::Test{backend}::{test}", "--showlocals")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert re.search(message, output), output
    assert SECRET not in output + result.stderr.str()


_IMAGE_TESTS = (
    "test_valid_content[qr-png]",
    "test_options_and_limits[qr]",
    "test_async_generate[qr]",
)
_SECRETS_TEST = "test_errors_carry_no_secrets"


def test_a_leaky_backend_fails_every_test_that_makes_an_image_and_never_shows_the_key(
    third_party: pytest.Pytester,
) -> None:
    tests = [f"test_acme.py::TestLeaky::{test}" for test in _IMAGE_TESTS]
    result = _run(third_party, *tests, "--showlocals", "--tb=long", "-rA")
    output = result.stdout.str() + result.stderr.str()
    assert SECRET not in output
    result.assert_outcomes(failed=3)  # valid content, options, async


def test_a_backend_whose_errors_show_its_key_fails_and_the_report_never_shows_it(
    third_party: pytest.Pytester,
) -> None:
    tests = [f"test_acme.py::TestLoud::{test}" for test in (*_IMAGE_TESTS, _SECRETS_TEST)]
    result = _run(third_party, *tests, "--showlocals", "--tb=long", "-rA")
    output = result.stdout.str() + result.stderr.str()
    assert SECRET not in output
    assert "the str() of a BackendRejectedError shows conformance_secrets[0]" in output
    result.assert_outcomes(failed=4)


def test_a_backend_whose_repr_shows_its_key_fails_and_the_report_never_shows_it(
    third_party: pytest.Pytester,
) -> None:
    test = "test_acme.py::TestRepr::test_errors_carry_no_secrets"
    result = _run(third_party, test, "--showlocals", "--tb=long")
    result.assert_outcomes(failed=1)
    output = result.stdout.str() + result.stderr.str()
    assert SECRET not in output
    assert "backend 'repr': the repr() of the backend shows conformance_secrets[0]" in output


def test_an_overridden_client_with_a_breaker_is_refused_by_name(
    third_party: pytest.Pytester,
) -> None:
    result = _run(third_party, "test_acme.py::TestOverriddenClient::test_backend_declaration")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*the conformance client lacks what the kit relies on: its circuit breaker opens "
         "after 5 failures*backend_settings*"]
    )  # fmt: skip


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
    assert str(failure.value).endswith(
        "first difference at character 0: U+00E9 LATIN SMALL LETTER E WITH ACUTE became "
        "U+00C3 LATIN CAPITAL LETTER A WITH TILDE)"
    )


def test_the_kits_objects_do_not_show_secrets(third_party: pytest.Pytester) -> None:
    """The run's repr and its secrets' repr and str hide them."""
    third_party.syspathinsert()
    acme = importlib.import_module("acme_qrplex")
    registry = Registry(entry_points=False, plugins=[("acme", plugin_for(acme.BACKENDS))])
    with qrplex.Client(backend="acme", fallback=[], registry=registry) as client:
        run = ConformanceRun("acme", client, (SECRET,), None, b"direct")
        shown = repr(run) + str(run) + repr(run.secrets) + str(run.secrets)
        assert SECRET not in shown
        assert list(run.secrets) == [SECRET]


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


class ByteModeBackend(NaiveSegnoBackend):
    """Writes every content in byte mode, digits too (scanners read it; the core sized the
    symbol for the policy's mode, so a long one would not fit)."""

    name = "bytemode"

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        code = segno.make(
            request.content,
            error=request.options["error"],
            micro=False,
            boost_error=False,
            mode="byte",
        )
        out = io.BytesIO()
        code.save(out, kind="png", scale=4, border=4)
        width, height = code.symbol_size(scale=4, border=4)
        return qrplex.Rendering(out.getvalue(), "image/png", width, height)


def _direct_failure(content: str, backend: type[qrplex.Backend]) -> str:
    registry = Registry(entry_points=False, plugins=[("direct", plugin_for([backend]))])
    with qrplex.Client(backend=backend.name, fallback=[], registry=registry) as client:
        run = ConformanceRun(backend.name, client, (), None, b"direct")
        with pytest.raises(AssertionError) as failure:
            run.check_valid(GenerateCall("qr", content, "png", None, {"error": "M"}))
    return str(failure.value)


def test_segnos_automatic_kanji_mode_is_caught() -> None:
    """segno encodes Latin-1 'à@' (bytes E0 40, a Shift JIS pair) in Kanji mode: a kanji."""
    assert _direct_failure("à@", NaiveSegnoBackend).startswith(
        "backend 'naive' mis-encoded qr content 'à@' (error M): zxing-cpp read '漾' "
        "[png, width=None] (segments: kanji; "
    )


def test_a_mode_other_than_the_policys_is_caught() -> None:
    """Digits in byte mode read right, but are not what the policy (and the width check)
    planned: the kit names the segments it read from the symbol's bits."""
    assert _direct_failure("12345", ByteModeBackend) == (
        "backend 'bytemode', qr content '12345' (error M) [png, width=None]: charset policy: "
        "the symbol has segments byte; expected one numeric segment for this content"
    )


class ShortBarsBackend(qrplex.Backend):
    """Code 128 from the local backend, cut to the 2 pixel rows through the middle of the
    bars: every bar is there, but no scanner's line finds a 2 px high symbol."""

    name = "shortbars"
    capabilities = qrplex.Capabilities(
        symbologies=frozenset({"code128"}), formats=frozenset({"png"}), options=frozenset()
    )

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        with qrplex.Client(backend="local", fallback=[]) as local:
            image = local.generate(request.content, symbology="code128", width=request.width)
        full = Image.open(io.BytesIO(image.data))
        middle = full.height // 2
        out = io.BytesIO()
        full.crop((0, middle, full.width, middle + 2)).save(out, format="PNG")
        return qrplex.Rendering(out.getvalue(), "image/png", full.width, 2)


def test_bars_two_pixels_high_fail_without_a_requested_height() -> None:
    registry = Registry(entry_points=False, plugins=[("direct", plugin_for([ShortBarsBackend]))])
    with qrplex.Client(backend="shortbars", fallback=[], registry=registry) as client:
        run = ConformanceRun("shortbars", client, (), None, b"direct")
        with pytest.raises(AssertionError) as failure:
            run.check_valid(GenerateCall("code128", "Code 128", "png"))
    assert re.fullmatch(
        r"backend 'shortbars', code128 content 'Code 128' \[png, width=None\]: bars too "
        r"short: 2 px high over a symbol \d+ px wide \(module 3\.00 px\); without a "
        r"requested height the kit needs bars at least \d+ px high \(15% of the symbol's "
        r"width or 25 modules, whichever is less\) so that a scan line can find them",
        str(failure.value),
    ), str(failure.value)


def test_a_log_record_showing_a_secret_fails_even_when_the_call_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refused request is still watched; clean records and warnings are passed on, and
    the leaky record never reaches pytest's log capture."""
    import logging
    import warnings

    def refuse() -> None:
        logging.getLogger("acme.http").debug("clean record")
        logging.getLogger("acme.http").warning("denied for key %s", SECRET)
        raise qrplex.InvalidContentError("refused")

    def serve() -> None:
        warnings.warn("clean warning", UserWarning, stacklevel=1)
        logging.getLogger("acme.http").warning("clean warning record")

    with qrplex.Client(backend="local", fallback=[]) as client:
        run = ConformanceRun("local", client, (SECRET,), None, b"direct")
        with pytest.raises(AssertionError) as failure, run.watch("a refused request"):
            refuse()
        with pytest.warns(UserWarning, match="clean warning"), run.watch("a clean call"):
            serve()
    assert str(failure.value) == (
        "backend 'local': a WARNING log record of logger 'acme.http' during the call for a "
        "refused request shows conformance_secrets[0] (24 characters; not repeated here)"
    )
    assert failure.value.__cause__ is None
    assert failure.value.__suppress_context__
    assert SECRET not in caplog.text
    assert "clean warning record" in caplog.text
