"""End to end in headless Chromium (Debian's package driven by Playwright): a wrong password, the
queue, an entity (charts before the pair evidence, the heatmap's scale, the network), a case with
its narrative and decision, the audit log; triage (closings confirmed by a second supervisor),
search, the transaction explorer and a goAML export from a freshly started app. No page may answer
404 (the favicon included).

Screenshots go to the test's tmp dir and to tests/web/output/ (ignored by git); with
``BANTAY_SCREENSHOTS=DIR`` (``make screenshots``) the queue, entity and case views are also
written to DIR, where the README shows them, so they cannot drift from the app."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
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


#: the views the README shows (make screenshots)
README_SHOTS = {"queue": "queue.png", "entity": "entity.png", "case": "case.png"}


@contextmanager
def served(settings: WebSettings) -> Iterator[str]:
    """The app on a free port of 127.0.0.1 in a thread (uvicorn), its URL while the block runs."""
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
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        t.join(timeout=10)


@pytest.fixture
def server(settings: WebSettings, tmp_path: Path) -> Iterator[str]:
    # the reporting entity of a goAML export (the app starts with its settings file)
    fiu = tmp_path / "fiu.toml"
    fiu.write_text('[reporting_entity]\nrentity_id = 7\nreporting_user_code = "ANA01"\n')
    settings = settings.model_copy(update={"goaml_settings": fiu})

    with served(settings) as url:
        yield url


def _no_404(page: object, seen: list[str]) -> None:
    page.on(  # type: ignore[attr-defined]
        "response", lambda r: seen.append(r.url) if r.status == 404 else None
    )


def test_login_queue_entity_case_narrative_audit(server: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    shots: list[Path] = []
    readme: dict[str, Path] = {}

    def shot(page: object, name: str) -> None:
        p = tmp_path / f"{len(shots):02d}-{name}.png"
        page.screenshot(path=str(p), full_page=True)  # type: ignore[attr-defined]
        shots.append(p)
        if name in README_SHOTS:  # what fits a screen, from the top, for the README
            page.mouse.move(0, 0)  # type: ignore[attr-defined]
            page.locator("h1").scroll_into_view_if_needed()  # type: ignore[attr-defined]
            v = tmp_path / README_SHOTS[name]
            page.screenshot(path=str(v))  # type: ignore[attr-defined]
            readme[name] = v

    missing: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _no_404(page, missing)
            page.goto(f"{server}/alerts")
            assert "/login" in page.url  # not logged in: sent to the login page
            page.fill("#username", "sam")
            page.fill("#password", "not the password")
            page.click("#login-button")
            # a wrong password: the login page again, with what went wrong
            assert "wrong user name or password" in page.locator("#login-error").inner_text()
            page.fill("#password", PASSWORD)
            page.click("#login-button")
            page.wait_for_url("**/alerts")
            rows = page.locator("#queue tbody tr")
            assert rows.count() == 50
            assert page.locator("#queue tbody td.age").first.inner_text().endswith(" d")
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
            assert page.locator("#network-graph text.elabel").count() > 5
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            # the charts come before the pair evidence, which is folded; the records table stays
            # within its column
            evidence = page.locator("#resolution-evidence").bounding_box()
            assert evidence is not None and box["y"] < evidence["y"]
            assert page.locator("#resolution-evidence table").is_hidden()
            who = page.locator("#who").bounding_box()
            records = page.locator("#records").locator("xpath=..").bounding_box()
            assert who is not None and records is not None
            assert records["x"] + records["width"] <= who["x"] + who["width"] + 1
            page.locator("#network-graph .node").nth(1).hover()  # graph.js highlights
            assert page.locator("#network-graph .edge.hi").count() >= 1
            shot(page, "entity")
            page.fill("input[name=title]", "Payer E000000000000")
            page.click("#add-to-case")
            page.wait_for_url("**/cases/*")
            case_url = page.url
            name = page.locator("#members li a").first.inner_text()
            assert name and name != "E000000000000"  # members by name
            # the narrative: pre-filled from the evidence, edited, saved as version 1
            page.click("#edit-narrative")
            page.wait_for_url("**/narrative")
            draft = page.locator("#narrative").input_value()
            assert draft.startswith("WHO: ")
            page.fill("#narrative", draft + "\n\nNOTE: reviewed with the KYC file.")
            page.click("#save-narrative")
            page.wait_for_url(case_url)
            assert "reviewed with the KYC file" in page.locator("#narrative-text").inner_text()
            page.select_option("#decision", "needs_information")
            page.fill("#rationale", "Ask harbour_bank for the KYC file of this payer")
            page.click("#decide-button")
            page.wait_for_selector("#decisions >> text=needs_information")
            # nothing to close on, and no review of one's own decision
            assert page.locator("#close-form").count() == 0
            assert page.locator("#review-form").count() == 0
            shot(page, "case")
            page.goto(f"{server}/audit?action=decision")
            row = page.locator("#audit tr", has_text="Ask harbour_bank for the KYC file")
            assert row.count() == 1 and "sam" in row.inner_text()
            assert "intact" in page.locator("#chain").inner_text()
            page.goto(f"{server}/audit?action=view")
            assert page.locator("#audit", has_text="payer:E000000000000").count() >= 1
            shot(page, "audit")
            page.goto(f"{server}/docs")
            assert page.locator("#api-ops tr").count() > 20  # the API page, without a CDN
        finally:
            browser.close()
    assert missing == []
    OUTPUT.mkdir(exist_ok=True)
    for p in shots:
        assert p.stat().st_size > 1000
        shutil.copy(p, OUTPUT / p.name)
    target = os.environ.get("BANTAY_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for name, p in readme.items():
            shutil.copy(p, Path(target) / README_SHOTS[name])


def test_triage_search_explorer_and_goaml_export(server: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    missing: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            _no_404(page, missing)
            page.goto(f"{server}/login")
            page.fill("#username", "sam")
            page.fill("#password", PASSWORD)
            page.click("#login-button")
            page.wait_for_url("**/alerts")
            # bulk close two alerts with a reason code
            boxes = page.locator("#queue tbody input[name=alert_id]")
            boxes.nth(0).check()
            boxes.nth(1).check()
            page.select_option("#reason-code", "explained_family")
            page.click("#close-alerts-button")
            page.wait_for_url("**/alerts**")
            page.goto(f"{server}/alerts?triage=closed")
            assert page.locator("#queue tbody input[name=alert_id]").count() == 2
            # another supervisor confirms the two closings: they become training labels
            sue = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            _no_404(sue, missing)
            sue.goto(f"{server}/login")
            sue.fill("#username", "sue")
            sue.fill("#password", PASSWORD)
            sue.click("#login-button")
            sue.wait_for_url("**/alerts")
            sue.click("#awaiting-confirmation")
            sue.wait_for_url("**triage=awaiting_confirmation**")
            to_confirm = sue.locator("#queue tbody input[name=alert_id]")
            assert to_confirm.count() == 2
            to_confirm.nth(0).check()
            to_confirm.nth(1).check()
            sue.click("#confirm-closings-button")
            sue.wait_for_url("**triage=awaiting_confirmation**")
            assert sue.locator("#queue tbody input[name=alert_id]").count() == 0
            page.goto(f"{server}/alerts?triage=closed")
            assert page.locator("#queue .closing-confirmed").count() == 2
            # take one: it is in My queue
            page.goto(f"{server}/alerts?triage=open")
            page.locator("#queue tbody input[name=alert_id]").nth(0).check()
            page.click("#take-button")
            page.click("#my-queue")
            assert page.locator("h1").inner_text().startswith("My queue")
            assert page.locator("#queue tbody input[name=alert_id]").count() == 1
            # the search box of every page
            name = page.locator("#queue tbody a.entity-link").first.inner_text()
            page.fill("#global-search", name)
            page.press("#global-search", "Enter")
            page.wait_for_url("**/search?q=**")
            assert page.locator("#search-results a.entity-link", has_text=name).count() >= 1
            # the transaction explorer: the payments behind an indicator
            page.goto(f"{server}/entities/payer/E000000000000")
            page.locator("a.indicator-payments").first.click()
            page.wait_for_url("**/payments?indicator=**")
            rows = page.locator("#payments tr.behind")
            assert rows.count() > 0 and rows.count() == page.locator("#payments tr").count() - 1
            # a case, its evidence trimmed by one payment, exported as goAML from the page
            page.goto(f"{server}/entities/payer/E000000000000")
            page.fill("input[name=title]", "Explorer case")
            page.click("#add-to-case")
            page.wait_for_url("**/cases/*")
            page.click("#case-payments")
            page.wait_for_url("**/payments")
            before = page.locator("#payments .evidence-remove").count()
            removed = page.locator("#payments tr.chosen td").nth(7).inner_text().split(" · ")[1]
            page.locator("#payments .evidence-remove").first.click()
            page.wait_for_url("**/payments")
            assert page.locator("#payments .evidence-remove").count() == before - 1
            page.locator("h1 a").click()
            with page.expect_download() as dl:
                page.click("#export-goaml")
            xml = Path(dl.value.path()).read_bytes()
            numbers = {e.text for e in ET.fromstring(xml).iter("transactionnumber")}
            assert len(numbers) == before - 1 and removed not in numbers
        finally:
            browser.close()
    assert missing == []


def test_whole_flow_analyst_and_supervisor(server: str) -> None:
    """queue → entity → evidence → case → narrative → decision → review by another person →
    close → goAML, FinCEN, FtM and pack downloads, each carrying the case's narrative."""
    sync_api = pytest.importorskip("playwright.sync_api")
    missing: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            people = {}
            for name in ("ana", "sam"):
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                _no_404(page, missing)
                page.goto(f"{server}/login")
                page.fill("#username", name)
                page.fill("#password", PASSWORD)
                page.click("#login-button")
                page.wait_for_url("**/alerts")
                people[name] = page
            ana, sam = people["ana"], people["sam"]
            ana.fill("#filters input[name=q]", "E000000000002")  # a payer with 10 remittances
            ana.click("#filters button[type=submit]")
            ana.wait_for_url("**q=E000000000002**")
            ana.locator("#queue tbody a.entity-link").first.click()
            ana.wait_for_url("**/entities/**")
            ana.fill("input[name=title]", "Whole flow")
            ana.click("#add-to-case")
            ana.wait_for_url("**/cases/*")
            case_url = ana.url
            ana.click("#case-payments")
            ana.wait_for_url("**/payments")
            n_evidence = ana.locator("#payments tr.chosen").count()
            assert n_evidence > 0
            ana.goto(case_url)
            ana.click("#edit-narrative")
            ana.wait_for_url("**/narrative")
            text = "WHO: one payer.\n\nWHY: the analyst's own words for the whole flow."
            ana.fill("#narrative", text)
            ana.click("#save-narrative")
            ana.wait_for_url(case_url)
            ana.select_option("#decision", "confirmed")
            ana.fill("#rationale", "The payments and the narrative say why")
            ana.click("#decide-button")
            ana.wait_for_selector("#case-status >> text=pending_review")
            assert ana.locator("#close-form").count() == 0  # not before the review
            sam.goto(case_url)
            sam.select_option("#review-form select[name=approve]", "yes")
            sam.click("#review-form button[type=submit]")
            sam.wait_for_selector("#decisions >> text=approved by sam")
            ana.goto(case_url)
            ana.click("#close-button")
            ana.wait_for_selector("#case-status >> text=closed")
            sam.goto(case_url)
            got = {}
            for fmt in ("goaml", "fincen", "ftm", "pack"):
                with sam.expect_download() as dl:
                    sam.click(f"#export-{fmt}")
                got[fmt] = Path(dl.value.path()).read_bytes()
        finally:
            browser.close()
    assert missing == []
    reason = ET.fromstring(got["goaml"]).findtext("reason")
    assert reason == text
    assert len(list(ET.fromstring(got["goaml"]).iter("transaction"))) == n_evidence
    assert got["fincen"][:2] == b"PK"  # the zip of narrative and CSV
    assert b"own words for the whole flow" in got["pack"]
    entities = [json.loads(line) for line in got["ftm"].splitlines()]
    assert sum(e["schema"] == "Payment" for e in entities) == n_evidence
