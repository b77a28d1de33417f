"""Section 1: the local backend against segno and python-barcode producing the same code.

For each workload (a QR code of a short URL and of 1000 characters of text, a Code 128 and an
EAN-13 barcode; PNG and SVG), one group of interleaved cases: ``qrplex.Client.generate`` on a
client reused across calls, and the raw library call. The QR codes are pixel-identical (checked
before timing). python-barcode's writers draw a different image (human-readable text, sizes in
millimetres at 300 dpi, Pillow for PNG, ``xml.dom`` for SVG), while the local backend uses
python-barcode for the bar pattern only and draws with its own writer: those rows compare
"a barcode image from each", not the same pixels.

One more row times the module-level ``qrplex.generate`` against the same raw segno call (the
one-off call's goal): it reuses one shared client while the configuration is unchanged, and
checks that (a fingerprint of the environment, working directory and config files) on
every call.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._images import same_png, size_of
from ._profile import Profile
from ._report import Goal, Row, Section, fmt_ms
from ._timing import Case, Series, interleave, ratio, repeat

__all__ = ["run"]

GOAL = Goal("<=", 1.05)
URL = "https://example.com/qrplex/benchmarks?id=42"
TEXT = (
    "qrplex renders QR codes and barcodes through pluggable backends; this paragraph is "
    "exactly one thousand characters of plain ASCII text so that the symbol is large. "
) * 6
TEXT = TEXT[:1000]
QR_SCALE = 10  # the local backend's default pixels per module for a matrix code
QR_BORDER = 4


@dataclass(frozen=True)
class Workload:
    """One code to make both ways."""

    key: str
    title: str
    content: str
    symbology: str
    library: str


WORKLOADS = (
    Workload("qr-url", "QR, short URL", URL, "qr", "segno"),
    Workload("qr-text", "QR, 1000-char text", TEXT, "qr", "segno"),
    Workload("code128", "Code 128", "QRPLEX-BENCH-0042", "code128", "python-barcode"),
    Workload("ean13", "EAN-13", "590123412345", "ean13", "python-barcode"),
)


def _raw(work: Workload, fmt: str) -> Callable[[], bytes]:
    """The raw library call that makes ``work`` in ``fmt`` (returns the file's bytes)."""
    if work.library == "segno":
        import segno

        def make_qr() -> bytes:
            buffer = io.BytesIO()
            # error M without boosting: the symbol the local backend makes (segno's default
            # boosts the level, which gives a different symbol of the same size).
            symbol = segno.make(work.content, micro=False, error="m", boost_error=False)
            symbol.save(buffer, kind=fmt, scale=QR_SCALE, border=QR_BORDER)
            return buffer.getvalue()

        return make_qr

    import barcode
    from barcode.writer import ImageWriter, SVGWriter

    def make_barcode() -> bytes:
        buffer = io.BytesIO()
        writer = ImageWriter() if fmt == "png" else SVGWriter()
        barcode.get(work.symbology, work.content, writer=writer).write(buffer)
        return buffer.getvalue()

    return make_barcode


def _check(work: Workload, fmt: str, ours: bytes, theirs: bytes) -> str:
    """Describe both outputs; raise if QR codes that should be identical are not."""
    if work.library == "segno" and fmt == "png" and not same_png(ours, theirs):
        raise AssertionError(f"{work.key}: qrplex and segno drew different PNG pixels")
    if size_of(ours) != size_of(theirs) and work.library == "segno":
        raise AssertionError(f"{work.key} {fmt}: sizes differ: {size_of(ours)} / {size_of(theirs)}")
    return (
        f"qrplex {size_of(ours)}, {len(ours):,} B; "
        f"{work.library} {size_of(theirs)}, {len(theirs):,} B"
    )


def _row(key: str, title: str, ours: Series, theirs: Series, name: str, **data: Any) -> Row:
    r = ratio(ours, theirs)
    return Row(
        key=key,
        title=title,
        subject=fmt_ms(ours.median),
        baseline=f"{fmt_ms(theirs.median)} ({name})",
        value=r.median,
        low=r.low,
        high=r.high,
        goal=GOAL,
        data={
            "qrplex_ms": round(ours.median * 1e3, 4),
            "baseline_ms": round(theirs.median * 1e3, 4),
            "ratios": [round(v, 4) for v in r.values],
            "ops_per_round": [ours.ops, theirs.ops],
            **data,
        },
    )


def run(profile: Profile, number: int) -> Section:
    """Measure section 1."""
    import qrplex

    section = Section(number, "local", "Local backend vs the raw libraries")
    outputs: list[str] = []
    module_note = ""
    with qrplex.Client(backend="local") as client:
        for work in WORKLOADS:
            for fmt in ("png", "svg"):

                def ours(work: Workload = work, fmt: str = fmt) -> bytes:
                    return client.generate(work.content, symbology=work.symbology, format=fmt).data

                theirs = _raw(work, fmt)
                described = _check(work, fmt, ours(), theirs())
                outputs.append(f"{work.title} {fmt.upper()}: {described}")
                cases = [Case("qrplex", repeat(ours)), Case("raw", repeat(theirs))]
                with_module = work.key == "qr-url" and fmt == "png"
                if with_module:

                    def module(work: Workload = work) -> bytes:
                        return qrplex.generate(work.content, backend="local").data

                    cases.append(Case("module", repeat(module)))
                    cases.append(Case("client-init", repeat(lambda: qrplex.Client().close())))
                series = interleave(cases, profile.local)
                title = f"{work.title}, {fmt.upper()}: `Client.generate` vs {work.library}"
                section.rows.append(
                    _row(
                        f"local.{work.key}.{fmt}",
                        title,
                        series["qrplex"],
                        series["raw"],
                        work.library,
                        outputs=described,
                    )
                )
                if with_module:
                    module_series, init = series["module"], series["client-init"]
                    r = ratio(module_series, series["raw"])
                    vs_client = ratio(module_series, series["qrplex"])
                    section.rows.append(
                        Row(
                            key="local.module-generate",
                            title="QR, short URL, PNG: module-level `qrplex.generate` vs segno",
                            subject=fmt_ms(module_series.median),
                            baseline=f"{fmt_ms(series['raw'].median)} (segno)",
                            value=r.median,
                            low=r.low,
                            high=r.high,
                            goal=GOAL,
                            data={
                                "module_ms": round(module_series.median * 1e3, 4),
                                "client_ms": round(series["qrplex"].median * 1e3, 4),
                                "client_init_ms": round(init.median * 1e3, 4),
                                "vs_client": round(vs_client.median, 4),
                                "ratios": [round(v, 4) for v in r.values],
                            },
                        )
                    )
                    module_note = (
                        f"`qrplex.generate` (row {number}.{len(section.rows)}) shares one "
                        "client between calls while the configuration is unchanged: each call "
                        "only takes a fingerprint (a hash of the environment, the working "
                        "directory, `os.stat` of `QRPLEX_CONFIG`'s file, `qrplex.toml`, "
                        "`pyproject.toml` and the user config file) and compares it with the "
                        "last one. It took "
                        f"{vs_client.median:.2f}× a reused `Client.generate` here; building and "
                        f"closing a `Client()`, which each call paid before, took "
                        f"{fmt_ms(init.median)}."
                    )
    section.notes.extend(_notes(section, outputs, module_note))
    return section


def _notes(section: Section, outputs: list[str], module_note: str) -> list[str]:
    goal_rows = [row for row in section.rows if row.goal is not None]
    missed = [row for row in goal_rows if row.verdict == "missed"]
    notes = [
        "Each row times one code per call, as the median over the rounds of a calibrated "
        "batch; the value is the median of the per-round ratios qrplex ÷ library (below 1: "
        "qrplex is faster). QR codes: `segno.make(content, micro=False, error='m', "
        f"boost_error=False).save(buf, kind=..., scale={QR_SCALE}, border={QR_BORDER})`, the "
        "same symbol at the same size as the local backend's default (pixel-identical PNGs, "
        "checked before timing). Barcodes: `barcode.get(name, content, writer=ImageWriter() "
        "or SVGWriter()).write(buf)` with its defaults, which draws a *different* image: "
        "human-readable text under the bars, millimetre sizes at 300 dpi, Pillow for PNG and "
        "`xml.dom.minidom` for SVG. The local backend uses python-barcode only for the bar "
        "pattern and draws the image itself (no text, exact pixel sizes, PNG with `zlib`).",
        "Outputs: " + "; ".join(outputs) + ".",
    ]
    if module_note:
        notes.append(module_note)
    if missed:
        names = ", ".join(row.title for row in missed)
        notes.append(
            f"Missed: {names}. The local backend does more than the raw call: it validates the "
            "request (charset, capacity, width), routes it (capability check, circuit "
            "breaker), encodes with explicit mode and ECI, draws its own PNG (zlib level 9) "
            "or SVG, and checks the result's media type and width. See docs/benchmarks.md "
            "for a profile and what would close the gap."
        )
    elif goal_rows:
        notes.append(f"All {len(goal_rows)} goals of this section were met.")
    return notes
