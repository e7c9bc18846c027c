"""Synthetic worlds: an OSEC-calibrated payment simulator with evasion profiles.

``simulate`` draws a population (``world.py``), generates its transactions chunk by chunk
(``behaviours.py``, vectorised) and writes what an analyst would receive, per institution in its own
layout with a mapping file, beside the ground truth in ``truth/`` (``writers.py``). Profiles are cited
YAML files (``profiles/``); ``calibration.py`` compares a world with the published figures.

This package never imports ``bantay.detect`` or ``bantay.evaluate``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bantay.simulate.profiles import (
    SENDER_ROLES,
    Profile,
    ProfileError,
    leave_out,
    load_profile,
    profile_names,
)
from bantay.simulate.world import Config, World, build_world
from bantay.simulate.writers import FORMATS, Progress, write_world


def simulate(
    out: Path,
    senders: int = 2000,
    months: int = 12,
    seed: int = 0,
    profile: str | Profile = "baseline",
    fmt: str = "csv",
    start: dt.date = dt.date(2024, 1, 1),
    progress: Progress | None = None,
    without: Sequence[str] = (),
) -> dict[str, Any]:
    """Generate one world into ``out``; return its manifest (also written as manifest.json).
    ``without``: sender roles left out of the world (:func:`leave_out`)."""
    if senders < 1 or months < 1:
        raise ProfileError("senders and months must be at least 1")
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    if without:
        prof = leave_out(prof, without)
    cfg = Config(senders=senders, months=months, seed=seed, start=start)
    if progress is not None:
        progress("population", 0, 1)
    world = build_world(cfg, prof)
    if progress is not None:
        progress("population", 1, 1)
    return write_world(world, Path(out), fmt, progress)


__all__ = [
    "FORMATS",
    "SENDER_ROLES",
    "Config",
    "Profile",
    "ProfileError",
    "World",
    "build_world",
    "leave_out",
    "load_profile",
    "profile_names",
    "simulate",
    "write_world",
]
