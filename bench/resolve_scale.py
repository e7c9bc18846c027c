"""Entity resolution at scale: ~1M synthetic party records, wall time and peak memory, beside exact
matching on normalised name + date of birth measured in the same run.

    nice python bench/resolve_scale.py [--persons 400000]

The records are generated first (bantay.resolve.synthetic: name variants, phone formats, missing
fields; 80 % of surnames from a long tail) and written to Parquet; a fresh process then loads them
into a workspace and resolves them (training included), so the peak resident memory reported is
that of resolution alone. Target: 1M records in <= 3 minutes under 8 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl


def child(parquet: Path, ws_dir: Path) -> None:
    from bantay.evaluate.resolution import evaluate
    from bantay.resolve.features import build_features
    from bantay.resolve.run import resolve
    from bantay.workspace import init_workspace

    records = pl.read_parquet(parquet)
    truth = records.select("party_record_id", "person_id")
    ws = init_workspace(ws_dir)
    ws.con.register("r", records.drop("person_id").to_arrow())
    ws.con.execute("INSERT INTO party_records BY NAME SELECT * FROM r")
    ws.con.unregister("r")
    t0 = time.perf_counter()
    f = build_features(records)
    key = pl.when(pl.col("name_key").is_not_null() & pl.col("dob").is_not_null()).then(
        pl.col("name_key") + "|" + pl.col("dob")
    )
    base = f.select("unique_id", pl.coalesce(key, pl.col("unique_id")))
    base_secs = time.perf_counter() - t0
    base_m = evaluate(base, truth)
    del f, base
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    load0 = os.getloadavg()[0]
    report = resolve(ws, retrain=True)
    secs = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    load1 = os.getloadavg()[0]
    members = pl.from_arrow(
        ws.con.sql("SELECT party_record_id, entity_id FROM entity_members").to_arrow_table()
    )
    assert isinstance(members, pl.DataFrame)
    m = evaluate(members, truth)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        json.dumps(
            {
                "records": records.height,
                "seconds": secs,
                "cpu_seconds": cpu,
                "load": [load0, load1],
                "timings": report.timings,
                "pairs": report.n_pairs,
                "entities": report.n_entities,
                "model": report.model,
                "f1": m.f1,
                "precision": m.precision,
                "recall": m.recall,
                "bcubed_f1": m.bcubed_f1,
                "baseline_seconds": base_secs,
                "baseline_f1": base_m.f1,
                "baseline_precision": base_m.precision,
                "baseline_recall": base_m.recall,
                "peak_rss_gb": rss_gb,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=400_000)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    from bantay.resolve.synthetic import party_records

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        df = party_records(args.persons, seed=2024, rare_names=0.8)
        parquet = Path(tmp) / "records.parquet"
        df.write_parquet(parquet)
        gen = time.perf_counter() - t0
        print(f"generated {df.height:,} records of {args.persons:,} persons in {gen:.0f} s")
        del df
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(parquet), str(Path(tmp) / "ws")],
            check=True,
            capture_output=True,
            text=True,
        )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{'method':<28} {'records':>9} {'seconds':>8} {'precision':>9} {'recall':>7} {'F1':>7}")
    print(
        f"{'exact name + date of birth':<28} {r['records']:>9,} {r['baseline_seconds']:>8.1f} "
        f"{r['baseline_precision']:>9.4f} {r['baseline_recall']:>7.4f} {r['baseline_f1']:>7.4f}"
    )
    print(
        f"{'Bantay (Splink, trained)':<28} {r['records']:>9,} {r['seconds']:>8.1f} "
        f"{r['precision']:>9.4f} {r['recall']:>7.4f} {r['f1']:>7.4f}"
    )
    print(f"steps (s): {r['timings']}; pairs >= 0.5: {r['pairs']:,}; entities: {r['entities']:,}")
    print(f"peak resident memory of the resolving process: {r['peak_rss_gb']:.2f} GB")
    print(
        f"CPU time of resolution (all threads): {r['cpu_seconds']:.0f} s on "
        f"{os.cpu_count()} cores; 1-min load average {r['load'][0]:.1f} before, "
        f"{r['load'][1]:.1f} after (wall time is inflated when the machine is shared)"
    )


if __name__ == "__main__":
    main()
