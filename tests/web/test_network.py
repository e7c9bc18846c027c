"""The payer network (issue 18, item 4): co-payers linked to the beneficiaries they share, each
edge with its amount and count, card spending left out, seeds and alerted entities marked."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from bantay.cases.analytics import Analytics
from bantay.cases.synthetic import build
from bantay.export import charts
from bantay.workspace import DUCKDB_FILE

PAYER = "E000000000000"
CO_PAYER = "EXTRA0PAYER1"  # a payer of no one else in the world
OWN_BENE = "EXTRA0BENE3"  # paid by CO_PAYER alone


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The synthetic world, where a beneficiary of PAYER has a second record that CO_PAYER pays
    (resolution put both records in one entity), and PAYER buys at a shop with a card."""
    ws = build(tmp_path_factory.mktemp("net") / "ws", n_alerts=100, big_entity_tx=60)
    con = duckdb.connect(str(ws / DUCKDB_FILE))
    (mine,) = con.execute(
        "SELECT party_record_id FROM entity_members WHERE entity_id = ?", [PAYER]
    ).fetchone()
    theirs = "extra:P1"
    con.execute(
        "INSERT INTO entity_members VALUES (?, ?, 'singleton', 'R-synthetic')", [theirs, CO_PAYER]
    )
    (bene_rec,) = con.execute(
        "SELECT beneficiary_record_id FROM transactions WHERE payer_record_id = ? "
        "GROUP BY 1 ORDER BY sum(amount_reporting) DESC LIMIT 1",
        [mine],
    ).fetchone()
    (bene,) = con.execute(
        "SELECT entity_id FROM entity_members WHERE party_record_id = ?", [bene_rec]
    ).fetchone()
    con.execute(
        """INSERT INTO party_records (party_record_id, kind, institution, name, ingest_id,
               source, file, line)
           VALUES ('extra:B2', 'beneficiary_side', 'quicksend', 'Second record', 'I-synthetic',
                   'synthetic', 'extra.csv', 2)"""
    )
    con.execute(
        "INSERT INTO entity_members VALUES ('extra:B2', ?, 'splink', 'R-synthetic')", [bene]
    )
    con.execute(
        """INSERT INTO transactions BY NAME
           SELECT * REPLACE ('X' || transaction_id AS transaction_id, ? AS payer_record_id,
                             'extra:B2' AS beneficiary_record_id)
           FROM transactions WHERE payer_record_id = ? ORDER BY transaction_id LIMIT 3""",
        [theirs, mine],
    )
    # the co-payer also pays somebody of its own, whom only a widened network draws
    con.execute(
        """INSERT INTO party_records (party_record_id, kind, institution, name, ingest_id,
               source, file, line)
           VALUES ('extra:B3', 'beneficiary_side', 'quicksend', 'Third record', 'I-synthetic',
                   'synthetic', 'extra.csv', 3)"""
    )
    con.execute(
        "INSERT INTO entity_members VALUES ('extra:B3', ?, 'singleton', 'R-synthetic')",
        [OWN_BENE],
    )
    con.execute(
        """INSERT INTO transactions BY NAME
           SELECT * REPLACE ('Y' || transaction_id AS transaction_id, ? AS payer_record_id,
                             'extra:B3' AS beneficiary_record_id)
           FROM transactions WHERE payer_record_id = ? ORDER BY transaction_id LIMIT 2""",
        [theirs, mine],
    )
    con.execute(
        """INSERT INTO transactions BY NAME
           SELECT * REPLACE ('C' || transaction_id AS transaction_id, 'card' AS channel,
                             'shop:S1' AS beneficiary_record_id, 'Corner Shop' AS merchant_name,
                             amount_reporting * 1000 AS amount_reporting)
           FROM transactions WHERE payer_record_id = ? ORDER BY transaction_id LIMIT 1""",
        [mine],
    )
    con.close()
    return ws, str(bene)


def test_co_payers_are_linked_to_the_shared_beneficiary(world: tuple[Path, str]) -> None:
    ws, bene = world
    an = Analytics(ws)
    try:
        g = an.network("payer", PAYER)
    finally:
        an.close()
    nodes = {n["entity_id"]: n for n in g["nodes"]}
    assert nodes[bene]["ring"] == 1 and nodes[CO_PAYER]["ring"] == 2
    # the co-payer's edge goes to the beneficiary entity (not to its second record), with its
    # amount and count; no edge hangs loose
    (edge,) = [e for e in g["edges"] if e["payer"] == CO_PAYER]
    assert edge["beneficiary"] == bene and edge["n"] == 3 and edge["amount"] > 0
    assert all(e["payer"] in nodes and e["beneficiary"] in nodes for e in g["edges"])
    # card spending is not a payment relationship
    assert "shop:S1" not in nodes
    svg = charts.network(g, PAYER)
    drawn = re.findall(r'<line class="edge" data-a="([^"]+)" data-b="([^"]+)"', svg)
    assert len(drawn) == len(g["edges"])
    labels = re.findall(r'<text class="elabel"[^>]*data-a="([^"]+)" data-b="([^"]+)">([^<]+)<', svg)
    assert [(a, b) for a, b, _ in labels] == drawn
    assert (CO_PAYER, bene, f"3× {edge['amount']:,.0f}") in labels
    # the shared beneficiary says how many payers drawn share it; alerted nodes say so
    payers = {e["payer"] for e in g["edges"] if e["beneficiary"] == bene}
    assert len(payers) >= 2
    assert re.search(
        rf'data-id="{bene}">(?:<circle[^>]*/>)?<circle[^>]*><title>[^<]*shared by {len(payers)} payers[^<]*</title>'
        rf'</circle><text[^>]*class="shared">{len(payers)}</text>',
        svg,
    )
    assert "ALERTED" in svg and "dark ring: alerted" in svg


def test_the_network_widens_one_hop_at_a_time(world: tuple[Path, str]) -> None:
    """A drawn node widened (``expand``) adds its own counterparties one ring further out, each
    linked to it; a node not drawn is ignored; the picture grows to hold the new ring."""
    ws, _bene = world
    an = Analytics(ws)
    try:
        g = an.network("payer", PAYER)
        drawn = {n["entity_id"] for n in g["nodes"]}
        assert CO_PAYER in drawn and OWN_BENE not in drawn
        key = ("payer", CO_PAYER)
        own = {key[1]: {x["entity_id"] for x in an.network(*key)["nodes"] if x["ring"] == 1}}
        wide = an.network("payer", PAYER, expand=[key, ("payer", "NOT-DRAWN")])
    finally:
        an.close()
    nodes = {n["entity_id"]: n for n in wide["nodes"]}
    assert "NOT-DRAWN" not in nodes
    assert own[key[1]] <= set(nodes)
    new = own[key[1]] - drawn
    assert new == {OWN_BENE}
    assert all(nodes[e]["ring"] == 3 for e in new)
    linked = {
        e["beneficiary"] if key[0] == "payer" else e["payer"]
        for e in wide["edges"]
        if key[1] in (e["payer"], e["beneficiary"])
    }
    assert own[key[1]] <= linked
    assert all(e["payer"] in nodes and e["beneficiary"] in nodes for e in wide["edges"])
    svg = charts.network(wide, PAYER)
    assert 'viewBox="0 0 880 880"' in svg and 'viewBox="0 0 640 640"' in charts.network(g, PAYER)
    assert len(re.findall(r'<line class="edge"', svg)) == len(wide["edges"])
