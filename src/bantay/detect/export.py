"""Per-entity scores with every input reference behind each entity (for `bantay export scores`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd

from bantay.csvsafe import neutral
from bantay.detect.entities import EntityKeyFn, default_entity_keys
from bantay.engine import DuckDBEngine
from bantay.workspace import Workspace

COLUMNS = (
    "side",
    "entity_id",
    "score",
    "rank",
    "alerted",
    "rule_score",
    "family_reduction",
    "n_transactions",
    "customer_refs",
    "transaction_ids",
)


def score_rows(
    ws: Workspace, entity_keys: EntityKeyFn = default_entity_keys
) -> Iterator[dict[str, Any]]:
    """Rows of the latest scan's scores, each with ``institution:customer_ref`` and transaction ids."""
    eng = DuckDBEngine(ws)
    t = entity_keys(eng.table, eng.names, eng.table("transactions"))
    t = t.select(
        "institution",
        "transaction_id",
        "payer_entity",
        "beneficiary_entity",
        "payer_ref",
        "beneficiary_ref",
    )
    refs = eng.execute(t)
    scores = ws.con.execute(
        "SELECT side, entity_id, score, rank, alerted, rule_score, family_reduction, n_transactions "
        "FROM scores ORDER BY side DESC, rank"
    ).fetchdf()
    by_side: dict[str, dict[str, tuple[list[str], list[str]]]] = {}
    for side, key, ref in (
        ("payer", "payer_entity", "payer_ref"),
        ("beneficiary", "beneficiary_entity", "beneficiary_ref"),
    ):
        sub = refs[refs[key].notna()]
        tx_ids = (
            (sub["institution"] + ":" + sub["transaction_id"])
            .groupby(sub[key])
            .agg(lambda s: sorted(set(s)))
        )
        cref = sub[sub[ref].notna()]
        cust = (
            (cref["institution"] + ":" + cref[ref]).groupby(cref[key]).agg(lambda s: sorted(set(s)))
        )
        by_side[side] = {str(e): (list(cust.get(e, [])), list(ids)) for e, ids in tx_ids.items()}
    for row in scores.to_dict("records"):
        customers, tx_ids = by_side.get(str(row["side"]), {}).get(str(row["entity_id"]), ([], []))
        yield {
            **{k: (None if pd.isna(v) else v) for k, v in row.items()},
            "customer_refs": customers,
            "transaction_ids": tx_ids,
        }


def to_csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: lists joined, cells a spreadsheet would run as formulas neutralised."""
    return {k: neutral(" ".join(v) if isinstance(v, list) else v) for k, v in row.items()}


def to_jsonl(row: dict[str, Any]) -> str:
    return json.dumps(row, default=str, sort_keys=False)
