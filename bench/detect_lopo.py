"""Leave-one-population-out detection figures (issue 21, item 5).

    cd bench && python detect_lopo.py --root /tmp/bantay-bench-detect5 [--jobs 2]

For each legitimate population of the simulator (one-off senders, travellers, sponsors, romance
victims, partner senders, fraud victims, family senders, freelancer clients), the payer model is
trained with that population's payers *absent from the training rows* (their payments still shape
everyone else's graph features, so this is the labelled-example half of leaving a population out:
the model never sees one of them as a negative), and evaluated on unseen worlds where the
population is present. Printed per population: the held-out model's payer average precision, its
recall at a budget of twice the offenders, and the share of that budget the left-out population
takes, beside the same figures of the model trained on every population.

The worlds are those of ``bench_detect.py`` (same ``--root``, ``--senders``, ``--months`` and seeds),
made if missing; training and evaluation worlds are never the same.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from bantay.detect.scan import scan
from bantay.detect.train import TrainingWorld, train, training_world
from bantay.evaluate.detection import SideReport, labels, report_frame
from bantay.workspace import open_workspace
from bench_detect import scan_eval_world, scored
from bench_detect_worlds import prepare_world

POPULATIONS = (
    "one_off_sender",
    "traveller",
    "sponsor",
    "romance_victim",
    "partner_sender",
    "fraud_victim",
    "family_sender",
    "client_business",
)


def scan_world(job: tuple[str, int, str, str, bool]) -> tuple[TrainingWorld, pd.Series]:
    """A training world's features and labels, and each payer's role in the truth."""
    prof, s, ws_dir, truth, use_signals = job
    with open_workspace(Path(ws_dir)) as ws:
        r = scan(ws, model=None, use_signals=use_signals, write=False)
        lab = labels(ws, Path(truth))
    world = training_world(
        f"{prof}-{s}", prof, r, {"payer": lab.payer, "beneficiary": lab.beneficiary}
    )
    return world, lab.payer.set_index("entity_id")["role"].fillna("")


def without(world: TrainingWorld, roles: pd.Series, population: str) -> TrainingWorld:
    keep = world.payer["payer_entity"].map(roles).fillna("") != population
    return TrainingWorld(
        world.name, world.profile, world.payer[keep], world.beneficiary, world.edges
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=Path("/tmp/bantay-bench-detect5"))
    ap.add_argument("--senders", type=int, default=2000)
    ap.add_argument("--months", type=int, default=6)
    ap.add_argument("--train-seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6, 7, 8])
    ap.add_argument("--eval-seeds", type=int, nargs="+", default=[101, 102, 103])
    ap.add_argument("--jobs", type=int, default=1)
    a = ap.parse_args()

    size_rng = random.Random(0)  # the sizes bench_detect.py draws, in its order
    train_dirs = []
    for s in a.train_seeds:
        n = int(a.senders * size_rng.uniform(0.75, 1.5))
        ws_dir, truth, _ = prepare_world(
            a.root / f"baseline-{s}-{n}-rand", "baseline", s, n, a.months, True
        )
        train_dirs.append(("baseline", s, str(ws_dir), str(truth)))
    eval_jobs = []
    for s in a.eval_seeds:
        ws_dir, truth, _ = prepare_world(
            a.root / f"baseline-{s}-{a.senders}", "baseline", s, a.senders, a.months, False
        )
        eval_jobs.append(("baseline", s, str(ws_dir), str(truth)))
    jobs = [(p, s, w, t, k % 2 == 0) for k, (p, s, w, t) in enumerate(train_dirs)]
    with ProcessPoolExecutor(max_workers=a.jobs, mp_context=mp.get_context("spawn")) as pool:
        scanned = list(pool.map(scan_world, jobs))
        evaluated = list(pool.map(scan_eval_world, eval_jobs))
    payers = pd.concat([e["payer"] for e in evaluated], ignore_index=True)

    def report(model_worlds: list[TrainingWorld]) -> SideReport:
        model = train(model_worlds, command="bench/detect_lopo.py")
        return report_frame("payer", scored(model, "payer", payers))

    def share(rep: SideReport, population: str) -> float:
        # family senders are told apart as diaspora and spouse/in-law in the evaluation worlds
        return sum(v for k, v in rep.fp_by_role["Bantay"].items() if k.split(" (")[0] == population)

    all_worlds = [w for w, _ in scanned]
    everyone = report(all_worlds)
    print(
        f"\n{len(all_worlds)} training worlds, {len(eval_jobs)} evaluation worlds "
        f"({int(payers['label'].sum())} offenders among {len(payers):,} payers)"
    )
    print(
        f"{'left out':<18} {'n in eval':>9} | {'AP':>6} {'recall@2x':>9} {'its share':>9} "
        f"| {'AP, all in':>10} {'its share, all in':>17}"
    )
    for pop in POPULATIONS:
        n_eval = int((payers["role"].str.split(" (", regex=False).str[0] == pop).sum())
        if n_eval == 0:
            continue
        held = report([without(w, roles, pop) for w, roles in scanned])
        ap_h = held.methods["Bantay"]["average_precision"]
        rec_h = held.methods["Bantay"]["recall@2x"]
        share_h = share(held, pop)
        ap_a, share_a = everyone.methods["Bantay"]["average_precision"], share(everyone, pop)
        flag = " ✗" if share_h > 0.05 else ""
        print(
            f"{pop:<18} {n_eval:>9,} | {ap_h:>6.3f} {rec_h:>9.3f} {share_h:>9.3f}{flag:<2}"
            f"| {ap_a:>10.3f} {share_a:>17.3f}"
        )


if __name__ == "__main__":
    main()
