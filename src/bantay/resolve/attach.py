"""Name-only records: attached to an entity when the model's odds, taken over whole entities, say so.

Many beneficiary sides carry a name, a country and nothing else. Pair by pair, the model cannot link
two of them: a shared name and country give odds near 3:1 (``same name`` against the prior), under
any sensible threshold, and blocking never even puts them side by side. An analyst reads such a
record differently: if ``Mary Grace Dela Paz`` in the Philippines is already an entity of eight
records (an account, a phone, three remitters) and nobody else of that name is known, the new record
is most likely hers.

That reasoning is the same Fellegi-Sunter model, summed over entities instead of pairs. For a record
``r`` that has no identifier, no date of birth, no city and no address, and that no link joined to
anything, every entity ``E`` holding a record of the same country whose name agrees with ``r``'s
(same name, or names that sound alike) is a candidate with

    score(E) = |E| * lambda / (1 - lambda) * m_name / u_name * m_country / u_country

(the model's own m and u of the name level reached, and of "same country"; ``|E|`` records of ``E``
could each be the match, so the prior odds grow with the entity). ``r`` is attached to the best
candidate when ``score / (1 + sum of all scores)`` reaches the threshold: the ``1`` is "someone not
seen yet", every other candidate (a single record of the same name with an identifier included)
competes, so a name borne by two entities attaches to neither. Other name-only records of the name
are not candidates and do not compete: they show no second bearer, only the same evidence again
(the ``1`` covers someone not seen yet), and are attached by the same reckoning. Term frequencies are not used here: they count records,
so a recipient's own repeated name would count against her; competition between the entities that
bear the name takes their place.

The attachment is stored as a pair (the record and the entity's record whose name agrees best) with
that probability, so re-clustering and judgements treat it like any link.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from bantay.resolve import model as mdl

#: The columns of a table of scored record pairs (the links ``bantay resolve`` writes).
PAIRS_SCHEMA: dict[str, type[pl.DataType]] = {
    "party_record_id_l": pl.String,
    "party_record_id_r": pl.String,
    "match_probability": pl.Float64,
    "match_weight": pl.Float64,
    "agreed_fields": pl.String,
}

#: Ends the agreed fields of an attachment (how explanations tell it from a scored pair).
ATTACHED_MARK = "(the only likely bearer)"
#: Columns whose presence makes a record "more than a name": the model compares those.
IDENTIFYING = ("phone", "account", "email", "id_doc", "dob", "city", "address")
#: The name levels an attachment may rest on, best first, with the column that must agree.
NAME_LEVELS = (
    ("same name (any order)", "name_key"),
    ("names sound alike (or nicknames)", "name_phonetic"),
)


def _level_lr(model: mdl.SavedModel, comparison: str, label: str) -> float | None:
    params = model.parameters.get(comparison)
    if not params:
        return None
    for lv_label, (m, u) in zip(mdl.level_labels(comparison), params, strict=False):
        if lv_label == label:
            return m / u if m and u else None
    return None


def _entities(
    records: pl.DataFrame, pairs: pl.DataFrame, threshold: float, same: Sequence[tuple[str, str]]
) -> pl.DataFrame:
    """``records`` (unique_id) with ``entity_id`` and ``size``: connected components of the links at
    the threshold and the "same" judgements (a record in none is an entity of its own)."""
    import igraph as ig

    edges = pl.concat(
        [
            pairs.filter(pl.col("match_probability") >= threshold).select(
                pl.col("party_record_id_l").alias("a"), pl.col("party_record_id_r").alias("b")
            ),
            pl.DataFrame(
                {"a": [a for a, _ in same], "b": [b for _, b in same]},
                schema={"a": pl.String, "b": pl.String},
            ),
        ]
    )
    nodes = pl.concat([edges["a"], edges["b"]]).unique().to_frame("unique_id").with_row_index("i")
    idx = edges.join(nodes.rename({"unique_id": "a", "i": "ia"}), on="a").join(
        nodes.rename({"unique_id": "b", "i": "ib"}), on="b"
    )
    g = ig.Graph(n=nodes.height, edges=idx.select("ia", "ib").to_numpy().tolist())
    comp = nodes.with_columns(
        pl.Series("c", g.connected_components().membership, dtype=pl.Int64)
    ).with_columns(pl.len().over("c").alias("size"))
    out = records.join(comp.select("unique_id", "c", "size"), on="unique_id", how="left")
    return out.select(
        pl.exclude("c", "size"),
        pl.coalesce(pl.format("c{}", "c"), pl.col("unique_id")).alias("entity_id"),
        pl.col("size").fill_null(1).cast(pl.Int64).alias("size"),
    )


def attach_pairs(
    feats: pl.DataFrame,
    pairs: pl.DataFrame,
    model: mdl.SavedModel,
    threshold: float,
    same: Sequence[tuple[str, str]] = (),
) -> pl.DataFrame:
    """Pairs (party_record_id_l/_r, match_probability, match_weight, agreed_fields) attaching
    name-only records that ``pairs`` (at ``threshold``) and the "same" judgements leave alone to
    entities (see the module)."""
    empty = pl.DataFrame(schema=PAIRS_SCHEMA)
    lr_country = _level_lr(model, "country", "same country")
    lam = model.probability_two_random_records_match
    if lr_country is None or not 0 < lam < 1 or "name_key" not in feats.columns:
        return empty
    prior = lam / (1 - lam)
    present = [c for c in IDENTIFYING if c in feats.columns]
    bare = pl.all_horizontal([pl.col(c).is_null() for c in present]) if present else pl.lit(True)
    linked = pl.concat(
        [
            pairs.filter(pl.col("match_probability") >= threshold)
            .select(pl.concat_list("party_record_id_l", "party_record_id_r").alias("u"))
            .explode("u")["u"],
            pl.Series("u", [r for pair in same for r in pair], dtype=pl.String),
        ]
    ).unique()
    lonely = feats.filter(
        bare
        & pl.col("name_key").is_not_null()
        & pl.col("country").is_not_null()
        & ~pl.col("unique_id").is_in(linked.implode())
    ).select("unique_id", "name_key", "name_phonetic", "country")
    if lonely.height == 0:
        return empty
    # the records that could be the match: same country, and a name that agrees at some level
    near = pl.concat(
        [
            feats.join(lonely.select(col, "country").unique(), on=[col, "country"], how="semi")
            for _, col in NAME_LEVELS
        ]
    ).unique("unique_id")
    f = _entities(
        pl.concat([near.select(lonely.columns), lonely]).unique("unique_id"),
        pairs,
        threshold,
        same,
    )
    lonely = f.join(lonely.select("unique_id"), on="unique_id")
    # another name-only record is no known bearer: it says no more than "someone not seen yet"
    # (the 1 below), and most often it is the same person again, attached like this one
    bearers = f.join(lonely.select("unique_id"), on="unique_id", how="anti")
    cands: list[pl.DataFrame] = []
    for rank, (label, col) in enumerate(NAME_LEVELS):
        lr = _level_lr(model, "name", label)
        if lr is None:
            continue
        hit = lonely.select("unique_id", "entity_id", col, "country").join(
            bearers.select(pl.col("unique_id").alias("other"), pl.col("entity_id").alias("cand"), col,
                     "country", "size"),
            on=[col, "country"],
        )  # fmt: skip
        cands.append(
            hit.filter(pl.col("cand") != pl.col("entity_id")).select(
                "unique_id",
                "cand",
                "other",
                "size",
                pl.lit(rank).alias("rank"),
                pl.lit(lr).alias("lr"),
                pl.lit(label).alias("label"),
            )
        )
    if not cands:
        return empty
    c = pl.concat(cands)
    # per (record, entity): the best name level reached, and the entity's record that reaches it
    best = c.sort("unique_id", "cand", "rank", "other").unique(
        ["unique_id", "cand"], keep="first", maintain_order=True
    )
    best = best.with_columns(
        (pl.col("size") * prior * pl.col("lr") * lr_country).alias("score")
    ).with_columns((pl.col("score") / (1 + pl.col("score").sum().over("unique_id"))).alias("p"))
    won = best.sort("unique_id", "p", descending=[False, True]).unique(
        "unique_id", keep="first", maintain_order=True
    )
    won = won.filter(pl.col("p") >= threshold)
    if won.height == 0:
        return empty
    return won.select(
        pl.min_horizontal("unique_id", "other").alias("party_record_id_l"),
        pl.max_horizontal("unique_id", "other").alias("party_record_id_r"),
        pl.col("p").cast(pl.Float64).alias("match_probability"),
        pl.when(pl.col("p") < 1)
        .then((pl.col("p") / (1 - pl.col("p"))).log(2))
        .otherwise(pl.lit(60.0))
        .alias("match_weight"),
        pl.format(
            "name={}, country=same country, entity of {} records " + ATTACHED_MARK,
            "label",
            "size",
        ).alias("agreed_fields"),
    )  # fmt: skip
