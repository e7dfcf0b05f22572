"""Render the HTML run report of a generated log, measure it and screenshot it for the docs.

Run from the repository root (Java 17+, the Delta JARs and ``make browser``'s Chromium)::

    python -m scripts.report_screenshot                       # docs/img/report.png
    python -m scripts.report_screenshot --pipelines 20 --days 90 --no-screenshot

The default log is the analytics tests' standard scenario (tests/analytics_logs.py: four
pipelines over 75 days, hourly and daily, with failures and injected faults). With
``--pipelines N`` it is N daily pipelines of three steps over ``--days`` days, every third one
failing now and then, with a volume spike and a quality drop in the last two days. The log is
written to a Delta table in a temporary folder, read back, and the report rendered as of the
scenario's instant; the script prints the report's ``to_dict()`` (its measured size included)
and the seconds the render took.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _rows(pipelines: int, days: int) -> list[dict[str, Any]]:
    from tests.analytics_logs import AS_OF, Fault, PipelineSpec, StepSpec, generate, scenario

    if pipelines == 0:
        return scenario()
    specs = []
    faults = []
    for index in range(pipelines):
        name = f"pipeline_{index + 1:02d}"
        specs.append(
            PipelineSpec(
                name,
                "daily",
                (
                    StepSpec(f"{name}_raw", "bronze", 10_000 + 500 * index, 20.0, writes=False),
                    StepSpec(f"{name}_clean", "silver", 10_000 + 500 * index, 45.0, 0.02),
                    StepSpec(f"{name}_daily", "gold", 800, 12.0, 0.0),
                ),
                hour=index % 24,
                fail_every=9 if index % 3 == 0 else 0,
            )
        )
        day = AS_OF - timedelta(days=1 + index % 2)
        start = day.replace(hour=index % 24, minute=0, second=0, microsecond=0)
        if start > AS_OF - timedelta(days=2):
            kind, factor = ("volume", 4.0) if index % 2 else ("quality", 0.2)
            faults.append(Fault(name, f"{name}_clean", start, kind, factor))
    return generate(
        tuple(specs), begin=AS_OF - timedelta(days=days), end=AS_OF, faults=tuple(faults)
    )


def _screenshot(html: Path, png: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2400})
            page.route(
                "**/*",
                lambda route, request: (
                    route.continue_() if request.url == html.as_uri() else route.abort()
                ),
            )
            page.goto(html.as_uri(), wait_until="load")
            png.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(png))
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    """Render, measure and screenshot; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipelines", type=int, default=0, help="0: the standard scenario")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--html", type=Path, default=None, help="where to keep the report")
    parser.add_argument("--png", type=Path, default=Path("docs/img/report.png"))
    parser.add_argument("--no-screenshot", action="store_true")
    options = parser.parse_args(argv)

    from examples.local_spark import local_delta_session
    from sparkforge.reporting import render_html
    from sparkforge.writer.models import LOG_SCHEMA
    from tests.analytics_logs import AS_OF

    with tempfile.TemporaryDirectory(prefix="sparkforge-report-") as work:
        spark = local_delta_session("report-screenshot", work_dir=Path(work))
        try:
            rows = _rows(options.pipelines, options.days)
            path = str(Path(work) / "log")
            spark.createDataFrame(rows, LOG_SCHEMA).write.format("delta").save(path)
            html = options.html or Path(work) / "report.html"
            started = time.perf_counter()
            report = render_html(spark.read.format("delta").load(path), html, as_of=AS_OF)
            seconds = time.perf_counter() - started
        finally:
            spark.stop()
        result = {**report.to_dict(), "log_rows": len(rows), "render_secs": round(seconds, 1)}
        print(json.dumps(result, indent=2))
        if not options.no_screenshot:
            _screenshot(Path(report.path), options.png)
            print(f"screenshot: {options.png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
