"""Post what the log's checks found to a webhook (Slack-compatible JSON), for alerting.

An `Alert` is built from a result without any I/O (`anomaly_alert`,
`quality_alert`); `alert_payload` is the JSON body: Slack's ``{"text": ...}``
summary plus the structured findings under ``"sparkforge"``, so a Slack incoming webhook shows
the text and any other receiver can read the findings. `post_alert` sends it with the
standard library (``urllib``) and raises ``NotificationError`` ``NOTIFY_FAILED`` when the
endpoint refuses, times out or answers anything but 2xx.

Webhook URLs often carry a secret in their path (Slack's do): errors and results name only
the URL's scheme and host.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sparkforge._result import Result, json_safe
from sparkforge.errors import NotificationError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sparkforge.reporting.anomalies import AnomalyReport
    from sparkforge.validation import DataQualityResult

__all__ = [
    "Alert",
    "DEFAULT_NOTIFY_TIMEOUT",
    "DEFAULT_TEXT_FINDINGS",
    "NotifyResult",
    "alert_payload",
    "anomaly_alert",
    "check_webhook_url",
    "post_alert",
    "quality_alert",
    "redact_url",
]

#: Seconds to wait for the webhook to answer.
DEFAULT_NOTIFY_TIMEOUT = 10.0

#: Findings spelled out in the text summary; the rest are counted (all are in the findings).
DEFAULT_TEXT_FINDINGS = 10

_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert(Result):
    """What one check found, ready to post.

    Parameters
    ----------
    kind
        ``"anomalies"`` or ``"quality"``.
    source
        The log table the findings are about.
    text
        The human summary (Slack's ``text``).
    findings
        Each finding as JSON-safe data.

    Examples
    --------
    >>> alert = Alert(kind="quality", source="ops.log", text="all good", findings=())
    >>> alert_payload(alert)["text"]
    'all good'
    """

    kind: str
    source: str
    text: str
    findings: tuple[Mapping[str, object], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NotifyResult(Result):
    """A delivered alert: where (scheme and host only), the HTTP status and the findings."""

    url: str
    status: int
    findings: int


def redact_url(url: str) -> str:
    """Return ``url`` without its path, query and credentials (they may hold a secret).

    Examples
    --------
    >>> redact_url("https://hooks.slack.com/services/T000/B000/XXXX")
    'https://hooks.slack.com/...'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/..." if parts.scheme else "(no URL)"


def check_webhook_url(url: str, *, findings: int = 0) -> str:
    """Return ``url`` if it is an http(s) URL with a host.

    Raises
    ------
    NotificationError
        ``NOTIFY_FAILED`` for another scheme (``file:`` ...) or a URL without a host.
    """
    given: object = url
    text = given if isinstance(given, str) else ""
    parts = urlsplit(text)
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
        raise NotificationError(
            "NOTIFY_FAILED",
            {
                "findings": str(findings),
                "url": redact_url(text) if text else repr(given),
                "reason": "expected an http:// or https:// URL with a host",
            },
        )
    return url


def _summary(kind: str, source: str, count: int, lines: list[str], limit: int) -> str:
    head = f"sparkforge {kind} on {source}: {count} finding(s)"
    shown = [f"• {line}" for line in lines[:limit]]
    more = len(lines) - limit
    if more > 0:
        shown.append(f"… and {more} more")
    return "\n".join([head, *shown])


def anomaly_alert(
    report: AnomalyReport, *, source: str, text_findings: int = DEFAULT_TEXT_FINDINGS
) -> Alert:
    """Return the alert of an anomaly report: one finding per anomaly (late pipelines too).

    Parameters
    ----------
    report
        What ``detect_anomalies`` found.
    source
        The log table, named in the text.
    text_findings
        How many anomalies the text spells out.
    """
    lines = []
    for a in report.anomalies:
        where = a.pipeline_name if a.step is None else f"{a.pipeline_name}/{a.step}"
        lines.append(
            f"{where} {a.metric} {a.direction}: {a.value:g} (expected {a.expected:g}, "
            f"range {a.lower:g}..{a.upper:g}), run {a.run_id} at {a.run_started_at.isoformat()}"
        )
    text = _summary("anomalies", source, len(lines), lines, text_findings)
    text += f"\nas of {report.as_of.isoformat()}"
    return Alert(
        kind="anomalies",
        source=source,
        text=text,
        findings=tuple(a.to_dict() for a in report.anomalies),
    )


def quality_alert(
    result: DataQualityResult, *, source: str, text_findings: int = DEFAULT_TEXT_FINDINGS
) -> Alert:
    """Return the alert of the log's data-quality checks: one finding per failing check."""
    failing = [check for check in result.checks if not check.passed]
    lines = [
        f"{check.name}: {check.failed_rows} of {result.total_rows} row(s) fail "
        f"({check.description})"
        for check in failing
    ]
    findings: list[Mapping[str, object]] = []
    for check in failing:
        data = json_safe(check)
        if isinstance(data, dict):
            findings.append(data)
    return Alert(
        kind="quality",
        source=source,
        text=_summary("data-quality checks", source, len(lines), lines, text_findings),
        findings=tuple(findings),
    )


def alert_payload(alert: Alert) -> dict[str, object]:
    """Return the JSON body posted: Slack's ``text`` and the structured findings."""
    return {
        "text": alert.text,
        "sparkforge": {
            "kind": alert.kind,
            "source": alert.source,
            "findings": [dict(f) for f in alert.findings],
        },
    }


def post_alert(alert: Alert, url: str, *, timeout: float = DEFAULT_NOTIFY_TIMEOUT) -> NotifyResult:
    """POST the alert's JSON to ``url``; succeed only on a 2xx answer.

    Parameters
    ----------
    alert
        What to post (`alert_payload` is the body).
    url
        The webhook, ``http://`` or ``https://``.
    timeout
        Seconds to wait for the connection and the answer.

    Returns
    -------
    NotifyResult
        The status the endpoint answered.

    Raises
    ------
    NotificationError
        ``NOTIFY_FAILED`` for a URL that is not http(s), a refused connection, a timeout,
        or a non-2xx answer; the message names the URL's host only.

    Examples
    --------
    ```python
    report = writer.detect_anomalies()
    if report.anomalies:
        post_alert(anomaly_alert(report, source=str(writer.table)), webhook_url)
    ```
    """
    count = len(alert.findings)
    check_webhook_url(url, findings=count)
    body = json.dumps(alert_payload(alert), allow_nan=False).encode("utf-8")
    request = urllib.request.Request(  # the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "sparkforge"},
    )
    try:
        # check_webhook_url (above) admits only http and https URLs: B310 is waived here.
        with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise _failed(count, url, f"the endpoint answered HTTP {exc.code}") from exc
    except TimeoutError as exc:
        raise _failed(count, url, f"no answer within {timeout:g} s") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError):
            raise _failed(count, url, f"no answer within {timeout:g} s") from exc
        raise _failed(count, url, f"the endpoint could not be reached ({reason})") from exc
    if not 200 <= status < 300:
        raise _failed(count, url, f"the endpoint answered HTTP {status}")
    return NotifyResult(url=redact_url(url), status=status, findings=count)


def _failed(count: int, url: str, reason: str) -> NotificationError:
    return NotificationError(
        "NOTIFY_FAILED", {"findings": str(count), "url": redact_url(url), "reason": reason}
    )
