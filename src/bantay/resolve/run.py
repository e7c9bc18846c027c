"""Running entity resolution on a workspace: full runs, incremental runs, re-clustering.

A *full* run reads every party record, trains the model (or loads the saved one), scores the blocked
pairs and clusters them. An *incremental* run scores only the records not yet resolved, against the
saved model and the saved features of the resolved records (``predict_between`` old × new, and
``predict_within`` new × new), adds those pairs to ``entity_links`` and re-clusters: new records
join existing entities, whose identifiers stay. Re-clustering never calls Splink: it is connected
components (igraph) over the stored pairs and the judgements, so a judgement takes effect at once.
A full run scores twice: once over all records, then beneficiary sides again in the context of the
payers resolved by the first pass (:mod:`bantay.resolve.context`); then records that carry only a
name and a country may be attached to the one entity likely to bear that name
(:mod:`bantay.resolve.attach`, full and incremental runs).

The engine (DuckDB or Spark) only scores pairs; reading and writing the workspace, normalisation and
clustering are the same code for both.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from bantay.engine import Engine, EngineName, open_engine
from bantay.resolve import ResolveError
from bantay.resolve import model as mdl
from bantay.resolve.attach import PAIRS_SCHEMA, attach_pairs, entity_prior_pairs
from bantay.resolve.blocking import expand_present
from bantay.resolve.cluster import FrameClustering, cluster_frame
from bantay.resolve.context import context_pass
from bantay.resolve.features import (
    FEATURE_COLUMNS,
    INPUT_COLUMNS,
    build_features,
    name_letters,
    name_single_letters,
    name_variants,
    name_words,
    with_population_keys,
)
from bantay.workspace import Workspace

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

#: Pairs at or above this probability are kept in entity_links (so near misses can be reviewed).
LINK_FLOOR = 0.5
#: Candidate pairs scored below this (under the trained model's first λ) are not kept at all.
SCORED_FLOOR = 1e-4
RESOLVE_DIR = "resolve"
#: Rounds of attachment by name (:mod:`bantay.resolve.attach`); each sees the entities the previous
#: one grew.
ATTACH_ROUNDS = 3
MODEL_FILE = "model.json"
FEATURES_DIR = "features"


def model_path(ws: Workspace) -> Path:
    return ws.path / RESOLVE_DIR / MODEL_FILE


def features_dir(ws: Workspace) -> Path:
    return ws.path / RESOLVE_DIR / FEATURES_DIR


@dataclass
class ResolveReport:
    """What a run did, for the CLI and the ``resolutions`` table."""

    resolution_id: str
    mode: str
    engine: str
    model: str
    threshold: float
    n_records: int = 0
    n_new_records: int = 0
    n_pairs: int = 0
    n_entities: int = 0
    n_multi_record_entities: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _new_resolution_id(now: dt.datetime) -> str:
    return f"R{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def first_row(cursor: Any) -> Any:
    """The first row of a DuckDB result, fetching it all (DuckDB 2 refuses new queries on a
    connection with an unfinished result)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


# --------------------------------------------------------------------------- engines


# --------------------------------------------------------------------------- engines


def _scoring_engine(ws: Workspace, engine: EngineName, spark: Any) -> Engine:
    """The engine Splink scores pairs on: a private DuckDB connection spilling under the
    workspace's ``resolve/tmp`` within ``resolve_memory_limit``, or the Spark session."""
    return open_engine(
        None,
        engine,
        spark,
        tmp_dir=ws.path / RESOLVE_DIR / "tmp",
        memory_limit=ws.settings.get("resolve_memory_limit"),
    )


# --------------------------------------------------------------------------- reading


def read_records(ws: Workspace, notes: list[str], only_new: bool = False) -> pl.DataFrame:
    """Party records to resolve, one row per party_record_id (duplicated ids are combined)."""
    cols = ", ".join(INPUT_COLUMNS)
    where = (
        " WHERE party_record_id NOT IN (SELECT party_record_id FROM entity_members)"
        if only_new
        else ""
    )
    df = pl.from_arrow(ws.con.sql(f"SELECT {cols} FROM party_records{where}").to_arrow_table())
    assert isinstance(df, pl.DataFrame)
    dup = df.group_by("party_record_id").len().filter(pl.col("len") > 1)
    if dup.height:
        notes.append(
            f"{dup.height:,} party_record_id value(s) occur on more than one row "
            f"({int(dup['len'].sum()):,} rows, e.g. {dup['party_record_id'][0]!r}); each is "
            "resolved once, with its rows' fields combined (first non-empty value)"
        )
        df = df.group_by("party_record_id", maintain_order=True).agg(
            [pl.col(c).drop_nulls().first() for c in INPUT_COLUMNS if c != "party_record_id"]
        )
    return df


