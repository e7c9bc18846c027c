"""The scan: features → indicators → network → model → scores and explained alerts.

:func:`scan` reads the workspace (``transactions``, ``party_records``, ``signals`` and, when entity
resolution has written one, an entity table), computes everything on DuckDB or Spark, and writes
``scans``, ``entity_features``, ``indicator_hits``, ``network_scores``, ``scores`` and ``alerts``.
It never reads ground truth.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from bantay.detect.catalogue import Catalogue, default_catalogue
from bantay.detect.entities import EntityKeyFn, default_entity_keys
from bantay.detect.features import REPEAT_PAYMENTS, Rates, build_features, reference_rates
from bantay.detect.model import (
    DetectionModel,
    SideModel,
    default_model,
    round_score,
    rules_only_probability,
)
from bantay.detect.network import (
    SEED_TYPES,
    Copayment,
    NetworkResult,
    Seed,
    analyse,
    match_seeds,
)
from bantay.detect.read_model import Reasons
from bantay.detect.scoring import (
    FAMILY_FEATURES,
    KEY,
    MODEL_FEATURES,
    evaluate_indicators,
    payer_clear,
    rule_scores,
    top_payers,
    unrelated_edges,
    with_payer_scores,
)
from bantay.engine import Engine, open_engine
from bantay.errors import BantayError
from bantay.workspace import Workspace

#: Roles whose signals seed the propagation.
SEED_ROLES = ("facilitator", "mule")
DEFAULT_THRESHOLD = 0.5


class ScanError(BantayError):
    """The scan cannot run on this input."""


@dataclass
class ScanResult:
    scan_id: str
    payer: pd.DataFrame
    beneficiary: pd.DataFrame
    pairs: pd.DataFrame
    hits: pd.DataFrame
    alerts: pd.DataFrame
    network: NetworkResult
    model_name: str


def _rates(ws: Workspace, cat: Catalogue) -> Rates:
    rows = ws.con.execute(
        "SELECT currency, arg_max(rate, date) FROM rates GROUP BY currency"
    ).fetchall()
    return reference_rates(cat, ws.reporting_currency, {str(c): float(r) for c, r in rows})


def _sorted(df: pd.DataFrame, key: str | list[str]) -> pd.DataFrame:
    df = df.sort_values(key, kind="mergesort").reset_index(drop=True)
    for c in df.columns:
        if pd.api.types.is_float_dtype(df[c]):
            df[c] = df[c].round(6)
        elif pd.api.types.is_bool_dtype(df[c]):
            df[c] = df[c].astype("int64")
    return df


@contextmanager
def _memory_ceiling(ws: Workspace, engine: str) -> Iterator[None]:
    """DuckDB computes the features within the workspace's ``scan_memory_limit``, spilling to
    ``<workspace>/tmp`` beyond it (by default DuckDB takes up to 80% of the machine's memory)."""
    if engine != "duckdb":
        yield
        return

    def quoted(value: object) -> str:
        return "'" + str(value).replace("'", "''") + "'"

    (ws.path / "tmp").mkdir(exist_ok=True)
    ws.con.execute(f"SET temp_directory = {quoted(ws.path / 'tmp')}")
    if not ws.settings["scan_memory_limit"]:
        yield
        return
    try:
        ws.con.execute(f"SET memory_limit = {quoted(ws.settings['scan_memory_limit'])}")
    except duckdb.Error as exc:
        raise ScanError(
            f"workspace setting scan_memory_limit = {ws.settings['scan_memory_limit']!r} is not "
            "a memory size DuckDB understands (e.g. 4GB, 800MB)"
        ) from exc
    try:
        yield
    finally:
        ws.con.execute("RESET memory_limit")


def compute_features(
    engine: Engine,
    cat: Catalogue,
    rates: Rates,
    entity_keys: EntityKeyFn = default_entity_keys,
) -> dict[str, pd.DataFrame]:
    """Run the feature expressions on ``engine``; sorted, rounded pandas frames (engine-neutral)."""
    ft = build_features(
        engine.table,
        engine.names,
        cat,
        rates,
        entity_keys,
        engine.execute,
        engine.materialize,
        engine.upload,
    )
    return {
        "pairs": _sorted(engine.execute(ft.pairs), ["payer_entity", "beneficiary_entity"]),
        "payer": _sorted(engine.execute(ft.payer), "payer_entity"),
        "beneficiary": _sorted(engine.execute(ft.beneficiary), "beneficiary_entity"),
        "identifiers": _sorted(
            engine.execute(ft.identifiers).fillna(""),
            ["beneficiary_entity", "phone", "account", "name", "city", "country"],
        ),
        "copayers": _sorted(engine.execute(ft.copayers), "payer_entity"),
        "cobenefs": _sorted(engine.execute(ft.cobenefs), "beneficiary_entity"),
        "shared_payers": _sorted(engine.execute(ft.shared_payers), ["a", "b"]),
    }


def read_seeds_file(path: Path) -> list[Seed]:
    """Seeds from a CSV with columns ``identifier_type,value`` (as in the signals table)."""
    p = Path(path)
    if not p.exists():
        raise ScanError(f"seeds file {p} does not exist")
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"identifier_type", "value"} <= set(reader.fieldnames):
            raise ScanError(f"{p}: needs columns identifier_type,value (got {reader.fieldnames})")
        seeds = []
        for i, row in enumerate(reader, start=2):
            kind = (row["identifier_type"] or "").strip()
            if kind not in SEED_TYPES:
                raise ScanError(f"{p}:{i}: identifier_type {kind!r} is not one of {SEED_TYPES}")
            seeds.append(Seed(kind, (row["value"] or "").strip(), p.name))
    return seeds


