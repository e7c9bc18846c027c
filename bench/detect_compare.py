"""Two detection models or more on the same evaluation worlds of a ``bench_detect.py`` root.

    cd bench && python detect_compare.py --root DIR [--seeds 101 102 103] shipped FILE [FILE ...]

``bench_detect.py`` evaluates only the models it trains, on worlds made by the simulator of the
day; when the simulator changes, its evaluation worlds change with it, and a figure from before is
not one comparison with a figure after. This scans each evaluation world of ``DIR`` (baseline and
evasive, as ``bench_detect.py`` made them) with every model named (``shipped``: the model shipped
now) as ``bantay scan`` would, and prints per side average precision, recall at a budget of 2x
the positives, expected calibration error and the alerts at the scan's threshold (true among
them), pooled over the worlds, one line per model and side: the baseline is the first model,
measured in the same run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from bantay.detect.model import DetectionModel, default_model
from bantay.detect.scan import scan
from bantay.evaluate.detection import labels, report_frame, side_frame
from bantay.workspace import open_workspace


def load(name: str) -> DetectionModel:
    if name == "shipped":
        m = default_model()
        if m is None:
            raise SystemExit("no model is shipped")
        return m
    return DetectionModel.load(Path(name))


def label(name: str) -> str:
    """A model's name as printed: its file with the folder it is in (dumps are all model-A.json)."""
    p = Path(name)
    return name if name == "shipped" else f"{p.parent.name}/{p.name}"[-26:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    ap.add_argument("--senders", type=int, default=2000)
    ap.add_argument("--profiles", nargs="+", default=["baseline", "evasive"])
    ap.add_argument("models", nargs="+", help="`shipped` or a model file")
    a = ap.parse_args()
    head = f"{'profile':9s} {'model':26s} {'side':12s} {'AP':>6s} {'r@2x':>6s} {'ECE':>7s}"
    print(head + " alerts (true)")
    for profile in a.profiles:
        for name in a.models:
            model = load(name)
            frames: dict[str, list[pd.DataFrame]] = {"payer": [], "beneficiary": []}
            for seed in a.seeds:
                world = a.root / f"{profile}-{seed}-{a.senders}"
                if not (world / "workspace.ready").exists():
                    raise SystemExit(f"{world}: no ready world; run bench_detect.py --root first")
                with open_workspace(world / "workspace") as ws:
                    scan(ws, model=model)
                    lab = labels(ws, world / "truth")
                    for side, out in frames.items():
                        f = side_frame(ws, side, getattr(lab, side))
                        f["entity_id"] = f"{seed}:" + f["entity_id"].astype(str)
                        out.append(f)
            for side, out in frames.items():
                rep = report_frame(side, pd.concat(out, ignore_index=True))
                m = rep.methods["Bantay"]
                print(
                    f"{profile:9s} {label(name):26s} {side:12s} {m['average_precision']:6.3f} "
                    f"{m['recall@2x']:6.3f} {rep.ece or 0.0:7.4f} {rep.alerts_at_threshold:,} "
                    f"({rep.true_alerts_at_threshold:,})",
                    flush=True,
                )


if __name__ == "__main__":
    main()
