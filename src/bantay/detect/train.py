"""Training the model from scanned worlds and their labels (truth or analyst dispositions).

The labels come from outside ``detect``: the CLI reads a simulated world's truth through
``bantay.evaluate`` or an analyst's dispositions file, and hands them in as ``(side, entity_id,
label)`` frames. Worlds are split whole: calibration uses other worlds than training, and whole
profiles can be held out for evaluation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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
    noisy_or_logit,
    platt,
    sigmoid,
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
        cols = ["entity_id", "label", *(["role"] if "role" in labels[side].columns else [])]
        lab = labels[side][cols].assign(weight=label_weights(side, labels[side]))
        lab = lab.rename(columns={"entity_id": KEY[side]})
        extra = [OFFSET[side]] if side in OFFSET else []
        f = df[[KEY[side], *MODEL_FEATURES[side], *extra]].merge(lab, on=KEY[side], how="left")
        f["label"] = f["label"].fillna(False).astype(bool)
        f["weight"] = f["weight"].fillna(1.0)
        if "role" in f.columns:
            f["role"] = f["role"].fillna("").astype(str)
        frames[side] = f
    return TrainingWorld(
        name, profile, frames["payer"], frames["beneficiary"], unrelated_edges(result.pairs)
    )


#: trains one side on a training frame and calibrates it on a calibration frame (``train``'s
#: ``fit_one``: the model's parameters, weights and offset)
FitOne = Callable[[str, pd.DataFrame, pd.DataFrame], SideModel]


def _payer_scores(w: TrainingWorld, payer: SideModel, seen: tuple[float, float]) -> pd.Series:
    p = sigmoid(seen[0] * payer.margin(w.payer) + seen[1])
    return pd.Series(p, index=w.payer["payer_entity"].to_numpy())


def payer_evidence(
    cal: Sequence[TrainingWorld],
    payer: SideModel,
    beneficiary: SideModel,
    seen: tuple[float, float] | None = None,
    unseen_margins: Sequence[np.ndarray] = (),
) -> tuple[PayerEvidence, dict[str, Any]]:
    """How much the calibration worlds' beneficiaries owe to their unrelated payers' scores
    (:class:`bantay.detect.model.PayerEvidence`), from models that saw none of these worlds, as a
    scan sees a new one. ``seen``: the payers' Platt calibration among the populations the model
    has seen, where their scores are calibrated otherwise; the payers' scores are read on it.
    ``unseen_margins``: the calibration worlds' beneficiaries (in order) as scored by models each
    trained with one legitimate population left out (:func:`left_out_margins`). ``q`` is fitted
    among the populations the model has seen (how much payers' scores tell); the calibration of
    the combined score is then fitted again on those margins, pooled, so that it expects
    populations the model has not seen, as the payers' does, and the ranking stays as it was."""
    a_s, b_s = seen if seen is not None else (payer.a, payer.b)
    keys = pd.concat([w.beneficiary["beneficiary_entity"] for w in cal], ignore_index=True)
    world = np.concatenate([np.full(len(w.beneficiary), i) for i, w in enumerate(cal)])
    y = np.concatenate([w.beneficiary["label"].to_numpy(dtype=float) for w in cal])
    p_own = np.concatenate([beneficiary.predict(w.beneficiary) for w in cal])
    scores = [_payer_scores(w, payer, (a_s, b_s)) for w in cal]

    def clear_for(q: float) -> np.ndarray:
        out = np.ones(len(keys))
        for i, w in enumerate(cal):  # entity ids are per world
            sel = world == i
            out[sel] = payer_clear(keys[sel], w.edges, scores[i], q)
        return out

    pe, fitted = fit_payer_evidence(p_own, clear_for, y)
    if unseen_margins:
        clear = clear_for(pe.q)
        x = [
            noisy_or_logit(sigmoid(beneficiary.a * m + beneficiary.b), clear)
            for m in unseen_margins
        ]
        fitted["platt_on_seen_populations"] = {"a": pe.a, "b": pe.b}
        pe.a, pe.b = platt(np.concatenate(x), np.tile(y, len(unseen_margins)))
    # a score as the scan gives it, logit(p) = a·m + b, read as the seen one, a_s·m + b_s
    pe.payer_a = a_s / payer.a
    pe.payer_b = b_s - pe.payer_a * payer.b
    return pe, fitted


def left_out_margins(
    side: str, fit: pd.DataFrame, cal: pd.DataFrame, fit_one: FitOne
) -> tuple[list[str], list[np.ndarray]] | None:
    """The legitimate populations of ``fit`` (roles among the negatives only) and, per population,
    the margins on ``cal`` of a model trained on ``fit`` without it; None where the labels carry
    no roles (an analyst's labels file)."""
    if "role" not in fit.columns or "role" not in cal.columns:
        return None
    negatives = fit.loc[~fit["label"].astype(bool), "role"]
    positives = set(fit.loc[fit["label"].astype(bool), "role"])
    roles = sorted(r for r in set(negatives) - positives - {""})
    if not roles:
        return None
    margins = []
    for role in roles:
        m = fit_one(side, fit[(fit["role"] != role) | fit["label"].astype(bool)], cal.iloc[:0])
        margins.append(m.margin(cal))
    return roles, margins


def unseen_population_calibration(
    side: str, fit: pd.DataFrame, cal: pd.DataFrame, fit_one: FitOne
) -> tuple[float, float, dict[str, Any]] | None:
    """A calibration that expects legitimate populations the model has never seen.

    Platt's calibration on worlds drawn like the training worlds says how often a score is right
    among people the model has learnt; a deployment holds others (leave-one-population-out: a
    population never seen as a negative takes a large part of the alert budget, and on worlds
    Bantay did not generate the scores ran 2-5x high). So the calibration is fitted on the margins
    of models each trained with one legitimate population (a role among the negatives) left out,
    on the calibration worlds, pooled: every population is in turn one the model does not know.
    None where the labels carry no roles (an analyst's labels file)."""
    out = left_out_margins(side, fit, cal, fit_one)
    if out is None:
        return None
    roles, margins = out
    y = np.tile(cal["label"].to_numpy(dtype=float), len(margins))
    a, b = platt(np.concatenate(margins), y)
    return a, b, {"calibration": "populations left out in turn", "populations": roles}


def train(
    worlds: Sequence[TrainingWorld],
    calibration_share: float = 0.25,
    rounds: int = 200,
    command: str = "",
    exclude: tuple[str, ...] = (),
    weigh_payers: bool = True,
    unseen_populations: bool = True,
) -> DetectionModel:
    """Train both sides; the last ``calibration_share`` of the worlds calibrate the scores and fit
    how much beneficiaries owe to their payers' scores (``weigh_payers=False``: nothing; for
    ablations). Where the labels carry roles, the calibration expects populations the model has
    not seen (:func:`unseen_population_calibration`; ``unseen_populations=False``: plain Platt)."""
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

    sides = {}
    benef_unseen: list[np.ndarray] = []
    for side in ("payer", "beneficiary"):
        tr = pd.concat([getattr(w, side) for w in fit], ignore_index=True)
        ca = pd.concat([getattr(w, side) for w in cal], ignore_index=True)
        sides[side] = fit_one(side, tr, ca)
        if not unseen_populations:
            continue
        if side == "beneficiary" and weigh_payers:
            # calibrated once more where its payers' scores are weighed in (PayerEvidence),
            # which would undo a calibration here: the left-out models' margins go there
            left_out = left_out_margins(side, tr, ca, fit_one)
            if left_out is not None:
                roles, benef_unseen = left_out
                sides[side].info.update(
                    calibration="populations left out in turn, with the payers' scores",
                    populations=roles,
                )
            continue
        unseen = unseen_population_calibration(side, tr, ca, fit_one)
        if unseen is not None:
            plain = {"a": sides[side].a, "b": sides[side].b}
            sides[side].a, sides[side].b, how = unseen
            sides[side].info.update(how, platt_on_seen_populations=plain)
    if weigh_payers:
        seen = sides["payer"].info.get("platt_on_seen_populations")
        pe, fitted = payer_evidence(
            cal,
            sides["payer"],
            sides["beneficiary"],
            (seen["a"], seen["b"]) if seen else None,
            benef_unseen,
        )
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
