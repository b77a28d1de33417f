"""``BackendConformance``: the contract tests every qrplex backend should pass.

A plugin author subclasses it in a test module::

    from qrplex.testing import BackendConformance

    class TestAcme(BackendConformance):
        backend_name = "acme"

and pytest runs, for every symbology and format the backend *declares*, hypothesis-driven
checks that each valid content comes back as an image that decodes (zxing-cpp) to exactly
that content, at the width asked for, with a truthful media type; that invalid requests
raise the documented errors; that what it does not declare is refused with
``UnsupportedError``; and that no error message shows a secret.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

import pytest
from hypothesis import example as hypothesis_example
from hypothesis import given
from hypothesis import settings as Settings  # noqa: N812 - the class, not a profile
from hypothesis import strategies as st

import qrplex
from qrplex._backend import Capabilities
from qrplex._qr_capacity import MICRO_QR_LEVELS, QR_LEVELS
from qrplex._symbologies import MEDIA_TYPES, SYMBOLOGIES
from qrplex._validation import MAX_WIDTH, REQUEST_FORMATS, minimum_width, validate_request
from qrplex.errors import (
    InvalidRequestError,
    QrplexError,
    UnsupportedError,
)

from .._decoding import Reading, read_one
from .._images import inspect_image, rasterize_svg
from . import strategies
from .strategies import GenerateCall, InvalidCase

__all__ = ["BackendConformance"]

SYMBOLOGY_NAMES: Final = strategies.SYMBOLOGY_NAMES
FORMATS: Final = REQUEST_FORMATS
_LEVEL_ORDER: Final = {level: index for index, level in enumerate(QR_LEVELS)}
# A plain content per symbology, for the checks that need just one.
_SAMPLES: Final[dict[str, tuple[str, ...]]] = {
    "qr": ("https://example.com/?q=1", "Grüße, 世界 😀", "0123456789"),
    "microqr": ("HELLO 123", "12345", "ab"),
    "ean13": ("400638133393", "4006381333931", "0036000291452"),
    "ean8": ("9638507", "96385074"),
    "upca": ("03600029145", "036000291452"),
    "isbn13": ("978030640615", "9790260000438"),
    "code128": ("Code 128 / 0123456789", "9912345", "\x00ñóòôÿ"),
    "code39": ("CODE-39 $/+%", "A"),
    "itf": ("0123456789", "12"),
}


def _option_for(symbology: str) -> tuple[str, Any]:
    """The symbology's one option and a valid value for it."""
    return ("error", "Q") if SYMBOLOGIES[symbology].dimension == 2 else ("height", 80)


