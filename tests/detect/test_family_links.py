"""Family-link evidence (F01–F04): what earns it, what does not, and that it can only lower a score."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
from detect_data import load, tx

from bantay.detect.model import fit_side
from bantay.detect.scan import scan
from bantay.detect.scoring import FAMILY_FEATURES, MODEL_FEATURES, MONOTONE
from bantay.workspace import Workspace


def _monthly(
    payer: str,
    benef: str,
    payer_name: str,
    benef_name: str,
    months: range = range(1, 7),
    day: int = 15,
    **fields: object,
) -> list[dict[str, object]]:
    return [
        r
        for m in months
        for r in tx(
            1,
            payer,
            benef,
            amount=250,
            start=dt.datetime(2024, m, day, 3, 0),
            payer_name=payer_name,
            beneficiary_name=benef_name,
            **fields,
        )
    ]


def _pairs(ws: Workspace) -> pd.DataFrame:
    r = scan(ws, model=None, write=False)
    return r.pairs.set_index("payer_entity")


def test_name_origin_needs_both_names_of_the_beneficiarys_culture(ws: Workspace) -> None:
    rows = _monthly("R:diaspora", "h:ph1", "Rommel Ilagan", "Maricel Bautista Ocampo")
    rows += _monthly("R:other", "h:ph2", "Peter Novak", "Maricel Bautista Ocampo")
    # a Filipino name paying a beneficiary in the Philippines with no Filipino name
    rows += _monthly("R:stranger", "h:ph3", "Rommel Ilagan", "Kevin Walsh")
    # accents folded: Nguyễn is nguyen
    rows += _monthly("R:vn", "h:vn1", "Nguyễn Văn Minh", "Tran Thi Lan", beneficiary_country="VN")
    load(ws, rows)
    p = _pairs(ws)
    assert p.loc["R:diaspora", "rel_origin"] == 1
    assert p.loc["R:other", "rel_origin"] == 0
    assert p.loc["R:stranger", "rel_origin"] == 0
    assert p.loc["R:vn", "rel_origin"] == 1


def test_payday_is_read_from_each_months_largest_payment(ws: Workspace) -> None:
    # an allowance on the 15th and, most months, a small top-up on another day: the spread of all
    # payment days is wide, that of the monthly allowance is zero
    rows = _monthly("R:fam", "h:a", "Peter Novak", "Rosa Lim")
    for m, d in ((1, 3), (2, 27), (3, 8), (5, 21)):
        rows += tx(
            1,
            "R:fam",
            "h:a",
            amount=40,
            start=dt.datetime(2024, m, d, 4, 0),
            payer_name="Peter Novak",
            beneficiary_name="Rosa Lim",
        )
    # the same number of payments on scattered days: no payday
    rows += [
        r
        for i, (m, d) in enumerate(((1, 2), (2, 11), (3, 26), (4, 5), (5, 17), (6, 29)))
        for r in tx(
            1,
            "R:scattered",
            "h:b",
            amount=250 + i,
            start=dt.datetime(2024, m, d, 4, 0),
            payer_name="Peter Novak",
            beneficiary_name="Ana Lim",
        )
    ]
    load(ws, rows)
    p = _pairs(ws)
    assert p.loc["R:fam", "dom_std"] > 3  # all payments: spread over the month
    assert p.loc["R:fam", "payday_spread"] == 0
    assert p.loc["R:fam", "rel_payday"] == 1
    assert p.loc["R:scattered", "rel_payday"] == 0
    assert p.loc["R:scattered", "payday_spread"] > 3


def test_stable_relationship_is_scaled_to_the_observed_window(ws: Workspace) -> None:
    # six months observed: a relationship present every month is stable; one begun in the last two
    # months, or one skipping most months, is not
    rows = _monthly("R:all", "h:a", "Peter Novak", "Rosa Lim")
    rows += _monthly("R:late", "h:b", "Peter Novak", "Ana Lim", months=range(5, 7))
    rows += _monthly("R:gappy", "h:c", "Peter Novak", "Joy Lim", months=range(1, 7, 3))
    load(ws, rows)
    p = _pairs(ws)
    assert (p.loc["R:all", "rel_stable"], p.loc["R:late", "rel_stable"]) == (1, 0)
    assert p.loc["R:gappy", "rel_stable"] == 0


def test_compound_and_maternal_surnames(ws: Workspace) -> None:
    rows = _monthly("R:glued", "h:a", "Juan Dela Cruz", "Ana Delacruz", day=3)
    # the beneficiary's middle name is the payer's surname (Filipino naming: the mother's surname)
    rows += _monthly("R:maternal", "h:b", "Jose Santos", "Liza Santos Reyes", day=3)
    rows += _monthly("R:none", "h:c", "Jose Santos", "Liza Reyes", day=3)
    load(ws, rows)
    p = _pairs(ws)
    assert p.loc["R:glued", "rel_surname"] == 1
    assert p.loc["R:maternal", "rel_surname"] == 1
    assert p.loc["R:none", "rel_surname"] == 0


def test_family_features_can_only_lower_the_score() -> None:
    """Every family-link feature is held by a monotone constraint in the direction that lowers
    risk; a model trained where the evidence goes with offenders still cannot raise a score."""
    mono = MONOTONE["payer"]
    for f in FAMILY_FEATURES:
        assert f in MODEL_FEATURES["payer"]
        # presence of evidence (count, share, months) lowers; a larger payday spread raises
        assert mono.get(f) == (1 if f == "min_pair_day_spread" else -1), f
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({f: rng.integers(0, 4, n).astype(float) for f in MODEL_FEATURES["payer"]})
    # adversarial labels: offenders are exactly those with a shared surname and a tight payday
    y = ((df["rel_surname"] > 0) & (df["min_pair_day_spread"] < 2)).to_numpy(dtype=float)
    m = fit_side("payer", df, y, df, y, rounds=30)
    base = df.assign(rel_surname=0.0, min_pair_day_spread=15.0)
    more = df.assign(rel_surname=3.0, min_pair_day_spread=0.0)
    assert (m.margin(more) <= m.margin(base) + 1e-9).all()


def test_family_part_of_the_explanation_lists_the_model_features(ws: Workspace) -> None:
    load(ws, _monthly("R:fam", "h:a", "Rommel Ilagan", "Maricel Ilagan", months=range(1, 13)))
    r = scan(ws, threshold=0.0)
    alert = r.alerts[(r.alerts.side == "payer") & (r.alerts.entity_id == "R:fam")].iloc[0]
    fam = json.loads(alert.reasons)["family"]
    assert {e["id"] for e in fam["evidence"]} >= {"F01_shared_surname", "F02_name_origin"}
    feats = {f["feature"]: f for f in fam["model_features"]}
    assert set(feats) <= set(FAMILY_FEATURES)
    assert all(f["contribution"] <= 0 for name, f in feats.items() if name != "min_pair_day_spread")
