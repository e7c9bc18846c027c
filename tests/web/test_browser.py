"""End to end in headless Chromium (Debian's package driven by Playwright): log in, open the queue,
open an entity, check that the chart and the graph rendered, record a decision, find it in the
audit log. Screenshots go to the test's tmp dir and to tests/web/output/ (ignored by git)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bantay.web.app import create_app
from bantay.web.settings import WebSettings

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
OUTPUT = Path(__file__).parent / "output"
PASSWORD = "correct horse battery"  # as in conftest.py

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium); "
        "CI (.ci/run) installs it",
    ),
]


@pytest.fixture
def server(settings: WebSettings) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    srv = uvicorn.Server(config)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(timeout=10)


def test_login_queue_entity_decision_audit(server: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    shots: list[Path] = []

    def shot(page: object, name: str) -> None:
        p = tmp_path / f"{len(shots):02d}-{name}.png"
        page.screenshot(path=str(p), full_page=True)  # type: ignore[attr-defined]
        shots.append(p)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server}/alerts")
            assert "/login" in page.url  # not logged in: sent to the login page
            page.fill("#username", "sam")
            page.fill("#password", PASSWORD)
            page.click("#login-button")
            page.wait_for_url("**/alerts")
            rows = page.locator("#queue tbody tr")
            assert rows.count() == 50
            shot(page, "queue")
            page.select_option("select[name=side]", "payer")
            page.click("#filters button[type=submit]")
            page.wait_for_url("**side=payer**")
            assert page.locator("#queue tbody tr").count() > 0
            page.goto(f"{server}/entities/payer/E000000000000")
            chart = page.locator("#money-chart")
            assert chart.is_visible() and page.locator("#money-chart rect.bar").count() > 10
            assert page.locator("#heatmap rect.cell").count() == 7 * 24
            assert page.locator("#heatmap-scale rect.swatch").count() >= 2
            graph = page.locator("#network-graph")
            assert graph.is_visible() and page.locator("#network-graph .node").count() > 5
            assert page.locator("#network-graph line.edge").count() > 5
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            page.locator("#network-graph .node").nth(1).hover()  # graph.js highlights
            assert page.locator("#network-graph .edge.hi").count() >= 1
            shot(page, "entity")
            page.fill("input[name=title]", "Payer E000000000000")
            page.click("#add-to-case")
            page.wait_for_url("**/cases/*")
            page.select_option("#decision", "needs_information")
            page.fill("#rationale", "Ask harbour_bank for the KYC file of this payer")
            page.click("#decide-button")
            page.wait_for_selector("#decisions >> text=needs_information")
            shot(page, "case")
            page.goto(f"{server}/audit?action=decision")
            row = page.locator("#audit tr", has_text="Ask harbour_bank for the KYC file")
            assert row.count() == 1 and "sam" in row.inner_text()
            assert "intact" in page.locator("#chain").inner_text()
            page.goto(f"{server}/audit?action=view")
            assert page.locator("#audit", has_text="payer:E000000000000").count() == 1
            shot(page, "audit")
        finally:
            browser.close()
    OUTPUT.mkdir(exist_ok=True)
    for p in shots:
        assert p.stat().st_size > 1000
        shutil.copy(p, OUTPUT / p.name)
