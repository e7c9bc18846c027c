"""What writing the transactions table costs, by the table's shape (issue 2's CSV ratio).

    python bench/bench_ingest_write.py --rows 2000000

Ingests the remitter-style CSV of ``bench_ingest_csv.py`` once, then times persisting the same
transactions again from memory into a fresh DuckDB file, in several shapes, beside DuckDB's own
``read_csv`` → table copy of the file (the ratio issue 2 measures against). Each timing is the best
of ``--repeat`` runs. It shows how much of the ingest's gap is the writing of the wide table itself:
the stored shape, not the queries, decides whether the 1.5× target is reachable.

It also times the engine's first step alone, DuckDB parsing the file into memory as text, and adds
it to the persisting of the stored table: no design that parses the file and then writes the table
can be faster than that sum, before any conversion, check, duplicate test or party record.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from bantay.ingest import ingest_file
from bantay.ingest.mapping import parse_mapping
from bantay.workspace import init_workspace
from bench_ingest_csv import MAPPING, generate

SIDES = [
    f"{side}_{field}"
    for side in ("payer", "beneficiary")
    for field in ("ref", "name", "account", "institution", "country", "city", "phone")
]
#: label -> the transactions columns left out of the persisted copy
SHAPES: dict[str, list[str]] = {
    "as stored (every column)": [],
    "without the two record ids": ["payer_record_id", "beneficiary_record_id"],
    "without the raw payer and beneficiary sides": SIDES,
}


def timed_copy(work: Path, setup: str, select: str, repeat: int) -> tuple[float, float]:
    """Best wall time of persisting ``select`` into a fresh database file, and the file's MB."""
    best, size = float("inf"), 0.0
    for k in range(repeat):
        path = work / f"copy-{k}.duckdb"
        con = duckdb.connect(str(path))
        con.execute(setup)
        t = time.perf_counter()
        con.execute(f"CREATE TABLE t AS {select}")
        con.execute("CHECKPOINT")
        best = min(best, time.perf_counter() - t)
        con.close()
        size = path.stat().st_size / 1e6
        path.unlink()
    return best, size


def timed_parse(csv: Path, repeat: int) -> float:
    """Best wall time of DuckDB reading the file, every column as text, into a temp table."""
    best = float("inf")
    for _ in range(repeat):
        con = duckdb.connect()
        con.execute("SET memory_limit = '1GB'")  # the ingest's own ceiling (ingest_memory_limit)
        con.execute("SET preserve_insertion_order = true")  # the stage keeps file order
        t = time.perf_counter()
        con.execute(f"CREATE TEMP TABLE s AS SELECT * FROM read_csv('{csv}', all_varchar = true)")
        best = min(best, time.perf_counter() - t)
        con.close()
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--dir", type=Path, default=Path("bench/out"))
    a = ap.parse_args()
    a.dir.mkdir(parents=True, exist_ok=True)
    csv = a.dir / f"remitter-{a.rows}.csv"
    if not csv.exists():
        generate(csv, a.rows)
    with tempfile.TemporaryDirectory(dir=a.dir) as tmp:
        work = Path(tmp)
        ws = init_workspace(work / "ws")
        ingest_file(ws, csv.with_suffix(".rates.csv"), kind="rates")
        t = time.perf_counter()
        r = ingest_file(ws, csv, mapping=parse_mapping(MAPPING, "bench mapping"))
        ingest_s = time.perf_counter() - t
        cols = [
            c
            for (c,) in ws.con.execute(
                "SELECT name FROM pragma_table_info('transactions')"
            ).fetchall()
        ]
        ws.close()
        load = (
            f"ATTACH '{work / 'ws' / 'bantay.duckdb'}' AS src (READ_ONLY); "
            "CREATE TEMP TABLE m AS SELECT * FROM src.transactions; DETACH src"
        )
        rows = [("bantay ingest (whole)", ingest_s, len(cols), float("nan"))]
        copy_s, copy_mb = timed_copy(work, "SELECT 1", f"SELECT * FROM read_csv('{csv}')", a.repeat)
        parse_s = timed_parse(csv, a.repeat)
        rows.append(
            ("parse the file as text into memory (the engine's stage)", parse_s, 16, float("nan"))
        )
        for label, left_out in SHAPES.items():
            kept = [c for c in cols if c not in left_out]
            select = ", ".join(f'"{c}"' for c in kept)
            s, mb = timed_copy(work, load, f"SELECT {select} FROM m", a.repeat)
            rows.append((f"persist transactions, {label}", s, len(kept), mb))
            if not left_out:
                floor = ("floor: parse + persist as stored", parse_s + s, len(kept), mb)
        rows.append(floor)
    table = Table(
        title=f"{r.rows_read:,} rows; DuckDB's copy of the file: {copy_s:.2f} s ({copy_mb:.0f} MB)"
    )
    for c in ("step", "seconds", "columns", "MB", "× DuckDB's copy"):
        table.add_column(c, justify="left" if c == "step" else "right")
    for label, s, n, mb in rows:
        table.add_row(
            label,
            f"{s:.2f}",
            str(n),
            "" if mb != mb else f"{mb:.0f}",
            f"{s / copy_s:.2f}",
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
