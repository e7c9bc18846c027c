"""The audit trail, for supervisors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bantay.cases import audit as audit_log
from bantay.cases.models import AuditEntry
from bantay.web.deps import DbDep, SupervisorDep
from bantay.web.schemas import MAX_ID, AuditList, AuditPublic, FindingOut, VerifyOut

router = APIRouter(prefix="/audit", tags=["audit"])


def audit_rows(
    db: Session, action: str | None, username: str | None, limit: int, before: int | None
) -> AuditList:
    q = select(AuditEntry)
    cq = select(func.count()).select_from(AuditEntry)
    for col, v in ((AuditEntry.action, action), (AuditEntry.username, username)):
        if v:
            q = q.where(col == v)
            cq = cq.where(col == v)
    if before:
        q = q.where(AuditEntry.id < before)
    rows = db.execute(q.order_by(AuditEntry.id.desc()).limit(limit)).scalars()
    return AuditList(
        data=[AuditPublic.model_validate(r) for r in rows], count=int(db.execute(cq).scalar_one())
    )


@router.get("", response_model=AuditList)
def list_audit(
    principal: SupervisorDep,
    db: DbDep,
    action: Annotated[str | None, Query(max_length=32)] = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="entries with a smaller id (paging)")
    ] = None,
) -> AuditList:
    """Newest first: who saw, decided or exported what, and when."""
    return audit_rows(db, action, username, limit, before)


@router.get("/verify", response_model=VerifyOut)
def verify_audit(principal: SupervisorDep, db: DbDep) -> VerifyOut:
    """Walk the keyed hash chain and hold it against the checkpoints: altered, deleted, inserted,
    re-hashed entries and truncation are each named."""
    r = audit_log.verify(db)
    return VerifyOut(
        ok=r.ok,
        entries=r.entries,
        first_bad_id=r.first_bad_id,
        problem=r.problem,
        findings=[
            FindingOut(kind=f.kind, entry_id=f.entry_id, message=f.message) for f in r.findings
        ],
        checkpoints=r.checkpoints,
    )
