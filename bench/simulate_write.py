"""Figure (b): a large world written in chunks, with peak memory (max RSS of this process).

    nice python bench/simulate_write.py                      # about 5M transactions
    nice python bench/simulate_write.py --transactions 100000000 --format parquet --out /big/dir

Baseline in the same run: the peak RSS right after building the population (before any
transaction exists), so the table shows how much the chunked writing adds.

Each chunk (5,000 senders) is generated, formatted and handed to one writer thread (CSV appended,
Parquet row groups, zstd), so writing overlaps generating the next chunk. Rows are in time order
within a chunk only: files are chunk-sorted, never sorted as a whole. Use ``nice``, and an --out
on a disk with room (about 30 bytes per transaction in Parquet, incl. the truth): delete it after.

Measured 2026-11-30 (2 shared cores, load 8-12 from other jobs; this job got 31% of the CPU):
``--transactions 30000000 --format parquet``: 161,290 senders x 12 months -> 28,818,422
transactions, 0.86 GB; population 294 s (peak RSS 639 MB); generate + write 596 s wall (48,330
rows/s wall; 242 s user + 41 s sys CPU for the whole run); peak RSS 928 MB (``/usr/bin/time``:
950,000 kB). 100M was not run (about 50 min at that load); peak RSS grows with the population
(linear in senders), the chunked writing adds about 300 MB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bantay.simulate.profiles import load_profile
from bantay.simulate.world import Config, build_world
from bantay.simulate.writers import write_world

#: transactions per sender per month in the baseline profile (card spending dominates)
PER_SENDER_MONTH = 15.5


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transactions", type=int, default=5_000_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--format", default="csv", choices=["csv", "parquet", "iso20022"])
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    senders = max(100, round(a.transactions / (a.months * PER_SENDER_MONTH)))
    out = a.out or Path(tempfile.mkdtemp(prefix="bantay-bench-"))
    t = time.perf_counter()
    world = build_world(Config(senders=senders, months=a.months, seed=1), load_profile("baseline"))
    t_world = time.perf_counter() - t
    rss_world = peak_mb()
    t = time.perf_counter()
    m = write_world(world, out, a.format)
    t_write = time.perf_counter() - t
    n = sum(f["rows"] for f in m["files"] if f["kind"] == "transactions")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"{senders:,} senders x {a.months} months -> {n:,} transactions ({a.format}), "
        f"{size / 1e9:.2f} GB on disk incl. truth"
    )
    print(f"{'step':<34}{'seconds':>10}{'rows/s':>14}{'peak RSS MB':>14}")
    print(f"{'population (baseline)':<34}{t_world:>10.1f}{'':>14}{rss_world:>14,.0f}")
    print(
        f"{'generate + write, chunked':<34}{t_write:>10.1f}{n / t_write:>14,.0f}{peak_mb():>14,.0f}"
    )
    print(f"peak RSS / population-only RSS: {peak_mb() / rss_world:.2f}x; limit 4,096 MB")
    if a.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
