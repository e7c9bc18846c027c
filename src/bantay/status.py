"""What a workspace holds, as data (rendered by ``bantay status``)."""

from __future__ import annotations

from typing import Any

from bantay.workspace import Workspace


def workspace_status(ws: Workspace) -> dict[str, Any]:
    ingests = ws.con.execute(
        "SELECT file, kind, source, rows_read, rows_loaded, rows_quarantined, finished_at "
        "FROM ingests ORDER BY started_at"
    ).fetchall()
    cols = ["file", "kind", "source", "rows_read", "rows_loaded", "rows_quarantined", "finished_at"]
    quarantine = ws.con.execute(
        "SELECT kind, reason_code, count(*) FROM quarantine GROUP BY ALL ORDER BY 3 DESC, 1, 2"
    ).fetchall()
    faults = ws.con.execute(
        "SELECT kind, field, reason_code, count(*) FROM field_faults GROUP BY ALL "
        "ORDER BY 4 DESC, 1, 2, 3"
    ).fetchall()
    return {
        "path": str(ws.path),
        "reporting_currency": ws.reporting_currency,
        "tables": ws.table_counts(),
        "ingests": [dict(zip(cols, r, strict=True)) for r in ingests],
        "quarantine": [{"kind": k, "reason_code": c, "rows": int(n)} for k, c, n in quarantine],
        "field_faults": [
            {"kind": k, "field": f, "reason_code": c, "values": int(n)} for k, f, c, n in faults
        ],
    }
