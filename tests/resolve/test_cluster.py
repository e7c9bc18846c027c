"""Clustering with judgements: connected components, must-links, cannot-links, stable ids."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from bantay.resolve.cluster import cluster, cluster_frame, entity_id_for


def _groups(entity_of: dict[str, str]) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for r, e in entity_of.items():
        out.setdefault(e, set()).add(r)
    return {frozenset(g) for g in out.values()}


def test_connected_components_at_threshold() -> None:
    res = cluster(["a", "b", "c", "d"], ["a", "b", "c"], ["b", "c", "d"], [0.99, 0.95, 0.4], 0.9)
    assert _groups(res.entity_of) == {frozenset("abc"), frozenset("d")}
    assert res.decisions == ["linked", "linked", "below_threshold"]


def test_not_same_splits_at_the_weakest_link() -> None:
    # a-b strong, b-c weaker: a and c judged not the same -> c leaves
    res = cluster(["a", "b", "c"], ["a", "b"], ["b", "c"], [0.99, 0.95], 0.9, not_same=[("a", "c")])
    assert _groups(res.entity_of) == {frozenset("ab"), frozenset("c")}
    assert res.decisions == ["linked", "split_by_judgement"]


def test_not_same_on_a_direct_pair() -> None:
    res = cluster(["a", "b"], ["a"], ["b"], [0.99], 0.9, not_same=[("b", "a")])
    assert _groups(res.entity_of) == {frozenset("a"), frozenset("b")}
    assert res.decisions == ["judged_not_same"]


def test_same_joins_whatever_the_model_says() -> None:
    res = cluster(["a", "b", "c"], ["a"], ["b"], [0.2], 0.9, same=[("a", "c")])
    assert _groups(res.entity_of) == {frozenset("ac"), frozenset("b")}
    assert res.joined_by_judgement == {"a", "c"}


def test_contradicting_judgements_are_reported() -> None:
    res = cluster(
        ["a", "b", "c"], [], [], [], 0.9, same=[("a", "b"), ("b", "c")], not_same=[("a", "c")]
    )
    assert res.conflicts == [("b", "c")]
    assert _groups(res.entity_of) == {frozenset("ab"), frozenset("c")}


def test_unknown_records_in_judgements_are_ignored() -> None:
    res = cluster(["a"], [], [], [], 0.9, same=[("a", "zz")], not_same=[("a", "yy")])
    assert res.entity_of == {"a": entity_id_for("a")}


def test_entity_ids_follow_the_majority_of_previous_members() -> None:
    previous = {"a": "E1", "b": "E1", "c": "E2", "d": "E2"}
    # c leaves E2 for E1; d alone keeps E2; a new record e gets a fresh id
    res = cluster(
        ["a", "b", "c", "d", "e"], ["a", "b"], ["b", "c"], [0.99, 0.99], 0.9, previous=previous
    )
    assert res.entity_of["a"] == res.entity_of["c"] == "E1"
    assert res.entity_of["d"] == "E2"
    assert res.entity_of["e"] == entity_id_for("e")


def test_a_split_entity_keeps_its_id_on_the_larger_part() -> None:
    previous = {"a": "E1", "b": "E1", "c": "E1"}
    res = cluster(["a", "b", "c"], ["a"], ["b"], [0.99], 0.9, previous=previous)
    assert res.entity_of["a"] == res.entity_of["b"] == "E1"
    assert res.entity_of["c"] != "E1"


# --------------------------------------------------------------------------- columnar clustering

_ids = st.sampled_from([f"r{i}" for i in range(12)])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(_ids, _ids, st.floats(0.0, 1.0)), max_size=30),
    st.lists(st.tuples(_ids, _ids), max_size=3),
    st.lists(st.tuples(_ids, _ids), max_size=3),
    st.booleans(),
)
def test_cluster_frame_equals_union_find(
    raw_pairs: list[tuple[str, str, float]],
    same: list[tuple[str, str]],
    not_same: list[tuple[str, str]],
    with_previous: bool,
) -> None:
    records = [f"r{i}" for i in range(12)]
    seen: set[tuple[str, str]] = set()
    pairs = []
    for a, b, p in raw_pairs:
        key = (min(a, b), max(a, b))
        if a != b and key not in seen:
            seen.add(key)
            pairs.append((*key, p))
    same = [(a, b) for a, b in same if a != b]
    not_same = [(a, b) for a, b in not_same if a != b]
    previous = {f"r{i}": f"E{i % 4}" for i in range(0, 12, 2)} if with_previous else None
    ref = cluster(
        records,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        [p[2] for p in pairs],
        0.6,
        same=same,
        not_same=not_same,
        previous=previous,
    )
    frame = pl.DataFrame(
        {
            "party_record_id_l": [p[0] for p in pairs],
            "party_record_id_r": [p[1] for p in pairs],
            "match_probability": [p[2] for p in pairs],
        },
        schema={
            "party_record_id_l": pl.String,
            "party_record_id_r": pl.String,
            "match_probability": pl.Float64,
        },
    )
    got = cluster_frame(records, frame, 0.6, same=same, not_same=not_same, previous=previous)
    got_of = dict(zip(got.members["party_record_id"], got.members["entity_id"], strict=True))
    assert _groups(got_of) == _groups(ref.entity_of)
    if not not_same:  # identifiers also equal (sub-clusters of constrained components aside)
        assert got_of == ref.entity_of
    assert got.decisions.to_list() == ref.decisions
    assert sorted(got.conflicts) == sorted(ref.conflicts)
    by_judgement = set(got.members.filter(pl.col("assigned_by") == "judgement")["party_record_id"])
    assert by_judgement == ref.joined_by_judgement


def test_two_groups_joined_by_one_pair_are_checked_as_groups() -> None:
    # a1-a2 and b1-b2 are two people; one strong-looking pair a2-b1 chains them, but every other
    # pair scored across them says "different": the link is not used
    pairs = [("a1", "a2", 0.99), ("b1", "b2", 0.99), ("a2", "b1", 0.95)]
    pairs += [("a1", "b1", 0.01), ("a1", "b2", 0.02), ("a2", "b2", 0.03)]
    lefts, rights, probs = zip(*pairs, strict=True)
    res = cluster(["a1", "a2", "b1", "b2"], lefts, rights, probs, 0.9)
    assert _groups(res.entity_of) == {frozenset({"a1", "a2"}), frozenset({"b1", "b2"})}
    assert res.decisions[2] == "kept_apart"
    # the same pairs as a frame give the same entities
    frame = pl.DataFrame(
        {"party_record_id_l": lefts, "party_record_id_r": rights, "match_probability": probs}
    )
    out = cluster_frame(["a1", "a2", "b1", "b2"], frame, 0.9)
    ent = dict(zip(out.members["party_record_id"], out.members["entity_id"], strict=True))
    assert ent["a1"] == ent["a2"] != ent["b1"] == ent["b2"]
    assert out.decisions.to_list()[2] == "kept_apart"


def test_groups_whose_pairs_agree_on_balance_are_joined() -> None:
    pairs = [("a1", "a2", 0.99), ("b1", "b2", 0.99), ("a2", "b1", 0.95), ("a1", "b2", 0.6)]
    lefts, rights, probs = zip(*pairs, strict=True)
    res = cluster(["a1", "a2", "b1", "b2"], lefts, rights, probs, 0.9)
    assert _groups(res.entity_of) == {frozenset({"a1", "a2", "b1", "b2"})}


def test_an_attachment_is_not_checked_against_the_pairs_across() -> None:
    from bantay.resolve.cluster import ATTACHED_MARK

    frame = pl.DataFrame(
        {
            "party_record_id_l": ["a1", "a1", "a2"],
            "party_record_id_r": ["a2", "n", "n"],
            "match_probability": [0.99, 0.95, 0.2],
            "agreed_fields": ["name=same name", f"name=same name {ATTACHED_MARK}", None],
        }
    )
    out = cluster_frame(["a1", "a2", "n"], frame, 0.9)
    assert out.members["entity_id"].n_unique() == 1
