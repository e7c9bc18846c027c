"""Scoring outside records against the resolved ones, with the workspace's saved model.

Some records are evidence about a party without being one of the institutions' party records: the
payer side of a platform report (:mod:`bantay.reports.link`) is the first. They must not enter
``party_records`` (the ingest counts stay whole) nor change the entities, yet the question asked of
them is entity resolution's: which resolved record is the same person? :func:`score_against_entities`
answers it with the saved Splink model (``resolve/model.json``, its parameters and threshold) and the
saved features of the resolved records (``resolve/features/``), as an incremental run scores new
records against old ones (``predict_between``), and writes nothing.

Candidates are the resolved records sharing an account, a phone, an e-mail or a document with an
outside record, or its whole name key (words sorted) where at most :data:`NAME_BLOCK_MAX` resolved
records bear that name: a phone with a typo beside the same name still meets its record, and a
common name does not put an outside record beside every namesake (it would score low anyway). The
resolved records are narrowed to those candidates before Splink sees them, and the term frequencies
(``name_key``, ``city``) are those of the resolved records, so the scores are what the model gives
inside the population, not inside the narrowed set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import polars as pl

from bantay.resolve import ResolveError
from bantay.resolve import model as mdl
from bantay.resolve.features import FEATURE_COLUMNS, build_features, tf_table
from bantay.resolve.run import _scoring_engine, agreed_fields_expr, load_features, model_path
from bantay.workspace import Workspace

logger = logging.getLogger(__name__)

#: A name key borne by more resolved records than this does not make a candidate by itself (the
#: resolver's own block keys stop at 50 records for the same reason).
NAME_BLOCK_MAX = 50
#: Pairs scored below this are not returned.
SCORE_FLOOR = 1e-3
#: Identifier columns any one of which, shared, makes a candidate pair.
IDENTIFIER_BLOCKS = ("account", "phone", "email", "id_doc")
_NAME_BLOCK = "name_block"


class ScoringUnavailable(ResolveError):
    """No saved model or no saved features: the workspace was never resolved (the message says)."""


@dataclass(frozen=True)
class Scored:
    """Pairs of outside record × resolved record, and what they were scored with."""

    #: ``record_id`` (the outside record), ``party_record_id`` (the resolved one),
    #: ``match_probability``, ``match_weight``, ``agreed_fields`` (``comparison=level, ...``)
    pairs: pl.DataFrame
    #: the saved model's threshold: a pair at or above it is the same person
    threshold: float
    #: how the saved model was made (``trained`` or ``priors``)
    model_origin: str
    #: resolved records with saved features, and how many of them were candidates
    n_resolved: int
    n_candidates: int


def _empty_pairs() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "record_id": pl.String,
            "party_record_id": pl.String,
            "match_probability": pl.Float64,
            "match_weight": pl.Float64,
            "agreed_fields": pl.String,
        }
    )


def saved_model(ws: Workspace) -> mdl.SavedModel:
    """The workspace's saved model, or :class:`ScoringUnavailable` saying why there is none."""
    path = model_path(ws)
    if not path.exists():
        raise ScoringUnavailable(
            f"{ws.path} has no saved entity-resolution model; run `bantay resolve` first"
        )
    try:
        return mdl.SavedModel.load(path)
    except (ValueError, KeyError, TypeError) as exc:
        raise ScoringUnavailable(f"{path} is not a readable model ({exc})") from exc


def score_against_entities(
    ws: Workspace,
    records: pl.DataFrame,
    *,
    floor: float = SCORE_FLOOR,
    name_block_max: int = NAME_BLOCK_MAX,
) -> Scored:
    """Score ``records`` (shaped like ``party_records`` rows: ``party_record_id`` and any of its
    columns, such as ``name``, ``phone``, ``account_id``) against the workspace's resolved records
    with the saved model. Raises :class:`ScoringUnavailable` where there is no saved model or no
    saved features. Nothing is written to the workspace."""
    from splink import Linker, block_on

    model = saved_model(ws)
    try:
        stored = load_features(ws)
    except ResolveError as exc:
        raise ScoringUnavailable(str(exc)) from exc
    out = Scored(_empty_pairs(), model.threshold, model.origin, stored.height, 0)
    if records.height == 0 or stored.height == 0:
        return out
    new = build_features(records).select(FEATURE_COLUMNS)
    ids = new["unique_id"]
    if ids.is_in(stored["unique_id"].implode()).any():
        raise ValueError("outside records must not reuse a resolved record's party_record_id")
    counts = stored.group_by("name_key").len("n").drop_nulls("name_key")
    blockable = counts.filter(pl.col("n") <= name_block_max).select("name_key")
    stored = stored.join(
        blockable.with_columns(pl.col("name_key").alias(_NAME_BLOCK)), on="name_key", how="left"
    )
    new = new.with_columns(pl.col("name_key").alias(_NAME_BLOCK))
    keys = (*IDENTIFIER_BLOCKS, _NAME_BLOCK)
    near = pl.lit(False)
    for col in keys:
        near = near | pl.col(col).is_in(new[col].drop_nulls().unique().implode()).fill_null(False)
    candidates = stored.filter(near)
    out = Scored(out.pairs, out.threshold, out.model_origin, stored.height, candidates.height)
    if candidates.height == 0:
        return out
    cols = [*FEATURE_COLUMNS, _NAME_BLOCK]
    tf = {c: tf_table(stored, c) for c in mdl.tf_columns(model.columns_present)}
    new = new.select(cols).cast(dict(candidates.select(cols).schema))  # type: ignore[arg-type]
    backend = _scoring_engine(ws, "duckdb", None)
    try:
        sdf_new = backend.splink_register(new, "bantay_outside_features")
        sdf_old = backend.splink_register(candidates.select(cols), "bantay_candidate_features")
        sdf_all = backend.splink_register(
            pl.concat([candidates.select(cols), new]), "bantay_outside_all"
        )
        linker = Linker(sdf_all, model.settings(), log_level=logging.WARNING)
        for col, table in tf.items():
            linker.table_management.register_term_frequency_lookup(
                backend.splink_register(table, f"bantay_tf_{col}"), col
            )
        pred = backend.splink_frame(
            linker.inference.predict_between(
                sdf_new,
                sdf_old,
                blocking_rules_to_generate_predictions=[block_on(c) for c in keys],
                threshold_match_probability=floor,
                warning_mode="never",
            )
        )
    finally:
        backend.close()
    if pred.height == 0:
        return out
    left_is_new = pl.col("unique_id_l").is_in(ids.implode())
    pairs = pred.select(
        pl.when(left_is_new)
        .then(pl.col("unique_id_l"))
        .otherwise(pl.col("unique_id_r"))
        .alias("record_id"),
        pl.when(left_is_new)
        .then(pl.col("unique_id_r"))
        .otherwise(pl.col("unique_id_l"))
        .alias("party_record_id"),
        pl.col("match_probability").cast(pl.Float64),
        pl.col("match_weight").cast(pl.Float64),
        agreed_fields_expr(pred, model).alias("agreed_fields"),
    ).with_columns(
        pl.when(pl.col("agreed_fields") == "")
        .then(None)
        .otherwise(pl.col("agreed_fields"))
        .alias("agreed_fields")
    )
    pairs = pairs.unique(["record_id", "party_record_id"], keep="first").sort(
        ["record_id", "match_probability"], descending=[False, True]
    )
    return Scored(pairs, out.threshold, out.model_origin, out.n_resolved, out.n_candidates)
