"""The results document: its required shape, the targets, and its markdown rendering.

``benchmarks/results.json`` is ``{"machine": {...}, "versions": {...}, "run": {...},
"cases": {CASE: {...figures}}, "targets": [...]}``. Every case in :data:`CASE_FIGURES` carries
at least the figures listed there (medians; ratios are candidate / baseline, so below 1 is
faster; speedups are baseline / candidate). Summaries of repeated measurements anywhere in a
case are dicts with ``n``, ``median``, ``q1``, ``q3``, ``iqr``, ``min``, ``max`` and ``mean``.

Nothing here imports PySpark: the shape and the rendering are unit-tested without a JVM.
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

__all__ = [
    "CASE_FIGURES",
    "CASE_TITLES",
    "HEADLINES",
    "Target",
    "TARGETS",
    "TargetCheck",
    "build_document",
    "check_targets",
    "format_number",
    "render_markdown",
    "shape_problems",
    "write_document",
]

#: The cases every full run reports, each with the figures it must carry.
CASE_FIGURES: Mapping[str, tuple[str, ...]] = {
    "flatten": ("rows_per_s",),
    "write_1000_vs_raw": ("ratio",),
    "batch_100_vs_single": ("speedup", "commits"),
    "report_100k": ("seconds", "peak_mem_mib"),
    "jobs_per_write": ("jobs",),
    "legacy_vs_new_10k": ("ratio",),
    "filtered_read_1m": ("speedup",),
    "write_1000_tuned_session": ("ratio_vs_idempotent_append",),
    "write_1000_default_session": ("ratio_vs_idempotent_append",),
    "layout_reads_1m": ("pipeline_4_weeks_best_ratio", "run_by_id_best_ratio"),
    "aging_writes": (
        "write_seconds_aged",
        "aged_vs_young",
        "compaction_vs_plain_aged",
        "files_aged",
        "files_aged_compaction",
    ),
    "analytics_1m": ("summary_vs_full_scan", "trends_vs_full_scan", "anomalies_vs_full_scan"),
}

_AGING_HEADLINES = (
    *CASE_FIGURES["aging_writes"],
    "aged_vs_young_compaction",
    "autocompact_vs_plain_aged",
    "aged_vs_young_autocompact",
    "files_aged_autocompact",
)

#: What each case measures, in a few words (the markdown table's first column).
CASE_TITLES: Mapping[str, str] = {
    "flatten": "report -> rows, pure Python (10,000 steps)",
    "write_1000_vs_raw": "write_report, 1,000 steps, vs createDataFrame + Delta append",
    "batch_100_vs_single": "write_reports(100 x 10 steps) vs 100 write_report calls",
    "report_100k": "write_report of a 100,000-step report",
    "jobs_per_write": "Spark jobs started by one write_report (1,000 steps)",
    "legacy_vs_new_10k": "write_report vs legacy append, 10,000 steps",
    "filtered_read_1m": "read_logs(pipeline, one week) vs full scan, 1,000,000 rows",
    "optimize_100_commits": "reading a 100-commit log before / after OPTIMIZE",
    "write_into_1m_log": "write_report (10 steps) into the 1,000,000-row logs, per layout",
    "write_1000_tuned_session": "write_report, 1,000 steps, vs bare idempotent append; "
    "snapshotPartitions=2",
    "write_1000_default_session": "write_report, 1,000 steps, vs bare idempotent append; "
    "Delta defaults (snapshotPartitions=50)",
    "layout_reads_1m": "one pipeline's 4 weeks / one run / full scan, 1,000,000 rows as "
    "2,000 small files, per layout, raw vs OPTIMIZE'd",
    "aging_writes": "write_report (10 steps) as the log ages (N = 10, 1,000 commits): "
    "no compaction / the writer's compact_every / Delta auto compaction",
    "aging_writes_10k": "write_report (10 steps) as the log ages (N = 10, 1,000, 10,000 "
    "commits): no compaction / compact_every / Delta auto compaction (opt-in)",
    "analytics_1m": "summary, trends, detect_anomalies vs one full-scan aggregation, "
    "1,000,000 rows",
}

#: The figures shown in the summary table per case (the required ones first).
HEADLINES: Mapping[str, tuple[str, ...]] = {
    "flatten": ("rows_per_s", "check_rows_per_s"),
    "write_1000_vs_raw": ("ratio", "ratio_vs_idempotent_floor", "ratio_dedup_none"),
    "batch_100_vs_single": ("speedup", "commits"),
    "report_100k": ("seconds", "peak_mem_mib", "jvm_rss_growth_mib"),
    "jobs_per_write": ("jobs", "jobs_max", "jobs_dedup_none", "jobs_raw", "jobs_raw_txn"),
    "legacy_vs_new_10k": ("ratio", "ratio_dedup_none"),
    "filtered_read_1m": ("speedup", "speedup_unpartitioned", "speedup_clustered"),
    "optimize_100_commits": ("read_speedup", "optimize_seconds"),
    "write_into_1m_log": ("scan_unpartitioned_vs_partitioned", "scan_clustered_vs_partitioned"),
    "write_1000_tuned_session": (
        "ratio_vs_idempotent_append",
        "ratio_vs_idempotent_append_paired",
        "idempotent_vs_plain_append",
    ),
    "write_1000_default_session": (
        "ratio_vs_idempotent_append",
        "ratio_vs_idempotent_append_paired",
        "idempotent_vs_plain_append",
    ),
    "layout_reads_1m": (
        *CASE_FIGURES["layout_reads_1m"],
        "pipeline_4_weeks_best",
        "run_by_id_best",
    ),
    "aging_writes": _AGING_HEADLINES,
    "aging_writes_10k": _AGING_HEADLINES,
    "analytics_1m": (*CASE_FIGURES["analytics_1m"], "full_scan_seconds"),
}

Comparison = Literal["<", "<=", ">=", ">"]
_OPERATORS: Mapping[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">=": operator.ge,
    ">": operator.gt,
}


@dataclass(frozen=True, slots=True)
class Target:
    """A figure's target: ``cases[case][figure] <op> value``."""

    case: str
    figure: str
    op: Comparison
    value: float

    def holds(self, measured: float) -> bool:
        """Return whether ``measured`` meets the target.

        Examples
        --------
        >>> Target("report_100k", "seconds", "<", 30).holds(12.5)
        True
        """
        return _OPERATORS[self.op](measured, self.value)

    def __str__(self) -> str:
        return f"{self.op} {format_number(self.value)}"


