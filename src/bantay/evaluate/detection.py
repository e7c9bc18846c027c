"""Judging a scan against a simulated world's ground truth, beside published single-rule baselines.

Reads the scan's ``scores`` and ``entity_features`` from the workspace and the truth files of the
world (``truth/persons.csv``, ``truth/transactions.csv``); the detector never sees the truth.

Baselines, computed in the same run from the same transactions:

* **AUSTRAC rule** (S8): payers ranked by their count of A$10–A$100 payments to South-East Asia;
  beneficiaries by their number of payers sending such payments.
* **Westpac typology** (S14): payers ranked by their number of high-risk beneficiaries with no
  apparent family tie paid small sums at a frequent rate (the P03 feature), then by small payments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bantay.errors import BantayError
from bantay.workspace import Workspace

#: Flows (truth/transactions.csv ``flow``) that are payments for abuse.
POSITIVE_FLOWS = ("osec_payment",)
#: Roles of positive entities when flows are not given.
POSITIVE_ROLES = {"payer": ("offender",), "beneficiary": ("facilitator",)}
LEGIT_PAYER_ROLES = (
    "family_sender",
    "partner_sender",
    "ordinary",
    "client_business",
    "fraud_victim",
    "one_off_sender",
    "traveller",
    "sponsor",
    "romance_victim",
)


class EvaluationError(BantayError):
    """Truth files are missing or do not fit the workspace."""


def _pick(cols: Sequence[str], *names: str) -> str | None:
    for n in names:
        if n in cols:
            return n
    return None


def read_truth(truth_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(transactions, persons) from a world's truth folder, columns normalised."""
    d = Path(truth_dir)
    tx_path, persons_path = d / "transactions.csv", d / "persons.csv"
    for p in (tx_path, persons_path):
        if not p.exists():
            raise EvaluationError(f"no {p.name} in {d}: give the world's truth folder (DIR/truth)")
    tx = pd.read_csv(tx_path, dtype=str, keep_default_na=False)
    persons = pd.read_csv(persons_path, dtype=str, keep_default_na=False)
    cols = list(tx.columns)
    payer = _pick(cols, "payer_person", "payer_person_id", "payer")
    benef = _pick(cols, "beneficiary_person", "beneficiary_person_id", "beneficiary")
    if payer is None or benef is None or "transaction_id" not in cols or "institution" not in cols:
        raise EvaluationError(
            f"{tx_path}: needs institution, transaction_id, payer_person, beneficiary_person "
            f"(got {cols})"
        )
    out = tx.rename(columns={payer: "payer_person", benef: "beneficiary_person"})
    if "flow" not in out.columns:
        out["flow"] = ""
    pid = _pick(list(persons.columns), "person_id", "person")
    if pid is None or "role" not in persons.columns:
        raise EvaluationError(
            f"{persons_path}: needs person_id and role (got {list(persons.columns)})"
        )
    persons = persons.rename(columns={pid: "person_id"})
    if "den_id" not in persons.columns:
        persons["den_id"] = ""
    return out[
        ["institution", "transaction_id", "payer_person", "beneficiary_person", "flow"]
    ], persons


def entity_transactions(ws: Workspace) -> pd.DataFrame:
    """institution, transaction_id, payer_entity, beneficiary_entity (the scan's entity keys)."""
    from bantay.detect.entities import default_entity_keys
    from bantay.engine import DuckDBEngine

    eng = DuckDBEngine(ws)
    t = default_entity_keys(eng.table, eng.names, eng.table("transactions"))
    return eng.execute(
        t.select("institution", "transaction_id", "payer_entity", "beneficiary_entity")
    )


@dataclass
class Labels:
    """Truth per scanned entity: label, the person's role, and the den of beneficiaries."""

    payer: pd.DataFrame  # entity_id, label, role
    beneficiary: pd.DataFrame  # entity_id, label, role, den_id


