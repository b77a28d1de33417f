"""The results: rows with goals and verdicts, sections with notes, and their renderings.

A row compares qrplex with a baseline and carries the compared quantity (a ratio, or a
difference in milliseconds) with its per-round range. A row with a goal gets a verdict; a
missed goal is never hidden: the verdict says ``missed`` and the section's notes explain it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["Goal", "Report", "Row", "Section", "fmt_ms", "fmt_rate", "write_report"]

Unit = Literal["x", "ms"]


def fmt_ms(seconds: float) -> str:
    """``seconds`` as milliseconds (or microseconds below 1 ms), 3 significant digits."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 0.1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e3:.0f} ms"


def fmt_rate(per_second: float) -> str:
    """A rate in requests (or codes) per second."""
    return f"{per_second:,.0f}/s" if per_second >= 10 else f"{per_second:.1f}/s"


def _fmt_value(value: float, unit: Unit) -> str:
    if unit == "ms":
        return f"{value:+.1f} ms"
    return f"{value:.2f}×"


@dataclass(frozen=True)
class Goal:
    """A target for a row's value: ``value <op> threshold``."""

    op: Literal["<=", ">="]
    threshold: float
    unit: Unit = "x"

    def met(self, value: float) -> bool:
        """Whether ``value`` meets the goal."""
        return value <= self.threshold if self.op == "<=" else value >= self.threshold

    @property
    def text(self) -> str:
        """The goal as shown in tables (``≤ 1.05×``)."""
        sign = "≤" if self.op == "<=" else "≥"
        if self.unit == "ms":
            return f"{sign} {self.threshold:+g} ms"
        return f"{sign} {self.threshold:g}×"


@dataclass(frozen=True)
class Row:
    """One line of the table.

    Attributes:
        key: a stable identifier (``local.qr-url.png``), for tools reading the JSON.
        title: what is compared, in words.
        subject: qrplex's measurement (``2.20 ms``, ``610/s``).
        baseline: the baseline's measurement, naming it.
        value: the compared quantity (ratio or difference), median of the rounds.
        low: the smallest per-round value.
        high: the largest per-round value.
        unit: ``"x"`` for a ratio, ``"ms"`` for a difference.
        goal: the target, or ``None`` for an informational row.
        data: the raw numbers, for the JSON file.
    """

    key: str
    title: str
    subject: str
    baseline: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: Unit = "x"
    goal: Goal | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """``met``, ``missed``, or ``info`` (no goal)."""
        if self.goal is None or self.value is None:
            return "info"
        return "met" if self.goal.met(self.value) else "missed"

    @property
    def borderline(self) -> bool:
        """Whether the goal lies within the per-round range (noise could flip the verdict)."""
        if self.goal is None or self.low is None or self.high is None:
            return False
        return self.low <= self.goal.threshold <= self.high

    @property
    def value_text(self) -> str:
        """The value and its range (``0.76× (0.74–0.79)``)."""
        if self.value is None:
            return "—"
        text = _fmt_value(self.value, self.unit)
        if self.low is not None and self.high is not None and self.low != self.high:
            low, high = _fmt_value(self.low, self.unit), _fmt_value(self.high, self.unit)
            text += f" ({low.rstrip('×').removesuffix(' ms')}–{high})"
        return text

    @property
    def verdict_text(self) -> str:
        """The verdict as shown in tables."""
        if self.verdict == "info":
            return "info"
        mark = "**met**" if self.verdict == "met" else "**MISSED**"
        return mark + (" (borderline)" if self.borderline else "")


@dataclass
class Section:
    """One measurement's results.

    Attributes:
        number: its number in the table (rows are ``number.index``).
        key: a stable identifier (``local``, ``cloud``, ...).
        title: a heading.
        rows: the table rows.
        notes: Markdown paragraphs: set-up, what each row means, and why a goal was missed.
        load: the 1-minute load average before and after the section.
        parallelism: the speed-up pure-Python work got from one process per core just before
            the section (see :mod:`benchmarks._probe`); ideally the number of cores.
        waited: seconds the run waited for a quiet machine before the section.
        source_changed: the library's source files changed while the section ran.
        seconds: how long the section took.
        error: set when the section could not run (the run goes on without it).
    """

    number: int
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load: tuple[float, float] = (0.0, 0.0)
    parallelism: float | None = None
    waited: float = 0.0
    source_changed: bool = False
    seconds: float = 0.0
    error: str | None = None


