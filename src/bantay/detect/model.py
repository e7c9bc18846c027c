"""The model: one LightGBM classifier per side over the explainable features, Platt-calibrated.

A model file is one JSON document holding, per side, the LightGBM booster as text, the feature list,
the calibration (``p = 1 / (1 + exp(-(a·margin + b)))``) and how it was trained; for beneficiaries
also how their unrelated payers' scores are weighed in (:class:`PayerEvidence`). Explanations use
LightGBM's ``pred_contrib`` (SHAP values on the margin scale) of the entity's own evidence.

Without a model the scan falls back to the rules alone: ``p = 1 / (1 + exp(-(rule_score - 3)))``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from bantay.detect.scoring import MODEL_FEATURES, MONOTONE
from bantay.errors import BantayError

DEFAULT_MODEL = "default_model.json"

PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 2,
    "deterministic": True,
    "seed": 7,
}


class ModelError(BantayError):
    """A model file is missing, unreadable or does not fit the features."""


def sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))
    return out


def logit(p: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))``, with ``p`` kept within 1e-12 of 0 and 1."""
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1.0 - 1e-12)
    out: np.ndarray = np.log(p / (1.0 - p))
    return out


def noisy_or_logit(p_own: np.ndarray, clear: np.ndarray) -> np.ndarray:
    """The logit of ``1 - (1 - p_own) · clear``: a beneficiary's own probability with its payers'
    ``clear`` (``prod(1 - q · p_payer)``) weighed in, before :class:`PayerEvidence` calibrates it."""
    return logit(1.0 - (1.0 - np.asarray(p_own, dtype=float)) * np.asarray(clear, dtype=float))


