"""The report queue: merged per reported account, ranked (linked money, repeats, category),
opened into a case beside the linked entities; the entity page lists its linked reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bantay.cases import services
from bantay.cases.db import open_workflow
from bantay.cases.synthetic import build
from bantay.reports.link import link, report_parties
from bantay.reports.model import parse_report
from bantay.reports.store import add_platform, receive
from bantay.web.app import create_app
from bantay.web.settings import WebSettings
from bantay.workspace import open_workspace

from .conftest import PASSWORD, SECRET, login

PAYER, BENEF = "E000000000000", "E000000000001"  # accounts ACC0 and ACC1 in the synthetic ws


def report(
    rid: str, user: str, category: str = "livestreamed_abuse", **more: Any
) -> dict[str, Any]:
    return {
        "platform_report_id": rid,
        "category": category,
        "reported_account": {"platform_user_id": user, "screen_name": "sn-" + user},
        "text": f"report {rid}",
        **more,
    }


def seed_reports(ws: Path) -> str:
    """Four reports: two on u1 paid from the payer's account, one on u3 paying out to the
    beneficiary (ongoing), one on u2 linked to nothing; linked; returns a platform token."""
    with open_workflow(ws) as wf, wf.session() as db:
        p, token = add_platform(db, SECRET, "cli:t", "ExampleCall")
        for b in (
            report("R-1", "u1", payments=[{"wallet_id": "ACC0", "amount": "15.00"}]),
            report("R-2", "u2", "other", payments=[{"wallet_id": "W-none"}]),
            report("R-3", "u1", payments=[{"card_token": "acc0"}]),
            report(
                "R-4",
                "u3",
                "online_enticement",
                ongoing=True,
                payments=[{"payout_account": "ACC1"}],
            ),
        ):
            receive(db, p, parse_report(b))
        for name, role in (("ana", "analyst"), ("sam", "supervisor")):
            services.add_user(db, services.Actor.operator(), name, PASSWORD, role)
        parties = report_parties(db)
    with open_workspace(ws) as w:
        link(w, parties)
    return token


@pytest.fixture(scope="module")
def report_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    ws = build(tmp_path_factory.mktemp("triage") / "ws", n_alerts=10, big_entity_tx=12)
    return ws, seed_reports(ws)


@pytest.fixture
def rclient(report_ws: tuple[Path, str]) -> Iterator[TestClient]:
    s = WebSettings(workspace=report_ws[0], secret_key=SECRET)  # type: ignore[arg-type]
    with TestClient(create_app(s)) as c:
        yield c


def test_queue_ranks_linked_then_repeats_then_category(rclient: TestClient) -> None:
    login(rclient, "ana")
    r = rclient.get("/api/reports")
    assert r.status_code == 200, r.text
    rows = r.json()["data"]
    assert [x["reported_user_id"] for x in rows] == ["u1", "u3", "u2"]
    u1, u3, u2 = rows
    assert u1["n_reports"] == 2 and u1["linked"] == [["payer", PAYER]]
    assert [x["platform_report_id"] for x in u1["reports"]] == ["R-1", "R-3"]
    assert u3["linked"] == [["beneficiary", BENEF]] and u3["ongoing"] is True
    assert u2["linked"] == [] and "no link to the money" in u2["why"]
    only = rclient.get("/api/reports", params={"linked": "true"}).json()["data"]
    assert [x["reported_user_id"] for x in only] == ["u1", "u3"]


def test_a_platform_token_cannot_read_the_queue(
    rclient: TestClient, report_ws: tuple[Path, str]
) -> None:
    r = rclient.get("/api/reports", headers={"Authorization": f"Bearer {report_ws[1]}"})
    assert r.status_code == 401


def test_open_a_case_from_an_account(rclient: TestClient) -> None:
    csrf = login(rclient, "ana")
    r = rclient.post(
        "/api/reports/case",
        json={"platform": "ExampleCall", "reported_user_id": "u1"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    cid = r.json()["case_id"]
    case = rclient.get(f"/api/cases/{cid}").json()
    assert [(m["side"], m["entity_id"]) for m in case["members"]] == [("payer", PAYER)]
    page = rclient.get(f"/cases/{cid}", headers={"Accept": "text/html"})
    assert 'id="case-reports"' in page.text and "R-1" in page.text and "R-3" in page.text
    row = rclient.get("/api/reports").json()["data"][0]
    assert row["cases"] == [cid]
    # an unlinked account opens a case of its reports alone
    r2 = rclient.post(
        "/api/reports/case",
        json={"platform": "ExampleCall", "reported_user_id": "u2"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r2.status_code == 201
    assert rclient.get(f"/api/cases/{r2.json()['case_id']}").json()["members"] == []
    missing = rclient.post(
        "/api/reports/case",
        json={"platform": "ExampleCall", "reported_user_id": "nobody"},
        headers={"X-CSRF-Token": csrf},
    )
    assert missing.status_code == 404


def test_pages_show_the_queue_and_the_entitys_reports(rclient: TestClient) -> None:
    login(rclient, "ana")
    page = rclient.get("/reports", headers={"Accept": "text/html"})
    assert page.status_code == 200
    order = [page.text.index(f'data-account="{u}"') for u in ("u1", "u3", "u2")]
    assert order == sorted(order)
    ent = rclient.get(f"/entities/payer/{PAYER}", headers={"Accept": "text/html"})
    assert 'id="platform-reports"' in ent.text
    assert "account ACC0" in ent.text and "account acc0" in ent.text


def test_cybertip_export_from_the_case(report_ws: tuple[Path, str]) -> None:
    from lxml import etree

    s = WebSettings(
        workspace=report_ws[0],
        secret_key=SECRET,  # type: ignore[arg-type]
        cybertip_reporter_email="tips@esp.example",
    )
    with TestClient(create_app(s)) as c:
        csrf = login(c, "ana")
        cid = c.post(
            "/api/reports/case",
            json={"platform": "ExampleCall", "reported_user_id": "u3"},
            headers={"X-CSRF-Token": csrf},
        ).json()["case_id"]
        denied = c.post(f"/api/reports/cases/{cid}/cybertip", headers={"X-CSRF-Token": csrf})
        assert denied.status_code == 403  # analysts do not take reports out of the app
        c.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
        csrf = login(c, "sam")
        page = c.get(f"/cases/{cid}", headers={"Accept": "text/html"})
        assert 'id="export-cybertip"' in page.text
        r = c.post(f"/api/reports/cases/{cid}/cybertip", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        root = etree.fromstring(r.content)
        assert root.findtext("incidentSummary/incidentType") == (
            "Online Enticement of Children for Sexual Acts"
        )
        assert root.find("incidentSummary/escalateToHighPriority") is not None
        assert root.findtext("personOrUserReported/espIdentifier") == "u3"
        assert root.findtext("reporter/reportingPerson/email") == "tips@esp.example"
        trail = c.get("/api/audit", params={"action": "case_exported"})
        assert trail.status_code == 200 and "cybertip" in trail.text
    s2 = WebSettings(workspace=report_ws[0], secret_key=SECRET)  # type: ignore[arg-type]
    with TestClient(create_app(s2)) as c:
        csrf = login(c, "sam")
        r = c.post(f"/api/reports/cases/{cid}/cybertip", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 422 and "CYBERTIP_REPORTER_EMAIL" in r.json()["detail"]
