"""The HTML report in a real headless Chromium: charts drawn, no error, no request out.

Chromium is the OS's package (``make browser`` installs it at /usr/bin/chromium); Playwright
drives it and never downloads a browser. A missing Chromium fails the test, never skips it.
The screenshot is kept as a test artifact under the pytest tmp dir and copied to
``.cache/artifacts/report.png``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sparkforge.reporting._html_page import page_context, render_page
from tests.browser.sample_report import HOSTILE, sample_facts

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Request, Route

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACT = Path(__file__).resolve().parents[2] / ".cache" / "artifacts" / "report.png"
PIPELINES = ("orders", "customers", HOSTILE)


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render_page(page_context(sample_facts(PIPELINES))), encoding="utf-8")
    return path


def test_report_renders_offline_in_chromium(report_file: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make browser` to install it")
    from playwright.sync_api import sync_playwright

    url = report_file.as_uri()
    requests: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []  # an alert() run from the log's text would open one
    shot = tmp_path / "report.png"

    def route(route: Route, request: Request) -> None:
        requests.append(request.url)
        if request.url == url:
            route.continue_()
        else:
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", route)
            page.on("console", console)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            page.goto(url, wait_until="load")
            page.screenshot(path=str(shot), full_page=True)
            boxes = [svg.bounding_box() for svg in page.locator("svg").all()]
            title = page.title()
            heading = page.locator("#pipeline-3 h3").inner_text()
        finally:
            browser.close()
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, ARTIFACT)
    where = f"(screenshot: {shot}, copied to {ARTIFACT})"
    assert len(boxes) == 1 + len(PIPELINES), f"one timeline and one figure per pipeline {where}"
    for box in boxes:
        assert box is not None, f"an SVG chart is not rendered {where}"
        assert box["width"] > 300, f"an SVG chart is too narrow: {box} {where}"
        assert box["height"] > 100, f"an SVG chart is too flat: {box} {where}"
    assert errors == [], f"console errors {where}"
    assert requests == [url], f"only the file itself may be requested {where}"
    assert title.startswith("sparkforge run report"), where
    assert heading == HOSTILE, f"the hostile name is shown as text {where}"
    assert dialogs == [], f"a script from the log ran {where}"
    assert shot.stat().st_size > 10_000, f"the screenshot looks empty {where}"
