"""Figure (a): transactions generated per second (vectorised), beside two baselines measured in
the same run: a naive per-row Python generator, and numpy's raw random throughput.

    nice python bench/simulate_generate.py [--senders 40000] [--months 12]
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from bantay.simulate.behaviours import generate_chunk, n_chunks
from bantay.simulate.profiles import load_profile
from bantay.simulate.world import Config, build_world


def naive_rows(n: int) -> float:
    """A per-row Python generator of comparable card/remittance rows (the thing not to do)."""
    rnd = random.Random(0)
    t = time.perf_counter()
    rows = []
    for i in range(n):
        day = rnd.randrange(365)
        hour = rnd.choices(range(24), weights=[1] * 6 + [5] * 16 + [2] * 2)[0]
        amount = round(rnd.lognormvariate(3.4, 0.6), 2)
        rows.append(
            (
                i,
                rnd.randrange(40000),
                day * 86400 + hour * 3600 + rnd.randrange(3600),
                amount,
                rnd.randrange(20),
            )
        )
    return n / (time.perf_counter() - t)


def numpy_raw(n: int) -> float:
    """Eight random draws per row with numpy, nothing else: an upper bound."""
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for _ in range(4):
        rng.random(n // 4)
        rng.integers(0, 365, n // 4)
        rng.lognormal(0, 0.6, n // 4)
        rng.choice(24, n // 4, p=np.full(24, 1 / 24))
        rng.random(n // 4)
        rng.integers(0, 3600, n // 4)
        rng.integers(0, 20, n // 4)
        rng.random(n // 4)
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--senders", type=int, default=40000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--profile", default="baseline")
    a = ap.parse_args()
    t = time.perf_counter()
    world = build_world(Config(senders=a.senders, months=a.months, seed=1), load_profile(a.profile))
    t_world = time.perf_counter() - t
    total = 0
    t = time.perf_counter()
    for c in range(n_chunks(world)):
        total += generate_chunk(world, c)["ts"].size
    gen = total / (time.perf_counter() - t)
    naive = naive_rows(200_000)
    raw = numpy_raw(8_000_000)
    print(
        f"world: {a.senders:,} senders, {a.months} months, {world.persons.height:,} persons, "
        f"built in {t_world:.1f} s; {total:,} transactions generated"
    )
    print(f"{'generator':<38}{'rows/s':>14}{'ratio to naive':>16}")
    for name, rate in (
        ("naive per-row Python (baseline)", naive),
        ("bantay simulate (vectorised chunks)", gen),
        ("numpy raw draws, 8 per row (bound)", raw),
    ):
        print(f"{name:<38}{rate:>14,.0f}{rate / naive:>15.1f}x")


if __name__ == "__main__":
    main()
