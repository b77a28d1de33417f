"""``BackendConformance``: the contract tests every qrplex backend should pass.

A plugin author subclasses it in a test module::

    from qrplex.testing import BackendConformance

    class TestAcme(BackendConformance):
        backend_name = "acme"

and pytest runs, for every symbology and format the backend *declares*, hypothesis-driven
checks that each valid content comes back as an image that decodes (zxing-cpp) to exactly
that content, at the width asked for, with a truthful media type, dark on light, with
the symbology's quiet zones, and (QR codes) the charset policy's mode and ECI as read from
the symbol's bits; that invalid requests raise the documented errors; that what it does not
declare is refused with ``UnsupportedError``; and that no error message, retried attempt or
repr shows a secret, nor does the kit's own output.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

import pytest
from hypothesis import example as hypothesis_example
from hypothesis import given
from hypothesis import settings as Settings  # noqa: N812 - the class, not a profile
from hypothesis import strategies as st

import qrplex
from qrplex import Backend, Capabilities
from qrplex._config import MAX_BREAKER_THRESHOLD
from qrplex._validation import validate_request
from qrplex.errors import (
    InvalidRequestError,
    QrplexError,
    UnsupportedError,
)
from qrplex.spec import (
    MAX_WIDTH,
    MEDIA_TYPES,
    MICRO_QR_LEVELS,
    QR_LEVELS,
    REQUEST_FORMATS,
    SYMBOLOGIES,
    Symbology,
)

from .._decoding import Reading, read_one
from .._images import inspect_image
from . import strategies
from ._symbol_checks import (
    TEXT_POLICY_SYMBOLOGIES,
    bar_height_problem,
    charset_problem,
    contrast_problem,
    finder_problem,
    open_image,
    polarity_problem,
    quiet_zone_problem,
    text_eci_problem,
    to_grey,
    transparency_problem,
)
from .strategies import GS1_IDENTIFIERS, GenerateCall, InvalidCase, is_gs1

if TYPE_CHECKING:
    from qrplex._registry import Registry

__all__ = ["KIT_CONFIG", "BackendConformance", "ConformanceRun", "Secrets"]

SYMBOLOGY_NAMES: Final = strategies.SYMBOLOGY_NAMES
"""The core's nine: every backend's tests cover them (declared or refused); a plugin's
symbology is covered when the backend under test declares it."""
FORMATS: Final = REQUEST_FORMATS
_LEVEL_ORDER: Final = {level: index for index, level in enumerate(QR_LEVELS)}
KIT_CONFIG: Final[Mapping[str, Any]] = {"breaker_threshold": MAX_BREAKER_THRESHOLD}
"""What the kit's client is configured with besides the backend's settings: a circuit breaker
that never opens, so that every call (and every shrinking step of hypothesis) reaches the
backend and a flaky backend fails with its own error, not with the breaker's."""
MIN_SECRET_LENGTH: Final = 8
"""Secrets shorter than this are not searched for: a value like ``"acme"`` or ``"basic"``
(a setting named ``auth_mode``, say) would match an image's bytes or a log line by chance.
Give the kit realistic test secrets."""
_SECRET_WORDS: Final = ("secret", "key", "token", "password", "credential", "auth")
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


def _option_for(symbology: Symbology) -> tuple[str, Any] | None:
    """An option the core checks that the symbology takes, and a valid value for it (a
    plugin's own options are its author's to test)."""
    if symbology.name in ("qr", "microqr"):
        return ("error", "Q")
    if "height" in symbology.allowed_options:
        return ("height", 80)
    return None


class Secrets(tuple[str, ...]):
    """The secrets no output may show; its ``repr`` does not show them either."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} secrets, not shown>"

    __str__ = __repr__


_CONTROL_NAMES: Final = {
    "\t": "CHARACTER TABULATION",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x00": "NULL",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
}


def _named(char: str) -> str:
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "")
    if not name and unicodedata.category(char) == "Cc":
        name = "a control character"
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def first_difference(expected: str, read: str) -> str:
    """Where ``read`` first differs from ``expected``, with the characters' names."""
    index = next(
        (i for i, (a, b) in enumerate(zip(expected, read, strict=False)) if a != b),
        min(len(expected), len(read)),
    )
    if index < len(expected) and index < len(read):
        change = f"{_named(expected[index])} became {_named(read[index])}"
    elif index < len(expected):
        change = f"{_named(expected[index])} and what follows are missing"
    else:
        change = f"{_named(read[index])} was added"
    return f"first difference at character {index}: {change}"


