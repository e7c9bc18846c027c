"""Why two records are, or are not, the same entity: field by field, with the model's weights.

The pair is scored afresh with the saved model (so it can be explained even if blocking never put
it forward), and the explanation adds what the workspace decided: the entities of both records, the
stored link if any, and the judgements that name them.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from bantay.resolve import ResolveError
from bantay.resolve import model as mdl
from bantay.resolve.cluster import ATTACHED_MARK, GROUP_FLOOR
from bantay.resolve.features import FEATURE_COLUMNS, INPUT_COLUMNS, build_features
from bantay.resolve.judgements import Judgement, list_judgements, resolve_ref
from bantay.resolve.run import features_dir, first_row, model_path
from bantay.workspace import Workspace


@dataclass(frozen=True)
class FieldExplanation:
    comparison: str
    value_a: str | None
    value_b: str | None
    level: str
    match_weight: float
    tf_adjustment: float = 0.0

    @property
    def total_weight(self) -> float:
        return self.match_weight + self.tf_adjustment


@dataclass
class Explanation:
    record_a: str
    record_b: str
    prior_weight: float
    match_weight: float
    match_probability: float
    threshold: float
    found_by_blocking: bool
    entity_a: str | None
    entity_b: str | None
    stored_decision: str | None
    model_origin: str
    #: agreed fields and probability of the stored link, where it is not the model's pair score
    #: (a name-only record attached to an entity, :mod:`bantay.resolve.attach`)
    attachment: tuple[str, float] | None = None
    #: mean match probability and number of the pairs scored across the two entities, where the
    #: link was not used because those pairs say, on balance, different people
    kept_apart: tuple[float, int] | None = None
    fields: list[FieldExplanation] = field(default_factory=list)
    judgements: list[Judgement] = field(default_factory=list)

    @property
    def same_entity(self) -> bool:
        return self.entity_a is not None and self.entity_a == self.entity_b

    def verdict(self) -> str:
        """One sentence: linked or not, and why."""
        p = f"match probability {self.match_probability:.4f} (threshold {self.threshold:g})"
        active = [j for j in self.judgements if j.deleted_at is None]
        direct = {
            j.verdict
            for j in active
            if {j.party_record_id_a, j.party_record_id_b} == {self.record_a, self.record_b}
        }
        if "not_same" in direct:
            return f"not linked: an analyst judged them not the same ({p})"
        if "same" in direct:
            return f"linked: an analyst judged them the same ({p})"
        if self.entity_a is None or self.entity_b is None:
            above = self.match_probability >= self.threshold
            return f"not resolved yet; the model would {'link' if above else 'not link'} them ({p})"
        if self.same_entity and self.attachment and self.stored_decision == "linked":
            why, prob = self.attachment
            return (
                f"same entity {self.entity_a}: attached with probability {prob:.4f} over the whole "
                f"entity ({why}); the pair alone scores {p}"
            )
        if self.same_entity and self.match_probability >= self.threshold:
            how = "" if self.found_by_blocking else " (scored here; blocking did not pair them)"
            return f"same entity {self.entity_a}: linked directly, {p}{how}"
        if self.same_entity:
            return (
                f"same entity {self.entity_a}: not linked directly ({p}) but through other "
                "records or a judgement"
            )
        if self.kept_apart is not None:
            mean, n = self.kept_apart
            return (
                f"different entities although {p}: the {n} pairs scored across the two groups "
                f"have a mean match probability of {mean:.3f}, below {GROUP_FLOOR:g}: on balance "
                "the other records say different people, so this link was not used"
            )
        if self.match_probability >= self.threshold:
            if not self.found_by_blocking:
                return f"different entities: no blocking rule pairs them, so never scored ({p})"
            return (
                f"different entities although {p}: the link would join records an analyst judged "
                "not the same"
            )
        return f"different entities: {p} is below the threshold"


def _features_for(ws: Workspace, ids: list[str]) -> pl.DataFrame:
    d = features_dir(ws)
    feats: pl.DataFrame | None = None
    if d.exists() and any(d.glob("*.parquet")):
        feats = (
            pl.scan_parquet(sorted(d.glob("*.parquet")))
            .filter(pl.col("unique_id").is_in(ids))
            .collect()
            .unique("unique_id", keep="last")
        )
    if feats is None or feats.height < len(set(ids)):
        cols = ", ".join(INPUT_COLUMNS)
        marks = ", ".join("?" for _ in ids)
        raw = pl.from_arrow(
            ws.con.sql(
                f"SELECT {cols} FROM party_records WHERE party_record_id IN ({marks})", params=ids
            ).to_arrow_table()
        )
        assert isinstance(raw, pl.DataFrame)
        feats = build_features(raw.unique("party_record_id", keep="first"))
    return feats


def _term_frequencies(ws: Workspace, column: str, values: list[Any]) -> dict[Any, float]:
    d = features_dir(ws)
    if not d.exists() or not any(d.glob("*.parquet")):
        return {}
    lf = pl.scan_parquet(sorted(d.glob("*.parquet"))).select(column)
    total = lf.select(pl.col(column).count()).collect().item()
    counts = (
        lf.filter(pl.col(column).is_in([v for v in values if v is not None]))
        .group_by(column)
        .len()
        .collect()
    )
    return {r[column]: r["len"] / total for r in counts.iter_rows(named=True) if total}


def explain_pair(ws: Workspace, ref_a: str, ref_b: str) -> Explanation:
    """Explain whether and why two records (or entities) are linked."""
    from splink import Linker

    from bantay.engine import DuckDBEngine

    a, b = resolve_ref(ws, ref_a), resolve_ref(ws, ref_b)
    if a == b:
        raise ResolveError(f"{ref_a} and {ref_b} are the same party record ({a})")
    feats = _features_for(ws, [a, b])
    rows = {r["unique_id"]: r for r in feats.select(FEATURE_COLUMNS).iter_rows(named=True)}
    if a not in rows or b not in rows:
        raise ResolveError(f"cannot read the fields of {a if a not in rows else b}")
    if model_path(ws).exists():
        model = mdl.SavedModel.load(model_path(ws))
    else:
        present = [c for c in mdl.COMPARISON_COLUMNS.values() if c in feats.columns]
        model = mdl.priors(present)
    rec_a, rec_b = dict(rows[a]), dict(rows[b])
    for col in mdl.tf_columns():
        tf = _term_frequencies(ws, col, [rec_a[col], rec_b[col]])
        rec_a[f"tf_{col}"] = tf.get(rec_a[col])
        rec_b[f"tf_{col}"] = tf.get(rec_b[col])
    table = pl.DataFrame([rec_a, rec_b], schema=feats.select(FEATURE_COLUMNS).schema)
    with DuckDBEngine() as engine:
        sdf = engine.splink_register(table, "bantay_explain_input")
        linker = Linker(sdf, model.settings(), log_level=logging.WARNING)
        scored = linker.inference.score_pair(
            dict(rec_a), dict(rec_b), include_found_by_blocking_rules=True
        )
        row = scored.as_record_list()[0]
    fields: list[FieldExplanation] = []
    for name in model.parameters:
        gamma = row.get(f"gamma_{name}")
        if gamma is None:
            continue
        col = mdl.COMPARISON_COLUMNS[name]
        labels = mdl.level_labels(name)
        label = "a value is missing" if gamma == -1 else labels[len(labels) - 1 - int(gamma)]
        fields.append(
            FieldExplanation(
                comparison=name,
                value_a=_show(rec_a.get(col)),
                value_b=_show(rec_b.get(col)),
                level=label,
                match_weight=float(row.get(f"mw_{name}") or 0.0),
                tf_adjustment=float(row.get(f"mw_tf_adj_{name}") or 0.0),
            )
        )
    p = model.probability_two_random_records_match
    prior = math.log2(p / (1 - p))
    members = dict(
        ws.con.execute(
            "SELECT party_record_id, entity_id FROM entity_members WHERE party_record_id IN (?, ?)",
            [a, b],
        ).fetchall()
    )
    stored = first_row(
        ws.con.execute(
            "SELECT decision, agreed_fields, match_probability FROM entity_links "
            "WHERE party_record_id_l = ? AND party_record_id_r = ?",
            [min(a, b), max(a, b)],
        )
    )
    attachment = None
    if stored and stored[1] and ATTACHED_MARK in str(stored[1]):
        attachment = (str(stored[1]), float(stored[2]))
    kept_apart = None
    if stored and stored[0] == "kept_apart" and members.get(a) and members.get(b):
        across = first_row(
            ws.con.execute(
                "SELECT avg(match_probability), count(*) FROM entity_links l "
                "JOIN entity_members ma ON ma.party_record_id = l.party_record_id_l "
                "JOIN entity_members mb ON mb.party_record_id = l.party_record_id_r "
                "WHERE (ma.entity_id = ? AND mb.entity_id = ?) "
                "OR (ma.entity_id = ? AND mb.entity_id = ?)",
                [members[a], members[b], members[b], members[a]],
            )
        )
        if across and across[1]:
            kept_apart = (float(across[0]), int(across[1]))
    judgements = [
        j
        for j in list_judgements(ws, include_undone=True)
        if {j.party_record_id_a, j.party_record_id_b} & {a, b}
    ]
    return Explanation(
        record_a=a,
        record_b=b,
        prior_weight=prior,
        match_weight=float(row["match_weight"]),
        match_probability=float(row["match_probability"]),
        threshold=model.threshold,
        found_by_blocking=bool(row.get("found_by_blocking_rules")),
        entity_a=members.get(a),
        entity_b=members.get(b),
        stored_decision=str(stored[0]) if stored else None,
        attachment=attachment,
        kept_apart=kept_apart,
        model_origin=model.origin,
        fields=fields,
        judgements=judgements,
    )


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)
