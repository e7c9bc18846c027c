"""Indicators evaluated against the features, rule scores and the family-link reduction.

A payer's rule score is the sum of the scores of the bands its indicators reach, less the
family-link
reduction: ``sum(weight × share of its high-risk beneficiaries with that evidence)`` over the
protections, taken from the non-network part of the score only (network evidence is never
explained away by a family look; S20 warns that recipients often are the victims' relatives).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from bantay.detect.catalogue import Catalogue

KEY = {"payer": "payer_entity", "beneficiary": "beneficiary_entity"}

#: Model inputs per side: counts and shares whose meaning holds across institutions and worlds.
MODEL_FEATURES: dict[str, tuple[str, ...]] = {
    "payer": (
        "n_hr_tx",
        "n_lowval_sea",
        "n_small_hr",
        "n_small55_hr",
        "n_night_hr",
        "n_cover_hr",
        "n_related_purchases",
        "n_routed",
        "n_payment_sources",
        "n_unrel_hr_benefs",
        "n_hr_benefs",
        "n_rel_benefs",
        "share_hr_related",
        "share_night_hr",
        "share_small_hr",
        "share_p2p_hr",
        "share_even_hr",
        "mean_amount_hr",
        "span_hr_days",
        "mean_interval_days",
        "rate_30d",
        "max_pair_span_days",
        "escalation_ratio",
        "payer_male",
        "rel_surname",
        "rel_origin",
        "rel_payday",
        "rel_stable",
        "n_copayers",
        "den_size",
        "n_den_benefs",
        "seed_rank",
        "max_benef_fan_in",
        "max_benef_payer_countries",
        "max_benef_surnames",
        "max_benef_repeat_fan_in",
        "max_copayer_own_rule",
        "n_hr_abroad",
        "max_unrel_benefs_month",
        "share_hr_months",
        "amount_cv_hr",
        "share_amount_related",
        "max_pair_months",
        "max_related_pair_months",
        "min_pair_day_spread",
        "n_related_kinds",
        "n_purchases_capture",
        "n_purchases_privacy",
        "n_purchases_tokens",
        "n_purchases_travel",
        "rule_score",
    ),
    "beneficiary": (
        "n_in",
        "n_payers",
        "n_sending_institutions",
        "hr",
        "n_unrel_foreign_payers",
        "n_repeat_unrel_payers",
        "n_small_inbound_nonrel",
        "n_unrel_payments",
        "n_payer_surnames",
        "n_payer_countries",
        "n_rel_payers",
        "share_unrel_payers",
        "share_night_in",
        "share_cover_in",
        "share_small_in",
        "mean_amount_in",
        "span_in_days",
        "rate_in_30d",
        "max_payer_span_days",
        "n_cobenefs",
        "den_size",
        "den_payers",
        "seed_rank",
        "mean_payer_rule",
        "max_payer_own_rule",
        "rule_score",
    ),
}

#: What a beneficiary's unrelated high-risk payers' scores say, beside its features: the highest
#: score and the chance that at least one is an offender (noisy-OR). A beneficiary paid by a likely
#: offender is a likely facilitator: most dens are paid by one offender (S20), so fan-in alone
#: misses them. The model weighs this evidence after the fact (:func:`payer_clear`,
#: :class:`bantay.detect.model.PayerEvidence`), so that a payer model that fails on a world (an
#: offender style it never saw) cannot pull the beneficiaries' own evidence down with it.
PAYER_SCORE_FEATURES: tuple[str, ...] = ("max_payer_score", "payers_score_or")


#: Directions the model is held to (LightGBM monotone constraints), so that its explanations read as
#: an analyst would argue: family-link evidence can only lower a score, and fan-in from unrelated
#: payers, unrelated fan-out, related purchases of several kinds and closeness to a known facilitator
#: can only raise it. Features not listed are unconstrained.
MONOTONE: dict[str, dict[str, int]] = {
    "payer": {
        "rel_surname": -1,
        "rel_origin": -1,
        "rel_payday": -1,
        "rel_stable": -1,
        "n_rel_benefs": -1,
        "share_hr_related": -1,
        "share_amount_related": -1,
        "max_related_pair_months": -1,
        # the smallest payday spread of any beneficiary: a regular payday only lowers the score
        "min_pair_day_spread": 1,
        "n_unrel_hr_benefs": 1,
        "max_unrel_benefs_month": 1,
        "max_benef_fan_in": 1,
        "max_benef_payer_countries": 1,
        "max_benef_surnames": 1,
        "max_benef_repeat_fan_in": 1,
        "max_copayer_own_rule": 1,
        "n_related_kinds": 1,
        "n_copayers": 1,
        "n_den_benefs": 1,
        "seed_rank": 1,
    },
    "beneficiary": {
        "n_rel_payers": -1,
        "n_unrel_foreign_payers": 1,
        "n_repeat_unrel_payers": 1,
        "max_payer_own_rule": 1,
        "n_payer_countries": 1,
        "n_payer_surnames": 1,
        "den_payers": 1,
        "seed_rank": 1,
    },
}


#: Per side, the column subtracted from the model's margin (LightGBM's init_score in training):
#: the protections' weighed family-link evidence, ``sum(weight × share of the payer's high-risk
#: beneficiaries with that evidence)``, zero where network indicators fired. The model starts from
#: this prior protection and learns the rest; it can only lower a score.
OFFSET: dict[str, str] = {"payer": "family_offset"}

#: Model features that carry family-link evidence: summed in an explanation's family part.
FAMILY_FEATURES: tuple[str, ...] = (
    "rel_surname",
    "rel_origin",
    "rel_payday",
    "rel_stable",
    "share_hr_related",
    "n_rel_benefs",
    "share_amount_related",
    "max_related_pair_months",
    "min_pair_day_spread",
)

#: Plain words for the model's features (``feature_words.yaml``): ``notes`` for those added beside
#: the indicators' own features, whatever the side; ``payer``/``beneficiary`` where the side matters.
FEATURE_WORDS: dict[str, dict[str, str]] = yaml.safe_load(
    Path(__file__).with_name("feature_words.yaml").read_text(encoding="utf-8")
)
#: What the model features added beside the indicators' own features mean (for the generated docs).
FEATURE_NOTES: dict[str, str] = FEATURE_WORDS["notes"]


def unrelated_edges(pairs: pd.DataFrame) -> pd.DataFrame:
    """The (payer, beneficiary) pairs with high-risk payments and no family link, once each."""
    keep = ~pairs["related"].astype(bool) & pairs["hr"].astype(bool)
    return (
        pairs.loc[keep, ["payer_entity", "beneficiary_entity"]]
        .drop_duplicates()
        .reset_index(drop=True)
    )


def with_payer_scores(
    benef: pd.DataFrame, edges: pd.DataFrame, payer_score: pd.Series
) -> pd.DataFrame:
    """``benef`` with :data:`PAYER_SCORE_FEATURES`: per beneficiary, the highest score of its
    unrelated high-risk payers (``edges``; ``payer_score`` indexed by payer entity), and the chance
    that at least one of them is an offender were they independent (noisy-OR,
    ``1 - prod(1 - p)``). Zero for a beneficiary without such payers."""
    p = edges["payer_entity"].map(payer_score).fillna(0.0).astype(float)
    key = benef["beneficiary_entity"]
    top = key.map(p.groupby(edges["beneficiary_entity"]).max()).fillna(0.0).astype(float)
    return benef.assign(
        max_payer_score=top.round(6),
        payers_score_or=np.round(1.0 - payer_clear(key, edges, payer_score, q=1.0), 6),
    )


def payer_clear(
    beneficiaries: pd.Series, edges: pd.DataFrame, payer_score: pd.Series, q: float
) -> np.ndarray:
    """Per beneficiary (in ``beneficiaries``' order): ``prod(1 - q · p)`` over its unrelated
    high-risk payers' scores ``p``, the chance that none of them makes it a facilitator, were each
    an offender's beneficiary one with probability ``q``; 1.0 without such payers."""
    p = edges["payer_entity"].map(payer_score).fillna(0.0).astype(float).clip(0.0, 1.0)
    log = pd.Series(np.log1p(-np.minimum(q * p.to_numpy(), 1.0 - 1e-12)), index=edges.index)
    per = log.groupby(edges["beneficiary_entity"]).sum()
    out: np.ndarray = np.exp(beneficiaries.map(per).fillna(0.0).to_numpy(dtype=float))
    return out


def top_payers(
    edges: pd.DataFrame, payer_score: pd.Series, beneficiaries: Iterable[str], k: int = 3
) -> dict[str, list[dict[str, Any]]]:
    """Per beneficiary among ``beneficiaries``: its ``k`` highest-scored unrelated high-risk payers
    with their scores (the payers behind :data:`PAYER_SCORE_FEATURES`, for the reasons)."""
    want = set(map(str, beneficiaries))
    e = edges[edges["beneficiary_entity"].astype(str).isin(want)]
    e = e.assign(score=e["payer_entity"].map(payer_score).fillna(0.0).astype(float))
    e = e.sort_values(
        ["beneficiary_entity", "score", "payer_entity"], ascending=[True, False, True]
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for b, grp in e.groupby("beneficiary_entity", sort=False):
        out[str(b)] = [
            {"payer_entity": str(pe), "score": round(float(sc), 4)}
            for pe, sc in zip(grp["payer_entity"].head(k), grp["score"].head(k), strict=True)
        ]
    return out


def corridor(side: str, df: pd.DataFrame) -> pd.Series:
    """Each entity's corridor for overrides: ``AU->PH`` (payer) or ``*->PH`` (beneficiary)."""
    if side == "payer":
        dest = df.get("main_destination", pd.Series("*", index=df.index)).fillna("*")
        return df["home_country"].fillna("*").astype(str) + "->" + dest.astype(str)
    return "*->" + df["beneficiary_country"].fillna("*").astype(str)


def evaluate_indicators(side: str, df: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """One row per (entity, indicator) that fired: value, threshold, band, score and sources.

    Bands are looked up once per distinct (value, corridor), not once per entity."""
    key = KEY[side]
    corr = corridor(side, df).astype(str).to_numpy()
    ids = df[key].astype(str).to_numpy()
    cols = [
        "entity_id",
        "indicator_id",
        "side",
        "value",
        "threshold",
        "band",
        "score",
        "corridor",
        "sources",
    ]
    parts: list[pd.DataFrame] = []
    for ind in cat.for_side(side):
        if ind.feature not in df.columns:
            continue
        values = df[ind.feature].fillna(0).to_numpy(dtype=float)
        overridden = any(o.corridor for o in ind.overrides)
        cuts = [ind.threshold()] + [o.bands[0].at_least for o in ind.overrides if o.bands]
        idx = np.flatnonzero(values >= min(cuts))
        if idx.size == 0:
            continue
        looked: dict[tuple[float, str | None], tuple[str, float, float] | None] = {}
        labels, scores, thresholds, keep = [], [], [], []
        for i in idx:
            k = (float(values[i]), str(corr[i]) if overridden else None)
            if k not in looked:
                band = ind.band(k[0], k[1])
                looked[k] = None if band is None else (band.label, band.score, ind.threshold(k[1]))
            got = looked[k]
            keep.append(got is not None)
            if got is not None:
                labels.append(got[0])
                scores.append(got[1])
                thresholds.append(got[2])
        sel = idx[np.asarray(keep, dtype=bool)]
        if sel.size == 0:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "entity_id": ids[sel],
                    "indicator_id": ind.id,
                    "side": ind.side,
                    "value": values[sel].astype(float),
                    "threshold": np.asarray(thresholds, dtype=float),
                    "band": labels,
                    "score": np.asarray(scores, dtype=float),
                    "corridor": corr[sel],
                    "sources": ",".join(s.id for s in ind.sources),
                },
                columns=cols,
            )
        )
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)


