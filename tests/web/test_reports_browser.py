"""The report queue in headless Chromium: log in, see the accounts ranked (linked money first),
read a row's reports, open a case from it and find the reports beside the linked payer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bantay.web.settings import WebSettings

from .conftest import PASSWORD, SECRET
from .test_browser import ARGS, CHROMIUM, served
from .test_reports_triage import PAYER, report_ws  # noqa: F401 (the fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not found"),
]


@pytest.fixture
def server(report_ws: tuple[Path, str]) -> Iterator[str]:  # noqa: F811
    settings = WebSettings(workspace=report_ws[0], secret_key=SECRET)  # type: ignore[arg-type]
    with served(settings) as url:
        yield url


def test_report_queue_to_case(server: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server}/reports")
            page.fill("#username", "ana")
            page.fill("#password", PASSWORD)
            page.click("#login-button")
            page.wait_for_url("**/reports")
            rows = page.locator("tr.report-row")
            assert rows.count() == 3
            assert [rows.nth(i).get_attribute("data-account") for i in range(3)] == [
                "u1",
                "u3",
                "u2",
            ]
            first = rows.nth(0)
            assert "linked" in (first.get_attribute("class") or "")
            first.locator("summary").click()
            assert "report R-3" in first.locator("details").inner_text()
            page.click("#only-linked")
            page.wait_for_url("**/reports?linked=true")
            assert page.locator("tr.report-row").count() == 2
            page.locator("tr.report-row").nth(0).locator("form.open-case button").click()
            page.wait_for_url("**/cases/*")
            assert "Platform reports on u1" in page.locator("h1").inner_text()
            reports = page.locator("#case-reports").inner_text()
            assert "R-1" in reports and "R-3" in reports
            assert PAYER in page.locator("#members").inner_text()
            page.click(f"#members a[href='/entities/payer/{PAYER}']")
            page.wait_for_url(f"**/entities/payer/{PAYER}")
            assert "R-1" in page.locator("#platform-reports").inner_text()
        finally:
            browser.close()