def _present_columns(feats: pl.DataFrame, notes: list[str]) -> list[str]:
    present: list[str] = []
    for name, col in mdl.COMPARISON_COLUMNS.items():
        if feats[col].null_count() < feats.height:
            present.append(col)
        else:
            notes.append(f"{name}: empty in every record, not compared")
    no_name = feats["name_key"].null_count()
    if 0 < no_name < feats.height:
        notes.append(
            f"{no_name:,} record(s) have no usable name; they link only through identifiers "
            "(account, phone, e-mail, document)"
        )
    return present


# --------------------------------------------------------------------------- scoring


#: Pairs an EM session is given at most (about): its records are sampled so that the pairs its
#: blocking rule forms stay near this. A name's phonetic key blocks thousands of records together
#: in a national population (1M records: 20 GB and 400 s where the session took every pair).
EM_MAX_PAIRS = 500_000
#: Records the model is trained on at most: above this, training (λ, u and every EM session) runs
#: on a fixed random sample of this many records, and only scoring sees them all. Splink samples an
#: EM session's *pairs* after its blocking join, so the join itself still ran over every record: on
#: 1M records the five sessions took 509 of 669 s (two busy cores), against 18 s on 250k. Every
#: parameter is a share among pairs (m, u) or of pairs (λ, re-settled on all candidate pairs after
#: training), so a random sample of records estimates the same quantities.
TRAIN_MAX_RECORDS = 200_000


def em_sample(feats: pl.DataFrame | None, cols: tuple[str, ...], n: int) -> float:
    """The share of records an EM session blocked on ``cols`` samples: at most 200,000 records,
    and few enough that the pairs it forms stay near :data:`EM_MAX_PAIRS` (pairs fall with the
    square of the share)."""
    share = min(1.0, 200_000 / max(n, 1))
    if feats is None or not all(c in feats.columns for c in cols):
        return share
    blocks = feats.drop_nulls(list(cols)).group_by(list(cols)).len()
    pairs = float(blocks.select((pl.col("len") * (pl.col("len") - 1) / 2).sum()).item() or 0)
    if pairs * share * share > EM_MAX_PAIRS:
        share = (EM_MAX_PAIRS / pairs) ** 0.5
    return max(share, 1e-4)


def _train(
    linker: Any,
    sdf: Any,
    n: int,
    present: list[str],
    notes: list[str],
    feats: pl.DataFrame | None = None,
) -> Any:
    """u by random sampling, m by EM over several blockings (each leaves other fields free).
    Returns the trained linker: a new one where an EM session failed, from the model as it stood
    before that session (a failing session can leave its half-updated parameters behind: one left
    λ at 0.39 instead of ~1e-4, and single shared name words then linked)."""
    from splink import Linker, block_on

    deterministic = [
        block_on(*cols)
        for cols in (("id_doc",), ("email",), ("phone", "name_key"), ("name_key", "dob"))
        if all(c in present for c in cols)
    ]
    if deterministic:
        linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=min(2e6, n * (n - 1) / 2) + 1, seed=42
    )
    # the name_* columns derive from name_key: a model comparing names has them (issue 15: this
    # check once looked for them among the compared columns only, and two of three passes never ran)
    have = expand_present(present)
    em_rules = [
        cols
        for cols in (
            ("name_phonetic",),
            ("dob",),
            ("phone",),
            ("account",),
            ("city", "name_initials"),
        )
        if all(c in have for c in cols)
    ]
    trained = 0
    for cols in em_rules:
        before = linker.misc.save_model_to_json()
        try:
            # λ stays the deterministic estimate: left free, EM replaced it with the share of
            # matches within its blocked sample (0.4 on a simulated world, not ~1e-4)
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols),
                record_sample_proportion=em_sample(feats, cols, n),
                fix_probability_two_random_records_match=bool(deterministic),
            )
            trained += 1
        except Exception as exc:  # Splink raises several types when a blocking finds no pairs
            notes.append(f"EM on {'+'.join(cols)} skipped: {exc}".splitlines()[0])
            linker = Linker(sdf, before, log_level=logging.WARNING)
    if not trained:
        raise ResolveError("no EM session could run")
    notes.append(
        f"EM sessions run {trained} of {len(em_rules)}: "
        + ", ".join("+".join(cols) for cols in em_rules)
    )
    return linker