def signal_seeds(ws: Workspace) -> list[Seed]:
    """Facilitator (and mule) signals, as seeds, unless they expired before the scanned period.

    Expiry is judged against the latest payment in the workspace, not today's date: a signal valid
    while the payments were made is evidence about them, even when the scan runs years later.
    """
    rows = ws.con.execute(
        "SELECT identifier_type, value, signal_source FROM signals "
        "WHERE role IN ('facilitator', 'mule') AND (expires IS NULL OR expires >= "
        "coalesce((SELECT max(ts_utc)::DATE FROM transactions), current_date))"
    ).fetchall()
    return [Seed(str(t), str(v), str(s)) for t, v, s in rows if str(t) in SEED_TYPES]


#: the most linked reports an alert lists (the entity page lists them all)
MAX_ALERT_REPORTS = 20


def _has_table(ws: Workspace, name: str) -> bool:
    row = ws.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def report_links(ws: Workspace) -> pd.DataFrame:
    """Platform reports linked to entities (``report_links``, written by ``bantay reports link``):
    one row per report and entity; empty when nothing is linked."""
    cols = ["side", "entity_id", "report_id", "platform", "platform_report_id", "category"]
    if not _has_table(ws, "report_links"):
        return pd.DataFrame(columns=cols)
    return ws.con.execute(
        f"SELECT DISTINCT {', '.join(cols)} FROM report_links ORDER BY side, entity_id, report_id"
    ).df()


def report_links_empty() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["side", "entity_id", "report_id", "platform", "platform_report_id", "category"]
    )


def report_seeds(links: pd.DataFrame) -> list[Seed]:
    """Beneficiary entities a platform report reaches, as seeds (source ``platform:NAME``)."""
    b = links[links["side"] == "beneficiary"].drop_duplicates(["entity_id", "platform"])
    return [
        Seed("entity", str(e), f"platform:{p}")
        for e, p in zip(b["entity_id"], b["platform"], strict=True)
    ]


def _with_report_counts(feats: dict[str, pd.DataFrame], links: pd.DataFrame) -> None:
    """Add ``n_platform_reports`` (distinct linked reports) to the payer and beneficiary frames."""
    for side in ("payer", "beneficiary"):
        mine = links[links["side"] == side]
        n = mine.groupby("entity_id")["report_id"].nunique()
        key = KEY[side]
        feats[side]["n_platform_reports"] = (
            feats[side][key].astype(str).map(n).fillna(0).astype("int64")
        )


