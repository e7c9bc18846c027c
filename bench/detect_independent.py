"""Detection with the shipped model on payment worlds Bantay did not generate (issue 21).

    python bench/detect_independent.py [--seeds 1 2] [--senders 40000] [--months 12]
                                       [--profiles baseline evasive] [--keep DIR]

Each world comes from ``bench/independent_world/generate.py``, written from the published sources by
someone who never read Bantay's simulator, detector or resolver; it is used here only to evaluate,
never to train, choose features or set parameters. Each world is ingested with its own mappings,
entity-resolved and scanned with the shipped model (``bantay scan``'s defaults), then judged against
its truth beside the published single-rule baselines computed on the same transactions (AUSTRAC's
S8 rule, the Westpac S14 typology). Payers of all worlds of a profile are ranked together.

With ``--ceiling`` (two seeds or more), a diagnostic that is never shipped and never used to choose
anything: a model trained on the other seeds of the same generator, to show how much of what
separates offenders there the scan's features hold at all.

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

import numpy as np
import pandas as pd

from bantay.detect.model import DetectionModel
from bantay.detect.scan import scan
from bantay.detect.scoring import MODEL_FEATURES
from bantay.evaluate.detection import SideReport, labels, report_frame, side_frame
from bantay.pipeline import load_world
from bantay.workspace import Workspace, open_workspace

GENERATOR = Path(__file__).resolve().parent / "independent_world" / "generate.py"


def prepare(
    root: Path,
    profile: str,
    seed: int,
    senders: int,
    months: int,
    rescan: bool = False,
    model: DetectionModel | str = "default",
) -> tuple[Path, Path]:
    """World and scanned workspace of (profile, seed) under ``root``, made unless complete;
    ``rescan`` scans a complete one again. Scans use ``model``, else the model shipped now."""
    world, wsd, done = root / "world", root / "ws", root / "scanned"
    if done.exists():
        if rescan:
            with open_workspace(wsd) as ws:
                scan(ws, model=model)
        return wsd, world / "truth"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    args = ["--out", str(world), "--seed", str(seed), "--senders", str(senders)]
    args += ["--months", str(months), "--profile", profile]
    subprocess.run([sys.executable, str(GENERATOR), *args], check=True, capture_output=True)
    load_world(world / "manifest.json", wsd)  # ingested and resolved as a user would
    with open_workspace(wsd) as ws:
        scan(ws, model=model)
    done.write_text(f"{profile} seed {seed} senders {senders} months {months}\n")
    return wsd, world / "truth"


def model_features(ws: Workspace, side: str, lab: pd.DataFrame) -> pd.DataFrame:
    """The latest scan's model features of one side (wide; an empty feature stays empty) with
    the truth's label."""
    long = ws.con.execute(
        "SELECT entity_id, feature, value FROM entity_features WHERE side = ?", [side]
    ).fetchdf()
    wide = long.pivot(index="entity_id", columns="feature", values="value")
    wide = wide.reindex(columns=list(MODEL_FEATURES[side]))
    out = wide.join(lab.set_index("entity_id")[["label"]], how="left")
    out["label"] = out["label"].fillna(False).astype(bool)
    return out


def feature_ceiling(per_seed: list[pd.DataFrame]) -> list[float]:
    """A diagnostic, never shipped and never used to choose anything: how far the scan's features
    go on this generator's worlds when a model is trained on them. For each seed, LightGBM (the
    shipped model's parameters) is trained on the other seeds' entities and its average precision
    measured on this seed's. What the shipped model reaches on the same seed is what training on
    Bantay's own worlds carries over; what this reaches bounds what the features hold."""
    import lightgbm as lgb

    from bantay.detect.model import PARAMS
    from bantay.evaluate.detection import average_precision

    out = []
    for k, test in enumerate(per_seed):
        train = pd.concat([f for j, f in enumerate(per_seed) if j != k])
        x = [c for c in test.columns if c != "label"]
        booster = lgb.train(
            PARAMS, lgb.Dataset(train[x].astype(float), train["label"].astype(int)), 300
        )
        pred = booster.predict(test[x].astype(float))
        out.append(average_precision(test["label"].to_numpy(), np.asarray(pred, dtype=float)))
    return out


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
    ap.add_argument(
        "--model",
        type=Path,
        help="a candidate model file (bantay train --out, bench_detect.py --dump) to scan with "
        "instead of the shipped one; with --rescan, kept workspaces are scanned with it",
    )
    ap.add_argument(
        "--ceiling",
        action="store_true",
        help="also train a diagnostic model on the other seeds of each world and print the "
        "average precision the scan's features reach there (needs two seeds or more)",
    )
    args = ap.parse_args()
    model: DetectionModel | str = DetectionModel.load(args.model) if args.model else "default"
    tmp = None if args.keep else tempfile.TemporaryDirectory()
    root = args.keep or Path(tmp.name)  # type: ignore[union-attr]
    for profile in args.profiles:
        frames: dict[str, list[pd.DataFrame]] = {"payer": [], "beneficiary": []}
        features: dict[str, list[pd.DataFrame]] = {"payer": [], "beneficiary": []}
        t0 = time.perf_counter()
        for seed in args.seeds:
            wsd, truth = prepare(
                root / f"{profile}-s{seed}",
                profile,
                seed,
                args.senders,
                args.months,
                args.rescan,
                model,
            )
            with open_workspace(wsd, read_only=True) as ws:
                lab = labels(ws, truth)
                for side in ("payer", "beneficiary"):
                    df = side_frame(ws, side, getattr(lab, side))
                    df["entity_id"] = f"s{seed}:" + df["entity_id"].astype(str)
                    if "den_id" in df.columns:  # each world numbers its dens from D0001
                        df["den_id"] = (
                            df["den_id"].fillna("").map(lambda d, s=seed: f"s{s}:{d}" if d else "")
                        )
                    frames[side].append(df)
                    if args.ceiling:
                        features[side].append(model_features(ws, side, getattr(lab, side)))
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
        if args.ceiling and len(args.seeds) > 1:
            print("what the features hold (diagnostic: trained on the other seeds of this world):")
            for side in ("payer", "beneficiary"):
                ceiling = feature_ceiling(features[side])
                shipped = [
                    report_frame(side, f).methods["Bantay"]["average_precision"]
                    for f in frames[side]
                ]
                print(
                    f"  {side:<12} AP per seed, trained here: "
                    + " ".join(f"{v:.3f}" for v in ceiling)
                    + "; the model Bantay scanned with: "
                    + " ".join(f"{v:.3f}" for v in shipped)
                )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
