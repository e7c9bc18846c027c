"""A lead for issue 21, measured before it is built: beneficiaries ranked with their payers' model
probabilities (noisy-OR), beside the shipped ranking, on kept workspaces.

    python bench/detect_payer_evidence.py --worlds DIR [DIR ...]

Each DIR is a kept world: a workspace (``ws/`` or ``workspace/``) and its truth (``world/truth/``
or ``truth/``), as ``bench/detect_independent.py --keep`` and ``bench/bench_detect.py --root``
leave them. Each world is scanned with the shipped model (nothing written); a beneficiary's
probability is then combined with those of its unrelated high-risk payers,

    p' = 1 - (1 - p_b) * prod over payers (1 - q * p_payer)

where ``q`` is the share of offenders' unrelated high-risk beneficiaries that are facilitators
(``--q``, default 1.0: what Bantay's own evaluation worlds measure; the share on the worlds given
is printed beside it, and never used). A beneficiary paid by a likely
offender is a likely facilitator: most dens are paid by one offender (S20), so fan-in alone does
not find them. Printed: beneficiary average precision, dens with a member among the top 2x dens,
and the expected calibration error, pooled over the worlds, before and after.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from bantay.detect.scan import scan
from bantay.evaluate.detection import labels, report_frame
from bantay.workspace import open_workspace


def _first(d: Path, *names: str) -> Path:
    for n in names:
        if (d / n).exists():
            return d / n
    raise SystemExit(f"{d}: none of {names}")


def world(d: Path, k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(beneficiaries with score, label and den; unrelated high-risk pairs with the payer's
    probability and both labels), entity and den ids made unique by ``k``."""
    with open_workspace(_first(d, "ws", "workspace")) as ws:
        r = scan(ws, write=False, use_signals=False, use_reports=False)
        lab = labels(ws, _first(d, "world/truth", "truth"))
    pay = r.payer[["payer_entity", "score"]].merge(
        lab.payer.rename(columns={"entity_id": "payer_entity"}), on="payer_entity", how="left"
    )
    b = r.beneficiary[["beneficiary_entity", "score"]].merge(
        lab.beneficiary.rename(columns={"entity_id": "beneficiary_entity"}),
        on="beneficiary_entity",
        how="left",
    )
    pairs = r.pairs[~r.pairs["related"].astype(bool) & r.pairs["hr"].astype(bool)]
    un = pairs[["payer_entity", "beneficiary_entity"]].drop_duplicates()
    un = un.merge(pay[["payer_entity", "score", "label"]], on="payer_entity", how="left")
    un["benef_label"] = un["beneficiary_entity"].map(
        b.set_index("beneficiary_entity")["label"].fillna(False)
    )
    b = b.rename(columns={"beneficiary_entity": "entity_id"})
    b["label"] = b["label"].fillna(False).astype(bool)
    b["role"] = b["role"].fillna("")
    b["den_id"] = b["den_id"].fillna("").map(lambda x: f"{k}:{x}" if x else "")
    b["n_lowval_payers"] = 0
    b["entity_id"] = f"{k}:" + b["entity_id"].astype(str)
    un["beneficiary_entity"] = f"{k}:" + un["beneficiary_entity"].astype(str)
    return b, un


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worlds", type=Path, nargs="+", required=True)
    ap.add_argument("--q", type=float, default=1.0, help="facilitator share (default 1.0)")
    a = ap.parse_args()
    parts = [world(d, k) for k, d in enumerate(a.worlds)]
    b = pd.concat([p[0] for p in parts], ignore_index=True)
    un = pd.concat([p[1] for p in parts], ignore_index=True)
    offenders = un[un["label"].fillna(False).astype(bool)]
    q = a.q
    seen = float(offenders["benef_label"].fillna(False).mean())
    keep = un.assign(f=1.0 - q * un["score"].fillna(0.0)).groupby("beneficiary_entity")["f"].prod()
    after = b.assign(score=1.0 - (1.0 - b["score"]) * b["entity_id"].map(keep).fillna(1.0))
    print(
        f"{len(a.worlds)} worlds; q = {q:.3f} (on these worlds {seen:.3f}, over "
        f"{len(offenders):,} offender-beneficiary pairs)"
    )
    for name, df in (("shipped ranking", b), ("with payers' probabilities", after)):
        rep = report_frame("beneficiary", df)
        print(
            f"  {name:<28} beneficiary AP {rep.methods['Bantay']['average_precision']:.3f}  "
            f"dens in the top 2x {rep.den_recall_at_2x:.3f}  ECE {rep.ece:.4f}"
        )


if __name__ == "__main__":
    main()
