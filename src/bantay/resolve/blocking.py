"""Candidate generation: which record pairs reach scoring.

No scoring can link two records that blocking never puts side by side, so candidate generation sets
the recall ceiling of entity resolution. It follows Splink's advice: several blocking rules, each
cheap, whose union reaches the true pairs. Rules are data (:data:`IDENTITY_RULES`,
:data:`NAME_RULES`), read by the Splink settings (:func:`bantay.resolve.model.blocking_rules`) and
by :func:`reached`, which measures the ceiling on labelled data with the same definitions.

Identity rules pair records sharing a strong identifier. Name rules pair records whose names sound
alike and share a date of birth or a city. The *block keys* rule
(:func:`bantay.resolve.features.block_keys`) pairs records sharing a name word (nickname forms
included) and a date of birth, a postcode district, or the city of a record that also carries a
date of birth or an address, records of one whole name that each carry a date of birth or an
address, and records of one date of birth (not a stand-in many records bear) with one postcode
district or city, whatever their names: a missing or extra word, a title, a nickname or a typo in
one word still leaves a key in common. A key shared by more than :data:`MAX_BLOCK`
records is dropped (a common word meets too many strangers to be worth scoring them all); each
block is then at most ``MAX_BLOCK`` records, so the pairs grow with the records, not with their
square.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from splink.internals.blocking_rule_creator import BlockingRuleCreator


@dataclass(frozen=True)
class BlockingRule:
    """Records agreeing on every column (non-empty) are a candidate pair; an ``explode`` column is
    a list, and agreeing means sharing an element."""

    columns: tuple[str, ...]
    explode: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return " + ".join(self.columns)

    def creator(self) -> BlockingRuleCreator:
        from splink import block_on

        return block_on(*self.columns, arrays_to_explode=list(self.explode) or None)


#: A block key shared by more records than this is dropped (see the module).
MAX_BLOCK = 50

#: Strong identifiers: any one shared makes a candidate pair.
IDENTITY_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(("account",)),
    BlockingRule(("phone",)),
    BlockingRule(("email",)),
    BlockingRule(("id_doc",)),
)
#: Names that sound alike with a date of birth or a city; initials with both.
NAME_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(("name_phonetic", "dob")),
    BlockingRule(("name_phonetic", "city")),
    BlockingRule(("dob", "name_initials", "city")),
)


#: Records sharing a block key (:func:`bantay.resolve.features.block_keys`).
KEY_RULE = BlockingRule(("block_keys",), ("block_keys",))


#: Columns derived from the name: present wherever ``name_key`` is.
NAME_DERIVED = (
    "name_phonetic",
    "name_initials",
    "name_rare",
    "name_tokens",
    "name_words",
    "name_variants",
    "block_keys",
)


def expand_present(columns_present: Sequence[str]) -> set[str]:
    """The compared columns plus those derived from them (the ``name_*`` columns derive from the
    name, so a model that compares ``name_key`` has them all)."""
    present = set(columns_present)
    if "name_key" in present:
        present |= set(NAME_DERIVED)
    return present


def rules_for(columns_present: Sequence[str] | None) -> list[BlockingRule]:
    """The rules whose columns the data fill (all rules when ``columns_present`` is None)."""
    rules = [*IDENTITY_RULES, *NAME_RULES, KEY_RULE]
    if columns_present is None:
        return rules
    present = expand_present(columns_present)
    return [r for r in rules if all(c in present for c in r.columns)]


def reached(
    feats: pl.DataFrame,
    truth: pl.DataFrame,
    key: str = "unique_id",
    rules: Sequence[BlockingRule] | None = None,
) -> float:
    """The share of true pairs that some rule puts side by side (the recall ceiling).

    ``feats`` is a feature table (:func:`bantay.resolve.features.build_features`) with column
    ``key``; ``truth`` maps ``key`` to ``person_id``. Records of ``truth`` missing from ``feats``
    (not loaded) count as never reached.
    """
    rules = list(rules if rules is not None else rules_for(None))
    cols = sorted({c for r in rules for c in r.columns if c in feats.columns})
    t = truth.select(pl.col(key).cast(pl.String), pl.col("person_id").cast(pl.String)).unique(key)
    sizes = t.group_by("person_id").len()
    total = int(sizes.select((pl.col("len") * (pl.col("len") - 1) // 2).sum()).item())
    if total == 0:
        return 1.0
    f = t.join(feats.select(pl.col(key).cast(pl.String), *cols), on=key, how="inner")
    pairs = (
        f.join(f, on="person_id", suffix="_r")
        .filter(pl.col(key) < pl.col(f"{key}_r"))
        .drop("person_id")
    )
    hit = pl.lit(False)
    for rule in rules:
        if not all(c in f.columns for c in rule.columns):
            continue
        cond = pl.lit(True)
        for c in rule.columns:
            left, right = pl.col(c), pl.col(f"{c}_r")
            if c in rule.explode:
                cond = cond & (left.list.set_intersection(right).list.len() > 0).fill_null(False)
            else:
                cond = cond & (left.is_not_null() & (left == right)).fill_null(False)
        hit = hit | cond
    return float(pairs.select(hit.sum()).item()) / total
