"""Detection figures (issue 5) on fresh worlds the model was not trained on.

    cd bench && nice python bench_detect.py --senders 2000 --months 6 \
        --train-seeds 1 2 3 4 5 6 7 8 --evasive-train-seeds 1001 1002 1003 \
        --eval-seeds 101 102 103 --model-out ../src/bantay/detect/models/default_model.json

Every world is simulated, ingested with its KYC files and entity-resolved (the pipeline of
``bantay train --simulate``). Training worlds are baseline worlds with randomised parameters and
sizes (``bantay.cli.detect.RANDOMISED_PARAMETERS``); evaluation worlds are the plain built-in
profiles with other seeds. Two models are trained:

* **A (shipped)**: baseline worlds only; the evasive profile is held out entirely;
* **B**: the same worlds plus randomised evasive worlds (so evasive figures of B are *not* held out).

Per model and profile the figures are pooled over the evaluation worlds (payers of all worlds ranked
together), beside the AUSTRAC and Westpac single-rule baselines measured on the same worlds; dens
found among the top 100 beneficiaries are averaged per world. With 20% of each world's dens given as
known facilitators (their phones and receiving accounts, as a signal list holds them), the gain in
payer recall at a budget of twice the offenders. Last, the scan time beside one plain DuckDB GROUP BY.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import pandas as pd

from bantay.detect.network import Seed
from bantay.detect.scan import scan
from bantay.detect.train import TrainingWorld, train, training_world
from bantay.evaluate.detection import SideReport, labels, read_truth, report_frame, side_frame
from bantay.workspace import Workspace, open_workspace
from bench_detect_worlds import prepare_world


def seed_dens(ws: Workspace, truth: Path, share: float, rng: random.Random) -> list[Seed]:
    """Known facilitators: ``share`` of the world's dens, by their phones and receiving accounts."""
    tx, persons = read_truth(truth)
    dens = sorted(set(persons["den_id"]) - {""})
    if not dens:
        return []
    chosen = set(rng.sample(dens, max(1, round(share * len(dens)))))
    members = persons[persons["den_id"].isin(chosen)]
    seeds = [Seed("phone", str(p), "bench") for p in members.get("phone_e164", []) if str(p)]
    ids = tx[tx["beneficiary_person"].isin(set(members["person_id"]))]
    acc = ws.con.execute(
        "SELECT DISTINCT institution, transaction_id, beneficiary_account FROM transactions "
        "WHERE beneficiary_account IS NOT NULL"
    ).fetchdf()
    acc = acc.merge(ids[["institution", "transaction_id"]], on=["institution", "transaction_id"])
    seeds += [Seed("account", str(a), "bench") for a in sorted(set(acc["beneficiary_account"]))]
    return seeds


def _fmt(m: dict[str, float]) -> str:
    return "  ".join(
        f"{k.replace('average_precision', 'AP')}={v:.3f}"
        for k, v in m.items()
        if not k.startswith("precision@1")
    )


