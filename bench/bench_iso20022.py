"""ISO 20022 pacs.008 reader: throughput and peak memory at two file sizes, beside baselines.

Run (from the repository root, with the virtual environment active)::

    nice python bench/bench_iso20022.py                 # 200,000 and 1,000,000 transactions
    nice python bench/bench_iso20022.py --n 5000000     # a larger second file (≈ 4 GB)

Generates two pacs.008 files with :func:`bantay.ingest.iso20022.write_pacs008` (synthetic, neutral
rows, one streamed message per file), then runs, each in its own subprocess so that peak
memory (``ru_maxrss``) is measured per run:

- ``iterparse``: ``lxml.etree.iterparse`` of the same file, stopping on each ``CdtTrfTxInf`` and
  clearing it, extracting nothing: the floor any streamed lxml reader sits on;
- ``reader``: :func:`bantay.ingest.iso20022.iter_batches` as ingest calls it, every field into
  Arrow batches: for files of 48 MiB and more, ranges of the file read by worker processes
  (one per CPU, at most 4; see :mod:`bantay.ingest.iso20022_parallel`);
- ``sequential``: the same reader forced to one process (``workers=1``);
- ``ingest``: the whole of ``bantay ingest`` of the file into a fresh workspace (reader,
  validation, loading, party records), reporting currency AUD so no rate table is needed;
- ``ET.parse``: ``xml.etree.ElementTree.parse`` of the whole file (not streamed), for memory; on
  the smaller file only unless ``--full-parse-large``.

Prints a table: transactions/s, the reader's speed as a multiple of bare iterparse, and peak RSS
of the measuring process and, for the parallel reader, of its largest worker (each worker holds
one range, whatever the file's size). Flat memory shows as the same peak RSS on both files. The
load average (other processes on the machine) is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

CITIES_AU = ["Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide", "Hobart"]
CITIES_PH = ["Manila", "Cebu", "Davao", "Angeles City", "Iloilo", "Baguio"]
GIVEN = ["Alex", "Sam", "Chris", "Jordan", "Maria", "Jose", "Ana", "Mark", "Grace", "Paul"]
FAMILY = ["Smith", "Reyes", "Cruz", "Brown", "Santos", "Lee", "Garcia", "Wilson", "Tan"]
MEMOS = ["family support", "school fees", "rent", "gift", "allowance", None, None]


def synthetic_rows(n: int, seed: int = 7) -> Iterator[dict[str, object]]:
    rnd = random.Random(seed)
    for i in range(n):
        yield {
            "transaction_id": f"TX{i:010d}",
            "institution": "BANKAU2SXXX",
            "timestamp": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+10:00",
            "amount": f"{rnd.randint(5, 900)}.{rnd.randint(0, 99):02d}",
            "currency": "AUD",
            "payer_ref": f"C{rnd.randint(1, 50_000):07d}",
            "payer_name": f"{rnd.choice(GIVEN)} {rnd.choice(FAMILY)}",
            "payer_account": f"AU{rnd.randint(10, 99)}BANK{rnd.randint(0, 10**12):012d}",
            "payer_country": "AU",
            "payer_city": rnd.choice(CITIES_AU),
            "payer_phone": f"+614{rnd.randint(0, 10**8):08d}",
            "beneficiary_name": f"{rnd.choice(GIVEN)} {rnd.choice(FAMILY)}",
            "beneficiary_account": f"09{rnd.randint(0, 10**9):09d}",
            "beneficiary_institution": "BOPIPHMMXXX",
            "beneficiary_country": "PH",
            "beneficiary_city": rnd.choice(CITIES_PH),
            "beneficiary_phone": f"+639{rnd.randint(0, 10**9):09d}",
            "memo": rnd.choice(MEMOS),
        }


def peak_rss_mb() -> float:
    """Peak RSS of this process image: VmHWM (ru_maxrss would include the parent's at fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(mode: str, path: str) -> None:
    """Run one measurement in this (fresh) process and print it as JSON."""
    import xml.etree.ElementTree as ET

    from lxml import etree

    from bantay.ingest.iso20022 import iter_batches

    base_mb = peak_rss_mb()
    t0 = time.perf_counter()
    n = 0
    if mode == "reader":
        for batch in iter_batches(Path(path)):
            n += batch.num_rows
    elif mode == "ingest":  # the whole of `bantay ingest`: reader, validation, load, party records
        from bantay.ingest import ingest_file
        from bantay.workspace import init_workspace

        with tempfile.TemporaryDirectory(dir=Path(path).parent) as tmp:
            ws = init_workspace(Path(tmp) / "ws", reporting_currency="AUD")
            report = ingest_file(ws, Path(path))
            ws.close()
        n = report.rows_read
        assert n == report.rows_loaded + report.rows_quarantined, report
        assert report.rows_loaded == n, f"{report.rows_quarantined} rows quarantined"
    elif mode == "sequential":
        for batch in iter_batches(Path(path), workers=1):
            n += batch.num_rows
    elif mode == "iterparse":
        for _, elem in etree.iterparse(path, events=("end",), tag="{*}CdtTrfTxInf"):
            n += 1
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            while elem.getprevious() is not None:
                del parent[0]
    elif mode == "ET.parse":
        root = ET.parse(path).getroot()
        n = len(root.findall(".//{*}CdtTrfTxInf"))
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - t0
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    out = {
        "n": n,
        "seconds": seconds,
        "peak_mb": peak_rss_mb(),
        "worker_peak_mb": workers_mb,
        "after_imports_mb": base_mb,
    }
    print(json.dumps(out))


def measure(mode: str, path: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="transactions in the large file")
    ap.add_argument("--small", type=int, default=200_000, help="transactions in the small file")
    ap.add_argument("--dir", type=Path, default=None, help="where to write the files (temp dir)")
    ap.add_argument(
        "--keep", action="store_true", help="keep the generated files (and reuse them in --dir)"
    )
    ap.add_argument("--full-parse-large", action="store_true", help="ET.parse the large file too")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return

    from bantay.ingest.iso20022 import write_pacs008

    tmp = tempfile.TemporaryDirectory(dir=args.dir) if not args.keep else None
    folder = Path(tmp.name) if tmp else (args.dir or Path(tempfile.mkdtemp()))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; files in {folder}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results: list[tuple[str, int, float, str, dict[str, float]]] = []
    try:
        for n in (args.small, args.n):
            path = folder / f"pacs008_{n}.xml"
            if args.keep and path.exists():  # kept from an earlier run (--keep --dir DIR)
                print(f"reusing {path}", flush=True)
            else:
                t0 = time.perf_counter()
                written = write_pacs008(
                    synthetic_rows(n), path, f"BENCH-{n}", "BANKAU2SXXX", batch_per_message=None
                )
                wsec = time.perf_counter() - t0
                print(
                    f"wrote {written:,} transactions in {wsec:.1f} s ({written / wsec:,.0f}/s)",
                    flush=True,
                )
            size_mb = path.stat().st_size / 1e6
            modes = ["iterparse", "sequential", "reader", "ingest"]
            if n == args.small or args.full_parse_large:
                modes.append("ET.parse")
            for mode in modes:
                r = measure(mode, path)
                assert r["n"] == n, (mode, r["n"], n)
                results.append((path.name, n, size_mb, mode, r))
                print(
                    f"  {mode:<10} {r['seconds']:7.1f} s  peak {r['peak_mb']:7.0f} MB "
                    f"(largest worker {r['worker_peak_mb']:.0f} MB)",
                    flush=True,
                )
    finally:
        if tmp:
            tmp.cleanup()

    print()
    header = (
        f"{'transactions':>12} {'file MB':>8} {'run':<10} {'seconds':>8} {'tx/s':>9} "
        f"{'vs iterparse':>12} {'peak RSS MB':>11} {'worker MB':>9}"
    )
    print(header)
    print("-" * len(header))
    base: dict[int, float] = {}
    for _, n, size_mb, mode, r in results:
        rate = n / r["seconds"]
        if mode == "iterparse":
            base[n] = rate
        ratio = f"{rate / base[n]:.2f}x" if mode != "ET.parse" else "-"
        worker = f"{r['worker_peak_mb']:,.0f}" if mode in ("reader", "ingest") else "-"
        print(
            f"{n:>12,} {size_mb:>8,.0f} {mode:<10} {r['seconds']:>8.1f} {rate:>9,.0f} "
            f"{ratio:>12} {r['peak_mb']:>11,.0f} {worker:>9}"
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