def labels(ws: Workspace, truth_dir: Path) -> Labels:
    tx, persons = read_truth(truth_dir)
    ent = entity_transactions(ws)
    j = ent.merge(tx, on=["institution", "transaction_id"], how="inner")
    if j.empty:
        raise EvaluationError(
            f"none of the workspace's transactions are in {truth_dir}/transactions.csv"
        )
    role = persons.set_index("person_id")["role"]
    den = persons.set_index("person_id")["den_id"]
    j["pos"] = j["flow"].isin(POSITIVE_FLOWS)
    out: dict[str, pd.DataFrame] = {}
    for side, key, person in (
        ("payer", "payer_entity", "payer_person"),
        ("beneficiary", "beneficiary_entity", "beneficiary_person"),
    ):
        s = j[j[key].notna()].assign(role=lambda d, c=person: d[c].map(role).fillna(""))
        g = s.groupby(key)
        lab = pd.DataFrame(
            {
                "label": g["pos"].any()
                | g["role"].agg(lambda r, sd=side: bool(r.isin(POSITIVE_ROLES[sd]).any())),
                "role": g["role"].agg(lambda r: r.value_counts().index[0]),
            }
        )
        if side == "beneficiary":
            lab["den_id"] = g[person].agg(
                lambda p: next((d for d in p.map(den).fillna("") if d), "")
            )
        out[side] = lab.rename_axis("entity_id").reset_index()
        out[side]["label"] = out[side]["label"].astype(bool)
    return Labels(payer=out["payer"], beneficiary=out["beneficiary"])


def average_precision(y: np.ndarray, score: np.ndarray, seed: int = 0) -> float:
    """Average precision; ties broken at random (fixed seed) so that coarse rules are not flattered."""
    if y.sum() == 0:
        return float("nan")
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(score)), -score))
    ys = y[order].astype(float)
    hits = np.cumsum(ys)
    precision = hits / np.arange(1, len(ys) + 1)
    return float((precision * ys).sum() / ys.sum())


def at_budget(y: np.ndarray, score: np.ndarray, budget: int, seed: int = 0) -> tuple[float, float]:
    """(recall, precision) among the top ``budget`` by score (ties at random, fixed seed)."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(score)), -score))[:budget]
    tp = float(y[order].sum())
    return tp / max(float(y.sum()), 1.0), tp / max(budget, 1)


def calibration(
    y: np.ndarray, p: np.ndarray, bins: int = 10
) -> tuple[float, float, list[tuple[float, float, float, int]]]:
    """(Brier score, expected calibration error, reliability table) of probabilities ``p``.

    The table has one row per bin of equal width over [0, 1] that holds any entity: (bin's lower
    edge, mean predicted probability, observed share of positives, entities). The expected
    calibration error is the entity-weighted mean gap between the two."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    y = np.asarray(y, dtype=float)
    brier = float(np.mean((p - y) ** 2)) if len(p) else float("nan")
    idx = np.minimum((p * bins).astype(int), bins - 1)
    rows: list[tuple[float, float, float, int]] = []
    ece = 0.0
    for b in range(bins):
        sel = idx == b
        n = int(sel.sum())
        if not n:
            continue
        mean_p, obs = float(p[sel].mean()), float(y[sel].mean())
        rows.append((b / bins, mean_p, obs, n))
        ece += n / len(p) * abs(mean_p - obs)
    return brier, ece, rows


@dataclass
class SideReport:
    side: str
    n_entities: int
    n_positive: int
    methods: dict[str, dict[str, float]] = field(default_factory=dict)
    fp_by_role: dict[str, dict[str, float]] = field(default_factory=dict)
    dens_found_top100: float | None = None
    #: dens with a beneficiary entity among the top 2 x (number of dens) beneficiaries
    den_recall_at_2x: float | None = None
    n_dens: int = 0
    #: Bantay's score read as a probability: Brier score, expected calibration error, reliability
    brier: float | None = None
    ece: float | None = None
    reliability: list[tuple[float, float, float, int]] = field(default_factory=list)
    #: entities at or above the scan's alert threshold, and the positives among them
    alerts_at_threshold: int = 0
    true_alerts_at_threshold: int = 0


def _scores(ws: Workspace, side: str) -> pd.DataFrame:
    s = ws.con.execute("SELECT entity_id, score FROM scores WHERE side = ?", [side]).fetchdf()
    f = ws.con.execute(
        "SELECT entity_id, feature, value FROM entity_features WHERE side = ? AND feature IN "
        "('n_lowval_sea', 'westpac_benefs', 'n_small_hr', 'n_lowval_payers')",
        [side],
    ).fetchdf()
    wide = f.pivot_table(index="entity_id", columns="feature", values="value", aggfunc="first")
    if s.empty:
        raise EvaluationError("the workspace has no scores; run `bantay scan` first")
    return s.merge(wide.reset_index(), on="entity_id", how="left").fillna(0.0)


def baselines(side: str, df: pd.DataFrame) -> dict[str, np.ndarray]:
    if side == "payer":
        return {
            "AUSTRAC rule (S8)": df.get("n_lowval_sea", 0).to_numpy(dtype=float),
            "Westpac typology (S14)": (
                df.get("westpac_benefs", 0) * 1e4 + df.get("n_small_hr", 0)
            ).to_numpy(dtype=float),
        }
    return {"AUSTRAC rule (S8)": df.get("n_lowval_payers", 0).to_numpy(dtype=float)}


