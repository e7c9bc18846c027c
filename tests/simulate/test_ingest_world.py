"""End to end: every file of a small world loads through its mapping with nothing quarantined,
and the loaded times and amounts agree with the ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from bantay.ingest import ingest_file
from bantay.ingest.mapping import load_mapping
from bantay.schema import load_model
from bantay.simulate import simulate
from bantay.workspace import init_workspace


@pytest.fixture(scope="module", params=["csv", "parquet"])
def small(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("w") / "world"
    simulate(out, senders=300, months=1, seed=3, profile="evasive", fmt=request.param)
    return out


def test_mappings_are_valid(small: Path) -> None:
    model = load_model()
    m = json.loads((small / "manifest.json").read_text())
    for f in m["files"]:
        mapping = load_mapping(small / f["mapping"])
        assert mapping.kind == f["kind"]
        mapping.check_fields(set(model.by_table(mapping.table).properties))


def test_every_file_ingests_without_quarantine(small: Path, tmp_path: Path) -> None:
    m = json.loads((small / "manifest.json").read_text())
    truth = (
        pl.read_csv(small / "truth" / "transactions.csv", infer_schema_length=0)
        if (small / "truth" / "transactions.csv").exists()
        else pl.read_parquet(small / "truth" / "transactions.parquet")
    )
    truth = truth.with_columns(
        pl.col("ts_utc").cast(pl.Utf8).str.to_datetime(), pl.col("amount").cast(pl.Float64)
    )
    # one workspace per file (with the rates), so each file is judged on its own
    for i, f in enumerate(m["files"]):
        ws = init_workspace(tmp_path / f"ws{i}")
        if f["kind"] != "rates":
            ingest_file(ws, small / "rates.csv", mapping=small / "mappings" / "rates.toml")
        r = ingest_file(ws, small / f["path"], mapping=small / f["mapping"])
        assert r.rows_quarantined == 0, (f["path"], r.quarantine_by_reason)
        assert r.rows_loaded == f["rows"], f["path"]
        if f["kind"] != "transactions" or not r.rows_loaded:
            continue
        rows = ws.con.execute(
            "SELECT transaction_id, ts_utc, CAST(amount AS DOUBLE) AS amount FROM transactions"
        ).fetchall()
        loaded = pl.DataFrame(rows, schema=["transaction_id", "ts_utc", "amount"], orient="row")
        joined = loaded.join(
            truth.filter(pl.col("institution") == f["institution"]),
            on="transaction_id",
            suffix="_truth",
        )
        assert joined.height == loaded.height
        lag = (joined["ts_utc"] - joined["ts_utc_truth"]).dt.total_seconds().abs()
        # minute-resolution layouts drop seconds; a local time in the repeated DST hour may be
        # read in the other fold
        assert (lag <= 60).mean() > 0.99, f["path"]  # type: ignore[operator]
        assert (joined["amount"] - joined["amount_truth"]).abs().max() < 0.006  # type: ignore[operator]
