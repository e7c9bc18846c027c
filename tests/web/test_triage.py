"""Triage without a case (issue 18, item 6): assign, my queue, bulk close with reason codes,
alert age, the entity's earlier alerts and cases, and the closings as `train --labels` labels."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient


def _post(c: TestClient, csrf: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return c.post(path, json=body or {}, headers={"X-CSRF-Token": csrf})


def _alerts(c: TestClient, n: int, **filters: str) -> list[dict[str, Any]]:
    r = c.get("/api/alerts", params={"limit": n, **filters})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["data"]
    assert len(rows) == n
    return rows


def test_bulk_close_with_a_reason_code_is_audited_and_leaves_the_open_queue(
    make_client: Any,
) -> None:
    ana, a_csrf = make_client("ana")
    open_before = ana.get("/api/alerts", params={"triage": "open"}).json()["count"]
    rows = _alerts(ana, 3)
    ids = [r["alert_id"] for r in rows]
    assert all(r["triage"] == "open" and r["raised_at"] for r in rows)
    r = _post(
        ana,
        a_csrf,
        "/api/alerts/triage/close",
        {"alert_ids": ids, "reason_code": "explained_family", "note": "pays his mother monthly"},
    )
    assert r.status_code == 200, r.text
    assert ana.get("/api/alerts", params={"triage": "open"}).json()["count"] == open_before - 3
    closed = ana.get("/api/alerts", params={"triage": "closed"}).json()
    assert sorted(a["alert_id"] for a in closed["data"]) == sorted(ids)
    # closing again is a conflict; an unknown reason or alert is refused
    again = {"alert_ids": ids[:1], "reason_code": "duplicate"}
    assert _post(ana, a_csrf, "/api/alerts/triage/close", again).status_code == 409
    bad = {"alert_ids": [_alerts(ana, 4)[3]["alert_id"]], "reason_code": "because"}
    assert _post(ana, a_csrf, "/api/alerts/triage/close", bad).status_code == 422
    nope = {"alert_ids": ["000000000000"], "reason_code": "duplicate"}
    assert _post(ana, a_csrf, "/api/alerts/triage/close", nope).status_code == 422
    sam, _ = make_client("sam")
    entries = sam.get("/api/audit", params={"action": "alert_closed"}).json()["data"]
    assert len(entries) == 1 and entries[0]["username"] == "ana"
    assert "explained_family" in str(entries[0]["detail"]) and ids[0] in str(entries[0]["detail"])
    assert sam.get("/api/audit/verify").json()["ok"] is True


def test_assign_my_queue_and_who_may_close(make_client: Any) -> None:
    ana, a_csrf = make_client("ana")
    bob, b_csrf = make_client("bob")
    sam, s_csrf = make_client("sam")
    a1, a2, a3 = (r["alert_id"] for r in _alerts(ana, 3))
    # an analyst takes alerts, but does not hand them to others
    assert (
        _post(
            ana, a_csrf, "/api/alerts/triage/assign", {"alert_ids": [a1], "assignee": "ana"}
        ).status_code
        == 200
    )
    assert (
        _post(
            ana, a_csrf, "/api/alerts/triage/assign", {"alert_ids": [a2], "assignee": "bob"}
        ).status_code
        == 403
    )
    assert (
        _post(
            sam, s_csrf, "/api/alerts/triage/assign", {"alert_ids": [a2, a3], "assignee": "bob"}
        ).status_code
        == 200
    )
    mine = bob.get("/api/alerts", params={"assignee": "bob", "triage": "open"}).json()
    assert mine["count"] == 2 and {a["alert_id"] for a in mine["data"]} == {a2, a3}
    assert all(a["assignee"] == "bob" for a in mine["data"])
    # bob's alert is his (or a supervisor's) to close; nor can ana take it from him
    close = {"alert_ids": [a2], "reason_code": "duplicate"}
    assert _post(ana, a_csrf, "/api/alerts/triage/close", close).status_code == 403
    assert (
        _post(
            ana, a_csrf, "/api/alerts/triage/assign", {"alert_ids": [a2], "assignee": "ana"}
        ).status_code
        == 403
    )
    assert _post(bob, b_csrf, "/api/alerts/triage/close", close).status_code == 200
    assert bob.get("/api/alerts", params={"assignee": "bob", "triage": "open"}).json()["count"] == 1
    # reopening: who closed it, or a supervisor; with a note
    reopen = {"note": "new payments came in"}
    assert _post(ana, a_csrf, f"/api/alerts/{a2}/reopen", reopen).status_code == 403
    assert _post(bob, b_csrf, f"/api/alerts/{a2}/reopen", reopen).status_code == 200
    assert _post(bob, b_csrf, f"/api/alerts/{a2}/reopen", reopen).status_code == 409
    # the "My queue" page lists the user's open alerts
    page = bob.get("/alerts?triage=open&assignee=bob").text
    assert "<h1>My queue" in page
    assert len(re.findall(r'name="alert_id" value="', page)) == 2


def test_queue_page_bulk_close_and_entity_history(make_client: Any) -> None:
    ana, a_csrf = make_client("ana")
    rows = _alerts(ana, 2, side="payer")
    ids = [r["alert_id"] for r in rows]
    r = ana.post(
        "/alerts/triage",
        data={
            "csrf_token": a_csrf,
            "action": "close",
            "alert_id": ids,
            "reason_code": "explained_business",
            "note": "payroll of a small shop",
            "back": "/alerts?side=payer",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/alerts?side=payer"
    page = ana.get("/alerts?side=payer&triage=closed").text
    assert page.count('<span class="status closed">closed</span>') == 2
    assert re.search(r'<td class="num age">\d+ d</td>', page)  # the age of each alert
    # without the CSRF token: refused
    bad = ana.post(
        "/alerts/triage", data={"action": "take", "alert_id": ids}, follow_redirects=False
    )
    assert bad.status_code == 403
    ent = rows[0]["entity_id"]
    case = _post(
        ana, a_csrf, "/api/cases", {"title": "t", "members": [{"side": "payer", "entity_id": ent}]}
    )
    cid = case.json()["id"]
    page = ana.get(f"/entities/payer/{ent}").text
    history = page[page.index('id="triage-history"') :]
    assert "close: Explained: business, payroll or merchant activity" in history
    assert "payroll of a small shop" in history and "ana" in history
    assert f'href="/cases/{cid}">#{cid} t</a>' in page[page.index('id="entity-cases"') :]


def test_triage_closings_are_the_labels_train_reads(make_client: Any, tmp_path: Path) -> None:
    ana, a_csrf = make_client("ana")
    sam, s_csrf = make_client("sam")
    rows = _alerts(ana, 4)
    explained, dup = rows[:2], rows[2]
    _post(
        ana,
        a_csrf,
        "/api/alerts/triage/close",
        {"alert_ids": [r["alert_id"] for r in explained], "reason_code": "explained_customer"},
    )
    _post(
        ana,
        a_csrf,
        "/api/alerts/triage/close",
        {"alert_ids": [dup["alert_id"]], "reason_code": "duplicate"},
    )
    # a reviewed case outcome overrides the triage closing of the same entity
    first = explained[0]
    cid = _post(
        ana,
        a_csrf,
        "/api/cases",
        {"title": "t", "members": [{"side": first["side"], "entity_id": first["entity_id"]}]},
    ).json()["id"]
    _post(
        ana,
        a_csrf,
        f"/api/cases/{cid}/decisions",
        {"decision": "confirmed", "rationale": "pays a known den"},
    )
    _post(sam, s_csrf, f"/api/cases/{cid}/review", {"approve": True})
    assert _post(ana, a_csrf, f"/api/cases/{cid}/close").status_code == 200
    f = tmp_path / "labels.csv"
    f.write_text(sam.get("/api/exports/labels.csv").text)
    # what `bantay train --labels` does with the file (src/bantay/cli/detect.py)
    lab = pd.read_csv(f, dtype={"entity_id": str})
    lab["label"] = lab["label"].astype(str).str.lower().isin(["1", "true", "yes"])
    got = {(r["side"], r["entity_id"]): r["label"] for r in lab.to_dict("records")}
    assert got == {
        (first["side"], first["entity_id"]): True,
        (explained[1]["side"], explained[1]["entity_id"]): False,
    }  # the duplicate gives no label


def test_an_alert_is_closed_and_reopened_from_its_entity_page(make_client: Any) -> None:
    ana, a_csrf = make_client("ana")
    (row,) = _alerts(ana, 1, side="beneficiary")
    url = f"/entities/beneficiary/{row['entity_id']}"
    page = ana.get(url).text
    assert 'class="close-alert"' in page
    r = ana.post(
        "/alerts/triage",
        data={
            "csrf_token": a_csrf,
            "action": "close",
            "alert_id": row["alert_id"],
            "reason_code": "data_error",
            "back": url,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == url
    page = ana.get(url).text
    alerts = page[page.index('id="entity-alerts"') : page.index('id="triage-history"')]
    assert "closed: Data error" in alerts and 'class="close-alert"' not in alerts
    r = ana.post(
        f"/alerts/{row['alert_id']}/reopen",
        data={"csrf_token": a_csrf, "note": "the mapping was right", "back": url},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert (
        ana.get("/api/alerts", params={"q": row["entity_id"]}).json()["data"][0]["triage"] == "open"
    )