def side_frame(ws: Workspace, side: str, lab: pd.DataFrame) -> pd.DataFrame:
    """The latest scan's scores of one side beside the baselines' features and the truth."""
    df = _scores(ws, side).merge(lab, on="entity_id", how="left")
    df["label"] = df["label"].fillna(False).astype(bool)
    df["role"] = df["role"].fillna("")
    return df


def evaluate_side(
    ws: Workspace, side: str, lab: pd.DataFrame, budget_factors: Sequence[float] = (1.0, 2.0)
) -> SideReport:
    return report_frame(side, side_frame(ws, side, lab), budget_factors)


def report_frame(
    side: str,
    df: pd.DataFrame,
    budget_factors: Sequence[float] = (1.0, 2.0),
    threshold: float = 0.5,
) -> SideReport:
    """Metrics of one side from a :func:`side_frame` (or several worlds' frames concatenated,
    with entity ids made unique: the figures are then pooled over the worlds).

    Rows are put in entity order first: ties between equal scores are broken at random, and the
    draw must not depend on the order a scan happened to write its scores in (the same scores,
    written by a first scan and by a rescan, gave payer AP 0.210 and 0.225 on one world)."""
    if "entity_id" in df.columns:
        df = df.sort_values("entity_id", kind="mergesort").reset_index(drop=True)
    y = df["label"].to_numpy()
    rep = SideReport(side=side, n_entities=len(df), n_positive=int(y.sum()))
    methods = {"Bantay": df["score"].to_numpy(dtype=float), **baselines(side, df)}
    for name, score in methods.items():
        m: dict[str, float] = {"average_precision": average_precision(y, score)}
        for f in budget_factors:
            budget = max(round(f * rep.n_positive), 1)
            r, p = at_budget(y, score, budget)
            m[f"recall@{f:g}x"] = r
            m[f"precision@{f:g}x"] = p
        rep.methods[name] = m
        if side == "payer":
            budget = max(2 * rep.n_positive, 1)
            rng = np.random.default_rng(0)
            top = df.iloc[np.lexsort((rng.random(len(score)), -score))[:budget]]
            counts = top.loc[~top["label"], "role"].value_counts()
            rep.fp_by_role[name] = {str(k): float(v) / budget for k, v in counts.items()}
    if side == "beneficiary" and "den_id" in df.columns:
        dens = set(df.loc[df["den_id"].fillna("") != "", "den_id"])
        ranked = df.sort_values("score", ascending=False, kind="mergesort")
        top = ranked.head(100)
        found = set(top.loc[top["den_id"].fillna("") != "", "den_id"])
        rep.dens_found_top100 = len(found) / len(dens) if dens else None
        rep.n_dens = len(dens)
        top2 = ranked.head(2 * len(dens))
        found2 = set(top2.loc[top2["den_id"].fillna("") != "", "den_id"])
        rep.den_recall_at_2x = len(found2) / len(dens) if dens else None
    score = df["score"].to_numpy(dtype=float)
    rep.brier, rep.ece, rep.reliability = calibration(y, score)
    rep.alerts_at_threshold = int((score >= threshold).sum())
    rep.true_alerts_at_threshold = int((y & (score >= threshold)).sum())
    return rep


def evaluate(ws: Workspace, truth_dir: Path) -> dict[str, SideReport]:
    """Payer and beneficiary reports for the workspace's latest scan against ``truth_dir``."""
    lab = labels(ws, truth_dir)
    return {
        "payer": evaluate_side(ws, "payer", lab.payer),
        "beneficiary": evaluate_side(ws, "beneficiary", lab.beneficiary),
    }


def report_dict(reports: dict[str, SideReport]) -> dict[str, Any]:
    return {
        side: {
            "n_entities": r.n_entities,
            "n_positive": r.n_positive,
            "methods": r.methods,
            "false_positive_share_of_budget_by_role": r.fp_by_role,
            "dens_found_top100": r.dens_found_top100,
            "den_recall_at_2x_dens": r.den_recall_at_2x,
            "brier_score": r.brier,
            "expected_calibration_error": r.ece,
            "reliability": [
                {"bin": lo, "mean_predicted": mp, "observed": ob, "entities": n}
                for lo, mp, ob, n in r.reliability
            ],
            "alerts_at_threshold": r.alerts_at_threshold,
            "true_alerts_at_threshold": r.true_alerts_at_threshold,
        }
        for side, r in reports.items()
    }
