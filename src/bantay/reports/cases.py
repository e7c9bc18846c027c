"""Platform reports in cases: put beside the payment evidence, read back by the exports."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantay.cases import audit
from bantay.cases.db import writing
from bantay.cases.models import CaseReport, PlatformReport, User
from bantay.cases.services import Actor, can_act, get_case
from bantay.errors import Conflict, Forbidden, Invalid, NotFound

MAX_REPORTS = 500


def add_reports(db: Session, by: User | Actor, case_id: int, report_ids: list[int]) -> int:
    """Put reports into an open case (its owner or assignees, or the operator); how many were new."""
    if not report_ids:
        raise Invalid("report_ids: give at least one report")
    if len(report_ids) > MAX_REPORTS:
        raise Invalid(f"report_ids: at most {MAX_REPORTS} at once")
    actor = by if isinstance(by, Actor) else Actor.of(by)
    with writing(db):
        c = get_case(db, case_id)
        if isinstance(by, User) and not can_act(db, by, c):
            raise Forbidden(f"only case {case_id}'s owner and assignees add to it")
        if c.status == "closed":
            raise Conflict(f"case {case_id} is closed")
        known = set(
            db.execute(select(PlatformReport.id).where(PlatformReport.id.in_(report_ids))).scalars()
        )
        missing = sorted(set(report_ids) - known)
        if missing:
            raise NotFound(f"no report {', '.join(map(str, missing[:10]))}")
        have = set(
            db.execute(select(CaseReport.report_id).where(CaseReport.case_id == case_id)).scalars()
        )
        new = [r for r in dict.fromkeys(report_ids) if r not in have]
        for r in new:
            db.add(CaseReport(case_id=case_id, report_id=r, added_by=actor.user_id))
        audit.append(
            db,
            user_id=actor.user_id,
            username=actor.username,
            action="case_reports_added",
            object_type="case",
            object_id=str(case_id),
            detail={"report_ids": new, "already": sorted(set(report_ids) & have)},
        )
    return len(new)


def case_reports(db: Session, case_id: int) -> list[PlatformReport]:
    """The case's reports, in the order they were received."""
    return list(
        db.execute(
            select(PlatformReport)
            .join(CaseReport, CaseReport.report_id == PlatformReport.id)
            .where(CaseReport.case_id == case_id)
            .order_by(PlatformReport.id)
        ).scalars()
    )
