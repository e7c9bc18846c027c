"""Web app figures (issue 6): alert queue p95 with 1M alerts, entity page with 10k payments.

    nice python bench/bench_web.py                 # 1,000,000 alerts, 10,000 payments
    nice python bench/bench_web.py --alerts 100000 --requests 50   # quicker

Builds a synthetic workspace directly in SQL (``bantay.cases.synthetic``: alerts, scores, entities,
members, indicator hits, network scores and one payer with N payments), starts ``bantay serve`` on
127.0.0.1 in a child process, logs in over HTTP and times a bounded number of requests per kind,
one at a time: a trivial endpoint (/healthz) as the baseline measured in the same run, queue pages
(first page, filtered, sorted by name, deep keyset pages), the HTML queue, the entity JSON and HTML
pages, and (issue 18) the global search and "my queue". Every personal-data request also writes
its audit entry, as in production. The server is
stopped at the end; nothing listens beyond loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bantay.cases.db import open_workflow
from bantay.cases.synthetic import build
from serving import pct, start_serve, stop_serve

PASSWORD = "bench-password-not-secret"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=1_000_000)
    ap.add_argument("--payments", type=int, default=10_000, help="payments of the big entity")
    ap.add_argument("--requests", type=int, default=100, help="timed requests per kind")
    ap.add_argument("--keep", type=Path, help="build the workspace here and keep it")
    ap.add_argument(
        "--reuse", action="store_true", help="with --keep: reuse a workspace built before"
    )
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bantay-bench-web-"))
    ws = args.keep or tmp / "ws"
    t0 = time.perf_counter()
    if not (args.reuse and (ws / "bantay.duckdb").exists()):
        if ws.exists():
            shutil.rmtree(ws)
        build(ws, n_alerts=args.alerts, big_entity_tx=args.payments)
    t_build = time.perf_counter() - t0
    from bantay.cases import services
    from bantay.errors import Conflict

    with open_workflow(ws) as wf, wf.session() as db, contextlib.suppress(Conflict):
        services.add_user(db, services.Actor.operator(), "bench", PASSWORD, "supervisor")

    # the server prepares the queue and lookup maps before it listens
    proc, port, t_ready = start_serve(ws, wait_s=900)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        r = client.post("/api/auth/login", json={"username": "bench", "password": PASSWORD})
        r.raise_for_status()
        t0 = time.perf_counter()
        first = client.get("/api/alerts")
        first.raise_for_status()
        t_queue = time.perf_counter() - t0
        count = first.json()["count"]
        # cursors deep in the queue, for keyset pages far from the start
        cursors: list[str] = []
        cur = first.json()["next_cursor"]
        for _ in range(20):
            page = client.get("/api/alerts", params={"after": cur, "limit": 500}).json()
            cur = page["next_cursor"]
            cursors.append(cur)
        rng = random.Random(1)
        countries = ["AU", "GB", "US", "DE", "CA", "PH"]
        indicators = ["P01_low_value_sea", "P05_escalation", "B01_common_beneficiary"]
        kinds: list[tuple[str, Callable[[], httpx.Response]]] = [
            ("baseline: GET /healthz", lambda: client.get("/healthz")),
            ("queue: first page (JSON)", lambda: client.get("/api/alerts")),
            (
                "queue: filtered side+band+country",
                lambda: client.get(
                    "/api/alerts",
                    params={"side": "payer", "band": "high", "country": rng.choice(countries)},
                ),
            ),
            (
                "queue: indicator, sorted by name",
                lambda: client.get(
                    "/api/alerts",
                    params={"indicator": rng.choice(indicators), "sort": "name", "order": "asc"},
                ),
            ),
            (
                "queue: deep keyset page",
                lambda: client.get("/api/alerts", params={"after": rng.choice(cursors)}),
            ),
            ("queue: status=new", lambda: client.get("/api/alerts", params={"status": "new"})),
            ("queue: HTML page", lambda: client.get("/alerts", params={"side": "beneficiary"})),
            (
                f"entity: {args.payments:,} payments (JSON)",
                lambda: client.get("/api/entities/payer/E000000000000"),
            ),
            (
                f"entity: {args.payments:,} payments (HTML)",
                lambda: client.get("/entities/payer/E000000000000"),
            ),
            (
                "search: a name (all records)",
                lambda: client.get("/api/search", params={"q": rng.choice(names)}),
            ),
            (
                "search: an account (all records)",
                lambda: client.get("/api/search", params={"q": f"ACC{rng.randrange(count)}"}),
            ),
            (
                "my queue: assigned, open",
                lambda: client.get("/api/alerts", params={"assignee": "bench", "triage": "open"}),
            ),
        ]
        names = ["Reyes", "Anna Santos", "Gus", "Cruz"]
        rows = []
        for name, fn in kinds:
            fn().raise_for_status()  # warm
            times = []
            for _ in range(args.requests):
                t = time.perf_counter()
                resp = fn()
                times.append((time.perf_counter() - t) * 1000)
                resp.raise_for_status()
            rows.append((name, statistics.median(times), pct(times, 0.95), max(times)))
        verify = client.get("/api/audit/verify").json()
    finally:
        stop_serve(proc)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    base_p50 = rows[0][1]
    print(
        f"\nworkspace: {count:,} alerts, entity with {args.payments:,} payments "
        f"(built in {t_build:.1f} s); server ready (queue and lookup maps built) in {t_ready:.0f} s; first queue request "
        f"{t_queue:.2f} s"
    )
    print(f"{args.requests} sequential requests per kind on 127.0.0.1, one uvicorn worker\n")
    print(f"{'request':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p50 / baseline':>15}")
    for name, p50, p95, mx in rows:
        print(f"{name:<40} {p50:>8.1f} {p95:>8.1f} {mx:>8.1f} {p50 / base_p50:>14.1f}x")
    q95 = max(p95 for n, _, p95, _ in rows if n.startswith(("queue", "my queue")))
    e95 = max(p95 for n, _, p95, _ in rows if n.startswith("entity"))
    print(
        f"\ntargets: queue p95 ≤ 300 ms: {q95:.0f} ms {'OK' if q95 <= 300 else 'MISSED'}; "
        f"entity page ≤ 500 ms (p95): {e95:.0f} ms {'OK' if e95 <= 500 else 'MISSED'}"
    )
    print(f"audit chain after the run: {verify['entries']:,} entries, ok={verify['ok']}")


if __name__ == "__main__":
    main()
