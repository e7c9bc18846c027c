"""Writing a scan's results to the workspace (one transaction; a new scan replaces the old)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pandas as pd

from bantay.detect.scoring import KEY
from bantay.workspace import Workspace

if TYPE_CHECKING:
    from bantay.detect.scan import ScanResult

#: Scored-frame columns that are outputs, not features.
NOT_FEATURES = {
    "score",
    "score_without_payers",
    "rank",
    "alerted",
    "rule_raw",
    "rule_network",
    "family_reduction",
    "family_offset",
}

TABLES = ("scans", "entity_features", "indicator_hits", "network_scores", "scores", "alerts")


def _insert(ws: Workspace, table: str, df: pd.DataFrame) -> None:
    cols = [r[0] for r in ws.con.execute(f"DESCRIBE {table}").fetchall()]
    frame = df.reindex(columns=cols)
    ws.con.register("_bantay_frame", frame)
    try:
        ws.con.execute(f"INSERT INTO {table} SELECT * FROM _bantay_frame")
    finally:
        ws.con.unregister("_bantay_frame")


def _insert_long(ws: Workspace, scan_id: str, side: str, wide: pd.DataFrame) -> None:
    """``entity_features`` rows (one per entity and feature) from a wide frame, unpivoted by DuckDB
    (a pandas melt of a national scan would hold every row as Python objects). A feature the
    evidence leaves empty (the payer's sex where the KYC does not say) has no row."""
    feats = [c for c in wide.columns if c != "entity_id"]
    if not feats or wide.empty:
        return
    ws.con.register("_bantay_wide", wide)
    try:
        on = ", ".join(f'"{c}"' for c in feats)
        ws.con.execute(
            "INSERT INTO entity_features (scan_id, side, entity_id, feature, value) "
            "SELECT ?, ?, entity_id, feature, value FROM _bantay_wide "
            f"UNPIVOT (value FOR feature IN ({on}))",
            [scan_id, side],
        )
    finally:
        ws.con.unregister("_bantay_wide")


def write_scan(
    ws: Workspace,
    result: ScanResult,
    *,
    engine: str,
    n_transactions: int,
    settings: dict[str, Any],
    created_at: dt.datetime,
) -> None:
    sid = result.scan_id
    feats: list[tuple[str, pd.DataFrame]] = []
    nets, scores = [], []
    for side, df in (("payer", result.payer), ("beneficiary", result.beneficiary)):
        key = KEY[side]
        cols = [
            c
            for c in df.columns
            if c not in NOT_FEATURES
            and (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))
        ]
        wide = df[cols].astype("float64")
        wide.insert(0, "entity_id", df[key].astype(str))
        feats.append((side, wide))
        prefix = "p" if side == "payer" else "b"
        net = pd.DataFrame(
            {
                "scan_id": sid,
                "side": side,
                "entity_id": df[key].astype(str),
                "den_id": df["den_id"] if "den_id" in df.columns else None,
                "den_size": df["den_size"].fillna(0).astype("int64"),
                "n_copayers": df["n_copayers"] if "n_copayers" in df.columns else None,
                "seed_rank": df["seed_rank"].fillna(0.0),
                "seed_hops": df["seed_hops"].fillna(-1).astype("int64"),
                "seed_path": [
                    " > ".join(result.network.paths.get(f"{prefix}:{e}", [])) or None
                    for e in df[key]
                ],
                "seed_match": [
                    "; ".join(result.network.seeds.get(str(e), [])) or None for e in df[key]
                ]
                if side == "beneficiary"
                else None,
            }
        )
        nets.append(net)
        n_tx = df["n_tx"] if side == "payer" else df["n_in"]
        scores.append(
            pd.DataFrame(
                {
                    "scan_id": sid,
                    "side": side,
                    "entity_id": df[key].astype(str),
                    "score": df["score"],
                    "rule_score": df["rule_score"],
                    "family_reduction": df["family_reduction"],
                    "rank": df["rank"].astype("int64"),
                    "alerted": df["alerted"].astype("int64"),
                    "n_transactions": n_tx.astype("int64"),
                }
            )
        )
    hits = result.hits.rename(columns={"side": "indicator_side"}).rename(
        columns={"entity_side": "side"}
    )
    scans = pd.DataFrame(
        [
            {
                "scan_id": sid,
                "created_at": created_at,
                "engine": engine,
                "model": result.model_name,
                "n_seeds": len(result.network.seeds),
                "n_transactions": n_transactions,
                "settings": json.dumps(settings, sort_keys=True),
            }
        ]
    )
    with ws.transaction():
        for table in TABLES:
            ws.con.execute(f"DELETE FROM {table}")
        _insert(ws, "scans", scans)
        for side, wide in feats:
            _insert_long(ws, sid, side, wide)
        _insert(ws, "indicator_hits", hits.assign(scan_id=sid))
        _insert(ws, "network_scores", pd.concat(nets, ignore_index=True))
        _insert(ws, "scores", pd.concat(scores, ignore_index=True))
        _insert(ws, "alerts", result.alerts.assign(scan_id=sid))
