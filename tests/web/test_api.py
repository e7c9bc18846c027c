"""The JSON API: authentication, CSRF, roles, cases, audit chain, throttling, exports."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bantay.web.settings import WebSettings

PASSWORD = "correct horse battery"  # as in conftest.py


def login(c: TestClient, username: str) -> str:
    r = c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    token: str = r.json()["csrf_token"]
    return token


PERSONAL = [
    "/api/alerts",
    "/api/entities/payer/E000000000000",
    "/api/cases",
    "/api/cases/1",
    "/api/audit",
    "/api/exports/labels.csv",
    "/api/auth/me",
]


@pytest.mark.parametrize("path", PERSONAL)
def test_unauthenticated_is_401(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_pages_redirect_to_login(client: TestClient) -> None:
    r = client.get("/entities/payer/E000000000000", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_bad_token_is_401(client: TestClient) -> None:
    r = client.get("/api/alerts", headers={"Authorization": "Bearer bty_nope"})
    assert r.status_code == 401


def test_session_cookie_flags(client: TestClient) -> None:
    r = client.post("/api/auth/login", json={"username": "ana", "password": PASSWORD})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_missing_csrf_token_refused(client: TestClient) -> None:
    csrf = login(client, "ana")
    body = {"title": "x", "members": [{"side": "payer", "entity_id": "E000000000000"}]}
    assert client.post("/api/cases", json=body).status_code == 403
    r = client.post("/api/cases", json=body, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403
    assert client.post("/api/cases", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    # forms carry it as a field
    r = client.post("/cases", data={"title": "y"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/cases", data={"title": "y", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303


def test_login_form_needs_its_csrf_cookie(client: TestClient) -> None:
    r = client.post(
        "/login", data={"username": "ana", "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 403
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post(
        "/login",
        data={"username": "ana", "password": PASSWORD, "csrf_token": token, "next": "//evil"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/alerts"


def test_api_token_needs_no_csrf(client: TestClient) -> None:
    csrf = login(client, "ana")
    r = client.post("/api/auth/tokens", json={"name": "bot"}, headers={"X-CSRF-Token": csrf})
    token = r.json()["token"]
    bot = TestClient(client.app)
    h = {"Authorization": f"Bearer {token}"}
    assert bot.get("/api/alerts", headers=h).status_code == 200
    assert bot.post("/api/cases", json={"title": "from a bot"}, headers=h).status_code == 201


def test_login_throttled(client: TestClient) -> None:
    for _ in range(3):
        r = client.post("/api/auth/login", json={"username": "ana", "password": "wrong!"})
        assert r.status_code == 401
    r = client.post("/api/auth/login", json={"username": "ana", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0


def test_alert_queue_filters_and_keyset_pages(client: TestClient) -> None:
    login(client, "ana")
    r = client.get("/api/alerts", params={"limit": 50})
    body = r.json()
    assert body["count"] == 300 and len(body["data"]) == 50
    seen = [a["alert_id"] for a in body["data"]]
    scores = [a["score"] for a in body["data"]]
    while body["next_cursor"]:
        body = client.get("/api/alerts", params={"limit": 50, "after": body["next_cursor"]}).json()
        seen += [a["alert_id"] for a in body["data"]]
        scores += [a["score"] for a in body["data"]]
    assert len(seen) == len(set(seen)) == 300
    assert scores == sorted(scores, reverse=True)
    r = client.get("/api/alerts", params={"side": "payer", "country": "AU", "band": "high"})
    data = r.json()["data"]
    assert data and all(
        a["side"] == "payer" and a["country"] == "AU" and a["score"] >= 0.8 for a in data
    )
    r = client.get("/api/alerts", params={"indicator": "P05_escalation", "sort": "name"})
    data = r.json()["data"]
    assert data and all("P05_escalation" in a["indicators"] for a in data)
    assert [a["name"] for a in data] == sorted((a["name"] for a in data), reverse=True)
    r = client.get("/api/alerts", params={"institution": "pesopal", "status": "new"})
    assert all("pesopal" in a["institutions"] for a in r.json()["data"])
    assert client.get("/api/alerts", params={"band": "nope"}).status_code == 422


def test_entity_view(client: TestClient) -> None:
    login(client, "ana")
    r = client.get("/api/entities/payer/E000000000000")
    assert r.status_code == 200
    e = r.json()
    assert e["money"]["n_transactions"] == 400
    assert sum(w["n"] for w in e["money"]["weeks"]) == 400
    assert sum(map(sum, e["money"]["heatmap"])) == 400
    assert e["detail"]["members"][0]["party_record_id"] == "harbour_bank:R0"
    assert any(n["ring"] == 2 for n in e["network"]["nodes"])
    assert client.get("/api/entities/payer/nobody").status_code == 404


def _case(c: TestClient, csrf: str) -> int:
    r = c.post(
        "/api/cases",
        json={"title": "ring", "members": [{"side": "payer", "entity_id": "E000000000000"}]},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    cid: int = r.json()["id"]
    return cid


def _post(c: TestClient, csrf: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return c.post(path, json=body or {}, headers={"X-CSRF-Token": csrf})


def test_confirmed_needs_supervisor_review(make_client: Any) -> None:
    ana, a_csrf = make_client("ana")
    sam, s_csrf = make_client("sam")
    cid = _case(ana, a_csrf)
    # rationale is required
    r = _post(
        ana, a_csrf, f"/api/cases/{cid}/decisions", {"decision": "confirmed", "rationale": " "}
    )
    assert r.status_code == 422
    r = _post(
        ana,
        a_csrf,
        f"/api/cases/{cid}/decisions",
        {"decision": "confirmed", "rationale": "P01 and P05 fire; two hops from a seed"},
    )
    assert r.json()["status"] == "pending_review"
    r = _post(ana, a_csrf, f"/api/cases/{cid}/close")
    assert r.status_code == 403 and "supervisor" in r.json()["detail"]
    # an analyst cannot review
    assert _post(ana, a_csrf, f"/api/cases/{cid}/review", {"approve": True}).status_code == 403
    r = _post(sam, s_csrf, f"/api/cases/{cid}/review", {"approve": True, "note": "agreed"})
    assert r.status_code == 200
    r = _post(ana, a_csrf, f"/api/cases/{cid}/close")
    assert r.status_code == 200
    assert r.json()["status"] == "closed" and r.json()["outcome"] == "confirmed"
    # closed cases are frozen
    r = _post(
        ana,
        a_csrf,
        f"/api/cases/{cid}/decisions",
        {"decision": "false_positive", "rationale": "changed my mind"},
    )
    assert r.status_code == 409
    # and the queue shows the entity's status
    a = ana.get("/api/alerts", params={"q": "E000000000000"}).json()["data"]
    assert a[0]["status"] == "confirmed"
    assert ana.get("/api/alerts", params={"status": "confirmed"}).json()["count"] == 1


def test_reviewer_is_not_the_author(make_client: Any) -> None:
    sam, s_csrf = make_client("sam")
    cid = _case(sam, s_csrf)
    _post(
        sam,
        s_csrf,
        f"/api/cases/{cid}/decisions",
        {"decision": "confirmed", "rationale": "clear pattern"},
    )
    r = _post(sam, s_csrf, f"/api/cases/{cid}/review", {"approve": True})
    assert r.status_code == 403
    sue, u_csrf = make_client("sue")
    assert _post(sue, u_csrf, f"/api/cases/{cid}/review", {"approve": True}).status_code == 200
    assert _post(sam, s_csrf, f"/api/cases/{cid}/close").json()["outcome"] == "confirmed"


def test_false_positive_closes_without_review_but_feeds_training_only_reviewed(
    make_client: Any,
) -> None:
    # Changed with issue 17: training labels come only from reviewed outcomes. A false positive
    # still closes without a review, but only a supervisor-approved one becomes a label.
    ana, a_csrf = make_client("ana")
    cid = _case(ana, a_csrf)
    _post(ana, a_csrf, f"/api/cases/{cid}/comments", {"body": "family remittances"})
    r = _post(ana, a_csrf, f"/api/cases/{cid}/assign", {"assignee": "ana"})
    assert r.status_code == 422 and "reason" in r.text  # a reassignment gives its reason
    _post(ana, a_csrf, f"/api/cases/{cid}/assign", {"assignee": "ana", "reason": "mine to work"})
    _post(
        ana,
        a_csrf,
        f"/api/cases/{cid}/decisions",
        {"decision": "false_positive", "rationale": "pays his mother monthly"},
    )
    r = _post(ana, a_csrf, f"/api/cases/{cid}/close")
    assert r.json()["outcome"] == "false_positive"
    d = ana.get(f"/api/cases/{cid}").json()
    assert d["assignee"] == "ana" and d["comments"][0]["body"] == "family remittances"
    assert ana.get("/api/exports/labels.csv").status_code == 403  # supervisors export
    sam, s_csrf = make_client("sam")
    assert sam.get("/api/exports/labels.csv").text == "side,entity_id,label\n"  # unreviewed
    # the same disposition, reviewed before closing, is a label
    cid2 = _case(ana, a_csrf)
    _post(
        ana,
        a_csrf,
        f"/api/cases/{cid2}/decisions",
        {"decision": "false_positive", "rationale": "pays his mother monthly"},
    )
    assert _post(sam, s_csrf, f"/api/cases/{cid2}/review", {"approve": True}).status_code == 200
    assert _post(ana, a_csrf, f"/api/cases/{cid2}/close").json()["outcome"] == "false_positive"
    r = sam.get("/api/exports/labels.csv")
    assert r.text == "side,entity_id,label\npayer,E000000000000,false\n"


def test_labels_are_read_by_train(make_client: Any, tmp_path: Path) -> None:
    import pandas as pd

    ana, a_csrf = make_client("ana")
    sam, s_csrf = make_client("sam")
    cid = _case(ana, a_csrf)
    _post(
        ana,
        a_csrf,
        f"/api/cases/{cid}/decisions",
        {"decision": "false_positive", "rationale": "pays his mother"},
    )
    _post(sam, s_csrf, f"/api/cases/{cid}/review", {"approve": True})
    _post(ana, a_csrf, f"/api/cases/{cid}/close")
    f = tmp_path / "labels.csv"
    f.write_text(sam.get("/api/exports/labels.csv").text)
    # what `bantay train --labels` does with the file (src/bantay/cli/detect.py)
    lab = pd.read_csv(f, dtype={"entity_id": str})
    lab["label"] = lab["label"].astype(str).str.lower().isin(["1", "true", "yes"])
    assert list(lab.columns) == ["side", "entity_id", "label"]
    assert lab.to_dict("records") == [
        {"side": "payer", "entity_id": "E000000000000", "label": False}
    ]


def test_roles(make_client: Any) -> None:
    ana, _a_csrf = make_client("ana")
    assert ana.get("/api/audit").status_code == 403
    assert ana.get("/api/users").status_code == 403
    assert ana.get("/audit").status_code == 403
    root, r_csrf = make_client("root")
    r = _post(
        root, r_csrf, "/api/users", {"username": "new", "password": "x" * 12, "role": "analyst"}
    )
    assert r.status_code == 201
    r = root.patch("/api/users/new", json={"role": "supervisor"}, headers={"X-CSRF-Token": r_csrf})
    assert r.json()["role"] == "supervisor"
    sam, s_csrf = make_client("sam")
    r = _post(sam, s_csrf, "/api/users", {"username": "x2", "password": "x" * 12})
    assert r.status_code == 403
    assert sam.get("/api/audit").status_code == 200


def test_disabled_user_loses_session(make_client: Any, settings: WebSettings) -> None:
    ana, _ = make_client("ana")
    root, r_csrf = make_client("root")
    root.patch("/api/users/ana", json={"active": False}, headers={"X-CSRF-Token": r_csrf})
    assert ana.get("/api/alerts").status_code == 401


def test_audit_records_views_and_decisions(make_client: Any) -> None:
    ana, a_csrf = make_client("ana")
    ana.get("/api/entities/payer/E000000000000")
    cid = _case(ana, a_csrf)
    _post(
        ana,
        a_csrf,
        f"/api/cases/{cid}/decisions",
        {"decision": "needs_information", "rationale": "ask the bank for KYC"},
    )
    sam, _ = make_client("sam")
    sam.get("/api/exports/labels.csv")
    rows = sam.get("/api/audit", params={"limit": 1000}).json()["data"]
    got = {(a["username"], a["action"], a["object_type"], a["object_id"]) for a in rows}
    assert ("ana", "view", "entity", "payer:E000000000000") in got
    assert ("ana", "decision", "case", str(cid)) in got
    assert ("sam", "export", "labels", "dispositions") in got
    assert sam.get("/api/audit/verify").json()["ok"] is True


def test_broken_audit_chain_detected(make_client: Any, settings: WebSettings) -> None:
    ana, a_csrf = make_client("ana")
    ana.get("/api/entities/payer/E000000000000")
    cid = _case(ana, a_csrf)
    _post(
        ana,
        a_csrf,
        f"/api/cases/{cid}/decisions",
        {"decision": "false_positive", "rationale": "pays his mother"},
    )
    sam, _ = make_client("sam")
    assert sam.get("/api/audit/verify").json()["ok"] is True
    db = settings.db_url().removeprefix("sqlite:///")
    con = sqlite3.connect(db)
    # the database refuses edits ...
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE web_audit_log SET username = 'someone' WHERE action = 'decision'")
    # ... and someone with the file who drops the guard is caught by the chain
    con.execute("DROP TRIGGER web_audit_log_no_update")
    con.execute("UPDATE web_audit_log SET detail = '{}' WHERE action = 'decision'")
    con.commit()
    bad_id = con.execute("SELECT id FROM web_audit_log WHERE action = 'decision'").fetchone()[0]
    con.close()
    r = sam.get("/api/audit/verify").json()
    assert r["ok"] is False and r["first_bad_id"] == bad_id and "altered" in r["problem"]


def test_audit_deletion_detected(make_client: Any, settings: WebSettings) -> None:
    ana, _ = make_client("ana")
    for _ in range(3):
        ana.get("/api/entities/payer/E000000000000")
    con = sqlite3.connect(settings.db_url().removeprefix("sqlite:///"))
    con.execute("DROP TRIGGER web_audit_log_no_delete")
    mid = con.execute("SELECT id FROM web_audit_log ORDER BY id LIMIT 1 OFFSET 2").fetchone()[0]
    con.execute("DELETE FROM web_audit_log WHERE id = ?", [mid])
    con.commit()
    con.close()
    sam, _ = make_client("sam")
    r = sam.get("/api/audit/verify").json()
    assert r["ok"] is False and "removed" in r["problem"]


def test_openapi_operation_ids(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ids = {op["operationId"] for p in spec["paths"].values() for op in p.values()}
    assert {
        "list_alerts",
        "get_entity",
        "create_case",
        "decide_case",
        "review_case",
        "close_case",
        "list_audit",
        "verify_audit",
        "export_labels",
        "login",
    } <= ids


def test_weak_secret_refused(workspace: Path) -> None:
    from pydantic import ValidationError

    for bad in ["", "changethis", "short-key", "a" * 40]:
        with pytest.raises(ValidationError):
            WebSettings(workspace=workspace, secret_key=bad)  # type: ignore[arg-type]


def test_pages_render(make_client: Any) -> None:
    sam, _s_csrf = make_client("sam")
    for path in [
        "/alerts",
        "/alerts?side=payer&sort=name&order=asc",
        "/entities/payer/E000000000000",
        "/cases",
        "/audit",
    ]:
        r = sam.get(path)
        assert r.status_code == 200, path
    page = sam.get("/entities/payer/E000000000000").text
    assert 'id="money-chart"' in page and 'id="heatmap"' in page and 'id="network-graph"' in page
    assert 'href="/entities/beneficiary/' in page
    assert 'id="scored-payers"' not in page  # a payer has no payers to weigh
    # a beneficiary's page names the payers whose scores weighed on it, linked
    page = sam.get("/entities/beneficiary/E000000000001").text
    assert 'id="scored-payers"' in page and "(score 0.420 without them)" in page
    assert '<a href="/entities/payer/E000000000000">E000000000000</a> 0.910' in page


def test_only_the_serving_app_tunes_the_garbage_collector(settings: WebSettings) -> None:
    """`bantay serve` freezes what start-up built and collects the young less often (GC pauses made
    the intake's p99 230 ms at 500 reports/s); an app inside another process leaves it alone."""
    import gc

    from bantay.web.app import WEB_GC_THRESHOLD, create_app

    before = gc.get_threshold()
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").status_code == 200
        assert gc.get_threshold() == before
    with TestClient(create_app(settings, serving=True)) as c:
        assert c.get("/healthz").status_code == 200
        assert gc.get_threshold() == WEB_GC_THRESHOLD
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
