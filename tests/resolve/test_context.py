"""The context pass: "paid by the same payer" measured from the data."""

from __future__ import annotations

from typing import Any

import polars as pl
from tests.resolve.conftest import entity_of, insert_records

from bantay.resolve import context as cx
from bantay.resolve import model as mdl
from bantay.resolve.run import resolve
from bantay.workspace import Workspace


def _ctx(rows: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"rid": list(rows), mdl.CONTEXT_COLUMN: list(rows.values())},
        schema={"rid": pl.String, mdl.CONTEXT_COLUMN: pl.List(pl.String)},
    )


def _pairs(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "party_record_id_l": pl.String,
            "party_record_id_r": pl.String,
            "match_probability": pl.Float64,
        },
        orient="row",
    )


def test_u_is_the_share_of_record_pairs_paid_by_one_payer() -> None:
    ctx = _ctx({"a": ["P1"], "b": ["P1"], "c": ["P2"], "d": ["P3"]})
    m, u, n = cx.context_parameters(ctx, _pairs([]))
    assert u == 1 / 6  # one pair (a, b) of six shares a payer
    assert (m, n) == (mdl.CONTEXT_PRIOR_M, 0)  # no confident pairs: the prior


def test_m_from_confident_pairs_never_below_u() -> None:
    rows = {f"r{i}": [f"P{i // 2}"] for i in range(60)}
    ctx = _ctx(rows)
    # 30 confident pairs, each of two records paid by one payer: m = 1 (capped at 0.95)
    same_payer = [(f"r{i}", f"r{i + 1}", 0.999) for i in range(0, 60, 2)]
    m, _, n = cx.context_parameters(ctx, _pairs(same_payer))
    assert (m, n) == (0.95, 30)
    # confident pairs never paid by one payer: m falls to u, the comparison weighs nothing
    other = [(f"r{i}", f"r{i + 2}", 0.999) for i in range(0, 56, 2)]
    m, u, _ = cx.context_parameters(ctx, _pairs(other))
    assert m == u


def _world(ws: Workspace, with_transactions: bool) -> None:
    rows: list[dict[str, Any]] = [
        # one payer at two institutions: linked by name, birth date and phone
        {"party_record_id": "A:P1", "kind": "payer_side", "institution": "A", "name": "Juan Cruz",
         "date_of_birth": "1980-01-02", "phone": "+639171111111", "residence_country": "PH"},
        {"party_record_id": "B:P1", "kind": "payer_side", "institution": "B", "name": "CRUZ, Juan",
         "date_of_birth": "1980-01-02", "phone": "+639171111111", "residence_country": "PH"},
        # the one recipient he pays through both: nothing shared but the name
        {"party_record_id": "A:B1", "kind": "beneficiary_side", "institution": "A",
         "name": "Marites Dela Rosa", "account_id": "111222333", "residence_country": "PH"},
        {"party_record_id": "B:B1", "kind": "beneficiary_side", "institution": "B",
         "name": "MARITES DE LA ROSA", "phone": "+639182222222", "residence_country": "PH"},
    ]  # fmt: skip
    tx = [("A:T1", "A", "A:P1", "A:B1"), ("B:T1", "B", "B:P1", "B:B1")]
    for i in range(200):  # other payers, each paying someone else
        rows.append(
            {"party_record_id": f"C:P{i}", "kind": "payer_side", "institution": "C",
             "name": f"Payer{i} Santos", "date_of_birth": "1970-01-01",
             "phone": f"+6391733{i:05d}", "residence_country": "PH"}
        )  # fmt: skip
        rows.append(
            {"party_record_id": f"C:B{i}", "kind": "beneficiary_side", "institution": "C",
             "name": f"Recipient{i} Reyes", "residence_country": "PH"}
        )  # fmt: skip
        tx.append((f"C:T{i}", "C", f"C:P{i}", f"C:B{i}"))
    insert_records(ws, rows)
    if with_transactions:
        frame = pl.DataFrame(
            tx,
            schema=["transaction_id", "institution", "payer_record_id", "beneficiary_record_id"],
            orient="row",
        )
        ws.con.register("test_tx", frame.to_arrow())
        ws.con.execute(
            "INSERT INTO transactions BY NAME SELECT *, TIMESTAMP '2026-01-05 10:00' AS ts_utc, "
            "100 AS amount, 'PHP' AS currency, 2 AS amount_reporting, 'transfer' AS channel, "
            "'test' AS ingest_id, 'test' AS source, 'tx.csv' AS file, 2 AS line FROM test_tx"
        )
        ws.con.unregister("test_tx")


def test_one_payer_paying_two_sides_of_one_name_links_them(rws: Workspace) -> None:
    _world(rws, with_transactions=True)
    resolve(rws)
    ent = entity_of(rws)
    assert ent["A:P1"] == ent["B:P1"]
    assert ent["A:B1"] == ent["B:B1"]
    fields = rws.con.execute(
        "SELECT agreed_fields FROM entity_links "
        "WHERE party_record_id_l = 'A:B1' AND party_record_id_r = 'B:B1'"
    ).fetchall()
    assert "counterpart=paid by the same payer" in fields[0][0]


def test_without_transactions_a_name_alone_links_nothing(rws: Workspace) -> None:
    _world(rws, with_transactions=False)
    resolve(rws)
    ent = entity_of(rws)
    assert ent["A:P1"] == ent["B:P1"]
    assert ent["A:B1"] != ent["B:B1"]