def platt(margin: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit ``p = sigmoid(a·margin + b)`` by the least log loss against Platt's smoothed targets.

    The loss is convex in ``(a, b)``; it is minimised by L-BFGS from the flat fit (``a = 0``,
    every score the mean target). Newton's method from ``a = 1`` diverged where the margins lie
    tens of units apart (every sigmoid saturated, the Hessian singular: slopes of 1e10)."""
    from scipy.optimize import minimize

    margin = np.asarray(margin, dtype=float)
    y = np.asarray(y, dtype=float)
    n_pos, n_neg = float(y.sum()), float(len(y) - y.sum())
    t = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(ab: np.ndarray) -> tuple[float, np.ndarray]:
        z = ab[0] * margin + ab[1]
        d = sigmoid(z) - t
        value = float(np.sum(np.logaddexp(0.0, z) - t * z))  # log(1 + e^z) - t·z, finite
        return value, np.array([np.sum(d * margin), np.sum(d)])

    start = np.array([0.0, float(np.log(t.mean() / (1.0 - t.mean())))])
    fit = minimize(loss, start, jac=True, method="L-BFGS-B", options={"gtol": 1e-9})
    return float(fit.x[0]), float(fit.x[1])


@dataclass
class PayerEvidence:
    """A beneficiary's score with its unrelated high-risk payers' scores weighed in:
    ``s = 1 - (1 - p_own) · prod(1 - q · p_payer)`` (noisy-OR: each payer an offender with its
    score, an offender's beneficiary a facilitator with probability ``q``), calibrated again as
    ``sigmoid(a · logit(s) + b)``. ``q``, ``a`` and ``b`` are fitted on the calibration worlds
    (:func:`fit_payer_evidence`); ``q = 0`` leaves the beneficiary's own score as it was.

    ``payer_a`` and ``payer_b`` read a payer's score on the scale ``q`` was fitted on:
    ``sigmoid(payer_a · logit(p) + payer_b)``. Payers' scores are calibrated to expect populations
    the model has not seen (``train.unseen_population_calibration``), but the noisy-OR is fitted on
    the calibration worlds, among populations it has seen; identity for a model without that."""

    q: float
    a: float = 1.0
    b: float = 0.0
    payer_a: float = 1.0
    payer_b: float = 0.0

    def as_fitted(self, payer_score: pd.Series) -> pd.Series:
        """Payers' scores on the scale the noisy-OR was fitted on."""
        if self.payer_a == 1.0 and self.payer_b == 0.0:
            return payer_score
        x = self.payer_a * logit(payer_score.to_numpy(dtype=float)) + self.payer_b
        return pd.Series(sigmoid(x), index=payer_score.index)

    def combine(self, p_own: np.ndarray, clear: np.ndarray) -> np.ndarray:
        """``clear``: per beneficiary, ``prod(1 - q · p_payer)`` (scoring.payer_clear)."""
        return sigmoid(self.a * noisy_or_logit(p_own, clear) + self.b)


#: The values of ``q`` tried when fitting :class:`PayerEvidence`.
Q_GRID = tuple(round(0.05 * i, 2) for i in range(21))


def fit_payer_evidence(
    p_own: np.ndarray, clear_for: Callable[[float], np.ndarray], y: np.ndarray
) -> tuple[PayerEvidence, dict[str, Any]]:
    """The ``q`` of :data:`Q_GRID` (with its calibration) that gives the calibration worlds'
    beneficiaries (own scores ``p_own``, labels ``y``) the smallest log loss; ``clear_for(q)`` gives
    their ``prod(1 - q · p_payer)``. Returns it and the log loss per ``q`` tried."""
    losses: dict[str, float] = {}
    best: tuple[float, PayerEvidence] | None = None
    for q in Q_GRID:
        x = noisy_or_logit(p_own, clear_for(q))
        a, b = platt(x, y)
        pe = PayerEvidence(q, a, b)
        p = np.clip(sigmoid(a * x + b), 1e-12, 1.0 - 1e-12)
        loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        losses[f"{q:.2f}"] = round(loss, 6)
        if best is None or loss < best[0] - 1e-12:
            best = (loss, pe)
    assert best is not None
    return best[1], {"log_loss_by_q": losses}


@dataclass
class SideModel:
    features: tuple[str, ...]
    booster: lgb.Booster
    a: float = 1.0
    b: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    #: a column subtracted from the margin (scoring.OFFSET: the family-link protection)
    offset: str | None = None
    #: beneficiaries: how their payers' scores are weighed in (None: not at all)
    payer_evidence: PayerEvidence | None = None

    def _matrix(self, df: pd.DataFrame) -> np.ndarray:
        needed = [*self.features, *([self.offset] if self.offset else [])]
        missing = [f for f in needed if f not in df.columns]
        if missing:
            raise ModelError(f"the model needs features the scan did not compute: {missing}")
        out: np.ndarray = df[list(self.features)].astype("float64").to_numpy()
        return out

    def _offset(self, df: pd.DataFrame) -> np.ndarray:
        if not self.offset:
            return np.zeros(len(df))
        out: np.ndarray = df[self.offset].fillna(0.0).to_numpy(dtype=float)
        return out

    def margin(self, df: pd.DataFrame) -> np.ndarray:
        raw = np.asarray(self.booster.predict(self._matrix(df), raw_score=True), dtype=float)
        out: np.ndarray = raw - self._offset(df)
        return out

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the positive class (offender / facilitator)."""
        if df.empty:
            return np.zeros(0)
        return sigmoid(self.a * self.margin(df) + self.b)

    def contributions(self, df: pd.DataFrame) -> pd.DataFrame:
        """Per-feature contributions to the calibrated margin (last column ``bias``)."""
        if df.empty:
            return pd.DataFrame(columns=[*self.features, "bias"])
        c = np.asarray(self.booster.predict(self._matrix(df), pred_contrib=True), dtype=float)
        out = pd.DataFrame(c * self.a, columns=[*self.features, "bias"], index=df.index)
        if self.offset:
            out.insert(len(self.features), self.offset, -self.a * self._offset(df))
        return out


@dataclass
class DetectionModel:
    sides: dict[str, SideModel]
    info: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": "bantay-model/1",
                "info": self.info,
                "sides": {
                    side: {
                        "features": list(m.features),
                        "calibration": {"a": m.a, "b": m.b},
                        "offset": m.offset,
                        "payer_evidence": None
                        if m.payer_evidence is None
                        else {
                            "q": m.payer_evidence.q,
                            "a": m.payer_evidence.a,
                            "b": m.payer_evidence.b,
                            "payer_a": m.payer_evidence.payer_a,
                            "payer_b": m.payer_evidence.payer_b,
                        },
                        "info": m.info,
                        "booster": m.booster.model_to_string(),
                    }
                    for side, m in self.sides.items()
                },
            },
            indent=1,
            sort_keys=True,
        )

    def save(self, path: Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def from_json(cls, text: str, origin: str = "model") -> DetectionModel:
        try:
            data = json.loads(text)
            if data.get("format") != "bantay-model/1":
                raise ModelError(
                    f"{origin}: not a Bantay model file (format {data.get('format')!r})"
                )
            sides = {
                side: SideModel(
                    features=tuple(d["features"]),
                    booster=lgb.Booster(model_str=d["booster"]),
                    a=float(d["calibration"]["a"]),
                    b=float(d["calibration"]["b"]),
                    info=dict(d.get("info", {})),
                    offset=d.get("offset"),
                    payer_evidence=PayerEvidence(
                        q=float(d["payer_evidence"]["q"]),
                        a=float(d["payer_evidence"]["a"]),
                        b=float(d["payer_evidence"]["b"]),
                        payer_a=float(d["payer_evidence"].get("payer_a", 1.0)),
                        payer_b=float(d["payer_evidence"].get("payer_b", 0.0)),
                    )
                    if d.get("payer_evidence")
                    else None,
                )
                for side, d in data["sides"].items()
            }
        except (KeyError, ValueError, TypeError, lgb.basic.LightGBMError) as exc:
            raise ModelError(f"{origin}: unreadable model file: {exc}") from exc
        return cls(sides=sides, info=dict(data.get("info", {})))

    @classmethod
    def load(cls, path: Path) -> DetectionModel:
        p = Path(path)
        if not p.exists():
            raise ModelError(f"no model file at {p}; train one with `bantay train --out {p}`")
        return cls.from_json(p.read_text(encoding="utf-8"), str(p))


def default_model() -> DetectionModel | None:
    """The model shipped with Bantay, or None when none is shipped (rules-only fallback)."""
    entry = resources.files("bantay.detect") / "models" / DEFAULT_MODEL
    if not entry.is_file():
        return None
    return DetectionModel.from_json(entry.read_text(encoding="utf-8"), DEFAULT_MODEL)


def fit_side(
    side: str,
    train: pd.DataFrame,
    y_train: np.ndarray,
    calib: pd.DataFrame,
    y_calib: np.ndarray,
    rounds: int = 200,
    params: dict[str, Any] | None = None,
    exclude: tuple[str, ...] = (),
    offset: str | None = None,
    weight: np.ndarray | None = None,
) -> SideModel:
    """Train one side on ``train`` and calibrate it on ``calib`` (other worlds than ``train``);
    ``exclude`` leaves features out (for ablations); ``offset`` names a column subtracted from the
    margin (the boosting starts from it: LightGBM's init_score); ``weight`` weighs the training
    rows (see :data:`bantay.detect.train.NEGATIVE_WEIGHTS`)."""
    feats = tuple(f for f in MODEL_FEATURES[side] if f not in exclude)
    p = {
        **PARAMS,
        "monotone_constraints": [MONOTONE.get(side, {}).get(f, 0) for f in feats],
        **(params or {}),
    }
    pos = float(y_train.sum())
    if pos == 0 or pos == len(y_train):
        raise ModelError(f"{side}: the training labels hold only one class; simulate more worlds")
    if offset and (offset not in train.columns or offset not in calib.columns):
        raise ModelError(f"{side}: the training frames lack the offset column {offset!r}")
    ds = lgb.Dataset(
        train[list(feats)].astype("float64").to_numpy(),
        label=y_train,
        feature_name=list(feats),
        weight=weight,
        init_score=-train[offset].fillna(0.0).to_numpy(dtype=float) if offset else None,
    )
    booster = lgb.train(p, ds, num_boost_round=rounds)
    m = SideModel(features=feats, booster=booster, offset=offset)
    if len(calib) and 0 < y_calib.sum() < len(y_calib):
        m.a, m.b = platt(m.margin(calib), y_calib)
    m.info = {
        "n_train": len(y_train),
        "n_train_positive": int(pos),
        "n_calibration": len(y_calib),
        "rounds": rounds,
        "offset": offset,
        "weighted": weight is not None and bool(np.any(weight != 1.0)),
        "params": p,
    }
    return m


def round_score(p: np.ndarray) -> np.ndarray:
    """Scores to six significant digits: small probabilities keep their order (rounding them to
    six decimals would tie every unlikely entity at 0 and rank them at random)."""
    p = np.asarray(p, dtype=float)
    exp = np.floor(np.log10(np.maximum(np.abs(p), 1e-300)))
    scale = 10.0 ** (5 - exp)
    out: np.ndarray = np.where(p > 0, np.round(p * scale) / scale, 0.0)
    return out


def rules_only_probability(rule_score: np.ndarray) -> np.ndarray:
    return sigmoid(np.asarray(rule_score, dtype=float) - 3.0)