#: the most linked reports whose weight counts (a flood of reports on one account is one signal)
MAX_REPORT_WEIGHT = 3


def with_report_odds(side: str, df: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """Scores with linked platform reports weighed in: the calibrated score's odds times the
    report indicator's ``odds_ratio`` for each linked report (at most :data:`MAX_REPORT_WEIGHT`),
    then re-ranked. The model was trained on payments alone, so a report (evidence from another
    source) enters as a likelihood ratio on its output rather than as a feature it never saw."""
    if "n_platform_reports" not in df.columns or not (df["n_platform_reports"] > 0).any():
        return df
    ind = next(
        (i for i in cat.indicators if i.side == side and i.feature == "n_platform_reports"), None
    )
    if ind is None or "odds_ratio" not in ind.parameters:
        return df
    lr = float(ind.parameters["odds_ratio"].default)
    n = df["n_platform_reports"].clip(upper=MAX_REPORT_WEIGHT).to_numpy(dtype=float)
    p = df["score"].to_numpy(dtype=float).clip(1e-9, 1 - 1e-9)
    odds = p / (1 - p) * lr**n
    key = KEY[side]
    df = df.assign(score=round_score(odds / (1 + odds)))
    df = df.sort_values(["score", key], ascending=[False, True], kind="mergesort").reset_index(
        drop=True
    )
    df["rank"] = np.arange(1, len(df) + 1)
    return df


def payer_signal_entities(ws: Workspace) -> dict[str, list[str]]:
    """Payer entities holding a phone or account that a payer signal names (payers another
    institution confirmed and shared, ``bantay share import``), unless the signal expired before
    the scanned period: entity -> ``["phone:+63... (share:ISSUER:BUNDLE)", ...]``. A record is keyed
    as the scan keys payers: its resolved entity, else its own record id."""
    rows = ws.con.execute(
        "SELECT identifier_type, value, signal_source FROM signals "
        "WHERE role = 'payer' AND identifier_type IN ('phone', 'account', 'wallet') "
        "AND (expires IS NULL OR expires >= "
        "coalesce((SELECT max(ts_utc)::DATE FROM transactions), current_date))"
    ).fetchall()
    if not rows:
        return {}
    members = _has_table(ws, "entity_members")
    recs = ws.con.execute(
        "SELECT pr.party_record_id, coalesce(pr.phone, '') AS phone, "
        "coalesce(pr.account_id, '') AS account, coalesce(pr.residence_country, '') AS country, "
        + ("em.entity_id" if members else "NULL")
        + " AS entity_id FROM party_records pr "
        + ("LEFT JOIN entity_members em USING (party_record_id) " if members else "")
        + "WHERE pr.party_record_id IN (SELECT payer_record_id FROM transactions) "
        "AND (pr.phone IS NOT NULL OR pr.account_id IS NOT NULL)"
    ).df()
    if recs.empty:
        return {}
    key = recs["entity_id"].where(recs["entity_id"].notna(), recs["party_record_id"]).astype(str)
    ids = pd.DataFrame(
        {
            "payer_entity": key,
            "phone": recs["phone"],
            "account": recs["account"],
            "name": "",
            "city": "",
            "country": recs["country"],
        }
    )
    seeds = [Seed(str(t), str(v), str(src)) for t, v, src in rows]
    return match_seeds(ids, seeds, entity="payer_entity")


def _main_destination(pairs: pd.DataFrame) -> pd.Series:
    hr = pairs[pairs["hr"].astype(bool)]
    if hr.empty:
        return pd.Series(dtype=object)
    by = hr.groupby(["payer_entity", "beneficiary_country"])["n"].sum().reset_index()
    by = by.sort_values(["payer_entity", "n", "beneficiary_country"], ascending=[True, False, True])
    return by.drop_duplicates("payer_entity").set_index("payer_entity")["beneficiary_country"]


def _max_over_beneficiaries(
    payer: pd.DataFrame, unrel: pd.DataFrame, benef: pd.DataFrame, col: str, own: pd.Series
) -> pd.Series:
    """Per payer, the largest ``col`` of its unrelated high-risk beneficiaries, less the payer's own
    part of it where ``own`` (a pair-level flag) says the payer counts there itself."""
    per_benef = benef.set_index("beneficiary_entity")[col]
    others = (unrel.beneficiary_entity.map(per_benef).fillna(0) - own.astype("int64")).clip(lower=0)
    return (
        payer["payer_entity"]
        .map(others.groupby(unrel["payer_entity"]).max())
        .fillna(0)
        .astype("int64")
    )


def _copayer_behaviour(payer: pd.DataFrame, unrel: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Guilt by association on the payers' own behaviour: each payer's rule score without its
    network indicators and after its family-link reduction (``own``) is what it shows by itself.
    Returns, per payer, the highest ``own`` of any *other* unrelated payer of its high-risk
    beneficiaries (a beneficiary paid by a likely offender is a likely facilitator, and so its
    other payers are likelier offenders), and per beneficiary the highest ``own`` of its payers.
    A crowd of one-off payers to a guesthouse shows nothing by itself; a den's regular buyers do."""
    idx = payer.set_index("payer_entity")
    own = (idx["rule_raw"] - idx["family_reduction"]).clip(lower=0.0)
    e = unrel[["payer_entity", "beneficiary_entity"]].drop_duplicates()
    if e.empty:
        return pd.Series(dtype=float), pd.Series(dtype=float)
    e = e.assign(_o=e["payer_entity"].map(own).fillna(0.0))
    e = e.sort_values(["beneficiary_entity", "_o", "payer_entity"], ascending=[True, False, True])
    rank = e.groupby("beneficiary_entity").cumcount()
    top = e[rank == 0].set_index("beneficiary_entity")["_o"]
    second = e[rank == 1].set_index("beneficiary_entity")["_o"]
    other = np.where(
        rank == 0,
        e["beneficiary_entity"].map(second).fillna(0.0),
        e["beneficiary_entity"].map(top),
    )
    return pd.Series(other, index=e.index).groupby(e["payer_entity"]).max(), top


def assemble(
    feats: dict[str, pd.DataFrame], net: NetworkResult, cat: Catalogue
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Join network features, evaluate indicators and rule scores: payer, beneficiary, hits."""
    pairs = feats["pairs"]
    payer = feats["payer"].merge(net.payer, on="payer_entity", how="left")
    benef = feats["beneficiary"].merge(net.beneficiary, on="beneficiary_entity", how="left")
    payer["main_destination"] = payer["payer_entity"].map(_main_destination(pairs))
    unrel = pairs[~pairs["related"].astype(bool) & pairs["hr"].astype(bool)]
    fan_in = benef.set_index("beneficiary_entity")["n_unrel_foreign_payers"]
    payer["max_benef_fan_in"] = (
        payer["payer_entity"]
        .map(
            unrel.assign(_f=unrel.beneficiary_entity.map(fan_in))
            .groupby("payer_entity")["_f"]
            .max()
        )
        .fillna(0)
        .astype("int64")
    )
    for col, src in (
        ("max_benef_payer_countries", "n_payer_countries"),
        ("max_benef_surnames", "n_payer_surnames"),
    ):
        per_benef = benef.set_index("beneficiary_entity")[src]
        payer[col] = (
            payer["payer_entity"]
            .map(
                unrel.assign(_f=unrel.beneficiary_entity.map(per_benef))
                .groupby("payer_entity")["_f"]
                .max()
            )
            .fillna(0)
            .astype("int64")
        )
    payer["max_benef_repeat_fan_in"] = _max_over_beneficiaries(
        payer,
        unrel,
        benef,
        "n_repeat_unrel_payers",
        own=(unrel["n_small"] >= REPEAT_PAYMENTS) & unrel["foreign"].astype(bool),
    )
    hits_p = evaluate_indicators("payer", payer, cat)
    rp = rule_scores("payer", payer, hits_p, cat)
    payer = payer.merge(rp.rename(columns={"entity_id": "payer_entity"}), on="payer_entity")
    copayer, top_payer = _copayer_behaviour(payer, unrel)
    payer["max_copayer_own_rule"] = payer["payer_entity"].map(copayer).fillna(0.0).round(6)
    benef["max_payer_own_rule"] = benef["beneficiary_entity"].map(top_payer).fillna(0.0).round(6)
    mean_rule = (
        unrel.assign(_r=unrel.payer_entity.map(payer.set_index("payer_entity")["rule_score"]))
        .groupby("beneficiary_entity")["_r"]
        .mean()
    )
    benef["mean_payer_rule"] = benef["beneficiary_entity"].map(mean_rule).fillna(0.0).round(6)
    hits_b = evaluate_indicators("beneficiary", benef, cat)
    rb = rule_scores("beneficiary", benef, hits_b, cat)
    benef = benef.merge(
        rb.rename(columns={"entity_id": "beneficiary_entity"}), on="beneficiary_entity"
    )
    parts = [
        h.assign(entity_side=side)
        for side, h in (("payer", hits_p), ("beneficiary", hits_b))
        if not h.empty
    ]
    hits = (
        pd.concat(parts, ignore_index=True)
        if parts
        else hits_p.assign(entity_side=pd.Series(dtype=object))
    )
    return payer, benef, hits


def beneficiary_probability(
    model: SideModel, benef: pd.DataFrame, edges: pd.DataFrame, payer_score: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """(calibrated probability, the beneficiary's own part of it): the model's probability from
    the beneficiary's features, with its unrelated high-risk payers' scores weighed in where the
    model says how (:class:`bantay.detect.model.PayerEvidence`)."""
    own = model.predict(benef)
    pe = model.payer_evidence
    if pe is None or benef.empty:
        return own, own
    clear = payer_clear(benef["beneficiary_entity"], edges, pe.as_fitted(payer_score), pe.q)
    return pe.combine(own, clear), own


def score_side(
    side: str,
    df: pd.DataFrame,
    model: DetectionModel | None,
    payers: tuple[pd.DataFrame, pd.Series] | None = None,
) -> pd.DataFrame:
    """Calibrated score per entity (model, else rules only); ``payers``: for beneficiaries, the
    unrelated high-risk pairs and the payers' scores, weighed in as the model says."""
    if model is not None and side in model.sides:
        m = model.sides[side]
        if side == "beneficiary" and payers is not None:
            p, own = beneficiary_probability(m, df, *payers)
            df = df.assign(score=round_score(p), score_without_payers=round_score(own))
        else:
            df = df.assign(score=round_score(m.predict(df)))
    else:
        df = df.assign(score=round_score(rules_only_probability(df["rule_score"].to_numpy())))
    key = KEY[side]
    df = df.sort_values(["score", key], ascending=[False, True], kind="mergesort").reset_index(
        drop=True
    )
    df["rank"] = np.arange(1, len(df) + 1)
    return df


def with_contributions(side: str, df: pd.DataFrame, model: DetectionModel | None) -> pd.DataFrame:
    """``df`` with a ``_contrib`` column: the model's per-feature contributions of each row (SHAP
    values, computed for these rows only: they explain alerts), or None without a model."""
    if model is None or side not in model.sides or df.empty:
        return df.assign(_contrib=None)
    contrib = model.sides[side].contributions(df)
    return df.assign(
        _contrib=[dict(zip(contrib.columns, row, strict=True)) for row in contrib.to_numpy()]
    )


def _feature_value(row: pd.Series, feature: str) -> float | None:
    """A feature's value for the reasons; None where the evidence leaves it empty (the payer's
    sex where the KYC does not say), never a stand-in number."""
    v = row.get(feature)
    if v is None or pd.isna(v):
        return None
    return float(v)


def _family_evidence(row: pd.Series, cat: Catalogue) -> list[dict[str, Any]]:
    out = []
    for p in cat.protections:
        n = int(row.get(p.feature, 0) or 0)
        if n:
            out.append(
                {
                    "id": p.id,
                    "title": p.title,
                    "beneficiaries": n,
                    "of_high_risk_beneficiaries": int(row.get("n_hr_benefs", 0) or 0),
                    "sources": [s.id for s in p.sources],
                }
            )
    return out


def hits_by_entity(
    hits: pd.DataFrame, entities: set[tuple[str, str]]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The indicator hits of the given (side, entity) pairs, strongest first, as records."""
    if hits.empty or not entities:
        return {}
    mine = hits[
        [
            (s, str(e)) in entities
            for s, e in zip(hits["entity_side"], hits["entity_id"], strict=True)
        ]
    ]
    mine = mine.sort_values(
        ["entity_side", "entity_id", "score", "indicator_id"],
        ascending=[True, True, False, True],
        kind="mergesort",
    )
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in mine.to_dict("records"):
        out.setdefault((str(rec["entity_side"]), str(rec["entity_id"])), []).append(rec)
    return out


def explain(
    side: str,
    row: pd.Series,
    hits: pd.DataFrame | list[dict[str, Any]],
    net: NetworkResult,
    cat: Catalogue,
    scored_payers: list[dict[str, Any]] | None = None,
) -> Reasons:
    """The reasons behind one entity's score (``hits``: all hits, or this entity's records from
    :func:`hits_by_entity`; ``scored_payers``: a beneficiary's highest-scored unrelated high-risk
    payers, from :func:`bantay.detect.scoring.top_payers`)."""
    key = KEY[side]
    ent = str(row[key])
    if isinstance(hits, pd.DataFrame):
        hits = hits_by_entity(hits, {(side, ent)}).get((side, ent), [])
    indicators = []
    for h in hits:
        ind = cat.indicator(str(h["indicator_id"]))
        indicators.append(
            {
                "id": ind.id,
                "title": ind.title,
                "value": float(h["value"]),
                "threshold": float(h["threshold"]),
                "unit": ind.unit,
                "band": h["band"],
                "score": float(h["score"]),
                "sources": [
                    {"id": s.id, "wording": s.wording, "text": s.text} for s in ind.sources
                ],
            }
        )
    prefix = "p" if side == "payer" else "b"
    path = net.paths.get(f"{prefix}:{ent}", [])
    network: dict[str, Any] = {
        "den_size": int(row.get("den_size", 0) or 0),
        "seed_hops": int(row.get("seed_hops", -1)),
        "seed_rank": float(row.get("seed_rank", 0.0) or 0.0),
        "path_to_seed": path,
    }
    if side == "beneficiary":
        network["den_id"] = row.get("den_id", "")
        network["den_payers"] = int(row.get("den_payers", 0) or 0)
        network["seed_match"] = net.seeds.get(ent, [])
        network["scored_payers"] = list(scored_payers or [])
        if "score_without_payers" in row.index:
            network["score_without_payers"] = float(row["score_without_payers"])
    else:
        network["n_copayers"] = int(row.get("n_copayers", 0) or 0)
        network["n_den_beneficiaries"] = int(row.get("n_den_benefs", 0) or 0)
        if net.payer_seeds.get(ent):
            network["seed_match"] = net.payer_seeds[ent]
    model: list[dict[str, Any]] = []
    contrib = row.get("_contrib")
    if isinstance(contrib, dict):
        items = sorted(
            ((f, c) for f, c in contrib.items() if f != "bias"), key=lambda fc: -abs(fc[1])
        )[:6]
        model = [
            {
                "feature": f,
                "value": _feature_value(row, f),
                "contribution": round(float(c), 4),
            }
            for f, c in items
        ]
    family: dict[str, Any] = {}
    if side == "payer":
        family = {
            "evidence": _family_evidence(row, cat),
            "rule_score_reduction": round(float(row.get("family_reduction", 0.0)), 4),
            "model_contribution": round(
                sum(float(contrib.get(f, 0.0)) for f in (*FAMILY_FEATURES, "family_offset"))
                if isinstance(contrib, dict)
                else 0.0,
                4,
            ),
            # the protections' weighed evidence, subtracted from the model's margin
            "model_offset": round(-float(contrib.get("family_offset", 0.0)), 4) + 0.0
            if isinstance(contrib, dict)
            else 0.0,
            # each family-link feature's value and its share of the model's margin (<= 0 for the
            # monotone ones wherever the evidence is present)
            "model_features": [
                {
                    "feature": f,
                    "value": _feature_value(row, f),
                    "contribution": round(float(contrib[f]), 4),
                }
                for f in FAMILY_FEATURES
                if f in contrib and round(float(contrib[f]), 4) != 0.0
            ]
            if isinstance(contrib, dict)
            else [],
        }
    out = Reasons(indicators=indicators, network=network, model=model, family=family)
    if side == "payer":
        out["local_time"] = _local_time_note(row)
    return out


def _local_time_note(row: pd.Series) -> dict[str, Any]:
    """Where the payer-local hours of the high-risk payments came from (issue 21): written in
    the payer's own zone, read in the zone of the payer's country of residence (the export gave
    UTC only), or unknown (left out of every time-of-day indicator)."""
    n_hr = int(row.get("n_hr_tx", 0) or 0)
    timed = int(row.get("n_timed_hr", n_hr) or 0)
    residence = int(row.get("n_residence_timed_hr", 0) or 0)
    return {
        "high_risk_payments": n_hr,
        "as_written": max(timed - residence, 0),
        "from_residence": residence,
        "unknown": max(n_hr - timed, 0),
    }


def expected_yield(scored: pd.DataFrame) -> tuple[float, float] | None:
    """(expected true alerts, expected precision) of the alerted rows: the sum and mean of their
    scores, which are probabilities calibrated on held-out worlds; None without alerts."""
    alerted = scored[scored["alerted"].astype(bool)]
    if alerted.empty:
        return None
    return float(alerted["score"].sum()), float(alerted["score"].mean())


def summary_line(reasons: Mapping[str, Any]) -> str:
    """The alert's one-line reason in words (:func:`bantay.detect.words.summary_line`)."""
    from bantay.detect.words import summary_line as in_words

    return in_words(reasons)


def select_alerts(
    scored: dict[str, pd.DataFrame], threshold: float, budget: int | None
) -> dict[str, pd.DataFrame]:
    """Per side: the top ``budget`` entities if a budget is given, else score ≥ threshold."""
    if budget is not None:
        return {side: df.head(budget) for side, df in scored.items()}
    return {side: df[df["score"] >= threshold] for side, df in scored.items()}


def scan(
    ws: Workspace,
    *,
    engine: str = "duckdb",
    seeds: Iterable[Seed] = (),
    use_signals: bool = True,
    use_reports: bool = True,
    catalogue: Catalogue | None = None,
    model: DetectionModel | str | None = "default",
    entity_keys: EntityKeyFn = default_entity_keys,
    threshold: float = DEFAULT_THRESHOLD,
    budget: int | None = None,
    write: bool = True,
    spark: Any | None = None,
) -> ScanResult:
    """Scan the workspace and (by default) write the detection tables."""
    cat = catalogue or default_catalogue()
    n_tx = int((ws.con.execute("SELECT count(*) FROM transactions").fetchone() or [0])[0])
    if n_tx == 0:
        raise ScanError("the workspace has no transactions; ingest some with `bantay ingest`")
    eng = open_engine(ws, engine, spark)
    try:
        with _memory_ceiling(ws, engine), closing(eng):
            feats = compute_features(eng, cat, _rates(ws, cat), entity_keys)
    except duckdb.OutOfMemoryException as exc:
        limit = ws.settings["scan_memory_limit"] or "DuckDB's default, 80% of memory"
        raise ScanError(
            f"DuckDB ran out of memory computing the features (scan_memory_limit: {limit}): "
            f"{str(exc).splitlines()[0]}. Raise it with `bantay config scan_memory_limit 8GB`, "
            "or empty it for DuckDB's default"
        ) from exc
    seed_list = list(seeds) + (signal_seeds(ws) if use_signals else [])
    links = report_links(ws) if use_reports else report_links_empty()
    _with_report_counts(feats, links)
    seed_list += report_seeds(links)
    net = analyse(
        feats["pairs"],
        feats["identifiers"],
        feats["payer"]["payer_entity"],
        feats["beneficiary"]["beneficiary_entity"],
        cat,
        Copayment(feats["copayers"], feats["cobenefs"], feats["shared_payers"]),
        seed_list,
        payer_signal_entities(ws) if use_signals else {},
    )
    payer, benef, hits = assemble(feats, net, cat)
    if isinstance(model, str):
        model_name = model
        mdl = default_model() if model == "default" else DetectionModel.load(Path(model))
        if mdl is None:
            model_name = "rules-only"
    else:
        mdl = model
        model_name = "given" if model is not None else "rules-only"
    scored_payer = with_report_odds("payer", score_side("payer", payer, mdl), cat)
    payer_score = scored_payer.set_index("payer_entity")["score"]
    edges = unrelated_edges(feats["pairs"])
    benef = with_payer_scores(benef, edges, payer_score)
    scored = {
        "payer": scored_payer,
        "beneficiary": with_report_odds(
            "beneficiary", score_side("beneficiary", benef, mdl, (edges, payer_score)), cat
        ),
    }
    chosen = select_alerts(scored, threshold, budget)
    payers_of = top_payers(edges, payer_score, chosen["beneficiary"]["beneficiary_entity"])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    settings = {"threshold": threshold, "budget": budget, "seeds": len(seed_list), "engine": engine}
    if not links.empty:
        settings["linked_reports"] = int(links["report_id"].nunique())
    scan_id = (
        now.strftime("%Y%m%dT%H%M%S")
        + "-"
        + hashlib.md5(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:6]
    )
    alert_rows = []
    hits_of = hits_by_entity(
        hits, {(side, str(e)) for side, sel in chosen.items() for e in sel[KEY[side]]}
    )
    reports_of: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rec in links.to_dict("records"):
        lst = reports_of.setdefault((str(rec["side"]), str(rec["entity_id"])), [])
        if len(lst) < MAX_ALERT_REPORTS:
            lst.append(
                {
                    "report_id": int(rec["report_id"]),
                    "platform": str(rec["platform"]),
                    "platform_report_id": str(rec["platform_report_id"]),
                    "category": str(rec["category"]),
                }
            )
    for side, sel in chosen.items():
        for _, row in with_contributions(side, sel, mdl).iterrows():
            ent = str(row[KEY[side]])
            reasons = explain(
                side, row, hits_of.get((side, ent), []), net, cat, payers_of.get(ent, [])
            )
            linked = reports_of.get((side, ent))
            if linked:
                reasons["reports"] = linked
            alert_rows.append(
                {
                    "side": side,
                    "entity_id": ent,
                    "score": float(row["score"]),
                    "summary": summary_line(reasons),
                    "reasons": json.dumps(reasons, default=str),
                }
            )
    alerts = pd.DataFrame(alert_rows, columns=["side", "entity_id", "score", "summary", "reasons"])
    alerts = alerts.sort_values(
        ["score", "side", "entity_id"], ascending=[False, True, True], kind="mergesort"
    ).reset_index(drop=True)
    alerts.insert(0, "rank", np.arange(1, len(alerts) + 1))
    alerts.insert(
        0,
        "alert_id",
        [
            hashlib.md5(f"{scan_id}|{s}:{e}".encode()).hexdigest()[:12]
            for s, e in zip(alerts["side"], alerts["entity_id"], strict=True)
        ],
    )
    for side in scored:
        alerted = set(chosen[side][KEY[side]])
        scored[side]["alerted"] = scored[side][KEY[side]].isin(alerted).astype("int64")
    result = ScanResult(
        scan_id=scan_id,
        payer=scored["payer"],
        beneficiary=scored["beneficiary"],
        pairs=feats["pairs"],
        hits=hits,
        alerts=alerts,
        network=net,
        model_name=model_name,
    )
    if write:
        from bantay.detect.store import write_scan

        write_scan(
            ws, result, engine=engine, n_transactions=n_tx, settings=settings, created_at=now
        )
    return result


def model_frame(side: str, df: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns of a scored side (for training)."""
    return df[[KEY[side], *MODEL_FEATURES[side]]]
