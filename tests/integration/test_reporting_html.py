"""render_html and LogWriter.render_html on a real Delta log: sections, marks, escaping, bytes.

The log (written to a path-based Delta table and read back) holds 45 days of three daily
pipelines: ``orders`` (x5 rows on the last day but one: anomalies), ``customers`` (failed
steps, failed runs, a quality drop in the detection window) and a pipeline whose name and
step are markup (``<script>...``), three times slower over the last week (a regression).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sparkforge.errors import ReportError, ValidationError
from sparkforge.reporting import render_html
from sparkforge.writer import LogWriter, WriterConfig
from sparkforge.writer.models import LOG_SCHEMA
from tests.analytics_logs import AS_OF, Fault, PipelineSpec, StepSpec, generate

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.reporting import HtmlReport

HOSTILE = "<script>alert(1)</script>"
HOSTILE_STEP = "$x</text><script>alert(2)</script>"
BEGIN = AS_OF - timedelta(days=45)
PIPELINES = (
    PipelineSpec(
        "orders",
        "daily",
        (
            StepSpec("orders_raw", "bronze", 10_000, 30.0, writes=False),
            StepSpec("orders_clean", "silver", 10_000, 60.0, 0.02),
        ),
        hour=2,
    ),
    PipelineSpec(
        "customers",
        "daily",
        (
            StepSpec("customers_raw", "bronze", 5_000, 15.0, writes=False),
            StepSpec("customers_dim", "silver", 5_000, 40.0),
        ),
        hour=12,
        fail_every=9,
        run_failure_every=13,
    ),
    PipelineSpec(HOSTILE, "daily", (StepSpec(HOSTILE_STEP, "gold", 100, 5.0),), hour=9),
)
SPIKE = datetime(2026, 3, 11, 2, tzinfo=timezone.utc)
FAULTS = (
    Fault("orders", "orders_clean", SPIKE, "volume", 5.0),
    Fault(
        "customers", "customers_dim", datetime(2026, 3, 10, 12, tzinfo=timezone.utc), "quality", 0.3
    ),
    *(
        Fault(
            HOSTILE, HOSTILE_STEP, datetime(2026, 3, day, 9, tzinfo=timezone.utc), "duration", 3.0
        )
        for day in range(5, 12)
    ),
)


@pytest.fixture(scope="module")
def log_path(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("html_log") / "log")
    rows = generate(PIPELINES, begin=BEGIN, end=AS_OF, faults=FAULTS)
    spark.createDataFrame(rows, LOG_SCHEMA).write.format("delta").save(path)
    return path


@pytest.fixture(scope="module")
def log_df(spark: SparkSession, log_path: str) -> DataFrame:
    return spark.read.format("delta").load(log_path)


@pytest.fixture(scope="module")
def rendered(log_df: DataFrame, tmp_path_factory: pytest.TempPathFactory) -> tuple[HtmlReport, str]:
    report = render_html(log_df, tmp_path_factory.mktemp("html") / "report.html", as_of=AS_OF)
    return report, Path(report.path).read_text(encoding="utf-8")


def _data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page)
    assert match is not None, "the page embeds its data as JSON"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def _charts(page: str) -> dict[str, str]:
    """Return each pipeline section's SVG, by the pipeline's (escaped) heading."""
    sections = re.findall(
        r'<details open id="pipeline-\d+" class="pipeline">\s*<summary><h3[^>]*>(.*?)</h3>'
        r".*?(<svg.*?</svg>)",
        page,
        flags=re.S,
    )
    return dict(sections)


def test_render_html_writes_every_section(rendered: tuple[HtmlReport, str]) -> None:
    report, page = rendered
    assert Path(report.path).stat().st_size == report.size_bytes > 0
    assert (report.pipelines, report.as_of) == (3, AS_OF)
    data = _data(page)
    assert report.runs == data["summary"]["runs"] > 100
    for section in ("overview", "timeline", "anomalies", "regressions", "pipelines"):
        assert f'id="{section}"' in page
    for section in ("failures", "rules", "quality"):
        assert f'<section id="{section}">' in page
    assert page.count("<svg") == 1 + 3  # the timeline, one figure per pipeline
    assert "As of 2026-03-12 06:00 UTC" in page
    customers = next(p for p in data["summary"]["pipelines"] if p["pipeline_name"] == "customers")
    assert customers["last_error_message"] in {"column not found", "source down"}
    assert f'<td class="error">{customers["last_error_message"]}</td>' in page
    assert "not_null" in page  # the most failing rules
    assert "duplicate_keys" in page
    assert "rate_mismatch" in page
    assert report.to_dict()["path"] == report.path


def test_render_html_marks_anomalies_on_their_charts(rendered: tuple[HtmlReport, str]) -> None:
    report, page = rendered
    anomalies = _data(page)["anomalies"]["anomalies"]
    assert report.anomalies == len(anomalies) > 0
    assert any(
        a["pipeline_name"] == "orders" and a["metric"] == "rows_written"
        and a["direction"] == "spike" and a["run_started_at"] == SPIKE.isoformat()
        for a in anomalies
    )  # fmt: skip
    charts = _charts(page)
    assert set(charts) == {"orders", "customers", "&lt;script&gt;alert(1)&lt;/script&gt;"}
    for name, chart in charts.items():
        mine = [
            a for a in anomalies if a["kind"] == "metric" and _escaped(a["pipeline_name"]) == name
        ]
        marks = re.findall(
            r'<g id="chart-\d+-anomaly-(\w+)-(spike|drop)">(.*?)</g>', chart, flags=re.S
        )
        drawn = {(metric, direction): body.count("<use") for metric, direction, body in marks}
        # Drawn: run series of duration and rows written, step series of the other two.
        run_level = {"duration_secs", "rows_written"}
        step_level = {"invalid_rows", "validation_rate"}
        expected: dict[tuple[str, str], int] = {}
        for a in mine:
            charted = (a["metric"] in run_level and a["step"] is None) or (
                a["metric"] in step_level and a["step"] is not None
            )
            if charted:
                key = (a["metric"], a["direction"])
                expected[key] = expected.get(key, 0) + 1
        assert drawn == expected, name


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_render_html_calls_out_regressions(rendered: tuple[HtmlReport, str]) -> None:
    report, page = rendered
    regressions = _data(page)["regressions"]
    assert report.regressions == len(regressions) >= 1
    assert {r["pipeline_name"] for r in regressions} == {HOSTILE}
    assert 'class="regression"' in page
    assert "REGRESSED" in _charts(page)["&lt;script&gt;alert(1)&lt;/script&gt;"]


def test_render_html_escapes_every_value_from_the_log(rendered: tuple[HtmlReport, str]) -> None:
    _, page = rendered
    assert HOSTILE not in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # HTML tables and the SVG text
    assert "$x&lt;/text&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page  # a legend in SVG
    data_block = page.split('id="report-data">', 1)[1]
    assert "\\u003cscript\\u003e" in data_block  # tojson escapes < and >
    assert page.count("<script") == 1  # the JSON data block only: nothing runs


def test_render_html_is_byte_reproducible(
    log_df: DataFrame, rendered: tuple[HtmlReport, str], tmp_path: Path
) -> None:
    first, _ = rendered
    again = render_html(log_df, tmp_path / "again.html", as_of=AS_OF)
    assert Path(again.path).read_bytes() == Path(first.path).read_bytes()


def test_render_html_since_and_as_of_bound_the_runs_shown(
    log_df: DataFrame, rendered: tuple[HtmlReport, str], tmp_path: Path
) -> None:
    since, as_of = AS_OF - timedelta(days=30), AS_OF - timedelta(days=20)
    report = render_html(log_df, tmp_path / "window.html", since=since, as_of=as_of)
    page = Path(report.path).read_text(encoding="utf-8")
    assert "As of 2026-02-20 06:00 UTC; runs started since 2026-02-10 06:00 UTC" in page
    summary = _data(page)["summary"]
    assert summary["first_run_at"] >= since.isoformat()  # since's effect
    assert summary["last_run_at"] <= as_of.isoformat()  # as_of's effect
    assert 0 < report.runs < rendered[0].runs
    assert report.as_of == as_of


@pytest.fixture(scope="module")
def orders_only(log_df: DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    report = render_html(
        log_df, tmp_path_factory.mktemp("orders") / "orders.html", pipeline_name="orders",
        as_of=AS_OF,
    )  # fmt: skip
    assert report.pipelines == 1
    return Path(report.path)


def test_render_html_pipeline_name_keeps_only_those(orders_only: Path) -> None:
    page = orders_only.read_text(encoding="utf-8")
    assert list(_charts(page)) == ["orders"]
    assert "customers" not in page
    assert "&lt;script&gt;" not in page
    assert "pipelines: orders" in page


def test_render_html_unknown_pipeline_gives_an_empty_valid_report(
    log_df: DataFrame, tmp_path: Path
) -> None:
    target = tmp_path / "none.html"
    target.write_text("an older report", encoding="utf-8")
    report = render_html(log_df, target, pipeline_name="nope", as_of=AS_OF)
    page = target.read_text(encoding="utf-8")
    assert (report.pipelines, report.runs, report.anomalies) == (0, 0, 0)
    assert page.count("No run in this window.") >= 2
    assert "<svg" not in page
    assert page.startswith("<!DOCTYPE html>")  # the older file replaced
    assert page.rstrip().endswith("</html>")
    assert [p.name for p in tmp_path.iterdir()] == ["none.html"]  # no temporary file left


def test_render_html_bad_input_gives_sparkforge_errors(
    spark: SparkSession, log_df: DataFrame, tmp_path: Path
) -> None:
    with pytest.raises(ReportError) as missing_folder:
        render_html(log_df, tmp_path / "missing" / "r.html", as_of=AS_OF)
    assert missing_folder.value.code == "REPORT_RENDER_FAILED"
    with pytest.raises(ReportError) as directory:
        render_html(log_df, tmp_path, as_of=AS_OF)
    assert directory.value.code == "REPORT_RENDER_FAILED"
    with pytest.raises(ValidationError) as not_a_log:
        render_html(spark.range(3), tmp_path / "r.html", as_of=AS_OF)
    assert not_a_log.value.code == "ANALYSIS_LOG_INVALID"
    with pytest.raises(ValidationError) as naive:
        render_html(log_df, tmp_path / "r.html", since=datetime(2026, 1, 1))
    assert naive.value.code == "ANALYSIS_ARGUMENT_INVALID"
    assert not (tmp_path / "r.html").exists()


def test_writer_render_html_answers_as_its_clock(
    spark: SparkSession, log_df: DataFrame, orders_only: Path, tmp_path: Path
) -> None:
    path = str(tmp_path / "writer_log")
    writer = LogWriter(spark, WriterConfig(table_path=path), clock=lambda: AS_OF)
    writer.create_table()
    log_df.write.format("delta").mode("append").save(path)
    report = writer.render_html(str(tmp_path / "writer.html"), pipeline_name="orders")
    assert report.as_of == AS_OF
    assert report.pipelines == 1
    # The method reads its table and delegates: the same bytes as the function's report.
    assert Path(report.path).read_bytes() == orders_only.read_bytes()
    with pytest.raises(ValidationError) as bad:
        writer.render_html(str(tmp_path / "w.html"), since="yesterday")  # type: ignore[arg-type]
    assert bad.value.code == "ANALYSIS_ARGUMENT_INVALID"