@dataclass
class ConformanceRun:
    """The checks, bound to one backend, client and test; used by :class:`BackendConformance`.

    Attributes:
        name: the backend's name.
        client: the client whose primary backend it is (no fallback).
        secrets: strings that must never appear in an error.
        settings: hypothesis settings for the property checks (``None``: the active profile).
        database_key: what tells this test's examples apart in the hypothesis database.
    """

    name: str
    client: qrplex.Client
    secrets: Sequence[str]
    settings: Settings | None
    database_key: bytes

    @property
    def capabilities(self) -> Capabilities:
        """What the backend declares."""
        return self.client.registry.get(self.name).capabilities

    def declares(self, symbology: str, format: str = "png") -> bool:
        """Whether the backend declares ``symbology`` in ``format``."""
        caps = self.capabilities
        return symbology in caps.symbologies and format in caps.formats

    # -- running properties ------------------------------------------------------------------

    def run(
        self,
        strategy: st.SearchStrategy[Any],
        check: Callable[[Any], None],
        examples: Sequence[Any] = (),
    ) -> None:
        """Run ``check`` on ``examples`` and on examples of ``strategy``, with hypothesis."""

        def example(example: Any) -> None:
            check(example)

        test = given(example=strategy)(example)
        for explicit in reversed(examples):
            test = hypothesis_example(example=explicit)(test)
        if self.settings is not None:
            test = self.settings(test)
        inner = getattr(getattr(test, "hypothesis", None), "inner_test", None)
        if inner is not None:  # one database entry per test, like @given tests get
            inner._hypothesis_internal_add_digest = self.database_key
        test()

    # -- single checks -----------------------------------------------------------------------

    def no_secrets(self, error: BaseException) -> None:
        """Fail if ``str(error)`` or ``repr(error)`` (or those of its causes) show a secret."""
        seen: BaseException | None = error
        visited: set[int] = set()
        while seen is not None and id(seen) not in visited:
            visited.add(id(seen))
            for index, secret in enumerate(self.secrets):
                for text, how in ((str(seen), "str"), (repr(seen), "repr")):
                    if secret and secret in text:
                        raise AssertionError(
                            f"backend {self.name!r}: the {how}() of a {type(seen).__name__} "
                            f"shows conformance_secrets[{index}] ({len(secret)} characters; "
                            f"not repeated here)"
                        )
            seen = seen.__cause__ or seen.__context__

    def _generate(self, call: GenerateCall) -> qrplex.CodeImage:
        try:
            return self.client.generate(call.content, **call.kwargs())
        except QrplexError as error:
            self.no_secrets(error)
            raise AssertionError(
                f"backend {self.name!r} failed on valid {call.describe()} "
                f"[{call.format}, width={call.width}]: {type(error).__name__}: {error}"
            ) from error

    async def _agenerate(self, call: GenerateCall) -> qrplex.CodeImage:
        try:
            return await self.client.agenerate(call.content, **call.kwargs())
        except QrplexError as error:
            self.no_secrets(error)
            raise AssertionError(
                f"backend {self.name!r} failed on valid {call.describe()} "
                f"[{call.format}, width={call.width}] (agenerate): {type(error).__name__}: "
                f"{error}"
            ) from error

    def check_image(self, call: GenerateCall, image: qrplex.CodeImage) -> None:
        """Every promise about the image of a valid ``call``."""
        where = f"[{call.format}, width={call.width}]"
        what = f"{call.describe()} {where}"
        if image.backend != self.name:
            raise AssertionError(
                f"the image for {what} was made by backend {image.backend!r}, not "
                f"{self.name!r} (does the conformance client fall back? use fallback=[])"
            )
        options = dict(call.options)
        request = validate_request(
            call.content,
            symbology=call.symbology,
            format=call.format,
            width=None,
            options=options,
        )
        expected = request.content
        if image.content != expected or image.symbology != call.symbology:
            raise AssertionError(
                f"backend {self.name!r}: image.content / symbology are {image.content!r} / "
                f"{image.symbology!r} for {what}; expected {expected!r} / {call.symbology!r}"
            )
        media_type = MEDIA_TYPES[call.format]
        try:
            info = inspect_image(image.data)
        except AssertionError as error:
            raise AssertionError(
                f"backend {self.name!r} returned unusable {call.format} bytes for {what}: {error}"
            ) from None
        if info.media_type != media_type or image.media_type != media_type:
            raise AssertionError(
                f"backend {self.name!r} returned {info.media_type} bytes labelled "
                f"{image.media_type} for {what}; expected {media_type}"
            )
        if (info.width, info.height) != (image.width, image.height):
            raise AssertionError(
                f"backend {self.name!r}: the image for {what} is {info.width}x{info.height} px "
                f"but claims {image.width}x{image.height}"
            )
        if call.width is not None and info.width != call.width:
            raise AssertionError(
                f"backend {self.name!r} returned an image {info.width} px wide for {what}"
            )
        minimum = minimum_width(request)
        if minimum is not None and info.width < minimum:
            raise AssertionError(
                f"backend {self.name!r} returned an image {info.width} px wide for {what}: "
                f"narrower than the symbol with its quiet zones ({minimum} px)"
            )
        if SYMBOLOGIES[call.symbology].dimension == 2 and info.width != info.height:
            raise AssertionError(
                f"backend {self.name!r}: the image for {what} is {info.width}x{info.height} "
                f"px; a matrix code's image is square"
            )
        height = options.get("height")
        if height is not None and info.height != height:
            raise AssertionError(
                f"backend {self.name!r} returned an image {info.height} px high for {what}"
            )
        reading = self._read(call, image, what)
        if reading is None:
            return
        if reading.text != expected:
            raise AssertionError(
                f"backend {self.name!r} mis-encoded {call.describe()}: zxing-cpp read "
                f"{reading.text!r} {where}{_reading_details(reading)}"
            )
        level = str(options.get("error", "")).upper()
        made = reading.ec_level
        if (
            level in _LEVEL_ORDER
            and made in _LEVEL_ORDER
            and _LEVEL_ORDER[made] < _LEVEL_ORDER[level]
        ):
            raise AssertionError(
                f"backend {self.name!r} made a level {made} symbol for {what}; asked for "
                f"level {level}"
            )

    def _read(self, call: GenerateCall, image: qrplex.CodeImage, what: str) -> Reading | None:
        if image.media_type == "image/svg+xml" and rasterize_svg(image.data) is None:
            return None  # not drawable by the kit: size and well-formedness checked only
        try:
            return read_one(image.data, call.symbology)
        except AssertionError as error:
            raise AssertionError(
                f"backend {self.name!r} made an image zxing-cpp cannot read for {what}: {error}"
            ) from None

    def check_valid(self, call: GenerateCall) -> None:
        """Generate ``call`` and check the image."""
        self.check_image(call, self._generate(call))

    def check_refused(
        self,
        content: str,
        kwargs: dict[str, Any],
        error: type[QrplexError],
        why: str,
        *,
        agenerate: bool = False,
    ) -> None:
        """``generate(content, **kwargs)`` must raise ``error`` (without secrets)."""
        described = f"{kwargs.get('symbology', 'qr')} content {content!r}" + "".join(
            f", {key}={value!r}" for key, value in kwargs.items() if key != "symbology"
        )
        try:
            if agenerate:
                asyncio.run(self.client.agenerate(content, **kwargs))
            else:
                self.client.generate(content, **kwargs)
        except QrplexError as raised:
            self.no_secrets(raised)
            if not isinstance(raised, error):
                raise AssertionError(
                    f"backend {self.name!r}: {described} ({why}) should raise "
                    f"{error.__name__}, not {type(raised).__name__}: {raised}"
                ) from raised
            return
        raise AssertionError(
            f"backend {self.name!r}: {described} ({why}) should raise {error.__name__}, "
            f"but it returned an image"
        )

    def check_invalid(self, case: InvalidCase) -> None:
        """An invalid request raises the error the core documents for it."""
        self.check_refused(case.content, case.call_kwargs(), case.error, case.reason)

    def check_undeclared(self, symbology: str, format: str) -> None:
        """A symbology / format the backend does not declare raises UnsupportedError."""
        for content in _SAMPLES[symbology]:
            self.check_refused(
                content,
                {"symbology": symbology, "format": format},
                UnsupportedError,
                f"the backend does not declare {symbology} in {format}",
            )


