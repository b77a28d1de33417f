"""Section 6: the ``zint`` backend (libzint) against the ``local`` backend, code for code.

The same ``Client.generate`` call on two reused clients, ``backend="zint"`` and
``backend="local"``, interleaved: a QR code of a short URL as PNG and as SVG (the goal rows:
zint at least 10× faster per code), then, for information, a QR code of 1000 characters, a
Code 128 and an EAN-13 (PNG). Both images are decoded before timing and must read the same.
The value is the speed-up, local ÷ zint (above 1: zint is faster).
"""

from __future__ import annotations

from ._profile import Profile
from ._report import Goal, Row, Section, fmt_ms
from ._timing import Case, interleave, ratio, repeat
from .local_vs_raw import TEXT, URL

__all__ = ["run"]

GOAL = Goal(">=", 10.0)
WORKLOADS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("qr-url.png", "QR, short URL, PNG", URL, "qr", "png", True),
    ("qr-url.svg", "QR, short URL, SVG", URL, "qr", "svg", True),
    ("qr-text.png", "QR, 1000-char text, PNG", TEXT, "qr", "png", False),
    ("code128.png", "Code 128, PNG", "QRPLEX-BENCH-0042", "code128", "png", False),
    ("ean13.png", "EAN-13, PNG", "590123412345", "ean13", "png", False),
)


def run(profile: Profile, number: int) -> Section:
    """Measure the zint-vs-local section."""
    import qrplex
    from qrplex.testing import decode

    section = Section(number, "zint", "zint backend vs local backend")
    sizes: list[str] = []
    with (
        qrplex.Client(backend="zint", fallback=[]) as zint,
        qrplex.Client(backend="local", fallback=[]) as local,
    ):
        for key, title, content, symbology, fmt, goal in WORKLOADS:
            calls = {
                name: (
                    lambda client=client, content=content, symbology=symbology, fmt=fmt: (
                        client.generate(content, symbology=symbology, format=fmt)
                    )
                )
                for name, client in (("zint", zint), ("local", local))
            }
            images = {name: call() for name, call in calls.items()}
            readings = {name: decode(image.data, symbology) for name, image in images.items()}
            if readings["zint"] != readings["local"]:
                raise AssertionError(f"{key}: zint and local images read differently")
            sizes.append(
                f"{title}: zint {images['zint'].width} px, {len(images['zint'].data):,} B; "
                f"local {images['local'].width} px, {len(images['local'].data):,} B"
            )
            series = interleave(
                [Case(name, repeat(call)) for name, call in calls.items()], profile.local
            )
            speedup = ratio(series["local"], series["zint"])
            section.rows.append(
                Row(
                    key=f"zint.{key}",
                    title=f"{title}: `Client.generate`, zint vs local (speed-up)",
                    subject=fmt_ms(series["zint"].median),
                    baseline=f"{fmt_ms(series['local'].median)} (local)",
                    value=speedup.median,
                    low=speedup.low,
                    high=speedup.high,
                    goal=GOAL if goal else None,
                    data={
                        "zint_ms": round(series["zint"].median * 1e3, 4),
                        "local_ms": round(series["local"].median * 1e3, 4),
                        "ratios": [round(v, 4) for v in speedup.values],
                    },
                )
            )
    goal_rows = [row for row in section.rows if row.goal is not None]
    missed = [row.title for row in goal_rows if row.verdict == "missed"]
    section.notes.append(
        "Each row times one code per call on a reused client (the core's validation, routing "
        "and image checks included), as the median over the rounds of a calibrated batch; the "
        "value is the median of the per-round speed-ups local ÷ zint. Default sizes (10 px a "
        "module for QR codes, 3 px for barcodes). Outputs: " + "; ".join(sizes) + "."
    )
    section.notes.append(
        f"Missed: {', '.join(missed)}." if missed else f"All {len(goal_rows)} goals were met."
    )
    return section