def _print_report(title: str, rep: SideReport, dens: list[float] | None = None) -> None:
    print(f"  {title}: {rep.n_positive} positive of {rep.n_entities:,}")
    for name, m in rep.methods.items():
        print(f"    {name:<24}{_fmt(m)}")
    for name, v in rep.fp_by_role.items():
        top = ", ".join(f"{r} {s:.3f}" for r, s in sorted(v.items(), key=lambda rv: -rv[1]))
        print(f"    FP share of the 2x budget, {name}: {top or 'none'}")
    if dens:
        print(
            f"    dens found in the top 100 beneficiaries (mean over worlds): {sum(dens) / len(dens):.3f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=Path("/tmp/bantay-bench-detect2"))
    ap.add_argument("--senders", type=int, default=2000)
    ap.add_argument("--months", type=int, default=6)
    ap.add_argument("--train-seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6, 7, 8])
    ap.add_argument("--evasive-train-seeds", type=int, nargs="*", default=[1001, 1002, 1003])
    ap.add_argument("--eval-seeds", type=int, nargs="+", default=[101, 102, 103])
    ap.add_argument("--model-out", type=Path, default=None)
    ap.add_argument("--prepare-only", action="store_true")
    a = ap.parse_args()
    t_start = time.perf_counter()

    size_rng = random.Random(0)
    plan = [("baseline", s, True) for s in a.train_seeds]
    plan += [("evasive", s, True) for s in a.evasive_train_seeds]
    evals = [(p, s) for p in ("baseline", "evasive") for s in a.eval_seeds]
    prepared: dict[tuple[str, int], tuple[Path, Path]] = {}
    for prof, s, rand in plan + [(p, s, False) for p, s in evals]:
        n = int(a.senders * size_rng.uniform(0.75, 1.5)) if rand else a.senders
        name = f"{prof}-{s}-{n}" + ("-rand" if rand else "")
        ws_dir, truth, secs = prepare_world(a.root / name, prof, s, n, a.months, rand)
        prepared[(prof, s)] = (ws_dir, truth)
        print(f"world {name}: ready in {secs:.0f}s", flush=True)
    if a.prepare_only:
        return

    worlds: dict[tuple[str, int], TrainingWorld] = {}
    for k, (prof, s, _) in enumerate(plan):
        ws_dir, truth = prepared[(prof, s)]
        with open_workspace(ws_dir) as ws:
            r = scan(ws, model=None, use_signals=k % 2 == 0, write=False)
            lab = labels(ws, truth)
        worlds[(prof, s)] = training_world(
            f"{prof}-{s}", prof, r, {"payer": lab.payer, "beneficiary": lab.beneficiary}
        )
        print(
            f"train world {prof}-{s}: {len(r.payer):,} payers, "
            f"{int(worlds[(prof, s)].payer['label'].sum())} offenders",
            flush=True,
        )
    base = [worlds[("baseline", s)] for s in a.train_seeds]
    eva = [worlds[("evasive", s)] for s in a.evasive_train_seeds]
    cmd = "bench/bench_detect.py " + " ".join(
        f"{k}={v}" for k, v in vars(a).items() if k not in ("root", "model_out")
    )
    model_a = train(base, command=cmd + " (model A: baseline worlds only)")
    # B: evasive worlds interleaved so that calibration (the last quarter) sees both profiles
    mixed: list[TrainingWorld] = []
    for i, w in enumerate(base):
        mixed.append(w)
        if i < len(eva):
            mixed.append(eva[i])
    models = {"A (baseline worlds only; shipped)": model_a}
    if eva:
        models["B (baseline + evasive worlds)"] = train(mixed, command=cmd + " (model B)")
    if a.model_out:
        model_a.save(a.model_out)
        print(f"wrote {a.model_out}")

    timing = ""
    for mname, model in models.items():
        for profile in ("baseline", "evasive"):
            frames: dict[str, list[pd.DataFrame]] = {"payer": [], "beneficiary": []}
            dens: list[float] = []
            recall = {"without": [], "with": []}
            n_seeds = 0
            for s in a.eval_seeds:
                ws_dir, truth = prepared[(profile, s)]
                with open_workspace(ws_dir) as ws:
                    if not timing:
                        n = (ws.con.execute("SELECT count(*) FROM transactions").fetchone() or [0])[
                            0
                        ]
                        t0 = time.perf_counter()
                        ws.con.execute(
                            "SELECT payer_record_id, count(*), sum(amount_reporting) "
                            "FROM transactions GROUP BY 1"
                        ).fetchall()
                        t_group = time.perf_counter() - t0
                        t0 = time.perf_counter()
                    scan(ws, model=model, use_signals=False)
                    if not timing:
                        t_scan = time.perf_counter() - t0
                        timing = (
                            f"scan of {n:,} transactions ({profile}-{s}): {t_scan:.1f}s = "
                            f"{t_scan / max(t_group, 1e-9):.0f}x one GROUP BY ({t_group:.3f}s)"
                        )
                    lab = labels(ws, truth)
                    for side, lb in (("payer", lab.payer), ("beneficiary", lab.beneficiary)):
                        f = side_frame(ws, side, lb)
                        f["entity_id"] = f"{s}:" + f["entity_id"].astype(str)
                        if "den_id" in f.columns:
                            f["den_id"] = (
                                f["den_id"].fillna("").map(lambda d, s=s: f"{s}:{d}" if d else "")
                            )
                        frames[side].append(f)
                    one = report_frame("beneficiary", frames["beneficiary"][-1])
                    if one.dens_found_top100 is not None:
                        dens.append(one.dens_found_top100)
                    if model is model_a:
                        seeds = seed_dens(ws, truth, 0.2, random.Random(s))
                        n_seeds += len(seeds)
                        recall["without"].append(frames["payer"][-1])
                        scan(ws, model=model, use_signals=False, seeds=seeds)
                        recall["with"].append(side_frame(ws, "payer", lab.payer))
            print(f"\n== model {mname} on {profile} worlds, seeds {a.eval_seeds} (pooled)")
            _print_report("payers", report_frame("payer", pd.concat(frames["payer"])))
            _print_report(
                "beneficiaries", report_frame("beneficiary", pd.concat(frames["beneficiary"])), dens
            )
            if recall["with"]:
                r0 = report_frame("payer", pd.concat(recall["without"])).methods["Bantay"]
                for s, f in zip(a.eval_seeds, recall["with"], strict=True):
                    f["entity_id"] = f"{s}:" + f["entity_id"].astype(str)
                r1 = report_frame("payer", pd.concat(recall["with"])).methods["Bantay"]
                print(
                    f"  with 20% of dens as known facilitators ({n_seeds} identifiers over "
                    f"{len(a.eval_seeds)} worlds): payer recall@2x {r0['recall@2x']:.3f} -> "
                    f"{r1['recall@2x']:.3f}, AP {r0['average_precision']:.3f} -> "
                    f"{r1['average_precision']:.3f}"
                )
    print(f"\n{timing}\nbench total {time.perf_counter() - t_start:.0f}s")


if __name__ == "__main__":
    main()