def _reading_details(reading: Reading) -> str:
    details = []
    if reading.modes:
        details.append(f"segments: {', '.join(reading.modes)}")
    if reading.reader_text != reading.text:
        details.append(f"zxing-cpp's own text {reading.reader_text!r}")
    if reading.symbology_identifier:
        details.append(f"symbology identifier {reading.symbology_identifier}")
    return f" ({'; '.join(details)})" if details else ""


def _levels(symbology: str) -> tuple[str, ...]:
    return MICRO_QR_LEVELS if symbology == "microqr" else QR_LEVELS


class BackendConformance:
    """Contract tests for a qrplex backend; subclass it in a test module.

    Set :attr:`backend_name`. Optionally override the ``conformance_client`` fixture (a
    :class:`qrplex.Client` whose primary backend is yours, without fallback: configured with
    credentials, an emulator endpoint, a custom registry, ...), list secrets in
    :attr:`secrets` or the ``conformance_secrets`` fixture, and set
    :attr:`conformance_settings` to hypothesis settings for these tests (by default the
    active hypothesis profile applies).

    For every symbology (tests are parametrized by symbology, and format):

    * declared ones: every valid content (first the known-tricky
      :data:`~qrplex.testing.strategies.TRICKY_CONTENT`, then
      :func:`~qrplex.testing.strategies.valid_calls`: widths from the minimum upward, every
      error level / heights if the backend declares the option) gives an image that
      zxing-cpp decodes to exactly the normalized content, as wide as asked (and as high,
      for a ``height``), with the media type its bytes really have, square for matrix codes,
      at least as wide as the symbol with its quiet zones, with ``image.backend ==
      backend_name``. SVGs are decoded when the kit can rasterize
      them (rectangles and straight strokes); other SVGs are checked for well-formedness,
      ``width`` / ``height`` only;
    * ones it does not declare (symbology, format, option, widths above ``max_width``)
      raise :class:`~qrplex.errors.UnsupportedError`;
    * invalid contents and options raise :class:`~qrplex.errors.InvalidContentError` /
      :class:`~qrplex.errors.InvalidOptionError`, whatever the backend declares;
    * ``agenerate`` serves the same as ``generate``;
    * no error's ``str`` or ``repr`` contains one of the secrets.

    Failures name the backend, the input and what zxing-cpp read, for example
    ``backend 'acme' mis-encoded qr content 'é' (error M): zxing-cpp read 'Ã©'``; hypothesis
    shrinks the input first.

    Example::

        import pytest, qrplex
        from qrplex.testing import BackendConformance

        class TestAcme(BackendConformance):
            backend_name = "acme"
            secrets = ("test-api-key",)

            @pytest.fixture
            def conformance_client(self):
                config = {"backends": {"acme": {"api_key": "test-api-key"}}}
                with qrplex.Client(backend="acme", fallback=[], config=config) as client:
                    yield client
    """

    backend_name: ClassVar[str] = ""
    """The name of the backend under test (as registered)."""

    secrets: ClassVar[Sequence[str]] = ()
    """Strings that must never appear in an error message (credentials)."""

    conformance_settings: ClassVar[Settings | None] = None
    """Hypothesis settings for the property tests; ``None`` uses the active profile."""

    @pytest.fixture
    def conformance_client(self) -> Iterator[qrplex.Client]:
        """The client under test: ``backend_name`` as the primary backend, no fallback, and a
        circuit breaker that never opens (so that shrinking a failure sees the same error)."""
        config = {"breaker_threshold": 1_000_000_000}
        with qrplex.Client(backend=self.backend_name, fallback=[], config=config) as client:
            yield client

    @pytest.fixture
    def conformance_secrets(self) -> Sequence[str]:
        """Secrets no error may show; :attr:`secrets` unless overridden."""
        return tuple(self.secrets)

    @pytest.fixture
    def conformance(
        self,
        conformance_client: qrplex.Client,
        conformance_secrets: Sequence[str],
        request: pytest.FixtureRequest,
    ) -> ConformanceRun:
        """The checks, bound to this backend, client and test."""
        if not self.backend_name:
            raise TypeError(f"{type(self).__name__} must set backend_name")
        return ConformanceRun(
            name=self.backend_name,
            client=conformance_client,
            secrets=tuple(conformance_secrets),
            settings=self.conformance_settings,
            database_key=request.node.nodeid.encode(),
        )

    # -- the tests -----------------------------------------------------------------------------

    def test_backend_declaration(self, conformance: ConformanceRun) -> None:
        """The backend is registered under its name and declares only what qrplex knows."""
        cls = conformance.client.registry.get(conformance.name)
        assert cls.name == conformance.name, (
            f"the class registered as {conformance.name!r} has name {cls.name!r}"
        )
        caps = cls.capabilities
        unknown = sorted(caps.symbologies - set(SYMBOLOGIES))
        assert not unknown, f"backend {conformance.name!r} declares unknown symbologies {unknown}"
        formats = sorted(caps.formats - set(MEDIA_TYPES))
        assert not formats, f"backend {conformance.name!r} declares unknown formats {formats}"
        options = sorted(caps.options - {"error", "height"})
        assert not options, f"backend {conformance.name!r} declares unknown options {options}"
        assert caps.symbologies, f"backend {conformance.name!r} declares no symbology"
        assert caps.formats, f"backend {conformance.name!r} declares no format"

    @pytest.mark.parametrize("format", FORMATS)
    @pytest.mark.parametrize("symbology", SYMBOLOGY_NAMES)
    def test_valid_content(self, conformance: ConformanceRun, symbology: str, format: str) -> None:
        """Declared: every valid content decodes back exactly. Undeclared: UnsupportedError."""
        if not conformance.declares(symbology, format):
            conformance.check_undeclared(symbology, format)
            return
        caps = conformance.capabilities
        dimension = SYMBOLOGIES[symbology].dimension
        levels = _levels(symbology) if dimension == 2 and "error" in caps.options else None
        calls = strategies.valid_calls(
            symbology,
            format,
            levels=levels,
            heights=dimension == 1 and "height" in caps.options,
            max_width=caps.max_width,
        )
        options = {"error": "M"} if levels else {}
        tricky = [
            GenerateCall(symbology, content, format, None, options)
            for content in strategies.tricky_content(symbology)
        ]
        conformance.run(calls, conformance.check_valid, tricky)

    @pytest.mark.parametrize("symbology", SYMBOLOGY_NAMES)
    def test_invalid_content(self, conformance: ConformanceRun, symbology: str) -> None:
        """Content the symbology cannot carry raises InvalidContentError (at every level)."""
        if symbology in ("qr", "microqr"):
            cases = strategies.error_levels(symbology).flatmap(
                lambda level: strategies.invalid_content(symbology, level)
            )
        else:
            cases = strategies.invalid_content(symbology)
        conformance.run(cases, conformance.check_invalid)

    @pytest.mark.parametrize("symbology", SYMBOLOGY_NAMES)
    def test_invalid_options(self, conformance: ConformanceRun, symbology: str) -> None:
        """Bad widths, options, formats and symbologies raise InvalidOptionError."""
        conformance.run(strategies.invalid_options(symbology), conformance.check_invalid)

    @pytest.mark.parametrize("symbology", SYMBOLOGY_NAMES)
    def test_options_and_limits(self, conformance: ConformanceRun, symbology: str) -> None:
        """An option the backend does not declare, and a width above its ``max_width``, raise
        UnsupportedError; a declared option is honoured."""
        caps = conformance.capabilities
        format = sorted(caps.formats)[0]
        option, value = _option_for(symbology)
        content = _SAMPLES[symbology][0]
        if not conformance.declares(symbology, format):
            why = f"the backend does not declare {symbology}"
            kwargs = {"symbology": symbology, "format": format, option: value}
            conformance.check_refused(content, kwargs, UnsupportedError, why)
            return
        if option not in caps.options:
            why = f"the backend does not declare the {option} option"
            kwargs = {"symbology": symbology, "format": format, option: value}
            conformance.check_refused(content, kwargs, UnsupportedError, why)
        else:
            values = _levels(symbology) if option == "error" else (1, 17, 80, 600)
            for each in values:
                conformance.check_valid(
                    GenerateCall(symbology, content, format, None, {option: each})
                )
        if caps.max_width is not None and caps.max_width < MAX_WIDTH:
            why = f"its max_width is {caps.max_width}"
            kwargs = {"symbology": symbology, "format": format, "width": caps.max_width + 1}
            conformance.check_refused(content, kwargs, UnsupportedError, why)

    @pytest.mark.parametrize("symbology", SYMBOLOGY_NAMES)
    def test_async_generate(self, conformance: ConformanceRun, symbology: str) -> None:
        """``agenerate`` serves the same images as ``generate`` (undeclared: UnsupportedError)."""
        caps = conformance.capabilities
        format = sorted(caps.formats)[0]
        if not conformance.declares(symbology, format):
            conformance.check_refused(
                _SAMPLES[symbology][0],
                {"symbology": symbology, "format": format},
                UnsupportedError,
                f"the backend does not declare {symbology}",
                agenerate=True,
            )
            return
        calls = [GenerateCall(symbology, content, format) for content in _SAMPLES[symbology]]

        async def generate_all() -> list[qrplex.CodeImage]:
            try:
                return [await conformance._agenerate(call) for call in calls]
            finally:
                await conformance.client.aclose()  # its async resources belong to this loop

        for call, image in zip(calls, asyncio.run(generate_all()), strict=True):
            conformance.check_image(call, image)

    def test_errors_carry_no_secrets(self, conformance: ConformanceRun) -> None:
        """No error the backend can cause, nor its repr, shows a secret."""
        for symbology in SYMBOLOGY_NAMES:
            for content, kwargs in (
                ("", {}),
                (_SAMPLES[symbology][0], {"width": 1}),
                (_SAMPLES[symbology][0], {"format": "pdf"}),
            ):
                try:
                    conformance.client.generate(content, symbology=symbology, **kwargs)
                except InvalidRequestError as error:
                    conformance.no_secrets(error)
            for format in FORMATS:
                try:
                    conformance.client.generate(
                        _SAMPLES[symbology][0], symbology=symbology, format=format
                    )
                except QrplexError as error:
                    conformance.no_secrets(error)
        try:
            conformance.client.generate("x", backend=f"{conformance.name}-no-such-backend")
        except QrplexError as error:
            conformance.no_secrets(error)
        instance = conformance.client.backend(conformance.name)
        for text in (repr(instance), str(instance), repr(conformance.client)):
            for index, secret in enumerate(conformance.secrets):
                assert not (secret and secret in text), (
                    f"backend {conformance.name!r}: the repr of {text[:40]!r}... shows "
                    f"conformance_secrets[{index}]"
                )
