"""The reference client (bantay.client.report) against the app: receipts, safe retries, refusals."""

from __future__ import annotations

import urllib.error
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bantay.cases.db import open_workflow
from bantay.cases.models import PlatformReport
from bantay.client import ReportNotDelivered, ReportRefused, report
from bantay.reports.store import add_platform
from bantay.web.settings import WebSettings

BODY: dict[str, Any] = {
    "platform_report_id": "R-1",
    "category": "livestreamed_abuse",
    "reported_account": {"platform_user_id": "u123", "screen_name": "viewer9"},
    "payments": [{"wallet_id": "W-77", "amount": "25.00", "currency": "USD"}],
    "text": "report from the in-call button",
}


@pytest.fixture
def token(settings: WebSettings) -> str:
    with open_workflow(settings.workspace, settings.db_url()) as wf, wf.session() as db:
        return add_platform(db, settings.secret_key.get_secret_value(), "cli:t", "ExampleCall")[1]


def via(client: TestClient, fail_first: list[str]) -> Any:
    """A ``send`` through the test client; each entry of ``fail_first`` spoils one attempt:
    ``network`` (nothing sent), ``lost`` (sent and stored, the answer lost), ``503``."""

    def send(url: str, tok: str, data: bytes, timeout: float) -> tuple[int, dict[str, str], bytes]:
        mode = fail_first.pop(0) if fail_first else ""
        if mode == "network":
            raise urllib.error.URLError("connection refused")
        if mode == "503":
            return 503, {"Retry-After": "2"}, b'{"detail": "busy"}'
        r = client.post(
            "/api/reports",
            content=data,
            headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"},
        )
        if mode == "lost":
            raise TimeoutError("answer lost")
        return r.status_code, dict(r.headers), r.content

    return send


def n_reports(settings: WebSettings) -> int:
    with open_workflow(settings.workspace, settings.db_url()) as wf, wf.session() as db:
        return int(db.execute(select(func.count()).select_from(PlatformReport)).scalar_one())


def test_receipt(client: TestClient, token: str) -> None:
    got = report("http://x", token, BODY, send=via(client, []), sleep=lambda s: None)
    assert (got.status, got.http_status, got.platform_report_id) == ("received", 201, "R-1")


def test_retry_after_a_lost_answer_is_one_report(
    client: TestClient, token: str, settings: WebSettings
) -> None:
    waits: list[float] = []
    got = report(
        "http://x", token, BODY, send=via(client, ["lost", "503", "network"]), sleep=waits.append
    )
    assert got.status == "repeat" and got.http_status == 200
    assert n_reports(settings) == 1
    assert waits == [0.5, 2.0, 2.0]  # backoff, Retry-After beats a shorter backoff


def test_refusals_are_not_retried(client: TestClient, token: str) -> None:
    calls: list[str] = []

    def counting(*a: Any) -> tuple[int, dict[str, str], bytes]:
        calls.append("x")
        return via(client, [])(*a)  # type: ignore[no-any-return]

    with pytest.raises(ReportRefused) as exc:
        report("http://x", token, {**BODY, "category": "spam"}, send=counting, sleep=lambda s: None)
    assert exc.value.status == 422 and len(calls) == 1
    with pytest.raises(ReportRefused) as bad:
        report("http://x", "btp_nope", BODY, send=via(client, []), sleep=lambda s: None)
    assert bad.value.status == 401


def test_gives_up_after_the_attempts(client: TestClient, token: str) -> None:
    with pytest.raises(ReportNotDelivered, match="R-1"):
        report(
            "http://x",
            token,
            BODY,
            attempts=2,
            send=via(client, ["network", "network"]),
            sleep=lambda s: None,
        )
