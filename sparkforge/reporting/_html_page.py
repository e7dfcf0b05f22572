"""The HTML report's page: the analytics' answers as template values, rendered by Jinja2.

`page_context` turns `ReportFacts` into plain
values (strings, numbers, lists, dicts; pure, no Spark): the template only lays them out, and
Jinja2 escapes every one of them (autoescaping is always on). The charts are the one piece of
markup that goes in as is: SVG written by matplotlib, which escapes the text it holds. The
answers also go in whole as JSON (``<script type="application/json">``, escaped by Jinja's
``tojson``) for tools reading the page.
"""

from __future__ import annotations

from datetime import timezone
from typing import TYPE_CHECKING, Any

from sparkforge.reporting._html_charts import pipeline_svg, timeline_svg

if TYPE_CHECKING:
    from datetime import datetime

    from sparkforge.reporting._html_data import ReportFacts
    from sparkforge.reporting._summary_results import PipelineSummary

__all__ = ["page_context", "render_page", "TEMPLATE", "TOP_RULES"]

#: The template's name in ``sparkforge/reporting/templates``.
TEMPLATE = "report.html"
#: How many failing rules the report lists. The summary is asked for as many per step, so the
#: log-wide top is exact (a rule in the overall top N is in its own step's top N).
TOP_RULES = 10
_LATEST_FAILURES = 20


def _instant(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    if abs(value) >= 1000:
        return f"{value:,.0f}{unit}"
    return f"{value:,.2f}{unit}"


def _pipeline_row(pipeline: PipelineSummary, anomalies: int, regressed: int) -> dict[str, Any]:
    return {
        "name": pipeline.pipeline_name,
        "runs": _number(pipeline.runs),
        "succeeded": _number(pipeline.succeeded_runs),
        "failed": _number(pipeline.failed_runs),
        "success_rate": _number(pipeline.success_rate, " %"),
        "p50": _number(pipeline.run_duration_p50_secs, " s"),
        "p95": _number(pipeline.run_duration_p95_secs, " s"),
        "rows_written": _number(pipeline.rows_written),
        "validation": _number(pipeline.mean_validation_rate, " %"),
        "last_status": pipeline.last_status or "-",
        "last_run": _instant(pipeline.last_run_at),
        "anomalies": anomalies,
        "regressed": regressed,
    }


def page_context(facts: ReportFacts) -> dict[str, Any]:
    """Return the template's values: every figure as the analytics gave it, formatted.

    Examples
    --------
    >>> _number(1234567), _number(99.456, " %"), _number(None)
    ('1,234,567', '99.46 %', '-')
    """
    summary, found = facts.summary, facts.anomalies.anomalies
    series = [s for report in facts.trends for s in report.series]
    regressions = [s for report in facts.trends for s in report.regressions]
    names = [p.pipeline_name for p in summary.pipelines]
    pipelines = []
    for index, pipeline in enumerate(summary.pipelines, start=1):
        name = pipeline.pipeline_name
        mine = [a for a in found if a.pipeline_name == name]
        regressed = [s for s in regressions if s.pipeline_name == name]
        pipelines.append(
            {
                **_pipeline_row(pipeline, len(mine), len(regressed)),
                "chart": pipeline_svg(name, series, found, chart_id=f"chart-{index}"),
                "regressions": [
                    f"{s.step or '(run)'} {s.metric}: recent median x"
                    f"{_number(s.regression_ratio)} the baseline's"
                    for s in regressed
                ],
            }
        )
    failures = sorted(
        (p for p in summary.pipelines if p.last_failed_at is not None),
        key=lambda p: (p.last_failed_at, p.pipeline_name),
        reverse=True,
    )
    rules = sorted(
        (
            (rule, pipeline.pipeline_name, step.step)
            for pipeline in summary.pipelines
            for step in pipeline.steps
            for rule in step.top_failing_rules
        ),
        key=lambda item: (
            -item[0].failed_rows,
            -item[0].runs,
            item[1],
            item[2] or "",
            item[0].rule,
        ),
    )
    return {
        "title": "sparkforge run report",
        "as_of": _instant(facts.as_of),
        "since": _instant(facts.since) if facts.since is not None else "the first run",
        "filter": list(facts.pipeline_filter),
        "totals": {
            "pipelines": len(summary.pipelines),
            "runs": _number(summary.runs),
            "rows": _number(summary.rows),
            "first_run": _instant(summary.first_run_at),
            "last_run": _instant(summary.last_run_at),
            "anomalies": len(found),
            "regressions": len(regressions),
            "quality": "passed" if facts.quality.passed else "failed",
        },
        "timeline": timeline_svg(facts.runs, names) if names else None,
        "pipelines": pipelines,
        "anomalies": [
            {
                "started": _instant(a.run_started_at),
                "pipeline": a.pipeline_name,
                "step": a.step or "(run)",
                "metric": a.metric,
                "direction": a.direction,
                "value": _number(a.value),
                "expected": _number(a.expected),
                "range": f"{_number(a.lower)} .. {_number(a.upper)}",
                "run_id": a.run_id,
            }
            for a in found
        ],
        "regressions": [
            {
                "pipeline": s.pipeline_name,
                "step": s.step or "(run)",
                "metric": s.metric,
                "ratio": _number(s.regression_ratio),
                "change": _number(s.change_pct, " %"),
                "samples": f"{s.recent_samples} recent / {s.baseline_samples} baseline",
            }
            for s in regressions
        ],
        "failures": [
            {
                "pipeline": p.pipeline_name,
                "failed_at": _instant(p.last_failed_at),
                "failed_runs": _number(p.failed_runs),
                "error": p.last_error_message or "(no error message recorded)",
            }
            for p in failures[:_LATEST_FAILURES]
        ],
        "rules": [
            {
                "pipeline": name,
                "step": step or "-",
                "rule": rule.rule,
                "column": rule.column or "-",
                "failed_rows": _number(rule.failed_rows),
                "runs": _number(rule.runs),
            }
            for rule, name, step in rules[:TOP_RULES]
        ],
        "quality": {
            "rows": _number(facts.quality.total_rows),
            "checks": [
                {
                    "name": c.name,
                    "description": c.description,
                    "failed_rows": _number(c.failed_rows),
                    "passed": c.passed,
                }
                for c in facts.quality.checks
            ],
        },
        "data": {
            "summary": summary.to_dict(),
            "anomalies": facts.anomalies.to_dict(),
            "regressions": [s.to_dict() for s in regressions],
        },
    }


def render_page(context: dict[str, Any]) -> str:
    """Render the template with ``context``; Jinja2 autoescaping is on for every value.

    Raises
    ------
    ImportError
        When Jinja2 (or markupsafe) is not installed; the caller names the extra.
    """
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
    from markupsafe import Markup

    environment = Environment(
        loader=PackageLoader("sparkforge.reporting", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    values = dict(context)
    # The charts are markup by design (matplotlib's SVG, its text escaped by matplotlib):
    # the two Markup calls below wrap only that SVG, never a value from the log.
    if values.get("timeline") is not None:
        values["timeline"] = Markup(values["timeline"])  # nosec B704
    values["pipelines"] = [
        {**p, "chart": Markup(p["chart"])}  # nosec B704
        for p in values["pipelines"]
    ]
    return environment.get_template(TEMPLATE).render(values)