def family_reduction(df: pd.DataFrame, cat: Catalogue) -> pd.Series:
    """Per payer: how much family-link evidence lowers the non-network rule score."""
    n = df["n_hr_benefs"].clip(lower=1).astype(float)
    total = pd.Series(0.0, index=df.index)
    for p in cat.protections:
        if p.feature in df.columns:
            total += p.weight * df[p.feature].fillna(0).astype(float) / n
    return total


def rule_scores(side: str, df: pd.DataFrame, hits: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """Rule score per entity (and, for payers, the family-link reduction applied to it)."""
    key = KEY[side]
    out = pd.DataFrame({"entity_id": df[key].astype(str).to_numpy()})
    if hits.empty:
        out["rule_raw"] = 0.0
        out["rule_network"] = 0.0
    else:
        h = hits.assign(_net=hits["side"] == "network")
        raw = h[~h._net].groupby("entity_id")["score"].sum()
        net = h[h._net].groupby("entity_id")["score"].sum()
        out["rule_raw"] = out["entity_id"].map(raw).fillna(0.0)
        out["rule_network"] = out["entity_id"].map(net).fillna(0.0)
    if side == "payer":
        red = family_reduction(df, cat).to_numpy()
        out["family_reduction"] = np.minimum(red, out["rule_raw"].to_numpy())
        # the model's offset: the same weighed evidence, uncapped, unless network indicators fired
        out["family_offset"] = np.where(out["rule_network"].to_numpy() > 0, 0.0, red)
    else:
        out["family_reduction"] = 0.0
        out["family_offset"] = 0.0
    out["rule_score"] = out["rule_raw"] - out["family_reduction"] + out["rule_network"]
    return out
