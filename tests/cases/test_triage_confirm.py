"""A triage closing's confirmation (issue 17's four eyes for issue 18's triage labels), in the core:
which steps keep it, which void it, and what the audit entries say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bantay.cases import services, triage
from bantay.cases.db import open_workflow
from bantay.cases.models import AlertTriage, AuditEntry
from bantay.cases.security import use_cheap_hashing
from bantay.errors import Conflict, Forbidden

use_cheap_hashing()
PASSWORD = "correct horse battery"


class Catalog:
    """Three alerts of a made-up scan, one entity each (synthetic, neutral ids)."""

    def alerts(self, alert_ids: list[str]) -> dict[str, dict[str, Any]]:
        known = {f"A{i}": {"side": "payer", "entity_id": f"E{i:03d}"} for i in range(3)}
        return {a: known[a] for a in alert_ids if a in known}


def test_assigning_keeps_a_confirmation_and_reopening_voids_it(tmp_path: Path) -> None:
    cat = Catalog()
    with open_workflow(tmp_path) as wf, wf.session() as db:
        op = services.Actor.operator()
        ana = services.add_user(db, op, "ana", PASSWORD, "analyst")
        sam = services.add_user(db, op, "sam", PASSWORD, "supervisor")
        sue = services.add_user(db, op, "sue", PASSWORD, "supervisor")
        triage.close(db, ana, ["A0", "A1"], "explained_family", alerts=cat)
        triage.close(db, sam, ["A2"], "data_error", alerts=cat)
        assert triage.triage_labels(db) == {}
        assert not triage.can_confirm(ana, triage.states(db)["A0"])
        assert triage.can_confirm(sam, triage.states(db)["A0"])
        with pytest.raises(Forbidden, match="supervisor"):
            triage.confirm(db, ana, ["A0"])
        with pytest.raises(Conflict, match="gives no training label"):
            triage.confirm(db, sue, ["A2"])
        assert triage.confirm(db, sam, ["A1", "A0"], "answers on file") == ["A0", "A1"]
        # a later assignment keeps the confirmation; reopening voids it
        triage.assign(db, sue, ["A0"], "ana", alerts=cat)
        s = triage.states(db)
        assert s["A0"].confirmed_by == "sam" and s["A0"].assignee == "ana"
        assert triage.triage_labels(db) == {("payer", "E000"): False, ("payer", "E001"): False}
        triage.reopen(db, ana, "A0", "new payments came in", alerts=cat)
        assert triage.triage_labels(db) == {("payer", "E001"): False}
        # closed again by sam: sam may not confirm it, sue may
        triage.close(db, sam, ["A0"], "explained_business", alerts=cat)
        assert triage.states(db)["A0"].confirmation == "awaiting"
        assert not triage.can_confirm(sam, triage.states(db)["A0"])
        with pytest.raises(Forbidden, match="you closed alert A0"):
            triage.confirm(db, sam, ["A0"])
        triage.confirm(db, sue, ["A0"])
        assert triage.triage_labels(db)[("payer", "E000")] is False
        steps = db.execute(
            select(AlertTriage).where(AlertTriage.alert_id == "A0").order_by(AlertTriage.id)
        ).scalars()
        assert [(t.action, t.reason_code) for t in steps] == [
            ("close", "explained_family"),
            ("confirm", "explained_family"),
            ("assign", None),
            ("reopen", None),
            ("close", "explained_business"),
            ("confirm", "explained_business"),
        ]
        entries = db.execute(
            select(AuditEntry)
            .where(AuditEntry.action.in_(("alert_closing_confirmed", "alert_reopened")))
            .order_by(AuditEntry.id)
        ).scalars()
        got = [(e.username, e.action, json.loads(e.detail)) for e in entries]
        assert [(u, a) for u, a, _ in got] == [
            ("sam", "alert_closing_confirmed"),
            ("ana", "alert_reopened"),
            ("sue", "alert_closing_confirmed"),
        ]
        assert got[0][2]["alerts"] == ["A0", "A1"] and got[0][2]["note"] == "answers on file"
        assert got[1][2]["voided_confirmation_by"] == "sam"