#: The issue's targets (2-core machine).
TARGETS: tuple[Target, ...] = (
    Target("flatten", "rows_per_s", ">=", 300_000),
    Target("write_1000_vs_raw", "ratio", "<=", 1.15),
    Target("batch_100_vs_single", "speedup", ">=", 10),
    Target("report_100k", "seconds", "<", 30),
    Target("report_100k", "peak_mem_mib", "<", 1024),
    Target("jobs_per_write", "jobs", "<=", 2),
    Target("write_1000_tuned_session", "ratio_vs_idempotent_append", "<=", 1.10),
    Target("write_1000_default_session", "ratio_vs_idempotent_append", "<=", 1.10),
    Target("analytics_1m", "summary_vs_full_scan", "<=", 3.0),
    Target("analytics_1m", "trends_vs_full_scan", "<=", 3.0),
    Target("analytics_1m", "anomalies_vs_full_scan", "<=", 3.0),
)


@dataclass(frozen=True, slots=True)
class TargetCheck:
    """A target and what was measured (``None`` when the case did not run)."""

    target: Target
    measured: float | None

    @property
    def met(self) -> bool | None:
        """Whether the target holds (``None`` when nothing was measured)."""
        return None if self.measured is None else self.target.holds(self.measured)

    def as_dict(self) -> dict[str, object]:
        """Return the check as a JSON-ready dict."""
        return {
            "case": self.target.case,
            "figure": self.target.figure,
            "target": f"{self.target.op} {self.target.value:g}",
            "measured": self.measured,
            "met": self.met,
        }


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def check_targets(
    cases: Mapping[str, Mapping[str, object]], targets: tuple[Target, ...] = TARGETS
) -> list[TargetCheck]:
    """Compare each target with the measured figure.

    Parameters
    ----------
    cases
        The ``cases`` part of the results.
    targets
        The targets to check.

    Returns
    -------
    list[TargetCheck]
        One check per target, in order; ``measured`` is None where the case or figure is
        missing.

    Examples
    --------
    >>> [c.met for c in check_targets({"flatten": {"rows_per_s": 350_000.0}})][:2]
    [True, None]
    """
    return [
        TargetCheck(target, _number(cases.get(target.case, {}).get(target.figure)))
        for target in targets
    ]