@dataclass
class Report:
    """A whole run."""

    mode: str
    started: str
    seconds: float
    machine: Mapping[str, Any]
    sections: Sequence[Section]

    def table(self) -> str:
        """The results table in Markdown."""
        lines = [
            "| # | Measurement | qrplex | Baseline | Value (range over rounds) | Goal | Result |",
            "|---|---|---|---|---|---|---|",
        ]
        for section in self.sections:
            if section.error is not None:
                lines.append(
                    f"| {section.number} | {section.title} | — | — | — | — | "
                    f"not run: {section.error} |"
                )
            for index, row in enumerate(section.rows, start=1):
                goal = row.goal.text if row.goal else ""
                lines.append(
                    f"| {section.number}.{index} | {row.title} | {row.subject} | {row.baseline} "
                    f"| {row.value_text} | {goal} | {row.verdict_text} |"
                )
        return "\n".join(lines)

    def summary(self) -> str:
        """One line: goals met and missed."""
        rows = [row for section in self.sections for row in section.rows]
        met = [
            f"{s.number}.{i}"
            for s in self.sections
            for i, r in enumerate(s.rows, 1)
            if r.verdict == "met"
        ]
        missed = [
            f"{s.number}.{i}"
            for s in self.sections
            for i, r in enumerate(s.rows, 1)
            if r.verdict == "missed"
        ]
        goals = sum(1 for row in rows if row.goal is not None)
        text = f"{len(met)} of {goals} goals met"
        if missed:
            text += f"; missed: {', '.join(missed)} (explained in the notes below)"
        changed = [str(section.number) for section in self.sections if section.source_changed]
        if changed:
            text += (
                f". WARNING: the library's source changed while section(s) "
                f"{', '.join(changed)} ran, so they may have measured two versions"
            )
        elif self.source_changed:
            text += (
                ". Note: the library's source changed between sections (see Source below); "
                "each section measured one version"
            )
        return text

    @property
    def source_changed(self) -> bool:
        """Whether the library's sources differed between the start and the end of the run."""
        start = self.machine.get("source_digest_start")
        end = self.machine.get("source_digest_end")
        return start is not None and end is not None and start != end

    def machine_lines(self) -> list[str]:
        """The machine and software, as Markdown list items."""
        m = self.machine
        versions = ", ".join(f"{name} {version}" for name, version in m["packages"].items())
        return [
            f"- CPU: {m['cpu_model']}, {m['cores']} logical cores "
            f"({m['usable_cores']} usable by this process)",
            f"- OS: {m['os']}; Python {m['python']} ({m['python_executable']})",
            f"- Load average (1, 5, 15 min) at start: {m['loadavg_start']}; "
            f"at end: {m.get('loadavg_end', '?')}",
            f"- Parallel capacity (speed-up of pure-Python work in one process per core; "
            f"ideally {m['cores']}×): {m['parallelism_start']:.2f}× at start, "
            f"{m.get('parallelism_end', 0.0):.2f}× at end",
            f"- Packages: {versions}",
            f"- Tools: {m['tools']}",
            f"- Environment: {m['environment']}",
            f"- Source: {m['source']} at start, {m.get('source_end', '?')} at end; library "
            f"sources digest {m['source_digest_start']} → {m.get('source_digest_end', '?')}"
            + (" (CHANGED during the run)" if self.source_changed else " (unchanged)"),
        ]

    def to_markdown(self) -> str:
        """The whole report as a Markdown document."""
        parts = [
            "<!-- Written by `python -m benchmarks`; do not edit by hand. -->",
            f"**Run:** {self.mode}, started {self.started}, took {self.seconds:.0f} s. "
            f"**Summary:** {self.summary()}.",
            "",
            self.table(),
            "",
            "**Machine**",
            "",
            *self.machine_lines(),
            "",
        ]
        for section in self.sections:
            capacity = (
                ""
                if section.parallelism is None
                else f"; parallel capacity {section.parallelism:.2f}× on "
                f"{self.machine['cores']} cores"
            )
            if section.waited >= 1:
                capacity += f"; after waiting {section.waited:.0f} s for a quieter machine"
            if section.source_changed:
                capacity += "; WARNING: the library's source changed during this section"
            parts.append(
                f"**{section.number}. {section.title}** (took {section.seconds:.0f} s; load "
                f"average {section.load[0]:.2f} → {section.load[1]:.2f}{capacity})"
            )
            parts.append("")
            if section.error is not None:
                parts.append(f"Not run: {section.error}")
                parts.append("")
            for note in section.notes:
                parts.append(note)
                parts.append("")
        return "\n".join(parts).rstrip() + "\n"

    def to_json(self) -> dict[str, Any]:
        """The whole report as JSON-ready data."""
        return {
            "mode": self.mode,
            "started": self.started,
            "seconds": round(self.seconds, 1),
            "summary": self.summary(),
            "machine": self.machine,
            "sections": [
                {
                    "number": section.number,
                    "key": section.key,
                    "title": section.title,
                    "seconds": round(section.seconds, 1),
                    "load": section.load,
                    "parallelism": None
                    if section.parallelism is None
                    else round(section.parallelism, 3),
                    "waited": round(section.waited, 1),
                    "source_changed": section.source_changed,
                    "error": section.error,
                    "notes": section.notes,
                    "rows": [
                        {
                            **{k: v for k, v in asdict(row).items() if k != "goal"},
                            "id": f"{section.number}.{index}",
                            "goal": None
                            if row.goal is None
                            else {**asdict(row.goal), "text": row.goal.text},
                            "verdict": row.verdict,
                            "borderline": row.borderline,
                        }
                        for index, row in enumerate(section.rows, start=1)
                    ],
                }
                for section in self.sections
            ],
        }


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_report(report: Report, directory: Path, stem: str) -> tuple[Path, Path]:
    """Write ``<stem>.md`` and ``<stem>.json`` into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    markdown, data = directory / f"{stem}.md", directory / f"{stem}.json"
    _write_atomically(markdown, report.to_markdown())
    _write_atomically(data, json.dumps(report.to_json(), indent=1, ensure_ascii=False) + "\n")
    return markdown, data
