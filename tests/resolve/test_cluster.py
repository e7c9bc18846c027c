"""Clustering with judgements: connected components, must-links, cannot-links, stable ids."""

from __future__ import annotations

from bantay.resolve.cluster import cluster, entity_id_for


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