def training_sample(
    backend: Engine, feats: pl.DataFrame, sdf: Any, notes: list[str]
) -> tuple[pl.DataFrame, Any]:
    """The records the model is trained on (:data:`TRAIN_MAX_RECORDS`) and their engine table:
    all of them (``sdf`` itself) up to that many, otherwise a fixed random sample."""
    if feats.height <= TRAIN_MAX_RECORDS:
        return feats, sdf
    sample = feats.sample(n=TRAIN_MAX_RECORDS, seed=42)
    notes.append(
        f"model trained on a random sample of {TRAIN_MAX_RECORDS:,} of {feats.height:,} records; "
        "every record is scored"
    )
    return sample, backend.splink_register(sample, "bantay_party_features_train")


def _score(
    backend: Engine,
    feats: pl.DataFrame,
    saved: mdl.SavedModel | None,
    train: bool,
    present: list[str],
    notes: list[str],
) -> tuple[pl.DataFrame, mdl.SavedModel, str]:
    """Pairs of all records (full run). Returns pairs, the model used and how it was obtained."""
    from splink import Linker

    n = feats.height
    sdf = backend.splink_register(feats, "bantay_party_features")
    if saved is not None and not train:
        model, origin = saved, "saved"
    else:
        model, origin = mdl.priors(present), "priors"
    linker = Linker(sdf, model.settings(), log_level=logging.WARNING)
    if train:
        if n >= mdl.MIN_TRAIN_RECORDS:
            try:
                tfeats, tsdf = training_sample(backend, feats, sdf, notes)
                tlinker = (
                    linker
                    if tsdf is sdf
                    else Linker(tsdf, model.settings(), log_level=logging.WARNING)
                )
                tlinker = _train(tlinker, tsdf, tfeats.height, present, notes, tfeats)
                settings_dict = tlinker.misc.save_model_to_json()
                model = mdl.SavedModel(
                    columns_present=present,
                    probability_two_random_records_match=float(
                        settings_dict["probability_two_random_records_match"]
                    ),
                    parameters=mdl.with_m_floor(mdl.parameters_from_splink(settings_dict)),
                    threshold=model.threshold,
                    origin="trained",
                    trained_on_records=tfeats.height,
                    trained_at=_utcnow().isoformat(timespec="seconds"),
                )
                origin = "trained"
                linker = Linker(sdf, model.settings(), log_level=logging.WARNING)
            except Exception as exc:
                notes.append(
                    f"training failed ({str(exc).splitlines()[0]}); the model's priors were used"
                )
                linker = Linker(sdf, model.settings(), log_level=logging.WARNING)
        else:
            notes.append(
                f"{n:,} records are too few to estimate the model (need "
                f"{mdl.MIN_TRAIN_RECORDS:,}); the model's documented priors were used"
            )
    # candidate pairs scored at least SCORED_FLOOR: the rest (most of them, at 1e-6 and below) add
    # nothing to λ and are left out of the contrary evidence rather than held in memory
    pred = linker.inference.predict(threshold_match_probability=SCORED_FLOOR, warning_mode="never")
    table = pred.physical_name
    weight = "match_weight"
    if origin == "trained":
        model, weight = _settle_prior(backend, table, model, n, notes)
    return _kept_pairs(backend, table, model, weight), model, origin


def _settle_prior(
    backend: Engine, table: str, model: mdl.SavedModel, n: int, notes: list[str]
) -> tuple[mdl.SavedModel, str]:
    """After training: λ from the candidate pairs (:func:`refined_lambda`). The pairs are not
    scored again: their weights move by the change of the prior. Returns the settled model and
    the SQL expression of a pair's settled weight.

    (Taking the matches among random pairs out of u, ``(u - λ m) / (1 - λ)``, was measured and
    left out: on historical_50k it gained 0.005 of F1, but where λ m comes close to u the estimate
    is noise, and it raised "same phone" 3 bits on a simulated world, where relatives share one.)"""
    lam0 = model.probability_two_random_records_match
    hist = backend.sql(f"SELECT round(match_weight, 2) AS w, count(*) AS n FROM {table} GROUP BY 1")
    lam = refined_lambda(hist, lam0, n)
    notes.append(
        f"prior probability of a match λ {lam0:.3g} (deterministic rules) -> {lam:.3g} "
        "(expected matches among the candidate pairs)"
    )
    model.probability_two_random_records_match = lam
    return model, f"(match_weight + {_logit2(lam) - _logit2(lam0)!r})"


