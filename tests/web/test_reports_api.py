"""POST /api/reports: platform tokens, the schema's 422s, size and type limits, repeats, rate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bantay.cases.db import open_workflow
from bantay.cases.models import AuditEntry, PlatformReport
from bantay.reports.store import add_platform, revoke_platform
from bantay.web.app import create_app
from bantay.web.settings import WebSettings

#: the issue's minimal report, field names as they must be
MINIMAL: dict[str, Any] = {
    "platform_report_id": "R-1",
    "category": "livestreamed_abuse",
    "reported_account": {"platform_user_id": "u123", "screen_name": "viewer9"},
    "payments": [{"wallet_id": "W-77", "amount": "25.00", "currency": "USD"}],
    "text": "report from the in-call button",
}

FULL: dict[str, Any] = {
    "platform_report_id": "R-2",
    "platform": "ExampleCall",
    "category": "child_sex_trafficking",
    "reporter_type": "moderator",
    "received_at": "2026-01-05T13:05:00+00:00",
    "incident_at": "2026-01-05T13:02:11+00:00",
    "ongoing": True,
    "reported_account": {
        "platform_user_id": "u123",
        "screen_name": "viewer9",
        "profile_url": "https://call.example/u/u123",
        "country": "AU",
        "ip_events": [
            {"ip": "192.0.2.1", "type": "login", "at": "2026-01-05T12:40:00Z"},
            {"ip": "192.0.2.7", "type": "purchase", "at": "2026-01-05T12:58:00Z"},
        ],
    },
    "session": {
        "session_id": "session-8f3a",
        "client": "ExampleCall",
        "start": "2026-01-05T12:59:00Z",
        "participants": ["u123", "u900"],
    },
    "payments": [
        {
            "card_token": "tok_4242",
            "payer_name": "Example Payer",
            "amount": "40.00",
            "currency": "AUD",
            "at": "2026-01-05T12:58:00Z",
        },
        {"payout_account": "PH-000123", "amount": "38.50", "currency": "AUD"},
    ],
    "hashes": [{"type": "md5", "value": "0" * 32}],
    "text": "moderator escalated the call",
}


@pytest.fixture
def platform(settings: WebSettings) -> str:
    secret = settings.secret_key.get_secret_value()
    with open_workflow(settings.workspace, settings.db_url()) as wf, wf.session() as db:
        _p, raw = add_platform(db, secret, "cli:test", "ExampleCall")
    return raw


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def reports_in(settings: WebSettings) -> list[PlatformReport]:
    with open_workflow(settings.workspace, settings.db_url()) as wf, wf.session() as db:
        return list(db.execute(select(PlatformReport)).scalars())


def audit_actions(settings: WebSettings) -> list[tuple[str, str]]:
    with open_workflow(settings.workspace, settings.db_url()) as wf, wf.session() as db:
        return [
            (e.username, e.action)
            for e in db.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        ]


def test_minimal_report_is_received_then_a_repeat_is_one_report(
    client: TestClient, platform: str, settings: WebSettings
) -> None:
    r = client.post("/api/reports", json=MINIMAL, headers=auth(platform))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "received"
    assert r.json()["platform_report_id"] == "R-1"
    again = client.post("/api/reports", json=MINIMAL, headers=auth(platform))
    assert again.status_code == 200
    assert again.json() == {**r.json(), "status": "repeat"}
    stored = reports_in(settings)
    assert len(stored) == 1
    assert json.loads(stored[0].body)["payments"] == [
        {"wallet_id": "W-77", "amount": "25.00", "currency": "USD"}
    ]
    assert stored[0].reported_user_id == "u123"
    acts = audit_actions(settings)
    assert ("platform:ExampleCall", "report_received") in acts
    assert ("platform:ExampleCall", "report_repeated") in acts


def test_full_report_is_received(client: TestClient, platform: str) -> None:
    r = client.post("/api/reports", json=FULL, headers=auth(platform))
    assert r.status_code == 201, r.text


def test_same_id_with_other_content_is_refused_and_audited(
    client: TestClient, platform: str, settings: WebSettings
) -> None:
    assert client.post("/api/reports", json=MINIMAL, headers=auth(platform)).status_code == 201
    changed = {**MINIMAL, "text": "another text"}
    r = client.post("/api/reports", json=changed, headers=auth(platform))
    assert r.status_code == 409
    assert "R-1" in r.json()["detail"]
    (stored,) = reports_in(settings)
    assert json.loads(stored.body)["text"] == MINIMAL["text"]
    assert ("platform:ExampleCall", "report_refused") in audit_actions(settings)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "spam"}, ["body", "category"]),
        ({"platform_report_id": ""}, ["body", "platform_report_id"]),
        (
            {"reported_account": {"screen_name": "x"}},
            ["body", "reported_account", "platform_user_id"],
        ),
        ({"payments": [{"amount": "5.00", "currency": "USD"}]}, ["body", "payments", 0]),
        ({"payments": [{"wallet_id": "W", "amount": "ten"}]}, ["body", "payments", 0, "amount"]),
        (
            {"payments": [{"wallet_id": "W", "currency": "usd"}]},
            ["body", "payments", 0, "currency"],
        ),
        ({"incident_at": "2026-01-05T13:02:11"}, ["body", "incident_at"]),
        ({"hashes": [{"type": "pdq", "value": "abc"}]}, ["body", "hashes", 0]),
        ({"comment": "a field the schema does not declare"}, ["body", "comment"]),
        ({"text": "x" * 5001}, ["body", "text"]),
    ],
)
def test_malformed_reports_get_422_naming_the_field(
    client: TestClient, platform: str, change: dict[str, Any], field: list[str | int]
) -> None:
    r = client.post("/api/reports", json={**MINIMAL, **change}, headers=auth(platform))
    assert r.status_code == 422, r.text
    assert field in [e["loc"] for e in r.json()["detail"]], r.json()


def test_missing_required_fields_are_each_named(client: TestClient, platform: str) -> None:
    r = client.post("/api/reports", json={"text": "only text"}, headers=auth(platform))
    assert r.status_code == 422
    locs = [e["loc"] for e in r.json()["detail"]]
    for name in ("platform_report_id", "category", "reported_account"):
        assert ["body", name] in locs


def test_not_json_is_422(client: TestClient, platform: str) -> None:
    r = client.post(
        "/api/reports",
        content=b"{not json",
        headers={**auth(platform), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body"]


def test_platform_must_match_the_token(client: TestClient, platform: str) -> None:
    r = client.post(
        "/api/reports", json={**MINIMAL, "platform": "OtherApp"}, headers=auth(platform)
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "platform"]


@pytest.mark.parametrize("key", ["media", "file", "image", "attachments", "screenshot"])
def test_a_media_field_is_refused_anywhere(client: TestClient, platform: str, key: str) -> None:
    body = {**MINIMAL, "reported_account": {"platform_user_id": "u1", key: "aGVsbG8="}}
    r = client.post("/api/reports", json=body, headers=auth(platform))
    assert r.status_code == 422
    (err,) = r.json()["detail"]
    assert err["loc"] == ["body", "reported_account", key]
    assert err["type"] == "media_refused"


def test_a_file_upload_is_refused(client: TestClient, platform: str, settings: WebSettings) -> None:
    r = client.post(
        "/api/reports",
        data={"report": json.dumps(MINIMAL)},
        files={"file": ("frame.bin", b"\x00\x01\x02", "application/octet-stream")},
        headers=auth(platform),
    )
    assert r.status_code == 415
    assert "no files" in r.json()["detail"]
    form = client.post("/api/reports", data={"report": json.dumps(MINIMAL)}, headers=auth(platform))
    assert form.status_code == 415
    assert reports_in(settings) == []


def test_oversized_body_is_413(client: TestClient, platform: str, settings: WebSettings) -> None:
    body = json.dumps({**MINIMAL, "text": "x" * 70_000}).encode()
    r = client.post(
        "/api/reports",
        content=body,
        headers={**auth(platform), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert reports_in(settings) == []


@pytest.mark.parametrize(
    "header",
    [None, "Bearer ", "Bearer btp_wrong", "Basic dXNlcjpwYXNz"],
)
def test_missing_or_wrong_token_is_401(
    client: TestClient, platform: str, header: str | None, settings: WebSettings
) -> None:
    headers = {"Authorization": header} if header else {}
    r = client.post("/api/reports", json=MINIMAL, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert reports_in(settings) == []


def test_a_users_api_token_is_not_a_platform_token(
    client: TestClient, platform: str, settings: WebSettings
) -> None:
    from bantay.cases import services

    secret = settings.secret_key.get_secret_value()
    with open_workflow(settings.workspace, settings.db_url()) as wf, wf.session() as db:
        _t, raw = services.create_api_token(db, secret, services.get_user(db, "ana"), "x")
    assert client.post("/api/reports", json=MINIMAL, headers=auth(raw)).status_code == 401


def test_revoked_token_is_401(client: TestClient, platform: str, settings: WebSettings) -> None:
    assert client.post("/api/reports", json=MINIMAL, headers=auth(platform)).status_code == 201
    with open_workflow(settings.workspace, settings.db_url()) as wf, wf.session() as db:
        revoke_platform(db, "cli:test", "ExampleCall")
    r = client.post(
        "/api/reports", json={**MINIMAL, "platform_report_id": "R-9"}, headers=auth(platform)
    )
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


@pytest.fixture
def slow_client(settings: WebSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"reports_per_minute": 3}))) as c:
        yield c


def test_rate_limit_per_token(
    slow_client: TestClient, platform: str, settings: WebSettings
) -> None:
    secret = settings.secret_key.get_secret_value()
    with open_workflow(settings.workspace, settings.db_url()) as wf, wf.session() as db:
        _p, other = add_platform(db, secret, "cli:test", "OtherApp")
    codes = [
        slow_client.post(
            "/api/reports", json={**MINIMAL, "platform_report_id": f"R-{i}"}, headers=auth(platform)
        ).status_code
        for i in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    r = slow_client.post("/api/reports", json=MINIMAL, headers=auth(platform))
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    # another platform's token has its own budget
    assert slow_client.post("/api/reports", json=MINIMAL, headers=auth(other)).status_code == 201