def shape_problems(
    document: Mapping[str, object], *, required: Mapping[str, tuple[str, ...]] = CASE_FIGURES
) -> list[str]:
    """Say what keeps ``document`` from having the results shape (empty: it has it).

    Parameters
    ----------
    document
        A parsed ``results.json``.
    required
        The cases, each with the figures it must carry (finite numbers).

    Returns
    -------
    list[str]
        One line per problem.

    Examples
    --------
    >>> shape_problems({"machine": {}, "versions": {}, "cases": {}}, required={"flatten":
    ...     ("rows_per_s",)})
    ['cases.flatten is missing']
    """
    problems = []
    for key in ("machine", "versions", "cases"):
        if not isinstance(document.get(key), dict):
            problems.append(f"{key} is missing or not an object")
    cases = document.get("cases")
    if not isinstance(cases, dict):
        return problems
    for case, figures in required.items():
        found = cases.get(case)
        if not isinstance(found, dict):
            problems.append(f"cases.{case} is missing")
            continue
        for figure in figures:
            if _number(found.get(figure)) is None:
                problems.append(f"cases.{case}.{figure} is missing or not a finite number")
    return problems


def build_document(
    *,
    machine: Mapping[str, object],
    versions: Mapping[str, object],
    run: Mapping[str, object],
    cases: Mapping[str, Mapping[str, object]],
    targets: tuple[Target, ...] = TARGETS,
) -> dict[str, object]:
    """Assemble the results document, with the targets checked.

    Parameters
    ----------
    machine
        Facts of the machine (CPU, memory, OS, Python, Java, load averages).
    versions
        Versions of sparkforge, PySpark and delta-spark.
    run
        How the run went (mode, duration, cases run).
    cases
        Each case's figures.
    targets
        The targets to check.

    Returns
    -------
    dict
        ``{"machine", "versions", "run", "cases", "targets"}``, ready for ``json.dumps``.
    """
    ordered = {name: dict(cases[name]) for name in CASE_FIGURES if name in cases}
    ordered.update({name: dict(figures) for name, figures in cases.items() if name not in ordered})
    return {
        "machine": dict(machine),
        "versions": dict(versions),
        "run": dict(run),
        "cases": ordered,
        "targets": [check.as_dict() for check in check_targets(ordered, targets)],
    }


def write_document(document: Mapping[str, object], json_path: Path, markdown_path: Path) -> None:
    """Write the document as JSON and as markdown (see :func:`render_markdown`)."""
    json_path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    markdown_path.write_text(render_markdown(document), encoding="utf-8")


