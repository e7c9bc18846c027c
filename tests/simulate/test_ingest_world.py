"""End to end: every file of a small world loads through its mapping (or, for ISO 20022, ingest's
built-in one) with nothing quarantined, and the loaded times and amounts agree with the ground
truth."""

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


@pytest.fixture(scope="module", params=["csv", "parquet", "iso20022"])
def small(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("w") / "world"
    simulate(out, senders=300, months=1, seed=3, profile="evasive", fmt=request.param)
    return out


def test_mappings_are_valid(small: Path) -> None:
    model = load_model()
    m = json.loads((small / "manifest.json").read_text())
    for f in m["files"]:
        if f["format"] == "iso20022":
            assert f["mapping"] is None and f["path"].endswith(".xml")
            continue
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
    files = m["files"]
    if any(f["format"] == "iso20022" for f in files):
        # the other files are the CSV world's (tested with it): only the banks' files differ
        files = [
            f
            for f in files
            if f["institution"] in ("harbour_bank", "maple_bank", "rhein_bank")
            and f["kind"] == "transactions"
        ]
    # one workspace per file (with the rates), so each file is judged on its own
    for i, f in enumerate(files):
        ws = init_workspace(tmp_path / f"ws{i}")
        if f["kind"] != "rates":
            ingest_file(ws, small / "rates.csv", mapping=small / "mappings" / "rates.toml")
        mapping = small / f["mapping"] if f["mapping"] else None
        r = ingest_file(ws, small / f["path"], mapping=mapping)
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


def test_iso20022_world_has_the_banks_transfers_as_pacs008(small: Path, tmp_path: Path) -> None:
    m = json.loads((small / "manifest.json").read_text())
    if not any(f["format"] == "iso20022" for f in m["files"]):
        assert not list(small.glob("*.xml"))
        return
    truth = pl.read_csv(small / "truth" / "transactions.csv", infer_schema_length=0)
    xml = [f for f in m["files"] if f["format"] == "iso20022"]
    assert {f["institution"] for f in xml} == {"harbour_bank", "maple_bank", "rhein_bank"}
    assert sum(f["rows"] for f in xml) > 0
    assert not list(small.glob(".*"))  # no spool left behind
    # every transaction once: pacs.008 holds exactly the banks' bank transfers, CSV the rest
    for inst, n in truth.group_by("institution").len().iter_rows():
        assert (
            sum(
                f["rows"]
                for f in m["files"]
                if f.get("institution") == inst and f["kind"] == "transactions"
            )
            == n
        ), inst
    ws = init_workspace(tmp_path / "ws")
    ingest_file(ws, small / "rates.csv", mapping=small / "mappings" / "rates.toml")
    for f in xml:
        r = ingest_file(ws, small / f["path"])
        assert r.rows_quarantined == 0 and r.rows_loaded == f["rows"]
    got = ws.con.execute(
        "SELECT institution, channel, count(*) FROM transactions GROUP BY ALL ORDER BY 1"
    ).fetchall()
    want = (
        truth.filter(pl.col("channel") == "bank_transfer")
        .group_by("institution")
        .len()
        .sort("institution")
    )
    assert got == [(i, "bank_transfer", n) for i, n in want.iter_rows()]
