"""Small inline worlds for the detection tests: transactions with the canonical columns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bantay.workspace import Workspace

AUD = 0.66  # USD per AUD, as in the catalogue's reference rates

TX_DEFAULTS: dict[str, Any] = {
    "ingest_id": "test",
    "source": "test",
    "file": "test.csv",
    "institution": "REMIT1",
    "currency": "AUD",
    "channel": "online_remittance",
    "direction": "outgoing",
    "utc_offset_minutes": 600,
    "payer_country": "AU",
    "beneficiary_country": "PH",
}


def tx(
    n: int,
    payer: str,
    beneficiary: str | None,
    *,
    amount: float = 30.0,
    start: dt.datetime = dt.datetime(2024, 1, 1, 12, 0),
    every: dt.timedelta = dt.timedelta(days=3),
    **fields: Any,
) -> list[dict[str, Any]]:
    """``n`` payments from ``payer`` to ``beneficiary`` (record ids), one every ``every``."""
    rows = []
    for i in range(n):
        row = {**TX_DEFAULTS, **fields}
        row.update(
            transaction_id=f"{payer}-{beneficiary}-{start.isoformat()}-{i}",
            ts_utc=start + i * every,
            amount=amount,
            amount_reporting=round(amount * AUD, 6) if row["currency"] == "AUD" else amount,
            payer_record_id=payer,
            payer_ref=payer.split(":")[-1],
            beneficiary_record_id=beneficiary,
        )
        row.setdefault("payer_name", payer.split(":")[-1].replace("_", " "))
        if beneficiary is not None:
            row.setdefault("beneficiary_name", beneficiary.split(":")[-1].replace("_", " "))
        rows.append(row)
    return rows


def load(ws: Workspace, rows: list[dict[str, Any]], table: str = "transactions") -> None:
    """Insert rows into a workspace table, filling the line numbers and unnamed columns."""
    cols = [r[0] for r in ws.con.execute(f"DESCRIBE {table}").fetchall()]
    for i, row in enumerate(rows):
        full = {c: row.get(c) for c in cols}
        if "line" in full and full["line"] is None:
            full["line"] = i + 2
        ws.con.execute(
            f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})", list(full.values())
        )