def format_number(value: object) -> str:
    """Format a figure for a table: thousands separators, three significant decimals.

    Examples
    --------
    >>> [format_number(v) for v in (1234567, 0.123456, 12.3456, 2.0, None, True, "x")]
    ['1,234,567', '0.123', '12.35', '2', '-', 'yes', 'x']
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            return f"{int(value):,}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.2f}"
        return f"{value:.3f}"
    return str(value)


def _is_summary(value: object) -> bool:
    return isinstance(value, dict) and "median" in value and "n" in value


def _summaries(prefix: str, value: object) -> Iterator[tuple[str, Mapping[str, object]]]:
    if _is_summary(value):
        yield prefix, value  # type: ignore[misc]
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _summaries(f"{prefix}.{key}" if prefix else str(key), item)


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (int, float, bool, str))


def _plain(value: object) -> str | None:
    """Render a scalar, a list of scalars or a dict of scalars on one line (else None)."""
    if _is_scalar(value):
        return format_number(value)
    if isinstance(value, list) and all(_is_scalar(v) for v in value):
        return "[" + ", ".join(format_number(v) for v in value) + "]"
    if isinstance(value, dict) and not _is_summary(value):
        parts = [(k, _plain(v)) for k, v in value.items()]
        if all(text is not None for _, text in parts):
            return ", ".join(f"{k} {text}" for k, text in parts)
    return None


def _headline(case: str, figures: Mapping[str, object]) -> str:
    keys = list(HEADLINES.get(case, ())) or list(CASE_FIGURES.get(case, ()))
    return "; ".join(f"{key} {format_number(figures.get(key))}" for key in keys) or "-"


def render_markdown(document: Mapping[str, object]) -> str:
    """Render the results as markdown: the headline table, then each case in detail.

    Parameters
    ----------
    document
        A results document (see :func:`build_document`).

    Returns
    -------
    str
        The markdown text.
    """
    machine = document.get("machine", {})
    versions = document.get("versions", {})
    run = document.get("run", {})
    cases = document.get("cases", {})
    assert isinstance(machine, dict)
    assert isinstance(versions, dict)
    assert isinstance(run, dict)
    assert isinstance(cases, dict)
    checks = {(check.target.case, check.target.figure): check for check in check_targets(cases)}
    lines = ["# sparkforge benchmark results", ""]
    lines.append(
        "Machine: " + ", ".join(f"{key} {format_number(value)}" for key, value in machine.items())
    )
    lines.append("")
    lines.append("Versions: " + ", ".join(f"{key} {value}" for key, value in versions.items()))
    lines.append("")
    lines.append("Run: " + ", ".join(f"{key} {format_number(value)}" for key, value in run.items()))
    runs = document.get("runs")
    if isinstance(runs, list) and runs:
        lines += ["", "Runs whose cases are here (each case says when it was measured):", ""]
        for record in runs:
            if isinstance(record, dict):
                lines.append("- " + ", ".join(f"{k} {_plain(v)}" for k, v in record.items()))
    lines += ["", "## Summary", ""]
    lines.append("| case | what | headline (median) | repetitions | target | met |")
    lines.append("|---|---|---|---|---|---|")
    for case, figures in cases.items():
        if not isinstance(figures, dict):
            continue
        own = [check for key, check in checks.items() if key[0] == case]
        target = "; ".join(f"{c.target.figure} {c.target}" for c in own) or "-"
        met = "; ".join(format_number(c.met) for c in own) or "-"
        lines.append(
            f"| {case} | {CASE_TITLES.get(case, case)} | {_headline(case, figures)} "
            f"| {format_number(figures.get('repetitions'))} | {target} | {met} |"
        )
    for case, figures in cases.items():
        if not isinstance(figures, dict):
            continue
        lines += ["", f"## {case}", ""]
        plain = [(k, _plain(v)) for k, v in figures.items() if k != "note"]
        for key, text in plain:
            if text is not None:
                lines.append(f"- {key}: {text}")
        if any(text is not None for _, text in plain):
            lines.append("")
        rows = list(_summaries("", {k: v for k, v in figures.items() if k != "note"}))
        if rows:
            lines.append("| measurement | median | q1 | q3 | min | max | mean | n |")
            lines.append("|---|---|---|---|---|---|---|---|")
            for label, summary in rows:
                cells = " | ".join(
                    format_number(summary.get(key))
                    for key in ("median", "q1", "q3", "min", "max", "mean", "n")
                )
                lines.append(f"| {label} | {cells} |")
            lines.append("")
        note = figures.get("note")
        if isinstance(note, str) and note:
            lines += [f"Note: {note}", ""]
    return "\n".join(lines).rstrip() + "\n"
