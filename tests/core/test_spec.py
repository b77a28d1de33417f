"""``qrplex.spec``: the one public source of symbol facts, and the plan a request carries."""

from __future__ import annotations

import ast
import inspect
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import qrplex
from qrplex import spec
from qrplex._cache import request_key
from qrplex._validation import validate_request

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("src/qrplex/**/*.py"), *ROOT.glob("plugins/*/src/**/*.py")])


def _qr(content: str, **options: str) -> qrplex.CodeRequest:
    return validate_request(content, symbology="qr", format="png", width=None, options=options)


# -- the module ------------------------------------------------------------------------------


def test_spec_is_a_public_submodule_that_import_qrplex_does_not_load() -> None:
    code = (
        "import sys, qrplex\n"
        "assert 'qrplex.spec' not in sys.modules, 'import qrplex loaded qrplex.spec'\n"
        "from qrplex import spec\n"
        "assert qrplex.spec is spec is sys.modules['qrplex.spec']\n"
        "heavy = {'pluggy', 'segno', 'barcode', 'PIL', 'httpx'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_public_name_exists_and_is_documented() -> None:
    assert spec.__doc__
    assert sorted(spec.__all__) == sorted(set(spec.__all__))
    for name in spec.__all__:
        value = getattr(spec, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert (value.__doc__ or "").strip(), f"qrplex.spec.{name} has no docstring"


def test_the_charset_policy_is_a_function_a_backend_calls() -> None:
    plans = {
        content: spec.plan_qr(content, "M")
        for content in ("12345", "HELLO WORLD", "hello", "Grüße", "日本語")
    }
    assert {c: (p.mode, p.eci) for c, p in plans.items() if p} == {
        "12345": ("numeric", None),
        "HELLO WORLD": ("alphanumeric", None),
        "hello": ("byte", None),
        "Grüße": ("byte", 3),
        "日本語": ("byte", 26),
    }
    assert spec.plan_qr("x" * 3000, "H") is None
    micro = spec.plan_qr("12345", "L", micro=True)
    assert micro is not None
    assert micro.name == "M1"
    assert micro.modules == 11


# -- one implementation of each fact ---------------------------------------------------------


def _definitions(name: str) -> list[str]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                found.append(str(path.relative_to(ROOT)))
    return found


def _literals(text: str) -> list[str]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and node.value == text:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_one_gtin_check_digit_besides_the_kits_named_oracle() -> None:
    assert _definitions("gtin_check_digit") == [
        "src/qrplex/_symbologies.py",
        "src/qrplex/testing/strategies.py",
    ]
    from qrplex.testing import strategies

    assert "independent oracle" in (strategies.gtin_check_digit.__doc__ or "")
    from qrplex_local import _linear

    assert _linear.gtin_check_digit is spec.gtin_check_digit
    assert spec.gtin_check_digit("590123412345") == "7"
    assert spec.gtin_check_digit("9638507") == "4"
    with pytest.raises(ValueError, match="digits"):
        spec.gtin_check_digit("12a")


def test_one_code39_set() -> None:
    assert len(spec.CODE39_CHARS) == 43
    assert [where.split(":")[0] for where in _literals(spec.CODE39_CHARS)] == [
        "src/qrplex/_symbologies.py"
    ]


def test_one_code128_encodation() -> None:
    """The core counts widths with the encoder the local backend draws."""
    for name in ("code128_values", "_leading_digits", "_code128_symbol_count"):
        assert _definitions(name) in ([], ["src/qrplex/_code128.py"]), name
    from qrplex_local import _code128

    assert _code128.code128_values is spec.code128_values
    for content in ("99", "9912345", "a1234b", "ÿ\x80", "\x00\x7fabc", "12345678"):
        request = validate_request(
            content, symbology="code128", format="png", width=None, options={}
        )
        drawn = len(_code128.code128_pattern(content))
        assert spec.symbol_modules(request) == spec.code128_modules(content) == drawn


# -- image sniffing --------------------------------------------------------------------------


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, "JPEG")
    return out.getvalue()


def test_one_jpeg_reader_for_core_and_cloud() -> None:
    """A standalone marker (TEM, RSTn) before the frame header has no length field: the cloud
    plugin's reader knew it and the core's did not; now both use the core's."""
    from qrplex_cloudinfinite._responses import image_size

    data = _jpeg(120, 40)
    with_marker = data[:2] + b"\xff\x01" + data[2:]
    assert spec.jpeg_size(with_marker) == (120, 40)
    assert spec.read_header(with_marker) == spec.ImageFacts("image/jpeg", 120, 40)
    assert image_size(with_marker) == ("image/jpeg", 120, 40)
    assert spec.inspect_image(with_marker, max_side=spec.MAX_WIDTH).width == 120


def test_read_header_names_the_defect() -> None:
    with pytest.raises(spec.ImageDefectError, match="no frame header"):
        spec.read_header(b"\xff\xd8\xff\xd9")
    with pytest.raises(spec.ImageDefectError, match="not a PNG, JPEG or SVG"):
        spec.read_header(b"GIF89a")
    assert spec.sniff_media_type(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == "image/svg+xml"


# -- CodeRequest.qr --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "level", "version", "mode", "eci"),
    [
        ("12345", "M", 1, "numeric", None),
        ("Grüße", "H", 1, "byte", 3),
        ("日本語" * 10, "M", 6, "byte", 26),
        ("HELLO WORLD " * 20, "Q", 11, "alphanumeric", None),
    ],
)
def test_validation_carries_the_qr_plan(
    content: str, level: str, version: int, mode: str, eci: int | None
) -> None:
    request = _qr(content, error=level)
    assert request.qr == spec.plan_qr(content, level)
    assert request.qr is not None
    assert (request.qr.version, request.qr.mode, request.qr.eci) == (version, mode, eci)


def test_linear_requests_carry_no_plan() -> None:
    request = validate_request(
        "590123412345", symbology="ean13", format="png", width=None, options={}
    )
    assert request.qr is None


def test_the_plan_takes_no_part_in_equality_or_the_cache_key() -> None:
    planned = _qr("hello")
    bare = qrplex.CodeRequest("hello", "qr", "png", None, {"error": "M"})
    assert planned.qr is not None
    assert bare.qr is None
    assert planned == bare
    assert request_key(planned) == request_key(bare)
    assert request_key(planned, "local") == request_key(bare, "local")


def test_the_local_backend_draws_the_plan_it_is_given() -> None:
    """No re-derived plan: a request carrying version 5 is drawn as version 5."""
    from qrplex_local import LocalBackend

    plan = spec.QrPlan(micro=False, version=5, segment=spec.segment_for("hello"))
    request = qrplex.CodeRequest("hello", "qr", "png", None, {"error": "M"}, qr=plan)
    rendering = LocalBackend({}).render(request)
    assert rendering.width == 10 * (plan.modules + 2 * spec.SYMBOLOGIES["qr"].quiet_left)
    unplanned = LocalBackend({}).render(qrplex.CodeRequest("hello", "qr", "png", None, {}))
    assert unplanned.width == 10 * (21 + 8)  # version 1, planned by the backend itself


def test_the_core_table_is_what_the_core_registers() -> None:
    """``spec.SYMBOLOGIES`` is not a thinner copy: a plugin author reading it sees the same
    options and rules as validation uses."""
    from qrplex._registry import Registry

    registered = Registry(entry_points=False).symbologies()
    assert {name: registered[name] for name in spec.SYMBOLOGIES} == spec.SYMBOLOGIES
    assert spec.SYMBOLOGIES["qr"].allowed_options == ("error",)
    assert spec.symbology_spec("ean13").allowed_options == ("height",)
