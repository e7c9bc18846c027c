"""Scan speed (issue 5): `bantay scan` over N transactions beside one plain DuckDB GROUP BY pass.

    cd bench && python bench_scan.py --sizes 10000000 100000000

How the big workspaces are made. Simulating and entity-resolving 100M transactions would take hours
on the 2-core build machine, so one simulated world (``--base-senders`` senders, ``--months``
months, simulated, ingested with its KYC files and entity-resolved by the same code as
``bantay train --simulate``) is replicated inside DuckDB ``k = ceil(N / n_base)`` times and cut to N
rows. Each replica is the whole world again with every identifier made its own: transaction, record,
customer, account and entity ids get a ``~r`` suffix, beneficiary accounts an ``R<r>`` suffix, and
beneficiary phones a new last seven digits unique per (phone, replica) (the earlier digits, and so
the country and mobile prefix, are kept), so that replicas share no payer, beneficiary, phone or
account: per-entity behaviour, counterparty structure, dens and name lists are the simulated ones,
and the number of entities grows with N as in a real institution. Timestamps move by up to an hour
per replica. Names, cities, amounts and memos are the world's. The facilitator signals of the base
world are kept as they are (they seed replica 0 only).

Timed, each in its own process, under ``flock /tmp/bantay-bench.lock`` and ``/usr/bin/time -v``
(wall time and peak resident memory of the process; DuckDB runs inside it):

* ``bantay scan --workspace W`` (the CLI, default model, default threshold, writes every table);
* one plain DuckDB GROUP BY pass over the same table: per payer record count, sum, min and max of
  the amount and the first and last timestamp, fetched.

The machine's load (``/proc/loadavg``) is printed beside each timing.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bantay.workspace import DEFAULT_SETTINGS

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

LOCK = "/tmp/bantay-bench.lock"

GROUP_BY = (
    "SELECT payer_record_id, count(*), sum(amount_reporting), min(amount_reporting), "
    "max(amount_reporting), min(ts_utc), max(ts_utc) FROM transactions GROUP BY 1"
)


def _suffix(col: str) -> str:
    return f"CASE WHEN {col} IS NULL THEN NULL ELSE {col} || '~' || r::VARCHAR END"


def replicate(base: Path, out: Path, n: int, threads: int) -> tuple[int, int]:
    """Copy the workspace ``base`` to ``out`` with its transactions replicated to ``n`` rows.
    Returns (rows, replicas)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(base, out, ignore=shutil.ignore_patterns("tmp"))
    con = duckdb.connect(str(out / "bantay.duckdb"))
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    n_base = int((con.execute("SELECT count(*) FROM transactions").fetchone() or [0])[0])
    k = max(1, math.ceil(n / n_base))
    cols = [r[0] for r in con.execute("DESCRIBE transactions").fetchall()]
    suffixed = {
        "transaction_id",
        "payer_record_id",
        "payer_ref",
        "payer_account",
        "beneficiary_record_id",
        "beneficiary_ref",
    }
    # phones: the last 7 digits replaced by a number unique per (phone key, replica); the key is the
    # last nine digits, as the network's phone matching reads them
    con.execute(
        """CREATE TEMP TABLE phone_ids AS
        SELECT key, (row_number() OVER (ORDER BY key) - 1) AS pid FROM (
            SELECT DISTINCT right(regexp_replace(beneficiary_phone, '[^0-9]', '', 'g'), 9) AS key
            FROM transactions WHERE beneficiary_phone IS NOT NULL)"""
    )
    n_phones = int((con.execute("SELECT count(*) FROM phone_ids").fetchone() or [0])[0])
    if n_phones * k >= 10**7:
        raise SystemExit(f"{n_phones} phones x {k} replicas do not fit seven digits")
    select = []
    for c in cols:
        if c in suffixed:
            select.append(f"{_suffix('t.' + c)} AS {c}")
        elif c == "beneficiary_account":
            select.append(
                "CASE WHEN t.beneficiary_account IS NULL THEN NULL "
                "ELSE t.beneficiary_account || 'R' || r::VARCHAR END AS beneficiary_account"
            )
        elif c == "beneficiary_phone":
            select.append(
                "CASE WHEN t.beneficiary_phone IS NULL THEN NULL ELSE "
                "(CASE WHEN starts_with(t.beneficiary_phone, '+') THEN '+' ELSE '' END) || "
                "left(regexp_replace(t.beneficiary_phone, '[^0-9]', '', 'g'), "
                "greatest(length(regexp_replace(t.beneficiary_phone, '[^0-9]', '', 'g')) - 7, 0)) "
                f"|| lpad((p.pid * {k} + r)::VARCHAR, 7, '0') END AS beneficiary_phone"
            )
        elif c in ("ts_utc", "local_time"):
            select.append(f"t.{c} + to_minutes(((r * 37) % 121 - 60)::BIGINT) AS {c}")
        else:
            select.append(f"t.{c}")
    con.execute(
        f"""CREATE TABLE transactions_big AS
        SELECT {", ".join(select)}
        FROM transactions t
        LEFT JOIN phone_ids p
          ON p.key = right(regexp_replace(t.beneficiary_phone, '[^0-9]', '', 'g'), 9)
        CROSS JOIN range({k}) rr(r)
        LIMIT {n}"""
    )
    con.execute("DROP TABLE transactions")
    con.execute("ALTER TABLE transactions_big RENAME TO transactions")
    # KYC records and resolved entities of every replica
    for table, id_cols in (
        ("party_records", ("party_record_id", "customer_ref", "account_id")),
        ("entity_members", ("party_record_id", "entity_id")),
        ("entities", ("entity_id",)),
    ):
        have = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        sel = ", ".join(f"{_suffix(c)} AS {c}" if c in id_cols else c for c in have)
        con.execute(
            f"CREATE TABLE {table}_big AS SELECT {sel} FROM {table} CROSS JOIN range({k}) rr(r)"
        )
        con.execute(f"DROP TABLE {table}")
        con.execute(f"ALTER TABLE {table}_big RENAME TO {table}")
    for table in ("entity_links", "alerts", "scores", "entity_features", "indicator_hits"):
        con.execute(f"DELETE FROM {table}")
    rows = int((con.execute("SELECT count(*) FROM transactions").fetchone() or [0])[0])
    con.execute("CHECKPOINT")
    con.close()
    return rows, k


