"""Training: labels, their weights, and what the weights do to the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bantay.detect.model import ModelError, fit_side
from bantay.detect.scoring import MODEL_FEATURES
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
