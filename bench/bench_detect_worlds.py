"""Shared by the detection benches: a fresh world, simulated, ingested (KYC included) and resolved.

The work is done by :func:`bantay.pipeline.prepare_simulated_world`, the same code as
``bantay train --simulate``; a world folder is reused when it is already complete.
"""

from __future__ import annotations

import time
from pathlib import Path

from bantay.pipeline import prepare_simulated_world


def prepare_world(
    out: Path,
    profile: str,
    seed: int,
    senders: int = 2000,
    months: int = 6,
    randomise: bool = False,
) -> tuple[Path, Path, float]:
    """Simulate into ``out``, ingest into ``out/workspace``, resolve. (workspace, truth, seconds)."""
    t0 = time.perf_counter()
    ws_dir, truth = prepare_simulated_world(out, profile, seed, senders, months, randomise)
    return ws_dir, truth, time.perf_counter() - t0
