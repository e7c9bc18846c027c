"""Training: labels, their weights, and what the weights do to the model."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bantay.detect.model import (
    Q_GRID,
    DetectionModel,
    ModelError,
    PayerEvidence,
    default_model,
    fit_side,
)
from bantay.detect.scoring import MODEL_FEATURES, payer_clear, unrelated_edges, with_payer_scores
from bantay.detect.train import NEGATIVE_WEIGHTS, label_weights


def _labels(**cols: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"entity_id": [f"E{i}" for i in range(len(cols["label"]))], **cols})


def test_family_senders_weigh_more_as_negatives_only() -> None:
    w_family = NEGATIVE_WEIGHTS["payer"]["family_sender"]
    assert w_family > 1
    lab = _labels(
        label=[False, True, False, False],
        role=["family_sender", "family_sender", "partner_sender", ""],
    )
    assert label_weights("payer", lab).tolist() == [w_family, 1.0, 1.0, 1.0]
    # beneficiaries carry no such weight; labels without roles (an analyst's file) weigh 1
    assert label_weights("beneficiary", lab).tolist() == [1.0] * 4
    assert label_weights("payer", lab.drop(columns="role")).tolist() == [1.0] * 4


def test_a_labels_file_may_give_its_own_weights() -> None:
    lab = _labels(label=[True, False], role=["", "family_sender"], weight=[2, 0.5])
    assert label_weights("payer", lab).tolist() == [2.0, 0.5]
    with pytest.raises(ModelError, match="positive"):
        label_weights("payer", _labels(label=[True, False], weight=[1, 0]))
    with pytest.raises(ModelError, match="positive"):
        label_weights("payer", _labels(label=[True, False], weight=[1, "much"]))


def test_weighted_negatives_are_pushed_below_the_positives_they_resemble() -> None:
    """Family senders and offenders that look alike on one feature: weighting the family senders'
    negative labels lowers the margin of that look-alike group, and only of that group."""
    feats = MODEL_FEATURES["payer"]
    rng = np.random.default_rng(1)
    n = 900
    df = pd.DataFrame({f: np.zeros(n) for f in feats})
    df["n_small_hr"] = np.repeat([0.0, 1.0, 2.0], n // 3)
    # group 1: half offenders, half family senders; group 2: mostly offenders
    y = np.where(df["n_small_hr"] == 1, rng.random(n) < 0.5, df["n_small_hr"] == 2).astype(float)
    family = (df["n_small_hr"] == 1) & (y == 0)
    w = np.where(family, 5.0, 1.0)
    plain = fit_side("payer", df, y, df, y, rounds=30)
    weighted = fit_side("payer", df, y, df, y, rounds=30, weight=w)
    assert weighted.info["weighted"] and not plain.info["weighted"]
    one = df[df["n_small_hr"] == 1].head(1)
    two = df[df["n_small_hr"] == 2].head(1)
    assert weighted.margin(one)[0] < plain.margin(one)[0] - 1.0
    assert abs(weighted.margin(two)[0] - plain.margin(two)[0]) < 0.5


def test_payer_scores_reach_beneficiaries_as_highest_and_noisy_or() -> None:
    edges = pd.DataFrame(
        {"payer_entity": ["P1", "P2", "P3"], "beneficiary_entity": ["B1", "B1", "B2"]}
    )
    benef = pd.DataFrame({"beneficiary_entity": ["B1", "B2", "B3"]})
    scores = pd.Series({"P1": 0.5, "P2": 0.2})
    out = with_payer_scores(benef, edges, scores).set_index("beneficiary_entity")
    assert out.loc["B1", "max_payer_score"] == 0.5
    assert out.loc["B1", "payers_score_or"] == pytest.approx(1 - 0.5 * 0.8)
    # P3 was not scored; B3 has no unrelated high-risk payer
    assert out.loc["B2"].tolist() == [0.0, 0.0] and out.loc["B3"].tolist() == [0.0, 0.0]
    clear = payer_clear(benef["beneficiary_entity"], edges, scores, q=0.5)
    assert clear == pytest.approx([(1 - 0.25) * (1 - 0.1), 1.0, 1.0])
    pairs = pd.DataFrame(
        {
            "payer_entity": ["P1", "P1", "P2", "P2"],
            "beneficiary_entity": ["B1", "B1", "B2", "B3"],
            "related": [False, False, True, False],
            "hr": [True, True, True, False],
        }
    )
    assert unrelated_edges(pairs).values.tolist() == [["P1", "B1"]]


def _beneficiaries(informative: bool, n: int = 4000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Own scores, the best payer's score and labels of ``n`` beneficiaries: facilitators are
    paid by likely offenders where ``informative``, else the payers' scores are noise."""
    rng = np.random.default_rng(3)
    y = (rng.random(n) < 0.05).astype(float)
    own = 0.1 * rng.random(n) + 0.03 * y  # overlapping: own evidence alone ranks poorly
    payer = np.where(y > 0, rng.uniform(0.5, 1.0, n), rng.uniform(0.0, 0.2, n))
    return own, (payer if informative else rng.permutation(payer)), y


