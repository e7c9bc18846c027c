"""The same files ingested and scanned twice give the same tables, row for row (the check behind
bench/fingerprint.py, which compares them before and after a refactoring)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from bantay.detect.scan import scan
from bantay.ingest import ingest_file, read_manifest
from bantay.simulate import simulate
from bantay.workspace import init_workspace

#: differ from run to run whatever the code: ids drawn at random, clocks, timings
VOLATILE = {"ingest_id", "started_at", "finished_at", "created_at"}


def _digest(df: pd.DataFrame) -> tuple[str, int]:
    df = df[[c for c in df.columns if c not in VOLATILE]].astype(str)
    df = df.sort_values(list(df.columns)).reset_index(drop=True)
    return hashlib.sha256(df.to_csv(index=False).encode()).hexdigest(), len(df)


def _run(world: Path, ws_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ws = init_workspace(ws_dir)
    try:
        for path, fmt, mapping, kind in read_manifest(world / "manifest.json"):
            ingest_file(ws, path, fmt=fmt, mapping=mapping, kind=kind)
        for (table,) in ws.con.execute("SHOW TABLES").fetchall():
            df = ws.con.execute(f"SELECT * FROM {table}").fetch_df()
            if table == "bantay_meta":
                df = df[df.iloc[:, 0] != "created_at"]
            out[table] = _digest(df)
        r = scan(ws, model="default", write=False)
        out["scan.payer"] = _digest(r.payer)
        out["scan.beneficiary"] = _digest(r.beneficiary)
    finally:
        ws.close()
    return out


def test_ingest_and_features_are_deterministic(tmp_path: Path) -> None:
    world = tmp_path / "world"
    simulate(world, senders=150, months=2, seed=11, profile="namesakes")
    first, second = _run(world, tmp_path / "ws1"), _run(world, tmp_path / "ws2")
    assert first == second
    assert first["transactions"][1] > 1000 and first["scan.payer"][1] > 100
