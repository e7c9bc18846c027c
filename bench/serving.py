"""What the web benches share: ``bantay serve`` started in a child process on a free port and
waited for until ``GET /healthz`` answers, and the percentile they report."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def start_serve(
    ws: Path, env_extra: dict[str, str] | None = None, wait_s: float = 120.0
) -> tuple[subprocess.Popen[bytes], int, float]:
    """``bantay serve -w WS`` on 127.0.0.1 (a random secret key unless ``env_extra`` sets one):
    the process, its port, and the seconds until it answered ``/healthz``. Exits the bench when
    the server does not answer within ``wait_s`` (it prepares the alert queue before it listens)."""
    port = free_port()
    env = {**os.environ, "BANTAY_WEB_SECRET_KEY": "bench-" + os.urandom(24).hex()}
    env.update(env_extra or {})
    proc = subprocess.Popen(
        [
            *(sys.executable, "-c", "from bantay.cli import main; main()", "serve", "-w", str(ws)),
            *("--host", "127.0.0.1", "--port", str(port)),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc, port, time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def stop_serve(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=30)
