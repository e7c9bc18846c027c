"""The intake's group commit: a batch of reports in one transaction, each with its own audit entry
in the chain; repeats and refusals within a batch; a platform revoked meanwhile is refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bantay.cases import audit
from bantay.cases.db import Workflow, open_workflow
from bantay.cases.models import AuditEntry, PlatformReport
from bantay.errors import Conflict, NotAuthenticated
from bantay.reports.intake import Intake
from bantay.reports.model import parse_report
from bantay.reports.store import PlatformRef, add_platform, receive_many, revoke_platform

SECRET = "test-secret-0123456789-abcdefghijklmnop"


def body(rid: str, text: str = "t") -> Any:
    return parse_report(
        {
            "platform_report_id": rid,
            "category": "other",
            "reported_account": {"platform_user_id": "u1"},
            "text": text,
        }
    )


@pytest.fixture
def wf(tmp_path: Path) -> Workflow:
    return open_workflow(tmp_path, f"sqlite:///{tmp_path / 'wf.sqlite'}")


def test_batch_with_repeats_and_a_refusal(wf: Workflow) -> None:
    with wf.session() as db:
        p, _ = add_platform(db, SECRET, "cli:t", "A")
        ref = PlatformRef(p.id, p.name)
        got = receive_many(
            db,
            [(ref, body("R-1")), (ref, body("R-2")), (ref, body("R-1")), (ref, body("R-1", "x"))],
        )
        assert [type(g).__name__ for g in got] == ["Received", "Received", "Received", "Conflict"]
        r1, r2, rep, _ = got
        assert (r1.created, r2.created, rep.created) == (True, True, False)  # type: ignore[union-attr]
        assert rep.report_id == r1.report_id  # type: ignore[union-attr]
        assert db.execute(select(func.count()).select_from(PlatformReport)).scalar_one() == 2
        actions = list(db.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())
        assert actions[-4:] == [
            "report_received",
            "report_received",
            "report_repeated",
            "report_refused",
        ]
        assert audit.verify(db).ok


def test_writer_from_many_threads(wf: Workflow) -> None:
    with wf.session() as db:
        p, _ = add_platform(db, SECRET, "cli:t", "A")
    it = Intake(wf.sessions, max_batch=16)
    ref = PlatformRef(p.id, p.name)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: it.receive(ref, body(f"R-{i % 150}")), range(200)))
    it.close()
    assert sum(g.created for g in got) == 150
    assert it.reports == 200
    with wf.session() as db:
        assert db.execute(select(func.count()).select_from(PlatformReport)).scalar_one() == 150
        assert audit.verify(db).ok


def test_revoked_platform_is_refused_in_the_transaction(wf: Workflow) -> None:
    with wf.session() as db:
        p, _ = add_platform(db, SECRET, "cli:t", "A")
        revoke_platform(db, "cli:t", "A")
    it = Intake(wf.sessions)
    with pytest.raises(NotAuthenticated):
        it.receive(PlatformRef(p.id, p.name), body("R-1"))
    with pytest.raises(Conflict):  # Conflict and the rest reach the waiting caller as raised
        with wf.session() as db:
            p2, _ = add_platform(db, SECRET, "cli:t", "B")
        ref = PlatformRef(p2.id, p2.name)
        it.receive(ref, body("R-1"))
        it.receive(ref, body("R-1", "other"))
    it.close()