def _kept_pairs(
    backend: Engine, table: str, model: mdl.SavedModel, weight: str = "match_weight"
) -> pl.DataFrame:
    """The pairs of a prediction table worth keeping, with their weight ``weight`` (an SQL
    expression): every pair at or above :data:`LINK_FLOOR`, and the *contrary* pairs, scored below
    it between two records that the pairs above it connect (the clustering weighs them: a group is
    checked as a group, :mod:`bantay.resolve.cluster`). Pairs between records never connected say
    nothing the clustering needs."""
    import igraph as ig

    floor = _logit2(LINK_FLOOR)
    strong = backend.sql(
        f"SELECT unique_id_l AS l, unique_id_r AS r FROM {table} WHERE {weight} >= {floor}"
    )
    nodes = pl.concat([strong["l"], strong["r"]]).unique().to_frame("unique_id").with_row_index("i")
    idx = strong.join(nodes.rename({"unique_id": "l", "i": "il"}), on="l").join(
        nodes.rename({"unique_id": "r", "i": "ir"}), on="r"
    )
    g = ig.Graph(n=nodes.height, edges=idx.select("il", "ir").to_numpy().tolist())
    comp = nodes.select(
        "unique_id", pl.Series("c", g.connected_components().membership, dtype=pl.Int64)
    )
    backend.splink_register(comp, "bantay_link_components")
    pred = backend.sql(
        f"SELECT p.*, {weight} AS bantay_weight FROM {table} p "
        "LEFT JOIN bantay_link_components cl ON p.unique_id_l = cl.unique_id "
        "LEFT JOIN bantay_link_components cr ON p.unique_id_r = cr.unique_id "
        f"WHERE {weight} >= {floor} OR cl.c = cr.c"
    )
    pred = pred.with_columns(pl.col("bantay_weight").alias("match_weight")).with_columns(
        (1 / (1 + 2.0 ** -pl.col("match_weight"))).alias("match_probability")
    )
    return _pairs_frame(pred, model)


def _logit2(p: float) -> float:
    return math.log2(p / (1 - p))


def refined_lambda(hist: pl.DataFrame, lam: float, n: int, iterations: int = 200) -> float:
    """λ, the probability that two random records match, as the expected number of matches among
    the candidate pairs (their posteriors summed) over all pairs of ``n`` records, iterated to its
    fixed point from ``lam``.

    The deterministic rules that give the first estimate assume they find a fixed share of the
    matches; on messy data they find far fewer (exact name and date of birth reach 13% of the true
    pairs of historical_50k), and λ comes out several times too small. Candidate pairs outside
    blocking count as non-matches here, so the estimate stays on the cautious side. ``hist`` has
    the candidate pairs' match weights under ``lam`` (column ``w``) and how many pairs have each
    (``n``)."""
    import numpy as np

    total = n * (n - 1) / 2
    w = hist["w"].to_numpy()
    counts = hist["n"].to_numpy()
    bf = w - _logit2(lam)
    for _ in range(iterations):
        new = float((counts / (1 + np.exp2(-(bf + _logit2(lam))))).sum()) / total
        new = min(max(new, 1e-9), 0.5)
        if abs(new - lam) <= 1e-4 * lam:
            return new
        lam = new
    return lam


def _incremental_pairs(
    backend: Engine, old: pl.DataFrame, new: pl.DataFrame, model: mdl.SavedModel
) -> pl.DataFrame:
    """Pairs old × new and new × new, scored with the saved model."""
    from splink import Linker

    both = pl.concat([old, new], how="vertical_relaxed")
    sdf_all = backend.splink_register(both, "bantay_party_features_all")
    sdf_old = backend.splink_register(old, "bantay_party_features_old")
    sdf_new = backend.splink_register(new, "bantay_party_features_new")
    linker = Linker(sdf_all, model.settings(), log_level=logging.WARNING)
    for lv_col in mdl.tf_columns(model.columns_present):
        linker.table_management.compute_tf_table(lv_col)
    frames = [
        backend.splink_frame(
            linker.inference.predict_between(
                sdf_old, sdf_new, threshold_match_probability=LINK_FLOOR, warning_mode="never"
            )
        )
    ]
    if new.height > 1:
        frames.append(
            backend.splink_frame(
                linker.inference.predict_within(
                    sdf_new, threshold_match_probability=LINK_FLOOR, warning_mode="never"
                )
            )
        )
    return pl.concat([_pairs_frame(f, model) for f in frames], how="vertical_relaxed")


