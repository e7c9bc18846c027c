"""Global search (issue 18, item 7): any entity, alerted or not, by name variant, account, phone,
customer reference; an identifier lists everyone who shares it; searches are audited views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from bantay.cases.synthetic import build
from bantay.workspace import DUCKDB_FILE


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 entities, 50 alerted; a second record of the last (not alerted) entity carries a name
    variant, a phone and the account of entity 7 written with spaces."""
    ws = build(tmp_path_factory.mktemp("search") / "ws", n_alerts=50, big_entity_tx=50)
    con = duckdb.connect(str(ws / DUCKDB_FILE))
    con.execute(
        """INSERT INTO party_records (party_record_id, kind, institution, customer_ref, name,
               residence_country, phone, account_id, ingest_id, source, file, line)
           VALUES ('extra:X1', 'customer', 'extra_bank', 'CUST-77', 'Quentin Zabala-Orr', 'PH',
                   '+63 917 555 0101', 'acc 7', 'I-synthetic', 'synthetic', 'extra.csv', 2)"""
    )
    con.execute(
        "INSERT INTO entity_members VALUES ('extra:X1', 'E000000000063', 'singleton', 'R-synthetic')"
    )
    con.close()
    return ws


def _hits(c: TestClient, **params: str) -> list[dict[str, Any]]:
    r = c.get("/api/search" + ("/shared" if "field" in params else ""), params=params)
    assert r.status_code == 200, r.text
    data: list[dict[str, Any]] = r.json()["data"]
    return data


def test_search_finds_entities_alerted_or_not(make_client: Any) -> None:
    ana, _ = make_client("ana")
    # a name variant of an entity that has no alert (nor score)
    (hit,) = _hits(ana, q="zabala")
    assert hit["entity_id"] == "E000000000063" and hit["alerted"] == [] and hit["scores"] == {}
    assert hit["matched"] == ["name"] and hit["sides"] == ["payer"]
    # the phone, however it is written; the customer reference; the entity id
    assert [h["entity_id"] for h in _hits(ana, q="0917-555-0101 ")] == []  # not the same digits
    assert [h["entity_id"] for h in _hits(ana, q="+639175550101")] == ["E000000000063"]
    assert [h["entity_id"] for h in _hits(ana, q="CUST-77")] == ["E000000000063"]
    assert _hits(ana, q="E000000000063")[0]["matched"] == ["id"]
    # an account: both entities holding it, the alerted one first
    acct = _hits(ana, q="ACC7")
    assert [h["entity_id"] for h in acct] == ["E000000000007", "E000000000063"]
    assert acct[0]["alerted"] == ["beneficiary"] and all(h["matched"] == ["account"] for h in acct)
    assert ana.get("/api/search", params={"q": "x"}).status_code == 422


def test_identifier_lists_who_shares_it_and_searches_are_audited(make_client: Any) -> None:
    ana, _ = make_client("ana")
    shared = _hits(ana, field="account_id", value="ACC 7")
    assert {h["entity_id"] for h in shared} == {"E000000000007", "E000000000063"}
    page = ana.get("/entities/payer/E000000000063").text
    assert 'href="/search?field=account_id&amp;value=acc%207"' in page
    who = ana.get("/search?field=account_id&value=acc%207").text
    assert who.count('class="entity-link"') == 2 and "Who shares account" in who
    box = ana.get("/search?q=zabala").text
    assert 'href="/entities/payer/E000000000063"' in box
    assert 'id="global-search"' in ana.get("/cases").text  # the box is on every page
    assert ana.get("/api/search", params={"field": "password", "value": "x"}).status_code == 422
    sam, _ = make_client("sam")
    views = sam.get("/api/audit", params={"action": "view", "username": "ana"}).json()["data"]
    searched = [v for v in views if v["object_type"] == "search"]
    assert len(searched) == 3 and any("E000000000063" in str(v["detail"]) for v in searched)


def test_search_needs_a_login(client: TestClient) -> None:
    assert client.get("/api/search", params={"q": "zabala"}).status_code == 401
    r = client.get("/search?q=zabala", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
