"""Figure (c): the calibration report of a generated world, beside the published figures.

nice python bench/calibration.py [--senders 40000] [--months 24] [--profile baseline]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import polars as pl

from bantay.simulate import simulate
from bantay.simulate.calibration import flow_summary, hour_histogram, offender_rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--senders", type=int, default=40000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--profile", default="baseline")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "world"
        simulate(out, senders=a.senders, months=a.months, seed=a.seed, profile=a.profile)
        print(f"profile {a.profile}, {a.senders:,} senders, {a.months} months, seed {a.seed}")
        print(f"{'statistic':<58}{'simulated':<16}{'published':<34}source")
        for r in offender_rows(out):
            print(f"{r.statistic:<58}{r.simulated:<16}{r.published:<34}{r.source}")
        print("\noffender payments by payer-local hour (published: late evening/night, S19, S27)")
        for hour, share in hour_histogram(out):
            print(f"  {hour:02d} {share:6.1%} {'#' * round(share * 200)}")
        print("\nevery flow")
        with pl.Config(tbl_cols=20, tbl_width_chars=160, tbl_rows=20):
            print(flow_summary(out))


if __name__ == "__main__":
    main()
