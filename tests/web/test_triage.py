"""Triage without a case (issue 18, item 6): assign, my queue, bulk close with reason codes,
alert age, the entity's earlier alerts and cases, and the closings as `train --labels` labels once
a supervisor other than who closed them has confirmed them (issue 17: four eyes)."""

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


def _labels(sam: TestClient, tmp_path: Path) -> dict[tuple[str, str], bool]:
    """The labels export, read as `bantay train --labels` reads it (src/bantay/cli/detect.py)."""
    f = tmp_path / "labels.csv"
    f.write_text(sam.get("/api/exports/labels.csv").text)
    lab = pd.read_csv(f, dtype={"entity_id": str})
    lab["label"] = lab["label"].astype(str).str.lower().isin(["1", "true", "yes"])
    return {(r["side"], r["entity_id"]): r["label"] for r in lab.to_dict("records")}


def test_confirmed_triage_closings_are_the_labels_train_reads(
    make_client: Any, tmp_path: Path
) -> None:
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
    second = (explained[1]["side"], explained[1]["entity_id"])
    # one analyst's closing is no label yet (issue 17: labels only from reviewed outcomes)
    assert _labels(sam, tmp_path) == {(first["side"], first["entity_id"]): True}
    # the duplicate gives no label: there is nothing to confirm
    nothing = {"alert_ids": [dup["alert_id"]]}
    assert _post(sam, s_csrf, "/api/alerts/triage/confirm", nothing).status_code == 409
    ok = {"alert_ids": [r["alert_id"] for r in explained], "note": "answers on file"}
    assert _post(sam, s_csrf, "/api/alerts/triage/confirm", ok).status_code == 200
    assert _labels(sam, tmp_path) == {(first["side"], first["entity_id"]): True, second: False}


def test_only_another_supervisor_confirms_a_closing_and_it_is_audited(make_client: Any) -> None:
    ana, a_csrf = make_client("ana")
    sam, s_csrf = make_client("sam")
    sue, u_csrf = make_client("sue")
    a1, a2, a3 = (r["alert_id"] for r in _alerts(ana, 3))
    family = {"alert_ids": [a1], "reason_code": "explained_family"}
    assert _post(ana, a_csrf, "/api/alerts/triage/close", family).status_code == 200
    business = {"alert_ids": [a2], "reason_code": "explained_business"}
    assert _post(sam, s_csrf, "/api/alerts/triage/close", business).status_code == 200
    # an analyst does not confirm, not even somebody else's closing
    r = _post(ana, a_csrf, "/api/alerts/triage/confirm", {"alert_ids": [a2]})
    assert r.status_code == 403 and "supervisor" in r.text
    # nor does a supervisor confirm their own closing; bulk is all or none
    r = _post(sam, s_csrf, "/api/alerts/triage/confirm", {"alert_ids": [a1, a2]})
    assert r.status_code == 403 and f"you closed alert {a2}" in r.text
    awaiting = sam.get("/api/alerts", params={"triage": "awaiting_confirmation"}).json()
    assert {a["alert_id"] for a in awaiting["data"]} == {a1, a2}
    assert all(
        a["triage"] == "closed" and a["confirmation"] == "awaiting" for a in awaiting["data"]
    )
    # an open alert has no closing to confirm
    assert _post(sam, s_csrf, "/api/alerts/triage/confirm", {"alert_ids": [a3]}).status_code == 409
    assert _post(sam, s_csrf, "/api/alerts/triage/confirm", {"alert_ids": [a1]}).status_code == 200
    assert _post(sue, u_csrf, "/api/alerts/triage/confirm", {"alert_ids": [a2]}).status_code == 200
    again = _post(sue, u_csrf, "/api/alerts/triage/confirm", {"alert_ids": [a1]})
    assert again.status_code == 409 and "already confirmed by sam" in again.text
    assert sam.get("/api/alerts", params={"triage": "awaiting_confirmation"}).json()["count"] == 0
    closed = sam.get("/api/alerts", params={"triage": "closed"}).json()["data"]
    assert {a["alert_id"]: a["confirmation"] for a in closed} == {a1: "confirmed", a2: "confirmed"}
    entries = sam.get("/api/audit", params={"action": "alert_closing_confirmed"}).json()["data"]
    assert [e["username"] for e in entries] == ["sue", "sam"]  # latest first
    assert a2 in str(entries[0]["detail"]) and a1 in str(entries[1]["detail"])
    assert "explained_family" in str(entries[1]["detail"])
    assert sam.get("/api/audit/verify").json()["ok"] is True