def test_payer_evidence_is_weighed_by_what_the_calibration_worlds_show() -> None:
    from bantay.detect.model import fit_payer_evidence
    from bantay.evaluate.detection import average_precision

    own, payer, y = _beneficiaries(informative=True)
    pe, info = fit_payer_evidence(own, lambda q: 1 - q * payer, y)
    assert pe.q >= 0.5
    combined = pe.combine(own, 1 - pe.q * payer)
    assert average_precision(y, combined) > average_precision(y, own) + 0.2
    assert set(info["log_loss_by_q"]) == {f"{q:.2f}" for q in Q_GRID}
    # payers' scores that say nothing about their beneficiaries are weighed as nothing
    own, payer, y = _beneficiaries(informative=False)
    pe, _ = fit_payer_evidence(own, lambda q: 1 - q * payer, y)
    assert pe.q <= 0.1


def test_the_payer_evidence_travels_in_the_model_file() -> None:
    model = default_model()
    assert model is not None
    pe = PayerEvidence(q=0.4, a=1.2, b=-0.3, payer_a=0.8, payer_b=1.1)
    model.sides["beneficiary"].payer_evidence = pe
    back = DetectionModel.from_json(model.to_json())
    assert back.sides["beneficiary"].payer_evidence == pe
    # payers' scores are read on the scale the noisy-OR was fitted on: logit(p) -> a·logit(p) + b
    p = pd.Series([0.1, 0.5, 0.9], index=["P1", "P2", "P3"])
    logit = np.log(pe.as_fitted(p) / (1 - pe.as_fitted(p)))
    assert np.allclose(logit, 0.8 * np.log(p / (1 - p)) + 1.1)
    assert PayerEvidence(q=0.4).as_fitted(p) is p
    assert back.sides["payer"].payer_evidence is None
    # a model file written before it reads as weighing no payers
    data = json.loads(model.to_json())
    del data["sides"]["beneficiary"]["payer_evidence"]["payer_a"]
    del data["sides"]["beneficiary"]["payer_evidence"]["payer_b"]
    assert DetectionModel.from_json(json.dumps(data)).sides["beneficiary"].payer_evidence == (
        PayerEvidence(q=0.4, a=1.2, b=-0.3)
    )
    del data["sides"]["beneficiary"]["payer_evidence"]
    assert DetectionModel.from_json(json.dumps(data)).sides["beneficiary"].payer_evidence is None


def _lookalikes(seed: int) -> pd.DataFrame:
    """Offenders with two small payments; population ``a`` makes them too but pays at noon
    (share_night_hr 0); population ``b`` makes none."""
    feats = MODEL_FEATURES["payer"]
    rng = np.random.default_rng(seed)
    n = 1500
    role = rng.choice(["offender", "a", "b"], n, p=[0.2, 0.3, 0.5])
    df = pd.DataFrame({f: np.zeros(n) for f in feats})
    df["n_small_hr"] = np.where(role == "b", 0.0, 2.0)
    df["share_night_hr"] = np.where(role == "offender", 0.8, 0.0) + rng.uniform(0, 0.1, n)
    df["family_offset"] = 0.0
    df["label"] = role == "offender"
    df["role"] = np.where(role == "offender", "offender", role)
    return df


def test_the_calibration_expects_populations_the_model_has_not_seen() -> None:
    from bantay.detect.train import unseen_population_calibration

    fit, cal = _lookalikes(1), _lookalikes(2)

    def fit_one(side: str, tr: pd.DataFrame, ca: pd.DataFrame) -> Any:
        y_ca = ca["label"].to_numpy(dtype=float)
        return fit_side(side, tr, tr["label"].to_numpy(dtype=float), ca, y_ca, rounds=30)

    seen = fit_one("payer", fit, cal)
    out = unseen_population_calibration("payer", fit, cal, fit_one)
    assert out is not None
    a, b, how = out
    assert how["populations"] == ["a", "b"]  # the positives' role is never left out
    # a payer of population a, scored by the model that has seen it: low either way; but the
    # calibration now knows that a margin this model gives may belong to a population it has
    # not seen, so the offenders' high margins read as less certain than among the seen ones
    offender = cal[cal["label"]].head(20)
    m = seen.margin(offender)
    plain = 1 / (1 + np.exp(-(seen.a * m + seen.b)))
    unseen = 1 / (1 + np.exp(-(a * m + b)))
    assert (unseen < plain - 0.05).all()
    # labels without roles (an analyst's file): plain Platt, nothing to leave out
    assert unseen_population_calibration("payer", fit.drop(columns="role"), cal, fit_one) is None


def test_the_calibration_fit_holds_where_the_margins_lie_far_apart() -> None:
    from bantay.detect.model import platt

    # two margins, 55 units apart: the fit is Platt's smoothed targets met exactly
    m = np.r_[np.full(1000, -27.6), np.full(20, 27.6)]
    y = np.r_[np.zeros(1000), np.ones(20)]
    a, b = platt(m, y)
    hi, lo = np.log((21 / 22) / (1 / 22)), np.log((1 / 1002) / (1001 / 1002))
    assert a == pytest.approx((hi - lo) / 55.2, rel=1e-4)
    assert a * 27.6 + b == pytest.approx(hi, abs=1e-3)
    # an ordinary case: the slope and offset of the sigmoid the labels were drawn from
    rng = np.random.default_rng(3)
    m = rng.normal(-2, 2, 40000)
    y = (rng.random(40000) < 1 / (1 + np.exp(-(0.7 * m + 0.5)))).astype(float)
    a, b = platt(m, y)
    assert a == pytest.approx(0.7, abs=0.05) and b == pytest.approx(0.5, abs=0.08)
