"""The context pass: beneficiary sides compared again, knowing who paid them.

A beneficiary side is often a name and little else (a phone here, an account there), and one written
name often belongs to two people, so the identity blocking rules never put two records of one
beneficiary side by side when they share no identifier. What an analyst would look at next is the
transactions: the same payer sending to ``Marites Dela Rosa`` by bank transfer one month and to
``MARITES DELA ROSA`` through a remitter the next is strong evidence of one recipient. A payer sends
to few people, so "paid by the same payer" is rare between random records and common between the
records of one recipient.

After the first pass has resolved the payers, each beneficiary side gets ``counterparts``: the
entities of the payers that sent to it (payers sending to more than :data:`MAX_BENEFICIARIES`
records, such as aggregators, are left out). The second pass blocks on a shared counterpart and
scores the pairs with the same model plus one comparison, ``counterpart``; its u is measured (the
share of random beneficiary record pairs that share a payer), its m is the share of confidently
linked first-pass pairs that share a payer (or a documented prior), never below u: where one payer
never pays two records of a person (a beneficiary side recorded once per payer relation) the
comparison weighs nothing. The name and identifier levels
still decide: two relatives with one surname paid by the same sender stay apart unless their names
agree. Pairs scored in both passes keep the second score.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from bantay.resolve import model as mdl
from bantay.resolve.cluster import cluster_frame
from bantay.resolve.features import tf_table
from bantay.workspace import Workspace

logger = logging.getLogger(__name__)

#: Payer entities that paid more beneficiary records than this are not used as context.
MAX_BENEFICIARIES = 50
#: First-pass pairs at or above this probability estimate the m of "paid by the same payer".
CONFIDENT = 0.99
#: Fewer confident pairs than this: the prior m is used.
MIN_PAIRS_FOR_M = 20


def counterparts(ws: Workspace, entity_of: pl.DataFrame) -> pl.DataFrame:
    """``rid`` -> ``counterparts`` (sorted list of payer entity ids) for beneficiary sides.

    ``entity_of`` has columns party_record_id and entity_id (the first pass's entities).
    """
    tx = pl.from_arrow(
        ws.con.sql(
            "SELECT DISTINCT beneficiary_record_id AS rid, payer_record_id AS payer "
            "FROM transactions "
            "WHERE beneficiary_record_id IS NOT NULL AND payer_record_id IS NOT NULL"
        ).to_arrow_table()
    )
    assert isinstance(tx, pl.DataFrame)
    tx = (
        tx.join(entity_of.select(pl.col("party_record_id").alias("payer"), "entity_id"), on="payer")
        .select("rid", "entity_id")
        .unique()
    )
    fan = tx.group_by("entity_id").agg(pl.col("rid").n_unique().alias("n"))
    kept = fan.filter(pl.col("n") <= MAX_BENEFICIARIES).select("entity_id")
    tx = tx.join(kept, on="entity_id")
    return tx.group_by("rid").agg(pl.col("entity_id").sort().alias(mdl.CONTEXT_COLUMN))


def context_parameters(ctx: pl.DataFrame, pairs: pl.DataFrame) -> tuple[float, float, int]:
    """(m, u, confident pairs used for m) of "paid by the same payer" among ``ctx``'s records."""
    n = ctx.height
    per_payer = ctx.explode(mdl.CONTEXT_COLUMN).group_by(mdl.CONTEXT_COLUMN).len()
    shared = int((per_payer["len"] * (per_payer["len"] - 1) // 2).sum())
    total = n * (n - 1) // 2
    u = min(max(shared / total if total else 1e-3, 1e-9), 0.5)
    confident = (
        pairs.filter(pl.col("match_probability") >= CONFIDENT)
        .join(
            ctx.rename({"rid": "party_record_id_l", mdl.CONTEXT_COLUMN: "cl"}),
            on="party_record_id_l",
        )
        .join(
            ctx.rename({"rid": "party_record_id_r", mdl.CONTEXT_COLUMN: "cr"}),
            on="party_record_id_r",
        )
    )
    if confident.height < MIN_PAIRS_FOR_M:
        return mdl.CONTEXT_PRIOR_M, u, confident.height
    share = confident.select(
        (pl.col("cl").list.set_intersection("cr").list.len() > 0).mean()
    ).item()
    # where the data say one payer rarely pays two records of one person, the comparison weighs
    # (almost) nothing, never against a match
    m = min(max(float(share), u), 0.95)
    return m, u, confident.height


def context_pass(
    ws: Workspace,
    backend: Any,
    feats: pl.DataFrame,
    pairs: pl.DataFrame,
    model: mdl.SavedModel,
    threshold: float,
    same: Sequence[tuple[str, str]],
    not_same: Sequence[tuple[str, str]],
    notes: list[str],
    pairs_frame: Callable[[pl.DataFrame, mdl.SavedModel], pl.DataFrame],
    link_floor: float,
) -> pl.DataFrame:
    """The pairs of the first pass, with beneficiary sides re-scored in context (see the module).

    ``model`` gains the ``counterpart`` parameters (saved with it, for inspection).
    ``pairs_frame`` turns Splink predictions into the pairs frame (``run._pairs_frame``).
    """
    from splink import Linker

    n_tx = ws.con.execute(
        "SELECT count(*) FROM transactions WHERE beneficiary_record_id IS NOT NULL "
        "AND payer_record_id IS NOT NULL"
    ).fetchall()[0][0]
    if not n_tx or not feats.filter(pl.col("kind") == "beneficiary_side").height:
        return pairs
    first = cluster_frame(feats["unique_id"], pairs, threshold, same=same, not_same=not_same)
    ctx = counterparts(ws, first.members)
    bene = feats.filter(pl.col("kind") == "beneficiary_side").join(
        ctx, left_on="unique_id", right_on="rid"
    )
    if bene.height < 2:
        return pairs
    ctx = bene.select(pl.col("unique_id").alias("rid"), mdl.CONTEXT_COLUMN)
    m, u, n_confident = context_parameters(ctx, pairs)
    model.parameters[mdl.CONTEXT_COMPARISON] = [(m, u), (1 - m, 1 - u)]
    if n_confident < MIN_PAIRS_FOR_M:
        notes.append(
            f"context pass: {n_confident} confident beneficiary pair(s), too few to estimate how "
            f"often one payer pays both records of a person; the prior {m} was used"
        )
    present = [*model.columns_present, mdl.CONTEXT_COLUMN]
    settings = mdl.settings(present, model.probability_two_random_records_match, model.parameters)
    sdf = backend.splink_register(bene, "bantay_party_features_context")
    linker = Linker(sdf, settings, log_level=logging.WARNING)
    for col in mdl.tf_columns(model.columns_present):  # of all records, as in the first pass
        linker.table_management.register_term_frequency_lookup(
            backend.splink_register(tf_table(feats, col), f"bantay_tf_{col}"), col
        )
    pred = linker.inference.predict(threshold_match_probability=link_floor, warning_mode="never")
    second = pairs_frame(backend.splink_frame(pred), model)
    out = pl.concat([second, pairs], how="vertical_relaxed")
    return out.unique(["party_record_id_l", "party_record_id_r"], keep="first", maintain_order=True)
