"""Judgements are data: who, when, why; honoured on every run; reversible with history."""

from __future__ import annotations

import pytest
from tests.resolve.conftest import entity_of

from bantay.resolve import ResolveError
from bantay.resolve.judgements import judge, list_judgements, resolve_ref, undo
from bantay.resolve.run import resolve
from bantay.workspace import Workspace


def test_not_same_splits_and_survives_reruns(basic_ws: Workspace) -> None:
    resolve(basic_ws)
    j = judge(basic_ws, "BANK:C1", "REMIT:h1", "not_same", "ana", "different fathers")
    ent = entity_of(basic_ws)
    assert ent["BANK:C1"] != ent["REMIT:h1"]
    for kwargs in ({}, {"full": True}, {"retrain": True}):
        resolve(basic_ws, **kwargs)  # type: ignore[arg-type]
        ent = entity_of(basic_ws)
        assert ent["BANK:C1"] != ent["REMIT:h1"], kwargs
    decision = basic_ws.con.execute(
        "SELECT decision FROM entity_links WHERE party_record_id_l = 'BANK:C1'"
    ).fetchall()
    assert decision == [("judged_not_same",)]
    undo(basic_ws, j.judgement_id, "ben")
    ent = entity_of(basic_ws)
    assert ent["BANK:C1"] == ent["REMIT:h1"]
    (row,) = list_judgements(basic_ws, include_undone=True)
    assert row.deleted_by == "ben" and row.deleted_at is not None
    assert (row.user_name, row.reason, row.verdict) == ("ana", "different fathers", "not_same")
    assert list_judgements(basic_ws) == []


def test_same_joins_entities_and_uses_entity_ids(basic_ws: Workspace) -> None:
    resolve(basic_ws)
    ent = entity_of(basic_ws)
    j = judge(basic_ws, ent["BANK:C3"], "BANK:C2", "same", "ana", "same passport in the SAR")
    assert j.party_record_id_a == "BANK:C3"
    ent = entity_of(basic_ws)
    assert ent["BANK:C3"] == ent["BANK:C2"] == ent["REMIT:h2"]
    assigned = dict(
        basic_ws.con.execute("SELECT party_record_id, assigned_by FROM entity_members").fetchall()
    )
    assert assigned["BANK:C3"] == "judgement"
    resolve(basic_ws, full=True)
    ent = entity_of(basic_ws)
    assert ent["BANK:C3"] == ent["BANK:C2"]


def test_references_by_institution_and_customer_ref(basic_ws: Workspace) -> None:
    assert resolve_ref(basic_ws, "BANK:C2") == "BANK:C2"
    basic_ws.con.execute(
        "UPDATE party_records SET party_record_id = 'h:abc' WHERE party_record_id = 'BANK:C2'"
    )
    assert resolve_ref(basic_ws, "BANK:C2") == "h:abc"


@pytest.mark.parametrize(
    ("a", "b", "user", "why", "message"),
    [
        ("BANK:C1", "NOPE:1", "ana", "x", "no party record"),
        ("BANK:C1", "BANK:C1", "ana", "x", "same party record"),
        ("BANK:C1", "BANK:C2", " ", "x", "who decides"),
        ("BANK:C1", "BANK:C2", "ana", "", "reason"),
        ("", "BANK:C2", "ana", "x", "empty reference"),
    ],
)
def test_bad_judgements_are_refused_clearly(
    basic_ws: Workspace, a: str, b: str, user: str, why: str, message: str
) -> None:
    resolve(basic_ws)
    with pytest.raises(ResolveError, match=message):
        judge(basic_ws, a, b, "same", user, why)


def test_undo_twice_or_unknown_is_refused(basic_ws: Workspace) -> None:
    resolve(basic_ws)
    j = judge(basic_ws, "BANK:C1", "BANK:C2", "same", "ana", "x")
    undo(basic_ws, j.judgement_id, "ana")
    with pytest.raises(ResolveError, match="already undone"):
        undo(basic_ws, j.judgement_id, "ana")
    with pytest.raises(ResolveError, match="no judgement"):
        undo(basic_ws, "J000", "ana")