@dataclass
class ConformanceRun:
    """The checks, bound to one backend, client and test; used by :class:`BackendConformance`.

    Attributes:
        name: the backend's name.
        client: the client whose primary backend it is (no fallback).
        secrets: strings that must never appear in an error, an attempt or a repr.
        settings: hypothesis settings for the property checks (``None``: the active profile).
        database_key: what tells this test's examples apart in the hypothesis database.
        free_segmentation: the backend chooses its own QR segments (a service may); the
            ECI of every byte segment is still checked.
        readers: how to read a plugin's symbology that zxing-cpp cannot, by name: a
            function from the image to its text.
    """

    name: str
    client: qrplex.Client
    secrets: Sequence[str] = field(repr=False)
    settings: Settings | None
    database_key: bytes
    free_segmentation: bool = False
    readers: Mapping[str, Callable[[qrplex.CodeImage], str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.secrets = Secrets(self.secrets)

    @property
    def capabilities(self) -> Capabilities:
        """What the backend declares."""
        return self.client.registry.get(self.name).capabilities

    @property
    def symbologies(self) -> Mapping[str, Symbology]:
        """The symbologies registered where the client looks (its registry)."""
        return self.client.registry.symbologies()

    def symbology(self, name: str) -> Symbology:
        """The registered :class:`~qrplex.spec.Symbology` called ``name``."""
        return self.symbologies[name]

    def samples(self, symbology: str) -> tuple[str, ...]:
        """Plain valid contents of ``symbology``: the kit's own for the core's nine, the
        registered ``examples`` its rule accepts for a plugin's."""
        if symbology in _SAMPLES:
            return _SAMPLES[symbology]
        spec = self.symbology(symbology)
        found = tuple(e for e in spec.examples if strategies.accepted(spec, e) is not None)
        if not found:
            raise AssertionError(
                f"symbology {symbology!r} ({spec.title}) registers no example its content rule "
                f"accepts; the kit needs one: Symbology(..., examples=(...))"
            )
        return found

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

    # -- secrets -----------------------------------------------------------------------------

    def leak(self, text: str, where: str) -> str | None:
        """The kit's failure message if ``text`` (described by ``where``) shows a secret."""
        for index, secret in enumerate(self.secrets):
            if len(secret) >= MIN_SECRET_LENGTH and secret in text:
                return (
                    f"backend {self.name!r}: {where} shows conformance_secrets[{index}] "
                    f"({len(secret)} characters; not repeated here)"
                )
        return None

    def error_leak(self, error: BaseException) -> str | None:
        """The failure message if ``str()`` or ``repr()`` of ``error`` or of an error it was
        raised from (or during) shows a secret."""
        seen: BaseException | None = error
        visited: set[int] = set()
        while seen is not None and id(seen) not in visited:
            visited.add(id(seen))
            for text, how in ((str(seen), "str"), (repr(seen), "repr")):
                leak = self.leak(text, f"the {how}() of a {type(seen).__name__}")
                if leak is not None:
                    return leak
            seen = seen.__cause__ or seen.__context__
        return None

    def no_secrets(self, error: BaseException) -> None:
        """Fail if ``str(error)`` or ``repr(error)`` (or those of its causes) show a secret.

        The failure is raised without the error attached (no cause, no context), so that
        pytest's report does not print the secret it is about.
        """
        __tracebackhide__ = True
        leak = self.error_leak(error)
        if leak is not None:
            raise _SecretShownError(leak)

    @contextlib.contextmanager
    def watch(self, what: str) -> Iterator[None]:
        """Fail if a log record or a warning emitted inside the block shows a secret, whether
        the block returns or raises (a refused request that logs the key fails too).
        Records are held back from their handlers until checked; a leaky one never reaches
        them."""
        __tracebackhide__ = True
        watch = _Watch()
        try:
            with watch.watching():
                yield
        except BaseException:
            leak = self._watched_leak(watch, what)
            if leak is not None:
                raise _SecretShownError(leak) from None
            raise
        leak = self._watched_leak(watch, what)
        if leak is not None:
            raise _SecretShownError(leak)

    def _watched_leak(self, watch: _Watch, what: str) -> str | None:
        leak = None
        for record in watch.records:
            leak = leak or self.leak(
                _record_text(record),
                f"a {record.levelname} log record of logger {record.name!r} during the call "
                f"for {what}",
            )
        for caught in watch.warnings:
            leak = leak or self.leak(
                str(caught.message), f"a {caught.category.__name__} during the call for {what}"
            )
        watch.release(lambda text: self.leak(text, "") is not None)
        return leak

    def check_image_bytes(self, image: qrplex.CodeImage, what: str) -> None:
        """Fail if the image's bytes (or, for a PNG, its decompressed text chunks) show a
        secret."""
        __tracebackhide__ = True
        texts = [image.data.decode("latin-1")]
        if image.media_type == "image/png":
            texts += _png_texts(image.data)
        for text in texts:
            leak = self.leak(text, f"the image's bytes ({_format_of(image)}) for {what}")
            if leak is not None:
                raise _SecretShownError(leak)

    def check_attempts(self, image: qrplex.CodeImage, what: str) -> None:
        """Fail if a retried or failed attempt before the image shows a secret."""
        __tracebackhide__ = True
        for index, attempt in enumerate(image.attempts):
            leak = self.leak(
                f"{attempt.error_type}: {attempt.message}",
                f"the message of a retried attempt (image.attempts[{index}], "
                f"{attempt.error_type}) before the image for {what}",
            )
            if leak is not None:
                raise _SecretShownError(leak)

    # -- single checks -----------------------------------------------------------------------

    def _generate(self, call: GenerateCall) -> qrplex.CodeImage:
        __tracebackhide__ = True
        try:
            with self.watch(f"{call.describe()} [{call.format}, width={call.width}]"):
                return self.client.generate(call.content, **call.kwargs())
        except QrplexError as error:
            failure = error
        self.no_secrets(failure)
        raise AssertionError(
            f"backend {self.name!r} failed on valid {call.describe()} "
            f"[{call.format}, width={call.width}]: {type(failure).__name__}: {failure}"
        ) from failure

    async def _agenerate(self, call: GenerateCall) -> qrplex.CodeImage:
        __tracebackhide__ = True
        try:
            with self.watch(f"{call.describe()} [{call.format}, width={call.width}]"):
                return await self.client.agenerate(call.content, **call.kwargs())
        except QrplexError as error:
            failure = error
        self.no_secrets(failure)
        raise AssertionError(
            f"backend {self.name!r} failed on valid {call.describe()} "
            f"[{call.format}, width={call.width}] (agenerate): {type(failure).__name__}: "
            f"{failure}"
        ) from failure

    def check_image(self, call: GenerateCall, image: qrplex.CodeImage) -> None:
        """Every promise about the image of a valid ``call``."""
        __tracebackhide__ = True
        where = f"[{call.format}, width={call.width}]"
        what = f"{call.describe()} {where}"
        self.check_attempts(image, what)
        self.check_image_bytes(image, what)
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
            registry=self.client.registry,
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
            problem = str(error)
        else:
            problem = ""
        if problem:
            raise AssertionError(
                f"backend {self.name!r} returned unusable {call.format} bytes for {what}: {problem}"
            )
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
        spec = self.symbology(call.symbology)
        minimum = strategies._minimum(spec, request.content, options)
        if minimum is not None and info.width < minimum:
            raise AssertionError(
                f"backend {self.name!r} returned an image {info.width} px wide for {what}: "
                f"narrower than the symbol with its quiet zones ({minimum} px)"
            )
        if spec.dimension == 2 and info.width != info.height:
            raise AssertionError(
                f"backend {self.name!r}: the image for {what} is {info.width}x{info.height} "
                f"px; a matrix code's image is square"
            )
        height = options.get("height")
        if height is not None and info.height != height:
            raise AssertionError(
                f"backend {self.name!r} returned an image {info.height} px high for {what}"
            )
        self._check_pixels(call, image, what)
        if is_gs1(call.symbology) and call.symbology not in self.readers:
            self._check_gs1_reading(call, image, expected, what)
            return
        if call.symbology not in SYMBOLOGIES:
            self._check_plugin_reading(call, image, expected, what)
            return
        reading = self._read(call, image, what)
        if reading.text != expected:
            raise AssertionError(
                f"backend {self.name!r} mis-encoded {call.describe()}: zxing-cpp read "
                f"{reading.text!r} {where}{_reading_details(reading, expected)}"
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
        if call.symbology in ("qr", "microqr"):
            charset = charset_problem(
                expected,
                call.symbology,
                reading.segments,
                free_segmentation=self.free_segmentation,
            )
            if charset is not None:
                raise AssertionError(f"backend {self.name!r}, {what}: {charset}")

    def _check_pixels(self, call: GenerateCall, image: qrplex.CodeImage, what: str) -> None:
        """Opacity, contrast, polarity, quiet zones and bar height, measured in the image
        (an SVG painted first)."""
        __tracebackhide__ = True
        try:
            raw = open_image(image.data, image.media_type)
        except AssertionError as error:
            problem = str(error)
        else:
            raster = to_grey(raw)
            spec = self.symbology(call.symbology)
            modules = None  # the core's nine: measured (finder patterns, narrowest bar)
            if spec.name not in SYMBOLOGIES and spec.modules is not None:
                normalized = strategies.accepted(spec, call.content, call.options)
                modules = spec.modules(normalized, call.options) if normalized else None
            finder = call.symbology in ("qr", "microqr")
            bars = spec.dimension == 1 and call.options.get("height") is None
            problem = (
                transparency_problem(raw)
                or contrast_problem(raster)
                or polarity_problem(raster, spec.dimension)
                or (finder_problem(raster) if finder else None)
                or quiet_zone_problem(raster, spec, modules)
                or (bar_height_problem(raster, modules) if bars else None)
                or ""
            )
        if problem:
            raise AssertionError(f"backend {self.name!r}, {what}: {problem}")

    def _read(self, call: GenerateCall, image: qrplex.CodeImage, what: str) -> Reading:
        __tracebackhide__ = True
        try:
            return read_one(image.data, call.symbology)
        except (AssertionError, ValueError) as error:
            problem = str(error)
        raise AssertionError(
            f"backend {self.name!r} made an image zxing-cpp cannot read for {what}: {problem}"
        )

    def _check_plugin_reading(
        self, call: GenerateCall, image: qrplex.CodeImage, expected: str, what: str
    ) -> None:
        """A plugin's symbology: read with its reader (``symbol_readers``), or zxing-cpp
        looking for any format."""
        __tracebackhide__ = True
        reader = self.readers.get(call.symbology)
        reading: Reading | None = None
        try:
            if reader is not None:
                text = reader(image)
            else:
                reading = read_one(image.data)
                text = reading.text
        except (AssertionError, ValueError) as error:
            how = "its reader" if reader is not None else "zxing-cpp (any format)"
            hint = (
                ""
                if reader is not None
                else "; give the kit a reader for it in BackendConformance.symbol_readers"
            )
            raise AssertionError(
                f"backend {self.name!r} made an image {how} cannot read for {what}: {error}{hint}"
            ) from None
        if text != expected:
            raise AssertionError(
                f"backend {self.name!r} mis-encoded {call.describe()}: read {text!r} "
                f"[{call.format}, width={call.width}] ({first_difference(expected, text)})"
            )
        if reading is not None and call.symbology in TEXT_POLICY_SYMBOLOGIES:
            problem = text_eci_problem(expected, reading.segments)
            if problem is not None:
                raise AssertionError(f"backend {self.name!r}, {what}: {problem}")

    def _check_gs1_reading(
        self, call: GenerateCall, image: qrplex.CodeImage, expected: str, what: str
    ) -> None:
        """A GS1 symbology: zxing-cpp must read GS1 data (the symbology identifier of the
        symbology, FNC1 first) whose transmitted text, group separators included, is the
        content's :meth:`~qrplex.gs1.ElementString.fnc1_data`, and which parses back into the
        same elements."""
        __tracebackhide__ = True
        from qrplex import gs1

        reading = self._read_any(image, what)
        wanted = GS1_IDENTIFIERS.get(call.symbology)
        identifier = reading.symbology_identifier
        if identifier != wanted if wanted else identifier not in gs1.SYMBOLOGY_IDENTIFIERS:
            allowed = wanted or " / ".join(gs1.SYMBOLOGY_IDENTIFIERS)
            raise AssertionError(
                f"backend {self.name!r}: zxing-cpp reads the image for {what} as "
                f"{reading.format} with symbology identifier {identifier!r}, not as GS1 data "
                f"({allowed}): is FNC1 missing in first position?"
            )
        data = gs1.parse(expected).fnc1_data()
        transmitted = reading.data.decode("latin-1")
        if transmitted != data:
            raise AssertionError(
                f"backend {self.name!r} mis-encoded {call.describe()}: a scanner transmits "
                f"{identifier}{transmitted!r}, expected {identifier}{data!r} (group "
                f"separators after variable-length fields only where one follows; "
                f"{first_difference(data, transmitted)})"
            )
        parsed = gs1.parse(identifier + transmitted).normalized()
        if parsed != expected or reading.text != expected:
            raise AssertionError(
                f"backend {self.name!r}: {call.describe()} reads back as {reading.text!r}"
            )

    def _read_any(self, image: qrplex.CodeImage, what: str) -> Reading:
        __tracebackhide__ = True
        try:
            return read_one(image.data)
        except (AssertionError, ValueError) as error:
            problem = str(error)
        raise AssertionError(
            f"backend {self.name!r} made an image zxing-cpp cannot read for {what}: {problem}"
        )

    def check_valid(self, call: GenerateCall) -> None:
        """Generate ``call`` and check the image."""
        __tracebackhide__ = True
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
        __tracebackhide__ = True
        described = f"{kwargs.get('symbology', 'qr')} content {content!r}" + "".join(
            f", {key}={value!r}" for key, value in kwargs.items() if key != "symbology"
        )
        raised: QrplexError | None = None
        try:
            with self.watch(described):
                if agenerate:
                    asyncio.run(self.client.agenerate(content, **kwargs))
                else:
                    self.client.generate(content, **kwargs)
        except QrplexError as failure:
            raised = failure
        if raised is None:
            raise AssertionError(
                f"backend {self.name!r}: {described} ({why}) should raise {error.__name__}, "
                f"but it returned an image"
            )
        self.no_secrets(raised)
        if not isinstance(raised, error):
            raise AssertionError(
                f"backend {self.name!r}: {described} ({why}) should raise "
                f"{error.__name__}, not {type(raised).__name__}: {raised}"
            ) from raised

    def check_invalid(self, case: InvalidCase) -> None:
        """An invalid request raises the error the core documents for it."""
        self.check_refused(case.content, case.call_kwargs(), case.error, case.reason)

    def check_undeclared(self, symbology: str, format: str) -> None:
        """A symbology / format the backend does not declare raises UnsupportedError."""
        for content in self.samples(symbology):
            self.check_refused(
                content,
                {"symbology": symbology, "format": format},
                UnsupportedError,
                f"the backend does not declare {symbology} in {format}",
            )


class _Watch:
    """Log records and warnings emitted while the kit calls the backend, held back from
    their handlers until the kit has checked them for secrets (a record that shows one is
    never passed on, so pytest's captured-log report cannot show it either)."""

    def __init__(self) -> None:
        self.records: list[logging.LogRecord] = []
        self.warnings: list[warnings.WarningMessage] = []

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        root = logging.getLogger()
        handlers, level = root.handlers[:], root.level
        collector = _Collector(self.records)
        root.handlers[:] = [collector]
        root.setLevel(logging.DEBUG)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield
        finally:
            root.handlers[:] = handlers
            root.setLevel(level)
            self.warnings.extend(caught)

    def release(self, leaky: Callable[[str], bool]) -> None:
        """Pass on what shows no secret (records the root's level lets through)."""
        root = logging.getLogger()
        for record in self.records:
            if record.levelno >= root.getEffectiveLevel() and not leaky(_record_text(record)):
                root.handle(record)
        for caught in self.warnings:
            if not leaky(str(caught.message)):
                warnings.warn_explicit(
                    caught.message, caught.category, caught.filename, caught.lineno
                )
        self.records.clear()
        self.warnings.clear()


class _Collector(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _record_text(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except Exception:  # a record whose arguments do not fit its format
        text = f"{record.msg!r} {record.args!r}"
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        text += f" {error!s} {error!r}"
    return text + f" {record.exc_text or ''} {record.stack_info or ''}"


class _SecretShownError(AssertionError):
    """A secret was shown; raised without the error that showed it attached."""


def _reading_details(reading: Reading, expected: str) -> str:
    details = []
    if reading.modes:
        details.append(f"segments: {', '.join(reading.modes)}")
    if reading.reader_text != reading.text:
        details.append(f"zxing-cpp's own text {reading.reader_text!r}")
    if reading.symbology_identifier:
        details.append(f"symbology identifier {reading.symbology_identifier}")
    details.append(first_difference(expected, reading.text))
    return f" ({'; '.join(details)})" if details else ""


def _format_of(image: qrplex.CodeImage) -> str:
    return next((f for f, t in MEDIA_TYPES.items() if t == image.media_type), image.media_type)


def _png_texts(data: bytes) -> list[str]:
    """The text chunks of a PNG (tEXt, and zTXt / iTXt decompressed), as Pillow reads them."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            found = {**image.info, **getattr(image, "text", {})}
    except Exception:  # unusable bytes are reported by the image checks
        return []
    return [
        f"{key} {value.decode('latin-1') if isinstance(value, bytes) else value}"
        for key, value in found.items()
        if isinstance(value, str | bytes)
    ]


def _levels(symbology: str) -> tuple[str, ...]:
    return MICRO_QR_LEVELS if symbology == "microqr" else QR_LEVELS


class BackendConformance:
    """Contract tests for a qrplex backend; subclass it in a test module.

    Set :attr:`backend_name`. Give credentials and endpoints with the ``backend_settings``
    fixture (the ``[backends.<name>]`` table of a config file, as a mapping) and, for a
    backend configured from environment variables, ``backend_environ``; list extra secrets
    in :attr:`secrets` (settings whose key contains ``secret``, ``key``, ``token``,
    ``password``, ``credential`` or ``auth`` are secrets already). :attr:`backend_classes`
    registers backend classes without an installed plugin; :attr:`conformance_settings`
    takes hypothesis settings (by default the active profile applies).

    The ``conformance_client`` fixture builds the client from these: your backend alone
    (no fallback), isolated from the developer's environment and config files, with a
    circuit breaker that never opens (:data:`KIT_CONFIG`). Overriding the fixture itself is
    still possible, but the kit then checks that the client has those properties and fails
    naming any it lacks.

    For every symbology (tests are parametrized by symbology, and format, at collection: the
    core's nine, then each symbology a plugin registers that the backend declares; list such a
    plugin in :attr:`plugins`, and a reader for a symbology zxing-cpp cannot read in
    :attr:`symbol_readers`; contents come from its ``examples`` and its ``content`` rule, quiet
    zones and polarity from its spec):

    * declared ones: every valid content (first the explicit examples of
      :data:`~qrplex.testing.strategies.TRICKY_CONTENT`, which include tabs, U+00A0 and other
      Unicode spaces, control characters and combining marks at the edges and inside; then
      :func:`~qrplex.testing.strategies.valid_calls`: widths from the minimum upward, every
      error level / heights if the backend declares the option) gives an image that

      - has the media type its bytes really have, is as wide as asked (and as high, for a
        ``height``), square for matrix codes, at least as wide as the symbol with its quiet
        zones, with ``image.backend == backend_name``;
      - is fully opaque, has a symbol contrast of at least 40 % (ISO grade C), is dark on
        light (its edges light; a QR / Micro QR finder pattern starting dark) and has,
        measured in its pixels, at least the symbology's quiet zone on every side (half a
        module of rounding allowed); a linear barcode without a requested ``height`` has
        bars at least 15 % of its width or 25 modules high, whichever is less;
      - zxing-cpp decodes to exactly the normalized content, at the error level asked or
        higher; every format is decoded: SVGs are painted in document order with their
        colours' grey levels, and an SVG the kit cannot paint as a renderer would (anything
        but rectangles and straight strokes in plain opaque colours: CSS, defs, opacity,
        gradients, curves...) fails naming the construct;
      - for QR and Micro QR, has the segments the charset policy prescribes, read from the
        symbol's bits by the kit's own reader: one segment in the policy's mode, ECI 3
        before ISO-8859-1 bytes, ECI 26 before UTF-8, no ECI for ASCII
        (:attr:`free_segmentation` relaxes the "one segment" part for a service that
        segments on its own, never the ECI);
      - carries no secret in the messages of its retried attempts (``image.attempts``) or
        in its bytes (a PNG's text chunks decompressed);
    * ones it does not declare (symbology, format, option, widths above ``max_width``)
      raise :class:`~qrplex.errors.UnsupportedError`;
    * invalid contents and options raise :class:`~qrplex.errors.InvalidContentError` /
      :class:`~qrplex.errors.InvalidOptionError`, whatever the backend declares;
    * ``agenerate`` serves the same as ``generate``;
    * no error's ``str`` or ``repr`` (nor those of its causes), no log record or warning
      emitted during the kit's calls (captured at every level, passed on when clean), nor
      the backend's or the client's repr, contains one of the secrets; the kit's own
      failure messages, reprs and reports never repeat a secret either.

    Failures name the backend, the input and the defect, for example
    ``backend 'acme' mis-encoded qr content 'é' (error M): zxing-cpp read 'Ã©'`` or
    ``backend 'acme', qr content '0' (error M) [png, width=None]: quiet zone too narrow:
    left 1.0, ...``; hypothesis shrinks the input first.

    Example::

        import pytest
        from qrplex.testing import BackendConformance

        class TestAcme(BackendConformance):
            backend_name = "acme"

            @pytest.fixture
            def backend_settings(self):
                return {"api_key": "test-api-key", "endpoint": "http://127.0.0.1:8080"}
    """

    backend_name: ClassVar[str] = ""
    """The name of the backend under test (as registered)."""

    secrets: ClassVar[Sequence[str]] = ()
    """Strings that must never appear in an error message (besides the secret-looking
    values of ``backend_settings``)."""

    backend_classes: ClassVar[Sequence[type[Backend]]] = ()
    """Backend classes to register without an installed plugin (only these are then
    known); empty: the installed plugins."""

    free_segmentation: ClassVar[bool] = False
    """The backend (a service) chooses its own QR segmentation: mixed modes are accepted,
    wrong or missing ECIs are not."""

    conformance_settings: ClassVar[Settings | None] = None
    """Hypothesis settings for the property tests; ``None`` uses the active profile."""

    plugins: ClassVar[Sequence[object]] = ()
    """Plugins (modules or classes with ``qrplex`` hook implementations) to register
    without installing them, with :attr:`backend_classes`: a plugin that registers its own
    symbology (``qrplex_register_symbologies``) and the backend drawing it. Empty (and no
    ``backend_classes``): the installed plugins."""

    symbol_readers: ClassVar[Mapping[str, Callable[[qrplex.CodeImage], str]]] = {}
    """How the kit reads a plugin's symbology that zxing-cpp cannot, by symbology name: a
    function from the :class:`qrplex.CodeImage` to the text in it. Without one, the kit
    reads a plugin's symbology with zxing-cpp looking for any format."""

    @classmethod
    def kit_registry(cls) -> Registry | None:
        """The registry the kit's client uses: :attr:`plugins` and :attr:`backend_classes`
        alone when either is set; ``None`` (the installed plugins) otherwise."""
        if not cls.backend_classes and not cls.plugins:
            return None
        from qrplex._registry import Registry

        from .pytest_plugin import _plugin_for

        plugins: list[tuple[str, object]] = [
            (f"qrplex-conformance-plugin-{index}", plugin)
            for index, plugin in enumerate(cls.plugins)
        ]
        if cls.backend_classes:
            plugins.append(("qrplex-conformance-backends", _plugin_for(cls.backend_classes)))
        return Registry(entry_points=False, plugins=plugins)

    @classmethod
    def kit_symbologies(cls) -> tuple[str, ...]:
        """The symbologies the tests are parametrized with: the core's nine (a backend must
        draw or refuse each), then every other registered symbology the backend declares,
        in the registry's order. Computed at collection time from :meth:`kit_registry`."""
        from qrplex._registry import default_registry

        try:
            registry = cls.kit_registry() or default_registry()
            declared = registry.get(cls.backend_name).capabilities.symbologies
            table = registry.symbologies()
        except QrplexError:  # reported by the tests themselves (backend_declaration)
            return SYMBOLOGY_NAMES
        extra = tuple(n for n in table if n in declared and n not in SYMBOLOGY_NAMES)
        return (*SYMBOLOGY_NAMES, *extra)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Parametrize ``symbology`` (:meth:`kit_symbologies`) and ``format`` at collection,
        so the tests cover what the backend under test declares, with ids like
        ``test_valid_content[qr-png]``."""
        names = metafunc.fixturenames
        if "symbology" in names:
            metafunc.parametrize("symbology", type(self).kit_symbologies())
        if "format" in names:
            metafunc.parametrize("format", FORMATS)

    @pytest.fixture
    def backend_settings(self) -> Mapping[str, Any]:
        """The backend's settings (credentials, endpoint, ...): the ``[backends.<name>]``
        table of a config file. Override it; by default none."""
        return {}

    @pytest.fixture
    def backend_environ(self) -> Mapping[str, str]:
        """The environment the client reads (``QRPLEX_*`` variables); by default empty, so
        that the developer's own environment does not leak into the tests."""
        return {}

    @pytest.fixture
    def conformance_client(
        self,
        backend_settings: Mapping[str, Any],
        backend_environ: Mapping[str, str],
        tmp_path: Path,
    ) -> Iterator[qrplex.Client]:
        """The client under test: ``backend_name`` alone, configured with ``backend_settings``
        and ``backend_environ``, without config files, and with :data:`KIT_CONFIG`."""
        registry = self.kit_registry()
        config = {**KIT_CONFIG, "backends": {self.backend_name: dict(backend_settings)}}
        with qrplex.Client(
            backend=self.backend_name,
            fallback=[],
            config=config,
            registry=registry,
            environ=dict(backend_environ),
            cwd=tmp_path,
            user_config=False,
        ) as client:
            yield client

    @pytest.fixture
    def conformance_secrets(self, backend_settings: Mapping[str, Any]) -> Sequence[str]:
        """Secrets no output may show: :attr:`secrets` and the values of
        ``backend_settings`` whose key names a secret."""
        found = [
            value
            for key, value in backend_settings.items()
            if isinstance(value, str) and value and any(w in key.lower() for w in _SECRET_WORDS)
        ]
        return Secrets(dict.fromkeys([*self.secrets, *found]))

    @pytest.fixture
    def conformance(
        self,
        conformance_client: qrplex.Client,
        conformance_secrets: Sequence[str],
        backend_settings: Mapping[str, Any],
        request: pytest.FixtureRequest,
    ) -> ConformanceRun:
        """The checks, bound to this backend, client and test. The values of settings the
        backend declares ``secret`` are secrets too."""
        __tracebackhide__ = True
        if not self.backend_name:
            raise TypeError(f"{type(self).__name__} must set backend_name")
        _check_client(self.backend_name, conformance_client)
        declared = {
            setting.name
            for setting in conformance_client.registry.get(self.backend_name).settings
            if setting.secret
        }
        values = [str(backend_settings[key]) for key in declared if key in backend_settings]
        return ConformanceRun(
            name=self.backend_name,
            client=conformance_client,
            secrets=Secrets(dict.fromkeys([*conformance_secrets, *values])),
            settings=self.conformance_settings,
            database_key=request.node.nodeid.encode(),
            free_segmentation=self.free_segmentation,
            readers=dict(self.symbol_readers),
        )

    # -- the tests -----------------------------------------------------------------------------

    def test_backend_declaration(self, conformance: ConformanceRun) -> None:
        """The backend is registered under its name and declares only what qrplex knows."""
        cls = conformance.client.registry.get(conformance.name)
        assert cls.name == conformance.name, (
            f"the class registered as {conformance.name!r} has name {cls.name!r}"
        )
        caps = cls.capabilities
        unknown = sorted(caps.symbologies - set(conformance.symbologies))
        assert not unknown, (
            f"backend {conformance.name!r} declares symbologies no plugin registers: {unknown}"
        )
        collected = set(type(self).kit_symbologies())
        missed = sorted(caps.symbologies - collected)
        assert not missed, (
            f"backend {conformance.name!r} declares {missed}, which the kit's tests were not "
            f"parametrized with: list the plugin registering them in "
            f"{type(self).__name__}.plugins (the conformance client's registry is not known "
            f"when tests are collected)"
        )
        formats = sorted(caps.formats - set(MEDIA_TYPES))
        assert not formats, f"backend {conformance.name!r} declares unknown formats {formats}"
        known = {"error", "height"}.union(
            *(spec.allowed_options for spec in conformance.symbologies.values())
        )
        options = sorted(caps.options - known)
        assert not options, (
            f"backend {conformance.name!r} declares options no registered symbology takes: "
            f"{options}"
        )
        assert caps.symbologies, f"backend {conformance.name!r} declares no symbology"
        assert caps.formats, f"backend {conformance.name!r} declares no format"

    def test_valid_content(self, conformance: ConformanceRun, symbology: str, format: str) -> None:
        """Declared: every valid content decodes back exactly. Undeclared: UnsupportedError."""
        if not conformance.declares(symbology, format):
            conformance.check_undeclared(symbology, format)
            return
        caps = conformance.capabilities
        spec = conformance.symbology(symbology)
        qr = symbology in ("qr", "microqr")
        levels = _levels(symbology) if qr and "error" in caps.options else None
        calls = strategies.valid_calls(
            spec,
            format,
            levels=levels,
            heights=spec.dimension == 1 and "height" in caps.options,
            max_width=caps.max_width,
        )
        options = {"error": "M"} if levels else {}
        tricky = [
            GenerateCall(symbology, content, format, None, options)
            for content in strategies.tricky_content(spec)
        ]
        conformance.run(calls, conformance.check_valid, tricky)

    def test_invalid_content(self, conformance: ConformanceRun, symbology: str) -> None:
        """Content the symbology cannot carry raises InvalidContentError (at every level)."""
        if symbology in ("qr", "microqr"):
            cases = strategies.error_levels(symbology).flatmap(
                lambda level: strategies.invalid_content(symbology, level)
            )
        else:
            cases = strategies.invalid_content(conformance.symbology(symbology))
        conformance.run(cases, conformance.check_invalid)

    def test_invalid_options(self, conformance: ConformanceRun, symbology: str) -> None:
        """Bad widths, options, formats and symbologies raise InvalidOptionError."""
        cases = strategies.invalid_options(
            conformance.symbology(symbology), registered=conformance.symbologies
        )
        conformance.run(cases, conformance.check_invalid)

    def test_options_and_limits(self, conformance: ConformanceRun, symbology: str) -> None:
        """An option the backend does not declare, and a width above its ``max_width``, raise
        UnsupportedError; a declared option is honoured."""
        caps = conformance.capabilities
        format = sorted(caps.formats)[0]
        chosen = _option_for(conformance.symbology(symbology))
        option, value = chosen if chosen is not None else ("", None)
        content = conformance.samples(symbology)[0]
        if not conformance.declares(symbology, format):
            why = f"the backend does not declare {symbology}"
            kwargs: dict[str, Any] = {"symbology": symbology, "format": format}
            if option:
                kwargs[option] = value
            conformance.check_refused(content, kwargs, UnsupportedError, why)
            return
        if not option:
            pass  # no option the core checks: a plugin's own options are its author's to test
        elif option not in caps.options:
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

    def test_async_generate(self, conformance: ConformanceRun, symbology: str) -> None:
        """``agenerate`` serves the same images as ``generate`` (undeclared: UnsupportedError)."""
        caps = conformance.capabilities
        format = sorted(caps.formats)[0]
        if not conformance.declares(symbology, format):
            conformance.check_refused(
                conformance.samples(symbology)[0],
                {"symbology": symbology, "format": format},
                UnsupportedError,
                f"the backend does not declare {symbology}",
                agenerate=True,
            )
            return
        calls = [
            GenerateCall(symbology, content, format) for content in conformance.samples(symbology)
        ]

        async def generate_all() -> list[qrplex.CodeImage]:
            try:
                return [await conformance._agenerate(call) for call in calls]
            finally:
                await conformance.client.aclose()  # its async resources belong to this loop

        for call, image in zip(calls, asyncio.run(generate_all()), strict=True):
            conformance.check_image(call, image)

    def test_errors_carry_no_secrets(self, conformance: ConformanceRun) -> None:
        """No error the backend can cause, nor its repr, shows a secret."""
        __tracebackhide__ = True
        calls: list[tuple[str, dict[str, Any], type[QrplexError]]] = []
        for symbology in type(self).kit_symbologies():
            sample = conformance.samples(symbology)[0]
            calls += [
                ("", {"symbology": symbology}, InvalidRequestError),
                (sample, {"symbology": symbology, "width": 1}, InvalidRequestError),
                (sample, {"symbology": symbology, "format": "pdf"}, InvalidRequestError),
            ]
            calls += [
                (sample, {"symbology": symbology, "format": format}, QrplexError)
                for format in FORMATS
            ]
        calls.append(("x", {"backend": f"{conformance.name}-no-such-backend"}, QrplexError))
        for content, kwargs, expected in calls:
            raised: QrplexError | None = None
            try:
                with conformance.watch(f"content {content!r} with {kwargs}"):
                    conformance.client.generate(content, **kwargs)
            except expected as error:
                raised = error
            if raised is not None:
                conformance.no_secrets(raised)
        instance = conformance.client.backend(conformance.name)
        for text, what in (
            (repr(instance), "repr() of the backend"),
            (str(instance), "str() of the backend"),
            (repr(conformance.client), "repr() of the client"),
            (repr(conformance.client.config), "repr() of the client's config"),
        ):
            leak = conformance.leak(text, f"the {what}")
            if leak is not None:
                raise AssertionError(leak)


def _check_client(name: str, client: qrplex.Client) -> None:
    """Fail, naming what is missing, if an overridden ``conformance_client`` lacks what the
    kit relies on."""
    __tracebackhide__ = True
    problems = []
    if not isinstance(client, qrplex.Client):
        raise TypeError(f"conformance_client must yield a qrplex.Client, not {type(client)!r}")
    if client.chain != (name,):
        problems.append(
            f"its backends are {', '.join(client.chain)} (expected {name!r} alone: pass "
            f"backend={name!r}, fallback=[])"
        )
    threshold = int(client.config.get("breaker_threshold"))
    if threshold < MAX_BREAKER_THRESHOLD:
        problems.append(
            f"its circuit breaker opens after {threshold} failures, so a flaky backend would "
            f"fail on a later, unrelated example (set breaker_threshold="
            f"{MAX_BREAKER_THRESHOLD})"
        )
    if problems:
        raise AssertionError(
            "the conformance client lacks what the kit relies on: "
            + "; ".join(problems)
            + ". Prefer the backend_settings / backend_environ fixtures to overriding "
            "conformance_client."
        )