def agreed_fields_expr(pairs: pl.DataFrame, model: mdl.SavedModel) -> pl.Expr:
    """``name=level, ...`` for the comparisons whose level counted for the match.

    A comparison's level is read from its weight in the prediction (``mw_<name>``, log2 of the
    level's m/u; a term-frequency adjustment is a column of its own), so the prediction need not
    carry the compared values or the level numbers."""
    parts: list[pl.Expr] = []
    for name, params in model.parameters.items():
        mw = f"mw_{name}"
        if mw not in pairs.columns:
            continue
        expr: pl.Expr = pl.lit(None, dtype=pl.String)
        for label, (m, u) in zip(mdl.level_labels(name), params, strict=False):
            if m and u and m > 2 * u:  # counted for the match (weight above 1)
                w = math.log2(m / u)
                expr = (
                    pl.when((pl.col(mw) - w).abs() < 1e-6)
                    .then(pl.lit(f"{name}={label}"))
                    .otherwise(expr)
                )
        parts.append(expr)
    if not parts:
        return pl.lit(None, dtype=pl.String)
    return pl.concat_str(parts, separator=", ", ignore_nulls=True)


def _pairs_frame(pred: pl.DataFrame, model: mdl.SavedModel) -> pl.DataFrame:
    out = pred.select(
        pl.min_horizontal("unique_id_l", "unique_id_r").alias("party_record_id_l"),
        pl.max_horizontal("unique_id_l", "unique_id_r").alias("party_record_id_r"),
        pl.col("match_probability").cast(pl.Float64),
        pl.col("match_weight").cast(pl.Float64),
        agreed_fields_expr(pred, model).alias("agreed_fields"),
    )
    return out.with_columns(
        pl.when(pl.col("agreed_fields") == "")
        .then(None)
        .otherwise(pl.col("agreed_fields"))
        .alias("agreed_fields")
    ).unique(["party_record_id_l", "party_record_id_r"], keep="first")


# --------------------------------------------------------------------------- writing


def _active_judgements(ws: Workspace) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    rows = ws.con.execute(
        "SELECT party_record_id_a, party_record_id_b, verdict FROM judgements "
        "WHERE deleted_at IS NULL ORDER BY created_at"
    ).fetchall()
    same = [(str(a), str(b)) for a, b, v in rows if v == "same"]
    not_same = [(str(a), str(b)) for a, b, v in rows if v == "not_same"]
    return same, not_same


def _previous_members(ws: Workspace) -> dict[str, str]:
    rows = ws.con.execute("SELECT party_record_id, entity_id FROM entity_members").fetchall()
    return {str(r): str(e) for r, e in rows}


def _write(
    ws: Workspace,
    records: list[str],
    links: pl.DataFrame,
    report: ResolveReport,
    started: dt.datetime,
    previous: dict[str, str],
) -> FrameClustering:
    """Cluster ``records`` from ``links`` and the judgements; replace the output tables."""
    same, not_same = _active_judgements(ws)
    result = cluster_frame(
        records, links, report.threshold, same=same, not_same=not_same, previous=previous
    )
    for a, b in result.conflicts:
        report.notes.append(
            f"judgement 'same' {a} / {b} contradicts a 'not same' judgement and was not applied"
        )
    rid = report.resolution_id
    links_out = links.select(
        "party_record_id_l",
        "party_record_id_r",
        "match_probability",
        "match_weight",
        "agreed_fields",
    ).with_columns(result.decisions.alias("decision"), pl.lit(rid).alias("resolution_id"))
    members = result.members.with_columns(pl.lit(rid).alias("resolution_id"))
    sizes = members.group_by("entity_id").len()
    report.n_records = len(records)
    report.n_entities = sizes.height
    report.n_multi_record_entities = int((sizes["len"] > 1).sum())
    finished = _utcnow()
    members_arrow = members.to_arrow()
    links_arrow = links_out.to_arrow()
    with ws.transaction() as con:
        con.register("bantay_resolve_members", members_arrow)
        con.register("bantay_resolve_links", links_arrow)
        con.execute("DELETE FROM entity_members")
        con.execute("INSERT INTO entity_members BY NAME SELECT * FROM bantay_resolve_members")
        con.execute("DELETE FROM entity_links")
        con.execute("INSERT INTO entity_links BY NAME SELECT * FROM bantay_resolve_links")
        con.execute("DELETE FROM entities")
        con.execute(_ENTITIES_SQL, [rid])
        con.execute(
            "INSERT INTO resolutions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rid,
                report.mode,
                report.engine,
                report.model,
                report.threshold,
                started,
                finished,
                report.n_records,
                report.n_new_records,
                report.n_pairs,
                report.n_entities,
                "\n".join(report.notes) or None,
            ],
        )
        con.unregister("bantay_resolve_members")
        con.unregister("bantay_resolve_links")
    return result


