"""An anonymous 200 MB POST against ``bantay serve``: the server's memory before, at peak, after.

    python bench/bench_web_body_limit.py            # 200 MB, default limit vs. a limit above it
    python bench/bench_web_body_limit.py --mb 50    # quicker

Issue 17 measured the server going from 230 MB to 798 MB on one anonymous 200 MB POST (the body
was read and parsed before the 401). This starts ``bantay serve`` on 127.0.0.1 in a child process
twice, on a small synthetic workspace: once with the default per-route body limits (64 KiB for a
case, 4 KiB for a login), and once, as the baseline of the same run, with the limit raised above
the body (``BANTAY_WEB_MAX_BODY_KIB``), which is what the app did before it had a limit. Each time
it sends the body anonymously, declared (``Content-Length``) and undeclared (chunked), to
``POST /api/cases`` and ``POST /login``, sampling the server's resident memory (psutil) every
10 ms during the request. The body comes from a generator: the client holds 1 MB at a time.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import psutil

from bantay.cases.synthetic import build
from serving import start_serve, stop_serve

MB = 1 << 20


def chunks(total: int) -> Iterator[bytes]:
    block = b"x" * MB
    for _ in range(total // MB):
        yield block


def send(port: int, path: str, total: int, declared: bool, ctype: str) -> str:
    """POST ``total`` bytes; the status, or what happened to the connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Content-Type": ctype}
    if declared:
        headers["Content-Length"] = str(total)
    try:
        c.request("POST", path, body=chunks(total), headers=headers, encode_chunked=not declared)
        return str(c.getresponse().status)
    except (BrokenPipeError, ConnectionResetError):
        # the server answered and closed before the body was through; read what it said
        try:
            return f"{c.getresponse().status} (closed early)"
        except (OSError, http.client.HTTPException):
            return "closed early"
    finally:
        c.close()


def measure(pid: int, fn: Callable[[], str]) -> tuple[float, float, float, str]:
    """(RSS before, peak during, after) in MB and the request's outcome."""
    p = psutil.Process(pid)
    rss = [p.memory_info().rss]
    before = rss[0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss.append(p.memory_info().rss)
            time.sleep(0.01)

    t = threading.Thread(target=sample)
    t.start()
    try:
        outcome = fn()
    finally:
        time.sleep(0.2)
        done.set()
        t.join()
    after = p.memory_info().rss
    return before / MB, max(rss) / MB, after / MB, str(outcome)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200, help="body size in MB")
    args = ap.parse_args()
    total = args.mb * MB
    tmp = Path(tempfile.mkdtemp(prefix="bantay-bench-body-"))
    try:
        ws = build(tmp / "ws", n_alerts=200, big_entity_tx=100)
        runs = [
            (
                "limit above the body (baseline)",
                {"BANTAY_WEB_MAX_BODY_KIB": str(2 * total // 1024)},
            ),
            ("default limits", {}),
        ]
        cases = [
            ("POST /api/cases", "/api/cases", "application/json"),
            ("POST /login", "/login", "application/x-www-form-urlencoded"),
        ]
        rows: list[tuple[str, str, str, str, float, float, float]] = []
        for label, env in runs:
            proc, port, _ready = start_serve(ws, env)
            try:
                for name, path, ctype in cases:
                    for declared in (True, False):
                        how = "Content-Length" if declared else "chunked"
                        b, peak, _after, outcome = measure(
                            proc.pid, partial(send, port, path, total, declared, ctype)
                        )
                        rows.append((label, name, how, outcome, b, peak, peak - b))
            finally:
                stop_serve(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nAn anonymous {args.mb} MB POST: server resident memory (MB)\n")
    head = ("server", "request", "body sent as", "answer", "before", "peak", "rise")
    print(
        f"{head[0]:<33} {head[1]:<16} {head[2]:<15} {head[3]:<20} {head[4]:>7} {head[5]:>7} {head[6]:>7}"
    )
    for label, name, how, outcome, b, peak, rise in rows:
        print(f"{label:<33} {name:<16} {how:<15} {outcome:<20} {b:7.0f} {peak:7.0f} {rise:7.1f}")
    base = [r[6] for r in rows if "baseline" in r[0]]
    new = [r[6] for r in rows if "baseline" not in r[0]]
    print(
        f"\nlargest rise: {max(new):.1f} MB with the default limits, {max(base):.1f} MB with the "
        f"limit above the body (issue 17's bound: 10 MB)"
    )


if __name__ == "__main__":
    main()
