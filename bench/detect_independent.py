"""Detection with the shipped model on payment worlds Bantay did not generate (issue 21).

    python bench/detect_independent.py [--seeds 1 2] [--senders 40000] [--months 12]
                                       [--profiles baseline evasive] [--keep DIR]

Each world comes from ``bench/independent_world/generate.py``, written from the published sources by
someone who never read Bantay's simulator, detector or resolver; it is used here only to evaluate,
never to train, choose features or set parameters. Each world is ingested with its own mappings,
entity-resolved and scanned with the shipped model (``bantay scan``'s defaults), then judged against
its truth beside the published single-rule baselines computed on the same transactions (AUSTRAC's
S8 rule, the Westpac S14 typology). Payers of all worlds of a profile are ranked together.

Printed per profile: payer average precision and recall at a budget of twice the offenders, for
Bantay and the rules; the share of that budget taken by each legitimate population (the truth's
roles); beneficiary AP and den recall at 2x the number of dens; the score read as a probability
(Brier score, expected calibration error, reliability per score band); alerts at the scan's default
threshold and how many are true.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bantay.detect.scan import scan
from bantay.evaluate.detection import SideReport, labels, report_frame, side_frame
from bantay.pipeline import load_world
from bantay.workspace import open_workspace

GENERATOR = Path(__file__).resolve().parent / "independent_world" / "generate.py"


def prepare(
    root: Path, profile: str, seed: int, senders: int, months: int, rescan: bool = False
) -> tuple[Path, Path]:
    """World and scanned workspace of (profile, seed) under ``root``, made unless complete;
    ``rescan`` scans a complete one again (with the model shipped now)."""
    world, wsd, done = root / "world", root / "ws", root / "scanned"
    if done.exists():
        if rescan:
            with open_workspace(wsd) as ws:
                scan(ws)
        return wsd, world / "truth"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    args = ["--out", str(world), "--seed", str(seed), "--senders", str(senders)]
    args += ["--months", str(months), "--profile", profile]
    subprocess.run([sys.executable, str(GENERATOR), *args], check=True, capture_output=True)
    load_world(world / "manifest.json", wsd)  # ingested and resolved as a user would
    with open_workspace(wsd) as ws:
        scan(ws)
    done.write_text(f"{profile} seed {seed} senders {senders} months {months}\n")
    return wsd, world / "truth"


def pooled(frames: list[pd.DataFrame], side: str) -> SideReport:
    df = pd.concat(frames, ignore_index=True)
    return report_frame(side, df)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--senders", type=int, default=40000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--profiles", nargs="+", default=["baseline", "evasive"])
    ap.add_argument("--keep", type=Path, help="keep (and reuse) worlds and workspaces here")
    ap.add_argument("--rescan", action="store_true", help="scan kept workspaces again")
    args = ap.parse_args()
    tmp = None if args.keep else tempfile.TemporaryDirectory()
    root = args.keep or Path(tmp.name)  # type: ignore[union-attr]
    for profile in args.profiles:
        frames: dict[str, list[pd.DataFrame]] = {"payer": [], "beneficiary": []}
        t0 = time.perf_counter()
        for seed in args.seeds:
            wsd, truth = prepare(
                root / f"{profile}-s{seed}", profile, seed, args.senders, args.months, args.rescan
            )
            with open_workspace(wsd, read_only=True) as ws:
                lab = labels(ws, truth)
                for side in ("payer", "beneficiary"):
                    df = side_frame(ws, side, getattr(lab, side))
                    df["entity_id"] = f"s{seed}:" + df["entity_id"].astype(str)
                    frames[side].append(df)
        payer, bene = pooled(frames["payer"], "payer"), pooled(frames["beneficiary"], "beneficiary")
        print(
            f"\n== {profile}: seeds {args.seeds}, {args.senders:,} senders x {args.months} months "
            f"({time.perf_counter() - t0:.0f} s); {payer.n_positive} offenders among "
            f"{payer.n_entities:,} payers, {bene.n_dens} dens"
        )
        print(f"{'payers':<26} {'AP':>7} {'recall@2x':>10} {'precision@2x':>13}")
        for name, m in payer.methods.items():
            print(
                f"{name:<26} {m['average_precision']:>7.3f} {m['recall@2x']:>10.3f} "
                f"{m['precision@2x']:>13.3f}"
            )
        print("share of the 2x budget by legitimate role (Bantay):")
        for role, share in sorted(payer.fp_by_role["Bantay"].items(), key=lambda kv: -kv[1]):
            print(f"  {role:<28} {share:.3f}")
        for name, m in bene.methods.items():
            print(f"beneficiaries {name:<26} AP {m['average_precision']:.3f}")
        print(f"dens with a member among the top 2x dens: {bene.den_recall_at_2x:.3f}")
        for rep in (payer, bene):
            print(
                f"{rep.side} calibration: Brier {rep.brier:.4f}, ECE {rep.ece:.4f}; "
                f"{rep.alerts_at_threshold:,} at the alert threshold, "
                f"{rep.true_alerts_at_threshold:,} true"
            )
            for lo, mp, ob, n in rep.reliability:
                print(f"    score {lo:.1f}-{lo + 0.1:.1f}: mean {mp:.3f} observed {ob:.3f} ({n:,})")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