_ENTITIES_SQL = """
INSERT INTO entities BY NAME
WITH m AS (
    SELECT m.entity_id, p.*
    FROM entity_members m JOIN party_records p USING (party_record_id)
), names AS (
    SELECT entity_id, name, count(*) AS n FROM m WHERE name IS NOT NULL GROUP BY ALL
), best AS (
    SELECT entity_id, first(name ORDER BY n DESC, name) AS name FROM names GROUP BY entity_id
)
SELECT
    m.entity_id,
    count(DISTINCT m.party_record_id) AS n_records,
    any_value(best.name) AS name,
    array_to_string(list_sort(list(DISTINCT m.kind)), ',') AS kinds,
    array_to_string(list_sort(list(DISTINCT m.institution)), ',') AS institutions,
    nullif(array_to_string(list_sort(list(DISTINCT m.institution || ':' || m.customer_ref)
        FILTER (WHERE m.customer_ref IS NOT NULL)), '; '), '') AS source_refs,
    array_to_string(list_sort(list(DISTINCT m.file || ':' || m.line)), '; ') AS provenance,
    ? AS resolution_id
FROM m LEFT JOIN best USING (entity_id)
GROUP BY m.entity_id
"""


def _save_features(ws: Workspace, feats: pl.DataFrame, replace: bool) -> None:
    d = features_dir(ws)
    if replace and d.exists():
        for f in d.glob("*.parquet"):
            f.unlink()
    d.mkdir(parents=True, exist_ok=True)
    part = d / f"part-{_utcnow():%Y%m%dT%H%M%S%f}-{secrets.token_hex(2)}.parquet"
    feats.write_parquet(part)


def load_features(ws: Workspace) -> pl.DataFrame:
    """Saved features of the resolved records (written by full and incremental runs)."""
    d = features_dir(ws)
    files = sorted(d.glob("*.parquet")) if d.exists() else []
    if not files:
        raise ResolveError(
            f"{ws.path} has no saved resolution features; run `bantay resolve --full` first"
        )
    parts = []
    for f in files:
        part = pl.read_parquet(f)
        # saved before the letter or word columns existed: derive them from the name tokens
        for col, derive in (
            ("name_letters", name_letters),
            ("name_single_letters", name_single_letters),
            ("name_words", name_words),
            ("name_variants", name_variants),
        ):
            if col not in part.columns:
                part = part.with_columns(derive(pl.col("name_tokens")))
        if "block_keys" not in part.columns:  # set again with the population's keys
            part = part.with_columns(pl.lit(None, dtype=pl.List(pl.String)).alias("block_keys"))
        parts.append(part.select(FEATURE_COLUMNS))
    return pl.concat(parts).unique("unique_id", keep="last", maintain_order=True)


# --------------------------------------------------------------------------- public API


def resolve(
    ws: Workspace,
    *,
    engine: EngineName = "duckdb",
    threshold: float | None = None,
    full: bool = False,
    retrain: bool = False,
    spark: Any = None,
    progress: Progress | None = None,
) -> ResolveReport:
    """Resolve the workspace's party records into entities.

    Incremental when the workspace was resolved before with a saved model (only unresolved records
    are scored); full otherwise, or with ``full=True``. ``retrain`` re-estimates the model (implies
    a full run). ``threshold`` (match probability for a link) is saved with the model.
    """
    say = progress or (lambda _msg: None)
    started = _utcnow()
    t0 = time.perf_counter()
    if threshold is not None and not 0.0 < threshold <= 1.0:
        raise ResolveError(f"threshold must be in (0, 1], got {threshold}")
    total = first_row(ws.con.execute("SELECT count(*) FROM party_records"))
    if not total or not total[0]:
        raise ResolveError(
            f"no party records in {ws.path}: ingest KYC files or transactions first "
            "(`bantay ingest`)"
        )
    mpath = model_path(ws)
    saved: mdl.SavedModel | None = None
    if mpath.exists():
        try:
            saved = mdl.SavedModel.load(mpath)
        except (ValueError, KeyError, TypeError) as exc:
            raise ResolveError(
                f"{mpath} is not a readable model ({exc}); delete it or run with --retrain"
            ) from exc
    resolved = first_row(ws.con.execute("SELECT count(*) FROM entity_members"))
    has_features = features_dir(ws).exists() and any(features_dir(ws).glob("*.parquet"))
    incremental = (
        not full
        and not retrain
        and saved is not None
        and bool(resolved and resolved[0])
        and has_features
    )
    eff_threshold = threshold or (saved.threshold if saved else mdl.DEFAULT_THRESHOLD)
    notes: list[str] = []
    report = ResolveReport(
        resolution_id=_new_resolution_id(started),
        mode="incremental" if incremental else "full",
        engine=engine,
        model="saved" if saved and not retrain else "priors",
        threshold=eff_threshold,
        notes=notes,
    )
    if incremental:
        assert saved is not None
        _run_incremental(ws, report, saved, engine, spark, say, started)
    else:
        _run_full(ws, report, saved, engine, spark, say, started, train=retrain or saved is None)
    report.seconds = time.perf_counter() - t0
    return report