def test_reopening_voids_the_confirmation(make_client: Any, tmp_path: Path) -> None:
    ana, a_csrf = make_client("ana")
    sam, s_csrf = make_client("sam")
    (row,) = _alerts(ana, 1)
    a, key = row["alert_id"], (row["side"], row["entity_id"])
    family = {"alert_ids": [a], "reason_code": "explained_family"}
    assert _post(ana, a_csrf, "/api/alerts/triage/close", family).status_code == 200
    assert _post(sam, s_csrf, "/api/alerts/triage/confirm", {"alert_ids": [a]}).status_code == 200
    assert _labels(sam, tmp_path) == {key: False}
    reopen = {"note": "new payments came in"}
    assert _post(ana, a_csrf, f"/api/alerts/{a}/reopen", reopen).status_code == 200
    assert _labels(sam, tmp_path) == {}
    entries = sam.get("/api/audit", params={"action": "alert_reopened"}).json()["data"]
    assert "sam" in str(entries[0]["detail"])  # the confirmation it voided
    # closed again: a new confirmation is needed
    assert _post(ana, a_csrf, "/api/alerts/triage/close", family).status_code == 200
    assert _labels(sam, tmp_path) == {}
    awaiting = sam.get("/api/alerts", params={"triage": "awaiting_confirmation"}).json()
    assert [x["alert_id"] for x in awaiting["data"]] == [a]
    assert _post(sam, s_csrf, "/api/alerts/triage/confirm", {"alert_ids": [a]}).status_code == 200
    assert _labels(sam, tmp_path) == {key: False}


def test_supervisors_confirm_from_the_queue_and_the_entity_page(make_client: Any) -> None:
    ana, a_csrf = make_client("ana")
    sam, s_csrf = make_client("sam")
    rows = _alerts(ana, 3, side="payer")
    ids = [r["alert_id"] for r in rows]
    close = {"alert_ids": ids, "reason_code": "explained_family"}
    assert _post(ana, a_csrf, "/api/alerts/triage/close", close).status_code == 200
    # the analyst is offered no confirmation, and a forged one is refused
    page = ana.get("/alerts?triage=closed").text
    assert "confirm-closings-button" not in page and 'id="awaiting-confirmation"' not in page
    url = f"/entities/payer/{rows[0]['entity_id']}"
    page = ana.get(url).text
    assert "awaiting a supervisor's confirmation" in page
    assert "confirm-closing-button" not in page
    form = {"csrf_token": a_csrf, "action": "confirm", "alert_id": ids[:1], "back": "/alerts"}
    assert ana.post("/alerts/triage", data=form, follow_redirects=False).status_code == 403
    # the supervisor's queue: closed, awaiting confirmation
    page = sam.get("/alerts?triage=awaiting_confirmation").text
    assert "<h1>Closings awaiting confirmation" in page and 'id="awaiting-confirmation"' in page
    assert page.count('class="awaiting-confirmation"') == 3 and "confirm-closings-button" in page
    r = sam.post(
        "/alerts/triage",
        data={
            "csrf_token": s_csrf,
            "action": "confirm",
            "alert_id": ids[1:],
            "note": "checked the answers",
            "back": "/alerts?triage=awaiting_confirmation",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = sam.get("/alerts?triage=closed").text
    assert page.count('class="closing-confirmed"') == 2
    assert page.count('class="awaiting-confirmation"') == 1
    # and from the entity page
    page = sam.get(url).text
    assert "confirm-closing-button" in page
    r = sam.post(
        "/alerts/triage",
        data={"csrf_token": s_csrf, "action": "confirm", "alert_id": ids[0], "back": url},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == url
    page = sam.get(url).text
    assert "closing confirmed by sam" in page and "confirm-closing-button" not in page
    history = page[page.index('id="triage-history"') :]
    assert "confirm closing: Explained: family support" in history
    # a supervisor's own closing is not offered to them for confirmation
    (other,) = _alerts(sam, 1, side="beneficiary")
    own = {"alert_ids": [other["alert_id"]], "reason_code": "explained_business"}
    assert _post(sam, s_csrf, "/api/alerts/triage/close", own).status_code == 200
    page = sam.get(f"/entities/beneficiary/{other['entity_id']}").text
    assert "awaiting a supervisor's confirmation" in page
    assert "confirm-closing-button" not in page


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
