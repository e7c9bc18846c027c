"""Entity resolution against simulator truth, on both profiles (baseline, evasive), beside exact
matching on the normalised name plus date of birth (or city where a side has no date of birth),
measured in the same run.

    nice python bench/resolve_simulated.py [--senders 2000] [--months 3] [--seed 1]

For each profile: ``bantay simulate`` → ``bantay init`` → ``bantay ingest --manifest`` →
``resolve`` (trained without labels) → pairwise precision/recall/F1 and B-cubed F1 per population
(payers: customers and payer sides; beneficiaries: beneficiary sides). Targets: F1 >= 0.95 for
payers, >= 0.90 for beneficiaries.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from bantay.evaluate.resolution import POPULATIONS, evaluate, record_truth
from bantay.resolve.features import INPUT_COLUMNS, build_features
from bantay.resolve.run import resolve
from bantay.workspace import open_workspace


def bantay(*args: str) -> None:
    subprocess.run(
        [str(Path(sys.executable).parent / "bantay"), *args],
        check=True,
        capture_output=True,
        text=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--senders", type=int, default=2000)
    ap.add_argument("--months", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(
        f"{'profile':<9} {'population':<14} {'method':<22} {'records':>8} {'precision':>9} "
        f"{'recall':>7} {'F1':>7} {'B3 F1':>7}"
    )
    for profile in ("baseline", "evasive"):
        with tempfile.TemporaryDirectory() as tmp:
            world, wsd = Path(tmp) / "world", Path(tmp) / "ws"
            bantay("simulate", "--out", str(world), "--senders", str(args.senders),
                   "--months", str(args.months), "--seed", str(args.seed), "--profile", profile)  # fmt: skip
            bantay("init", str(wsd))
            bantay("ingest", "--manifest", str(world / "manifest.json"), "-w", str(wsd))
            with open_workspace(wsd) as ws:
                t0 = time.perf_counter()
                report = resolve(ws, retrain=True)
                secs = time.perf_counter() - t0
                truth, ambiguous = record_truth(ws, world)
                members = pl.from_arrow(
                    ws.con.sql(
                        "SELECT party_record_id, entity_id FROM entity_members"
                    ).to_arrow_table()
                )
                raw = pl.from_arrow(
                    ws.con.sql(
                        f"SELECT DISTINCT ON (party_record_id) {', '.join(INPUT_COLUMNS)} "
                        "FROM party_records"
                    ).to_arrow_table()
                )
            assert isinstance(members, pl.DataFrame) and isinstance(raw, pl.DataFrame)
            f = build_features(raw)
            key = pl.when(pl.col("name_key").is_not_null()).then(
                pl.col("name_key") + "|" + pl.coalesce("dob", "city", pl.lit(""))
            )
            base = f.select("unique_id", pl.coalesce(key, pl.col("unique_id")))
            for pop in ("payers", "beneficiaries"):
                t = truth.filter(pl.col("kind").is_in(POPULATIONS[pop])).select(
                    "party_record_id", "person_id"
                )
                for name, pred in (("exact name + dob/city", base), ("Bantay", members)):
                    m = evaluate(pred, t)
                    print(
                        f"{profile:<9} {pop:<14} {name:<22} {m.n_records:>8,} {m.precision:>9.4f} "
                        f"{m.recall:>7.4f} {m.f1:>7.4f} {m.bcubed_f1:>7.4f}"
                    )
            print(
                f"{profile:<9} resolved {report.n_records:,} records in {secs:.1f} s (model "
                f"{report.model}); {ambiguous:,} records with ambiguous truth"
            )


if __name__ == "__main__":
    main()