def _timed(report: ResolveReport, key: str, t: float) -> float:
    now = time.perf_counter()
    report.timings[key] = round(now - t, 2)
    return now


def _run_full(
    ws: Workspace,
    report: ResolveReport,
    saved: mdl.SavedModel | None,
    engine: EngineName,
    spark: Any,
    say: Progress,
    started: dt.datetime,
    train: bool,
) -> None:
    t = time.perf_counter()
    say("reading party records")
    records = read_records(ws, report.notes)
    say(f"normalising {records.height:,} records")
    feats = with_population_keys(build_features(records))
    t = _timed(report, "normalise", t)
    present = _present_columns(feats, report.notes)
    report.n_new_records = feats.height
    ids = feats["unique_id"].to_list()
    pairs = _empty_pairs()
    model = saved if saved is not None and not train else mdl.priors(present)
    if saved is not None and not train and not set(present) <= set(saved.columns_present):
        report.notes.append(
            "the saved model does not compare "
            f"{', '.join(sorted(set(present) - set(saved.columns_present)))}, which the data "
            "now has; run with --retrain to use them"
        )
    if feats.height == 1:
        report.notes.append("a single party record: nothing to compare, it is its own entity")
        report.engine = "none"
    elif not present:
        report.notes.append(
            "no field to compare is filled in any record: each record is its own entity"
        )
        report.engine = "none"
    else:
        say(f"scoring pairs on {engine}" + (" (training the model first)" if train else ""))
        backend = _scoring_engine(ws, engine, spark)
        try:
            pairs, model, origin = _score(backend, feats, saved, train, present, report.notes)
            t = _timed(report, "score", t)
            say("scoring beneficiary sides in the context of their payers")
            same, not_same = _active_judgements(ws)
            pairs = context_pass(
                ws,
                backend,
                feats,
                pairs,
                model,
                report.threshold,
                same,
                not_same,
                report.notes,
                _pairs_frame,
                LINK_FLOOR,
            )
            t = _timed(report, "context", t)
        finally:
            backend.close()
        # attachments need no engine: its memory is given back first (1M records: peak 7.5 GB)
        pairs = _with_attachments(ws, feats, pairs, model, report)
        t = _timed(report, "attach", t)
        report.model = origin
    if report.engine == "none":
        report.model = "saved" if saved is not None and not train else "priors"
    model.threshold = report.threshold
    report.n_pairs = pairs.height
    say(f"clustering {pairs.height:,} pairs")
    _write(ws, ids, pairs, report, started, previous=_previous_members(ws))
    model.save(model_path(ws))
    _save_features(ws, feats, replace=True)
    _timed(report, "cluster_write", t)


def _with_attachments(
    ws: Workspace,
    feats: pl.DataFrame,
    pairs: pl.DataFrame,
    model: mdl.SavedModel,
    report: ResolveReport,
) -> pl.DataFrame:
    """``pairs`` plus the attachments (:mod:`bantay.resolve.attach`): of records and small entities
    to the one entity likely to bear their name, then of stragglers to the larger entity their
    pairs point at."""
    same, not_same = _active_judgements(ws)
    key = ["party_record_id_l", "party_record_id_r"]
    extra = pl.DataFrame(schema=PAIRS_SCHEMA)
    # names with a typo are looked for in the first round only: the records they attach are
    # single, and a second round finds the same (250,000 synthetic records: 3 s a round)
    for round_ in range(ATTACH_ROUNDS):  # an entity grown by an attachment may settle another
        found = attach_pairs(
            feats,
            pl.concat([pairs, extra], how="diagonal_relaxed"),
            model,
            report.threshold,
            same,
            typos=round_ == 0,
        ).join(extra, on=key, how="anti")
        if found.height == 0:
            break
        extra = pl.concat([extra, found])
    by_name = extra.height
    # then stragglers, weighed against the entities as clustered (one clustering: it is the
    # costly part, and an entity grown by a straggler settles no other straggler's pairs)
    seen = pl.concat([pairs, extra], how="diagonal_relaxed")
    found = entity_prior_pairs(
        seen,
        report.threshold,
        lambda: (
            cluster_frame(
                feats["unique_id"], seen, report.threshold, same=same, not_same=not_same
            ).members
        ),
    ).join(extra, on=key, how="anti")
    extra = pl.concat([extra, found.select(extra.columns)])
    if by_name:
        report.notes.append(
            f"{by_name:,} record(s) or entities attached to the one entity likely to bear "
            "their name"
        )
    if found.height:
        report.notes.append(
            f"{found.height:,} straggler(s) attached to the larger entity their pairs point at"
        )
    # an attachment decides its pair: it replaces the pair's own score (kept below the threshold, or
    # kept as contrary evidence), which the attachment already weighed
    out = pl.concat([extra.select(pairs.columns), pairs], how="vertical_relaxed")
    return out.unique(["party_record_id_l", "party_record_id_r"], keep="first", maintain_order=True)