def timed(cmd: list[str]) -> tuple[float, float, str, str]:
    """(wall seconds, peak RSS GiB, load before, stdout tail) of ``cmd`` under flock + time -v."""
    # the load is read once the lock is held, just before the command starts
    full = ["flock", LOCK, "sh", "-c", 'cat /proc/loadavg >&2; exec /usr/bin/time -v "$@"', "sh"]
    full += cmd
    t0 = time.perf_counter()
    p = subprocess.run(full, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    e = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", p.stderr)
    if e:
        parts = [float(x) for x in e.group(1).split(":")]
        wall = sum(v * 60**i for i, v in enumerate(reversed(parts)))
    rss = int(m.group(1)) / 2**20 if m else float("nan")
    load = p.stderr.splitlines()[0].split()[:3] if p.stderr else ["?"]
    return wall, rss, " ".join(load), p.stdout[-2000:]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000_000])
    ap.add_argument("--root", type=Path, default=Path("/tmp/bantay-bench-scan"))
    ap.add_argument(
        "--worlds",
        type=Path,
        default=Path("/tmp/bantay-bench-detect2"),
        help="where the base world is prepared (shared with bench_detect.py, reused if there)",
    )
    ap.add_argument("--base-senders", type=int, default=2000)
    ap.add_argument("--months", type=int, default=6)
    ap.add_argument("--seed", type=int, default=101)
    ap.add_argument("--threads", type=int, default=2, help="DuckDB threads (the target: 2 cores)")
    ap.add_argument("--keep", action="store_true", help="keep the replicated workspaces")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="time a replicated workspace kept by an earlier --keep run instead of remaking it",
    )
    ap.add_argument(
        "--scan-memory-limit",
        default=DEFAULT_SETTINGS["scan_memory_limit"],
        help="the workspace's scan_memory_limit (default: a new workspace's)",
    )
    a = ap.parse_args()

    from bench_detect_worlds import prepare_world

    base_ws, _truth, secs = prepare_world(
        a.worlds / f"baseline-{a.seed}-{a.base_senders}",
        "baseline",
        a.seed,
        a.base_senders,
        a.months,
    )
    print(f"base world ready ({secs:.0f}s): {base_ws}", flush=True)
    bantay = str(Path(sys.executable).with_name("bantay"))
    rows_out = []
    for n in a.sizes:
        ws = a.root / f"scan-{n}"
        t0 = time.perf_counter()
        made = ws / "replicated.txt"
        if a.reuse and made.exists():
            rows, k = (int(x) for x in made.read_text().split())
            print(f"reusing {ws}: {rows:,} transactions ({k} replicas)", flush=True)
        else:
            rows, k = replicate(base_ws, ws, n, a.threads)
            made.write_text(f"{rows} {k}\n")
        # the replicas copy the base world's settings: scan with the ceiling a new workspace gets
        subprocess.run(
            [bantay, "config", "scan_memory_limit", a.scan_memory_limit, "--workspace", str(ws)],
            check=True,
            capture_output=True,
        )
        print(f"scan_memory_limit = {a.scan_memory_limit!r}", flush=True)
        size = sum(f.stat().st_size for f in ws.rglob("*") if f.is_file()) / 2**30
        print(
            f"{rows:,} transactions ({k} replicas) ready in {time.perf_counter() - t0:.0f}s, "
            f"workspace {size:.1f} GiB",
            flush=True,
        )
        try:
            _g_proc, g_rss, g_load, g_out = timed(
                [
                    sys.executable,
                    "-c",
                    "import duckdb,sys,time; c=duckdb.connect(sys.argv[1], read_only=True); "
                    f"c.execute('SET threads = {a.threads}'); t=time.perf_counter(); "
                    f"r=c.execute({GROUP_BY!r}).fetchall(); "
                    "print('groups', len(r), 'seconds', time.perf_counter()-t)",
                    str(ws / "bantay.duckdb"),
                ]
            )
            g_match = re.search(r"groups (\d+) seconds ([\d.]+)", g_out)
            if not g_match:
                raise SystemExit(f"GROUP BY gave no timing: {g_out}")
            g_wall = float(g_match.group(2))
            s_wall, s_rss, s_load, tail = timed([bantay, "scan", "--workspace", str(ws)])
            print(tail.strip().splitlines()[-1] if tail.strip() else "", flush=True)
            rows_out.append((rows, s_wall, s_rss, s_load, g_wall, g_rss, g_load))
            print(
                f"  scan {s_wall:.1f}s (peak RSS {s_rss:.2f} GiB, load {s_load}); "
                f"GROUP BY {g_wall:.1f}s (peak RSS {g_rss:.2f} GiB, load {g_load}); "
                f"ratio {s_wall / g_wall:.1f}x",
                flush=True,
            )
        finally:
            if not a.keep:
                shutil.rmtree(ws)
    print(
        "\n| transactions | bantay scan | peak RSS | GROUP BY pass | ratio | load (1/5/15 min) |\n"
        "|---:|---:|---:|---:|---:|---|"
    )
    for rows, sw, sr, sl, gw, _gr, _gl in rows_out:
        print(f"| {rows:,} | {sw:.1f} s | {sr:.2f} GiB | {gw:.1f} s | {sw / gw:.1f}x | {sl} |")


if __name__ == "__main__":
    main()
