"""Fingerprint of what the pipeline makes from fixed seeds: a refactoring check, not a figure.

    python bench/fingerprint.py before.json     # on the code before a refactoring
    python bench/fingerprint.py after.json      # after it; then compare:
    python bench/fingerprint.py --compare before.json after.json

Three small worlds (baseline CSV, namesakes Parquet, evasive ISO 20022) are simulated, ingested
and scanned (without resolution, with the shipped model, nothing written); the fingerprint holds
the hash of every generated file, of every workspace table (rows sorted; ids drawn at random,
clocks and timings left out) and of the scan's payer and beneficiary tables. The worlds are made
in one fixed folder (``--work``, emptied first) so that the file paths stored in the tables are
the same each run. Used for issue 16's moves (build_world, Engine.run, build_payer, the layouts
and reference tables as data): identical before and after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

WORLDS = (
    ("a", "baseline", "csv", 400, 3, 5),
    ("b", "namesakes", "parquet", 250, 2, 9),
    ("c", "evasive", "iso20022", 250, 2, 3),
)


#: Columns that differ from run to run whatever the code: ids drawn at random, clocks, timings.
VOLATILE = {
    "ingest_id",
    "ingested_at",
    "started_at",
    "finished_at",
    "created_at",
    "opened_at",
    "loaded_at",
    "run_id",
    "seconds",
    "duration_s",
}


def _files(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _frame(df: Any) -> list[Any]:
    df = df.astype(str).sort_values(list(df.columns)).reset_index(drop=True)
    return [hashlib.sha256(df.to_csv(index=False).encode()).hexdigest()[:16], len(df)]


def fingerprint(work: Path) -> dict[str, Any]:
    from bantay.detect.scan import scan
    from bantay.ingest import ingest_file, read_manifest
    from bantay.simulate import simulate
    from bantay.workspace import init_workspace

    shutil.rmtree(work, ignore_errors=True)
    out: dict[str, Any] = {}
    for name, profile, fmt, senders, months, seed in WORLDS:
        world = work / name
        simulate(world, senders=senders, months=months, seed=seed, profile=profile, fmt=fmt)
        out[f"{name}.files"] = _files(world)
        ws = init_workspace(work / f"{name}-ws")
        try:
            for path, f, mapping, kind in read_manifest(world / "manifest.json"):
                ingest_file(ws, path, fmt=f, mapping=mapping, kind=kind)
            for (table,) in sorted(ws.con.execute("SHOW TABLES").fetchall()):
                df = ws.con.execute(f"SELECT * FROM {table}").fetch_df()
                df = df[[c for c in df.columns if c not in VOLATILE]]
                if table == "bantay_meta":
                    df = df[~df.iloc[:, 0].astype(str).eq("created_at")]
                out[f"{name}.table.{table}"] = _frame(df)
            r = scan(ws, model="default", write=False)
            out[f"{name}.scan.payer"] = _frame(r.payer)
            out[f"{name}.scan.beneficiary"] = _frame(r.beneficiary)
        finally:
            ws.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path, nargs="?", help="write the fingerprint here (JSON)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bantay-fingerprint"))
    ap.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        a, b = (json.loads(p.read_text()) for p in args.compare)
        differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        print(f"{len(a)} entries; differ: {', '.join(differ) or 'none'}")
        sys.exit(1 if differ else 0)
    if args.out is None:
        ap.error("give a file to write, or --compare BEFORE AFTER")
    fp = fingerprint(args.work)
    args.out.write_text(json.dumps(fp, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.out} ({len(fp)} entries)")


if __name__ == "__main__":
    main()
