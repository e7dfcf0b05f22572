"""The HTML report's pure pieces, without a JVM: charts, page, template escaping, errors."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from sparkforge.errors import ReportError, ValidationError
from sparkforge.reporting import HtmlReport, render_html
from sparkforge.reporting._html_charts import RunMark, pipeline_svg, timeline_svg
from sparkforge.reporting._html_page import page_context, render_page
from tests.browser.sample_report import AS_OF, HOSTILE, START, anomaly, sample_facts, series

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def page() -> str:
    return render_page(page_context(sample_facts()))


def test_pipeline_svg_escapes_the_names_it_draws() -> None:
    svg = pipeline_svg(HOSTILE, [series(HOSTILE, "$x</text><b>", "invalid_rows")], [])
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "<metadata>" not in svg
    assert HOSTILE not in svg
    assert "<b>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "$x&lt;/text&gt;&lt;b&gt;" in svg  # no mathtext: the dollar stays a dollar


def test_pipeline_svg_marks_anomalies_of_drawn_series_only() -> None:
    drawn = [series("p", None, "rows_written"), series("p", "clean", "validation_rate")]
    anomalies = [
        anomaly("p", None, "rows_written", "spike", 9),
        anomaly("p", None, "rows_written", "spike", 8),
        anomaly("p", "clean", "validation_rate", "drop", 7),
        anomaly("p", "other", "validation_rate", "drop", 7),
        anomaly("q", None, "rows_written", "drop", 7),
    ]
    svg = pipeline_svg("p", drawn, anomalies, chart_id="c9")
    groups = re.findall(r'<g id="c9-anomaly-(\w+)-(\w+)">(.*?)</g>', svg, flags=re.S)
    assert {(m, d): body.count("<use") for m, d, body in groups} == {
        ("rows_written", "spike"): 2,
        ("validation_rate", "drop"): 1,
    }


def test_pipeline_svg_calls_out_regressions() -> None:
    quiet = pipeline_svg("p", [series("p", None, "duration_secs")], [])
    loud = pipeline_svg("p", [series("p", None, "duration_secs", regressed=True)], [])
    assert "REGRESSED" not in quiet
    assert "REGRESSED: (run) (regressed)" in loud


def test_pipeline_svg_without_values_says_so() -> None:
    assert pipeline_svg("p", [], []).count("no values") == 4


def test_charts_are_byte_reproducible() -> None:
    drawn = [series("p", None, "rows_written")]
    found = [anomaly("p", None, "rows_written", "spike", 9)]
    assert pipeline_svg("p", drawn, found) == pipeline_svg("p", drawn, found)
    runs = [RunMark("p", "r1", START, "success"), RunMark("p", "r2", START, "failed")]
    assert timeline_svg(runs, ["p"]) == timeline_svg(runs, ["p"])


def test_timeline_svg_colours_runs_by_status() -> None:
    runs = [
        RunMark("a", "r1", START, "success"),
        RunMark("a", "r2", START + timedelta(days=1), "failed"),
        RunMark("b", "r3", START, "cancelled"),
        RunMark("c", "r4", START, "failed"),  # not a row: not drawn
    ]
    svg = timeline_svg(runs, ["a", "b"])
    assert "#2e7d32" in svg
    assert "#c62828" in svg
    assert "#757575" in svg
    assert ">cancelled<" in svg
    assert ">a<" in svg
    assert ">c<" not in svg
    assert "no runs" in timeline_svg([], ["a"])


def test_page_escapes_every_value_from_the_log(page: str) -> None:
    assert HOSTILE not in page
    assert "<b>bold</b>" not in page
    assert "<id>" not in page
    assert str(escape(HOSTILE)) in page
    assert "boom &lt;b&gt;bold&lt;/b&gt; &amp; more" in page
    assert "rate &lt;vs&gt; counts" in page
    assert page.count("<script") == 1  # only the JSON data block, whose < are escaped
    data = page.split('id="report-data">', 1)[1]
    assert "\\u003cscript\\u003e" in data
    assert "<script>alert" not in data


def test_page_has_every_section(page: str) -> None:
    for section in ("overview", "timeline", "anomalies", "regressions", "pipelines"):
        assert f'id="{section}"' in page
    for section in ("failures", "rules", "quality"):
        assert f'<section id="{section}">' in page
    assert page.count("<svg") == 2  # the timeline and the one pipeline's figure
    assert 'class="anomaly"' in page
    assert 'class="regression"' in page
    assert ">not_null<" in page
    assert ">&lt;id&gt;<" in page


def test_page_requests_nothing_from_the_network(page: str) -> None:
    assert not re.search(r"\b(src|href)\s*=\s*[\"'](?!#)", page)
    assert "<link" not in page
    assert "@import" not in page
    assert re.findall(r"url\((?!#)", page) == []


def test_page_is_byte_reproducible(page: str) -> None:
    assert render_page(page_context(sample_facts())) == page


def test_page_of_an_empty_window_is_valid_and_says_so() -> None:
    page = render_page(page_context(sample_facts(runs=0)))
    assert "<svg" not in page
    assert page.count("No run in this window.") >= 2
    assert page.rstrip().endswith("</html>")


def test_page_lists_the_most_failing_rules_first() -> None:
    facts = sample_facts()
    context = page_context(facts)
    assert [r["rule"] for r in context["rules"]] == ["not_null"]
    assert context["failures"][0]["error"] == "boom <b>bold</b> & more"  # escaped by Jinja


@settings(max_examples=40, deadline=None)
@given(name=st.text(min_size=1, max_size=30))
def test_template_escapes_any_text(name: str) -> None:
    # Fenced by marks the page never holds, so that a short text such as "<" (which the page's
    # own markup contains) is looked for only where the template put it.
    text = f"\u27e6{name}\u27e7"
    context: dict[str, Any] = page_context(sample_facts(runs=0))
    context["filter"] = [text]
    context["failures"] = [{"pipeline": text, "failed_at": "-", "failed_runs": "1", "error": text}]
    page = render_page(context)
    assert str(escape(text)) in page
    if "<" in name:
        assert text not in page


def test_render_html_checks_every_argument_before_spark(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        render_html(
            object(),  # type: ignore[arg-type]
            "",
            pipeline_name=3,  # type: ignore[arg-type]
            since=datetime(2026, 1, 1),
            as_of="now",  # type: ignore[arg-type]
        )
    assert caught.value.code == "ANALYSIS_ARGUMENT_INVALID"
    assert {p.path for p in caught.value.problems} == {"path", "pipeline_name", "since", "as_of"}
    with pytest.raises(ValidationError) as late:
        render_html(object(), tmp_path / "r.html", since=AS_OF, as_of=START)  # type: ignore[arg-type]
    assert [p.path for p in late.value.problems] == ["since"]


def test_render_html_bad_target_fails_before_spark(tmp_path: Path) -> None:
    log: Any = object()  # never read: the target is checked first
    with pytest.raises(ReportError) as missing:
        render_html(log, tmp_path / "nowhere" / "r.html", as_of=AS_OF)
    assert missing.value.code == "REPORT_RENDER_FAILED"
    assert missing.value.params["target"] == str(tmp_path / "nowhere" / "r.html")
    with pytest.raises(ReportError) as directory:
        render_html(log, tmp_path, as_of=AS_OF)
    assert directory.value.params["reason"] == "it is a directory"


def test_render_html_write_failure_is_a_report_error(tmp_path: Path) -> None:
    from sparkforge.reporting.html_report import _write

    with pytest.raises(ReportError) as caught:
        _write(str(tmp_path / ("x" * 300 + ".html")), "<html></html>")
    assert caught.value.code == "REPORT_RENDER_FAILED"
    assert list(tmp_path.iterdir()) == []  # the temporary file is removed


@pytest.mark.parametrize("package", ["jinja2", "matplotlib"], ids=["jinja2", "matplotlib"])
def test_render_html_without_its_packages_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, package: str
) -> None:
    monkeypatch.setitem(sys.modules, package, None)
    with pytest.raises(ReportError) as caught:
        render_html(object(), tmp_path / "r.html", as_of=AS_OF)  # type: ignore[arg-type]
    assert caught.value.code == "OPTIONAL_DEPENDENCY_MISSING"
    assert "sparkforge[report]" in str(caught.value)
    assert package in str(caught.value)


def test_html_report_to_dict_is_json_safe() -> None:
    report = HtmlReport("/tmp/r.html", 10, 1, 2, 3, 0, AS_OF)
    assert report.to_dict() == {
        "path": "/tmp/r.html", "size_bytes": 10, "pipelines": 1, "runs": 2, "anomalies": 3,
        "regressions": 0, "as_of": "2026-03-12T06:00:00+00:00",
    }  # fmt: skip
