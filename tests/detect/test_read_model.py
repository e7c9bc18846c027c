"""The read model of detection outputs: one stand-in key, compiled to the SQL the web runs."""

from __future__ import annotations

import duckdb
import ibis
import pandas as pd

from bantay.detect.entities import default_entity_keys
from bantay.detect.read_model import (
    beneficiary_account_sql,
    beneficiary_contact_sql,
    beneficiary_phone_sql,
    stand_in_beneficiary_key,
    top_alert_per_side,
    top_alerts,
    top_scored,
)

ROWS = pd.DataFrame(
    {
        "payer_record_id": ["P1"] * 9,
        "beneficiary_record_id": ["B1", "B2", "B3", "B4", "B5", "B6", None, "B8", "B9"],
        "beneficiary_account": [
            "gb-12 34",
            None,
            "",
            "--",
            None,
            "ab12",
            "X1",
            "  ",
            None,
        ],
        "beneficiary_phone": [
            "+63 917 555 0101",
            "+63 917 555 0102",
            "12345",
            "(0)123-456",
            None,
            None,
            "+1 555 0100",
            "tel 0917 5550 103",
            "",
        ],
    }
)
EXPECTED = [
    "acct:GB1234",
    "tel:639175550102",
    "B3",
    "tel:0123456",
    "B5",
    "acct:AB12",
    None,
    "tel:09175550103",
    "B9",
]


def test_the_scan_and_the_web_key_stand_in_beneficiaries_alike() -> None:
    """The Ibis key (the scan) and the SQL compiled from it (cases.analytics) agree row by row."""
    con = duckdb.connect()
    con.register("rows", ROWS.assign(i=range(len(ROWS))))
    con.execute("CREATE TABLE transactions AS SELECT * FROM rows ORDER BY i")
    ib = ibis.duckdb.from_connection(con)
    tx = ib.table("transactions")
    scan = tx.mutate(k=stand_in_beneficiary_key(tx)).order_by("i").to_pandas()["k"]
    web = con.execute(
        f"SELECT beneficiary_record_id, {beneficiary_contact_sql('t')} FROM transactions t "
        "ORDER BY i"
    ).fetchall()
    # the web keys a record (never a payment without one) by its contact key, else the record id
    web_keys = [(s if s is not None else r) if r is not None else None for r, s in web]
    scan_keys = [None if pd.isna(k) else k for k in scan.tolist()]
    assert scan_keys == EXPECTED
    assert web_keys == EXPECTED
    # and the account and phone the web matches a stand-in key by are the key's own
    for key, (acct, tel) in zip(
        EXPECTED,
        con.execute(
            f"SELECT {beneficiary_account_sql('t')}, {beneficiary_phone_sql('t')} "
            "FROM transactions t"
        ).fetchall(),
        strict=True,
    ):
        if key and key.startswith("acct:"):
            assert key == "acct:" + acct
        elif key and key.startswith("tel:"):
            assert key == "tel:" + tel
    # the scan's entity keys use the same expression
    keyed = default_entity_keys(ib.table, [], tx).order_by("i").to_pandas()
    assert [None if pd.isna(k) else k for k in keyed["beneficiary_entity"]] == EXPECTED


def test_top_alerts_reads_alerts_by_rank_with_reasons_parsed() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE alerts AS SELECT * FROM (VALUES "
        "(2, 'beneficiary', 'b', 0.5, 's2', '{\"indicators\": []}'), "
        "(1, 'payer', 'a', 0.9, 's1', '{\"indicators\": [{\"id\": \"x\"}]}')) "
        "AS t(rank, side, entity_id, score, summary, reasons)"
    )
    got = top_alerts(con)
    assert [a["rank"] for a in got] == [1, 2]
    assert got[0]["reasons"] == {"indicators": [{"id": "x"}]}
    assert [a["entity_id"] for a in top_alerts(con, side="beneficiary")] == ["b"]
    assert len(top_alerts(con, top=1)) == 1


def test_the_best_alert_of_each_side_and_the_top_scored_entities() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE alerts AS SELECT * FROM (VALUES "
        "(3, 'payer', 'p2', 'A3'), (1, 'payer', 'p1', 'A1'), (2, 'beneficiary', 'b1', 'A2')) "
        "AS t(rank, side, entity_id, alert_id)"
    )
    assert top_alert_per_side(con) == [("payer", "p1", "A1"), ("beneficiary", "b1", "A2")]
    con.execute(
        "CREATE TABLE scores AS SELECT * FROM (VALUES "
        "('beneficiary', 'b1', 0.2), ('beneficiary', 'b2', 0.7), ('payer', 'p1', 0.9)) "
        "AS t(side, entity_id, score)"
    )
    assert top_scored(con, "beneficiary") == ["b2"]
    assert top_scored(con, "beneficiary", top=5) == ["b2", "b1"]
