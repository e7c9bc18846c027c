"""Shared by the detection benches: simulate a world, ingest it into a fresh workspace."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bantay.errors import BantayError
from bantay.ingest import ingest_file
from bantay.simulate import simulate
from bantay.workspace import init_workspace


def prepare_world(
    out: Path, profile: str, seed: int, senders: int = 2000, months: int = 12
) -> tuple[Path, Path, float]:
    """Simulate into ``out``, ingest into ``out/workspace``. Returns (workspace, truth, seconds)."""
    t0 = time.perf_counter()
    if not (out / "manifest.json").exists():
        simulate(out, senders=senders, months=months, seed=seed, profile=profile)
    ws_dir = out / "workspace"
    if not ws_dir.exists():
        manifest = json.loads((out / "manifest.json").read_text())
        ws = init_workspace(ws_dir)
        order = {"rates": 0, "parties": 1, "transactions": 2, "signals": 3}
        for f in sorted(manifest["files"], key=lambda f: order.get(f["kind"], 9)):
            mapping = out / f["mapping"] if f.get("mapping") else None
            try:
                ingest_file(ws, out / f["path"], mapping=mapping, kind=f["kind"])
            except (AssertionError, BantayError) as exc:  # an ingest bug must not stop the bench
                (out / "ingest_errors.txt").open("a").write(f"{f['path']}: {exc}\n")
        ws.close()
    return ws_dir, out / "truth", time.perf_counter() - t0
