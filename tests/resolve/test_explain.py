"""--explain: field by field, weights, probability, and why linked or not."""

from __future__ import annotations

import pytest

from bantay.resolve import ResolveError
from bantay.resolve.explain import explain_pair
from bantay.resolve.judgements import judge
from bantay.resolve.run import resolve
from bantay.workspace import Workspace


def test_explains_a_link_field_by_field(basic_ws: Workspace) -> None:
    resolve(basic_ws)
    e = explain_pair(basic_ws, "BANK:C1", "REMIT:h1")
    by = {f.comparison: f for f in e.fields}
    assert by["name"].level == "same name (any order)"
    assert by["name"].value_a == by["name"].value_b == "delacruz juan"
    assert by["phone"].level == "same phone" and by["phone"].match_weight > 10
    assert e.match_probability > 0.99 and e.same_entity and e.found_by_blocking
    total = e.prior_weight + sum(f.total_weight for f in e.fields)
    assert total == pytest.approx(e.match_weight, abs=1e-6)
    assert e.verdict().startswith("same entity")


def test_explains_a_non_link(basic_ws: Workspace) -> None:
    resolve(basic_ws)
    e = explain_pair(basic_ws, "BANK:C1", "BANK:C3")
    assert not e.same_entity and e.match_probability < 0.5
    by = {f.comparison: f for f in e.fields}
    assert by["name"].level == "names differ" and by["name"].match_weight < 0
    assert "below the threshold" in e.verdict()


def test_explains_a_judgement(basic_ws: Workspace) -> None:
    resolve(basic_ws)
    judge(basic_ws, "BANK:C1", "REMIT:h1", "not_same", "ana", "twins")
    e = explain_pair(basic_ws, "REMIT:h1", "BANK:C1")
    assert "analyst judged them not the same" in e.verdict()
    assert [j.reason for j in e.judgements] == ["twins"]


def test_explain_before_resolving_and_with_unknown_refs(basic_ws: Workspace) -> None:
    e = explain_pair(basic_ws, "BANK:C2", "REMIT:h2")
    assert "not resolved yet" in e.verdict()
    with pytest.raises(ResolveError, match="no party record"):
        explain_pair(basic_ws, "BANK:C2", "nope")
