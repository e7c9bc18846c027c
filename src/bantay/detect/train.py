"""Training the model from scanned worlds and their labels (truth or analyst dispositions).

The labels come from outside ``detect``: the CLI reads a simulated world's truth through
``bantay.evaluate`` or an analyst's dispositions file, and hands them in as ``(side, entity_id,
label)`` frames. Worlds are split whole: calibration uses other worlds than training, and whole
profiles can be held out for evaluation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bantay import __version__
from bantay.detect.model import (
    DetectionModel,
    ModelError,
    PayerEvidence,
    SideModel,
    fit_payer_evidence,
    fit_side,
)
from bantay.detect.scan import ScanResult
from bantay.detect.scoring import (
    KEY,
    MODEL_FEATURES,
    OFFSET,
    payer_clear,
    unrelated_edges,
)

#: How much a false alert on a legitimate sender of a given kind weighs in training, against 1 for
#: any other entity: the weight of that entity's negative label (LightGBM's sample weight). A false
#: alert on a family remitter is the costly one: it is the de-risking of diaspora corridors that
#: FATF's guidance on financial inclusion warns about, and the issue caps diaspora family senders at
#: 5% of the alert budget. The weight applies only where the labels carry a role (simulated truth);
#: an analyst's labels file may carry its own ``weight`` column instead.
NEGATIVE_WEIGHTS: dict[str, dict[str, float]] = {"payer": {"family_sender": 5.0}}


def label_weights(side: str, lab: pd.DataFrame) -> pd.Series:
    """Per label row: its training weight (a ``weight`` column if given, else by role)."""
    if "weight" in lab.columns:
        w = pd.to_numeric(lab["weight"], errors="coerce")
        if w.isna().any() or (w <= 0).any():
            raise ModelError("label weights must be positive numbers")
        return w.astype(float)
    out = pd.Series(1.0, index=lab.index)
    if "role" in lab.columns:
        for role, weight in NEGATIVE_WEIGHTS.get(side, {}).items():
            out[(lab["role"] == role) & ~lab["label"].astype(bool)] = weight
    return out


@dataclass
class TrainingWorld:
    name: str
    profile: str
    payer: pd.DataFrame  # model features + label
    beneficiary: pd.DataFrame
    #: unrelated high-risk (payer, beneficiary) pairs: scoring.unrelated_edges
    edges: pd.DataFrame


def training_world(
    name: str, profile: str, result: ScanResult, labels: dict[str, pd.DataFrame]
) -> TrainingWorld:
    """Join a scan's features (``result``, scanned without a model) with labels per side."""
    frames = {}
    for side, df in (("payer", result.payer), ("beneficiary", result.beneficiary)):
        lab = labels[side][["entity_id", "label"]].assign(weight=label_weights(side, labels[side]))
        lab = lab.rename(columns={"entity_id": KEY[side]})
        extra = [OFFSET[side]] if side in OFFSET else []
        f = df[[KEY[side], *MODEL_FEATURES[side], *extra]].merge(lab, on=KEY[side], how="left")
        f["label"] = f["label"].fillna(False).astype(bool)
        f["weight"] = f["weight"].fillna(1.0)
        frames[side] = f
    return TrainingWorld(
        name, profile, frames["payer"], frames["beneficiary"], unrelated_edges(result.pairs)
    )


def _payer_scores(w: TrainingWorld, payer: SideModel) -> pd.Series:
    return pd.Series(payer.predict(w.payer), index=w.payer["payer_entity"].to_numpy())


def payer_evidence(
    cal: Sequence[TrainingWorld], payer: SideModel, beneficiary: SideModel
) -> tuple[PayerEvidence, dict[str, Any]]:
    """How much the calibration worlds' beneficiaries owe to their unrelated payers' scores
    (:class:`bantay.detect.model.PayerEvidence`), from models that saw none of these worlds, as a
    scan sees a new one."""
    keys = pd.concat([w.beneficiary["beneficiary_entity"] for w in cal], ignore_index=True)
    world = np.concatenate([np.full(len(w.beneficiary), i) for i, w in enumerate(cal)])
    p_own = np.concatenate([beneficiary.predict(w.beneficiary) for w in cal])
    y = np.concatenate([w.beneficiary["label"].to_numpy(dtype=float) for w in cal])
    scores = [_payer_scores(w, payer) for w in cal]

    def clear_for(q: float) -> np.ndarray:
        out = np.ones(len(keys))
        for i, w in enumerate(cal):  # entity ids are per world
            sel = world == i
            out[sel] = payer_clear(keys[sel], w.edges, scores[i], q)
        return out

    return fit_payer_evidence(p_own, clear_for, y)


def train(
    worlds: Sequence[TrainingWorld],
    calibration_share: float = 0.25,
    rounds: int = 200,
    command: str = "",
    exclude: tuple[str, ...] = (),
    weigh_payers: bool = True,
) -> DetectionModel:
    """Train both sides; the last ``calibration_share`` of the worlds calibrate the scores and fit
    how much beneficiaries owe to their payers' scores (``weigh_payers=False``: nothing; for
    ablations)."""
    if len(worlds) < 2:
        raise ModelError("training needs at least two worlds (one to train, one to calibrate)")
    n_cal = max(1, round(len(worlds) * calibration_share))
    fit, cal = list(worlds[:-n_cal]), list(worlds[-n_cal:])

    def fit_one(side: str, tr: pd.DataFrame, ca: pd.DataFrame) -> SideModel:
        return fit_side(
            side,
            tr,
            tr["label"].to_numpy(dtype=float),
            ca,
            ca["label"].to_numpy(dtype=float),
            rounds=rounds,
            weight=tr["weight"].to_numpy(dtype=float) if "weight" in tr.columns else None,
            exclude=exclude,
            offset=OFFSET.get(side),
        )

    payer_cal = pd.concat([w.payer for w in cal], ignore_index=True)
    sides = {
        "payer": fit_one("payer", pd.concat([w.payer for w in fit], ignore_index=True), payer_cal),
        "beneficiary": fit_one(
            "beneficiary",
            pd.concat([w.beneficiary for w in fit], ignore_index=True),
            pd.concat([w.beneficiary for w in cal], ignore_index=True),
        ),
    }
    if weigh_payers:
        pe, fitted = payer_evidence(cal, sides["payer"], sides["beneficiary"])
        sides["beneficiary"].payer_evidence = pe
        sides["beneficiary"].info["payer_evidence"] = fitted
    info = {
        "bantay": __version__,
        "trained_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "train_worlds": [f"{w.name} ({w.profile})" for w in fit],
        "calibration_worlds": [f"{w.name} ({w.profile})" for w in cal],
        "command": command,
        "excluded_features": list(exclude),
        "negative_weights": NEGATIVE_WEIGHTS,
        "positives": {
            side: int(np.sum([getattr(w, side)["label"].sum() for w in worlds]))
            for side in ("payer", "beneficiary")
        },
    }
    return DetectionModel(sides=sides, info=info)