def _run_incremental(
    ws: Workspace,
    report: ResolveReport,
    saved: mdl.SavedModel,
    engine: EngineName,
    spark: Any,
    say: Progress,
    started: dt.datetime,
) -> None:
    t = time.perf_counter()
    say("reading records not yet resolved")
    records = read_records(ws, report.notes, only_new=True)
    old_ids = [
        str(r[0])
        for r in ws.con.execute(
            "SELECT party_record_id FROM entity_members ORDER BY party_record_id"
        ).fetchall()
    ]
    links = pl.from_arrow(
        ws.con.sql(
            "SELECT party_record_id_l, party_record_id_r, match_probability, match_weight, "
            "agreed_fields FROM entity_links"
        ).to_arrow_table()
    )
    assert isinstance(links, pl.DataFrame)
    report.n_new_records = records.height
    report.model = "saved"
    if records.height == 0:
        report.engine = "none"
        report.notes.append("no new party records since the last run; entities re-clustered")
        _write(ws, old_ids, links, report, started, previous=_previous_members(ws))
        return
    say(f"normalising {records.height:,} new records")
    new = build_features(records)
    old = load_features(ws).filter(pl.col("unique_id").is_in(old_ids))
    both = with_population_keys(
        pl.concat([old.select(FEATURE_COLUMNS), new.select(FEATURE_COLUMNS)])
    )
    old = both.filter(pl.col("unique_id").is_in(old_ids))
    new = both.filter(~pl.col("unique_id").is_in(old_ids))
    t = _timed(report, "normalise", t)
    present = [c for c in saved.columns_present if c in new.columns]
    missing = [
        c
        for c in mdl.COMPARISON_COLUMNS.values()
        if c not in saved.columns_present and new[c].null_count() < new.height
    ]
    if missing:
        report.notes.append(
            f"new records fill {', '.join(missing)}, which the saved model does not compare; "
            "run with --retrain to use them"
        )
    del present
    say(f"scoring {new.height:,} new records against {old.height:,} on {engine}")
    backend = _scoring_engine(ws, engine, spark)
    try:
        new_pairs = _incremental_pairs(
            backend, old.select(FEATURE_COLUMNS), new.select(FEATURE_COLUMNS), saved
        )
    finally:
        backend.close()
    t = _timed(report, "score", t)
    report.n_pairs = new_pairs.height
    all_links = pl.concat([links, new_pairs], how="vertical_relaxed").unique(
        ["party_record_id_l", "party_record_id_r"], keep="last"
    )
    all_links = _with_attachments(ws, both, all_links, saved, report)
    say("attaching new records to entities")
    _write(
        ws,
        old_ids + new["unique_id"].to_list(),
        all_links,
        report,
        started,
        previous=_previous_members(ws),
    )
    _save_features(ws, new, replace=False)
    _timed(report, "cluster_write", t)


def recluster(ws: Workspace, reason: str = "judgement") -> ResolveReport:
    """Re-cluster the stored pairs with the current judgements (no scoring). Used after a judgement
    is recorded or undone, so it takes effect at once."""
    started = _utcnow()
    saved = mdl.SavedModel.load(model_path(ws)) if model_path(ws).exists() else None
    report = ResolveReport(
        resolution_id=_new_resolution_id(started),
        mode=reason,
        engine="none",
        model="saved" if saved else "priors",
        threshold=saved.threshold if saved else mdl.DEFAULT_THRESHOLD,
    )
    ids = [
        str(r[0])
        for r in ws.con.execute(
            "SELECT party_record_id FROM entity_members ORDER BY party_record_id"
        ).fetchall()
    ]
    if not ids:
        return report
    links = pl.from_arrow(
        ws.con.sql(
            "SELECT party_record_id_l, party_record_id_r, match_probability, match_weight, "
            "agreed_fields FROM entity_links"
        ).to_arrow_table()
    )
    assert isinstance(links, pl.DataFrame)
    _write(ws, ids, links, report, started, previous=_previous_members(ws))
    return report


def _empty_pairs() -> pl.DataFrame:
    return pl.DataFrame(schema=PAIRS_SCHEMA)
