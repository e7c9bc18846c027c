"""Candidate generation: block keys reach the pairs names alone miss; the recall ceiling."""

from __future__ import annotations

import polars as pl

from bantay.resolve.blocking import IDENTITY_RULES, KEY_RULE, NAME_RULES, reached, rules_for
from bantay.resolve.features import build_features, with_population_keys


def feats(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    df = pl.DataFrame(rows).with_columns(
        pl.lit("customer").alias("kind"), pl.lit("X").alias("institution")
    )
    if "date_of_birth" in df.columns:
        df = df.with_columns(pl.col("date_of_birth").str.to_date())
    return with_population_keys(build_features(df))


def shares_key(f: pl.DataFrame, a: str, b: str) -> bool:
    keys = dict(zip(f["unique_id"].to_list(), f["block_keys"].to_list(), strict=True))
    return bool(set(keys[a] or []) & set(keys[b] or []))


def test_nickname_missing_word_and_title_still_meet() -> None:
    f = feats(
        [
            {"party_record_id": "a", "given_name": "Wally", "family_name": "Bryant",
             "date_of_birth": "1813-01-01"},
            {"party_record_id": "b", "given_name": "Walter", "family_name": "Bryant",
             "date_of_birth": "1813-01-01"},
            {"party_record_id": "c", "name": "Henry", "address": "LS1 4AP"},
            {"party_record_id": "d", "name": "Henry Tayler", "address": "LS1 6RT"},
            {"party_record_id": "e", "given_name": "Captain", "family_name": "Anson",
             "date_of_birth": "1797-01-01"},
            {"party_record_id": "f", "given_name": "George", "family_name": "Anson",
             "date_of_birth": "1797-01-01"},
        ]
    )  # fmt: skip
    assert shares_key(f, "a", "b")  # nickname written out, with the date of birth
    assert shares_key(f, "c", "d")  # a missing word: the postcode district + the word they share
    assert shares_key(f, "e", "f")  # the title is dropped; the surname with the date of birth
    variants = dict(zip(f["unique_id"], f["name_variants"].to_list(), strict=True))
    assert "bryant walter" in variants["a"]
    assert variants["e"] == ["anson"]


def test_a_word_and_the_city_meet_only_where_records_can_tell_namesakes_apart() -> None:
    """A register's record with its date of birth missing still meets the records of its person
    by a name word and the place; a name and a city alone (a payment's beneficiary side) do not
    meet on them, since the scoring would then have nothing but the name to weigh."""
    f = feats(
        [
            {"party_record_id": "a", "name": "Ralph Bathurst", "city": "Overstone",
             "date_of_birth": "1620-01-01"},
            {"party_record_id": "b", "name": "Rudolph Bathurst", "city": "Overstone",
             "address": "NN6 0AG"},
            {"party_record_id": "c", "name": "Maria Santos", "city": "Taguig"},
            {"party_record_id": "d", "name": "Jose Santos", "city": "Taguig"},
        ]
    )  # fmt: skip
    assert shares_key(f, "a", "b")  # the surname with the place, one side without a DOB
    assert not shares_key(f, "c", "d")  # name and city only: relatives, as often as not


def test_one_whole_name_meets_where_both_records_can_tell_namesakes_apart() -> None:
    """The same whole name meets when both records carry a date of birth or an address, however
    the date differs (a typo in it) and wherever the town is missing: the scoring then weighs the
    date or the address. A name and a city alone (a payment's beneficiary side) do not meet on it."""
    f = feats(
        [
            {"party_record_id": "a", "name": "William Wragge", "date_of_birth": "1852-08-18"},
            {"party_record_id": "b", "name": "William Wragge", "city": "Stourbridge",
             "date_of_birth": "1852-09-18"},
            {"party_record_id": "c", "name": "Maria Santos", "city": "Taguig"},
            {"party_record_id": "d", "name": "Maria Santos", "city": "Pasig"},
        ]
    )  # fmt: skip
    assert shares_key(f, "a", "b")
    assert not shares_key(f, "c", "d")


def test_a_specific_date_of_birth_and_place_meet_whatever_the_names() -> None:
    """Records whose names are too corrupted to share a word (``blacm`` / ``r. black``) meet on a
    date of birth and a postcode district or a place; a date many records bear (a year written as
    1 January) is no evidence of one person and meets nothing by itself."""
    rows = [
        {"party_record_id": "a", "name": "blacm", "address": "IP22 4LT",
         "date_of_birth": "1775-03-14"},
        {"party_record_id": "b", "name": "R. Black", "address": "IP22 9XX",
         "date_of_birth": "1775-03-14"},
        {"party_record_id": "c", "name": "sir monro, 1st", "city": "Eastleigh",
         "date_of_birth": "1860-06-15"},
        {"party_record_id": "d", "name": "Sir Charles Monro", "city": "Eastleigh",
         "date_of_birth": "1860-06-15", "address": "SO30 3HQ"},
        {"party_record_id": "e", "name": "Thomas Brushfield", "address": "HP6 6EF",
         "date_of_birth": "1858-01-01"},
        {"party_record_id": "f", "name": "Beatrice Lindsay", "address": "HP6 2LS",
         "date_of_birth": "1858-01-01"},
    ]  # fmt: skip
    # a register where 1858-01-01 stands in for "born in 1858": many records bear it
    rows += [
        {"party_record_id": f"y{i}", "name": f"Person {i}", "date_of_birth": "1858-01-01"}
        for i in range(40)
    ]
    rows += [
        {"party_record_id": f"z{i}", "name": f"Other {i}",
         "date_of_birth": f"17{10 + i % 80}-0{1 + i % 9}-1{i % 10}"}
        for i in range(80)
    ]  # fmt: skip
    f = feats(rows)
    assert shares_key(f, "a", "b")  # date of birth and postcode district
    assert shares_key(f, "c", "d")  # date of birth and place
    assert not shares_key(f, "e", "f")  # a stand-in date and a district: namesakes of a year


def test_a_key_shared_by_too_many_records_blocks_nothing() -> None:
    rows = [
        {"party_record_id": f"r{i}", "name": f"John {s}", "address": "LS1 1AA"}
        for i, s in enumerate("ABCDEFGH")
    ]
    common = [
        {"party_record_id": f"x{i}", "name": f"John Q{i:03d}x", "address": "LS1 2BB"}
        for i in range(60)
    ]
    f = with_population_keys(
        build_features(
            pl.DataFrame(rows + common).with_columns(
                pl.lit("customer").alias("kind"), pl.lit("X").alias("institution")
            )
        ),
        max_block=50,
    )
    keys = f.explode("block_keys")["block_keys"].drop_nulls().to_list()
    assert "pw|ls1|john" not in keys  # 68 records bear it: more than a block holds
    assert not any(k.startswith("pw|ls1|q") for k in keys)  # each shared by one record only
    assert not any(k.endswith("|john") for k in keys)


def test_recall_ceiling_counts_pairs_some_rule_reaches() -> None:
    f = feats(
        [
            {"party_record_id": "a", "name": "Ana Reyes", "phone": "+639171111111"},
            {"party_record_id": "b", "name": "Ana Reyes", "phone": "+639171111111"},
            {"party_record_id": "c", "name": "Zzyx Qwv", "phone": "+639172222222"},
        ]
    )
    truth = pl.DataFrame({"unique_id": ["a", "b", "c"], "person_id": ["p", "p", "p"]})
    # a-b share a phone; c shares nothing with either: 1 of 3 true pairs
    assert reached(f, truth) == 1 / 3
    assert reached(f, truth, rules=list(NAME_RULES)) == 0.0
    assert reached(f, truth, rules=list(IDENTITY_RULES)) == 1 / 3


def test_rules_follow_the_columns_present() -> None:
    assert KEY_RULE in rules_for(["name_key"])
    labels = [r.label for r in rules_for(["phone"])]
    assert labels == ["phone"]
