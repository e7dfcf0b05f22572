"""Alerts to a webhook: payloads built without I/O, and posting to a server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from sparkforge.errors import NotificationError
from sparkforge.reporting.anomalies import Anomaly, AnomalyReport
from sparkforge.reporting.notify import (
    Alert,
    alert_payload,
    anomaly_alert,
    check_webhook_url,
    post_alert,
    quality_alert,
    redact_url,
)
from sparkforge.validation import DataQualityCheck, DataQualityResult
from tests.cli._webhook import Webhook

AS_OF = datetime(2026, 3, 12, 6, tzinfo=timezone.utc)


def _anomaly(step: str | None, value: float) -> Anomaly:
    return Anomaly(
        kind="metric",
        pipeline_name="orders",
        step=step,
        run_id=f"run-{value:g}",
        run_started_at=datetime(2026, 3, 11, 2, tzinfo=timezone.utc),
        metric="rows_written",
        value=value,
        expected=3000.0,
        lower=2500.0,
        upper=3500.0,
        score=9.5,
        direction="spike",
        seasonality="day_of_week",
    )


def _report(*anomalies: Anomaly) -> AnomalyReport:
    return AnomalyReport(
        as_of=AS_OF,
        pipeline_name=(),
        metrics=("rows_written",),
        detection_days=2,
        training_days=28,
        sensitivity=3.0,
        seasonality="auto",
        min_training_runs=7,
        min_relative_change=0.1,
        direction="both",
        freshness=True,
        anomalies=anomalies,
        checked_points=10,
        checked_series=2,
        series=(),
        skipped=(),
    )


def test_anomaly_alert_text_and_findings() -> None:
    report = _report(_anomaly("orders_clean", 15000.0), _anomaly(None, 15500.0))
    alert = anomaly_alert(report, source="ops.runs")
    assert alert.kind == "anomalies"
    lines = alert.text.splitlines()
    assert lines[0] == "sparkforge anomalies on ops.runs: 2 finding(s)"
    assert lines[1].startswith("• orders/orders_clean rows_written spike: 15000 (expected 3000")
    assert lines[2].startswith("• orders rows_written spike: 15500")
    assert lines[-1] == "as of 2026-03-12T06:00:00+00:00"
    assert alert.findings == tuple(a.to_dict() for a in report.anomalies)
    payload = alert_payload(alert)
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    assert payload["sparkforge"] == {
        "kind": "anomalies",
        "source": "ops.runs",
        "findings": [a.to_dict() for a in report.anomalies],
    }


def test_anomaly_alert_text_counts_what_it_does_not_spell_out() -> None:
    report = _report(*(_anomaly("s", float(v)) for v in range(5000, 5012)))
    alert = anomaly_alert(report, source="t", text_findings=3)
    bullets = [line for line in alert.text.splitlines() if line.startswith("• ")]
    assert len(bullets) == 3
    assert "… and 9 more" in alert.text
    assert len(alert.findings) == 12


def test_anomaly_alert_of_nothing_has_no_findings() -> None:
    alert = anomaly_alert(_report(), source="t")
    assert alert.findings == ()
    assert "0 finding(s)" in alert.text


def test_quality_alert_lists_only_failing_checks() -> None:
    result = DataQualityResult(
        total_rows=10,
        checks=(
            DataQualityCheck(name="negative_counts", description="a count < 0", failed_rows=2),
            DataQualityCheck(name="required_nulls", description="nulls", failed_rows=0),
        ),
    )
    alert = quality_alert(result, source="ops.runs")
    assert alert.findings == (
        {"name": "negative_counts", "description": "a count < 0", "failed_rows": 2},
    )
    assert "• negative_counts: 2 of 10 row(s) fail (a count < 0)" in alert.text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/..."),
        ("http://user:pw@127.0.0.1:8080/x?token=1", "http://127.0.0.1:8080/..."),
        ("", "(no URL)"),
    ],
    ids=["slack", "credentials-and-port", "empty"],
)
def test_redact_url_keeps_scheme_and_host_only(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://host/x", "https://", "hooks.slack.com/x", None],
    ids=["file", "ftp", "no-host", "no-scheme", "none"],
)
def test_check_webhook_url_refuses(url: str) -> None:
    with pytest.raises(NotificationError) as caught:
        check_webhook_url(url, findings=3)
    assert caught.value.code == "NOTIFY_FAILED"
    assert caught.value.params["findings"] == "3"


_ALERT = Alert(kind="quality", source="ops.runs", text="1 finding", findings=({"name": "x"},))


def test_post_alert_delivers_the_payload() -> None:
    with Webhook() as hook:
        result = post_alert(_ALERT, hook.url, timeout=5)
    assert hook.bodies == [alert_payload(_ALERT)]
    assert hook.content_types == ["application/json"]
    assert result.status == 200
    assert result.findings == 1
    assert "SECRET" not in result.url


@pytest.mark.parametrize("status", [404, 500], ids=["not-found", "server-error"])
def test_post_alert_non_2xx_is_notify_failed(status: int) -> None:
    with Webhook(status=status) as hook, pytest.raises(NotificationError) as caught:
        post_alert(_ALERT, hook.url, timeout=5)
    assert caught.value.params["reason"] == f"the endpoint answered HTTP {status}"
    assert "SECRET" not in str(caught.value)


def test_post_alert_timeout_is_notify_failed() -> None:
    with Webhook(delay=2.0) as hook, pytest.raises(NotificationError) as caught:
        post_alert(_ALERT, hook.url, timeout=0.3)
    assert caught.value.params["reason"] == "no answer within 0.3 s"


def test_post_alert_refused_connection_is_notify_failed() -> None:
    with Webhook() as hook:
        url = hook.url
    with pytest.raises(NotificationError) as caught:
        post_alert(_ALERT, url, timeout=2)
    assert caught.value.params["reason"].startswith("the endpoint could not be reached")
    assert caught.value.params["url"].startswith("http://127.0.0.1:")
