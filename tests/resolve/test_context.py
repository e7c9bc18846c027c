"""The context pass: "paid by the same payer" measured from the data."""

from __future__ import annotations

import polars as pl

from bantay.resolve import context as cx
from bantay.resolve import model as mdl


def _ctx(rows: dict[str, list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"rid": list(rows), mdl.CONTEXT_COLUMN: list(rows.values())},
        schema={"rid": pl.String, mdl.CONTEXT_COLUMN: pl.List(pl.String)},
    )


def _pairs(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "party_record_id_l": pl.String,
            "party_record_id_r": pl.String,
            "match_probability": pl.Float64,
        },
        orient="row",
    )


def test_u_is_the_share_of_record_pairs_paid_by_one_payer() -> None:
    ctx = _ctx({"a": ["P1"], "b": ["P1"], "c": ["P2"], "d": ["P3"]})
    m, u, n = cx.context_parameters(ctx, _pairs([]))
    assert u == 1 / 6  # one pair (a, b) of six shares a payer
    assert (m, n) == (mdl.CONTEXT_PRIOR_M, 0)  # no confident pairs: the prior


def test_m_from_confident_pairs_never_below_u() -> None:
    rows = {f"r{i}": [f"P{i // 2}"] for i in range(60)}
    ctx = _ctx(rows)
    # 30 confident pairs, each of two records paid by one payer: m = 1 (capped at 0.95)
    same_payer = [(f"r{i}", f"r{i + 1}", 0.999) for i in range(0, 60, 2)]
    m, _, n = cx.context_parameters(ctx, _pairs(same_payer))
    assert (m, n) == (0.95, 30)
    # confident pairs never paid by one payer: m falls to u, the comparison weighs nothing
    other = [(f"r{i}", f"r{i + 2}", 0.999) for i in range(0, 56, 2)]
    m, u, _ = cx.context_parameters(ctx, _pairs(other))
    assert m == u
