"""Cases: group entities, assign, comment, decide, review, close."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bantay.cases import services
from bantay.cases.analytics import Analytics
from bantay.cases.models import (
    CASE_STATUSES,
    Case,
    CaseMember,
    CaseNarrative,
    Comment,
    Decision,
    User,
)
from bantay.errors import NotFound
from bantay.export import narrative
from bantay.export.case import ExportError, read_case, reporting_currency
from bantay.web.deps import AnalyticsDep, DbDep, Principal, PrincipalDep, WriterDep
from bantay.web.schemas import (
    MAX_ID,
    AssignIn,
    CaseCreate,
    CaseDetail,
    CaseList,
    CasePublic,
    CommentIn,
    CommentPublic,
    DecisionIn,
    DecisionPublic,
    MemberIn,
    MemberPublic,
    NarrativeIn,
    NarrativePublic,
    NarrativeView,
    ReviewIn,
)

router = APIRouter(prefix="/cases", tags=["cases"])
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="The case number.")]


def _names(db: Session) -> dict[int, str]:
    return {u.id: u.username for u in db.execute(select(User)).scalars()}


def case_public(db: Session, c: Case, names: dict[int, str] | None = None) -> CasePublic:
    names = names if names is not None else _names(db)
    n = db.execute(
        select(func.count()).select_from(CaseMember).where(CaseMember.case_id == c.id)
    ).scalar_one()
    assignees = [names.get(i, "?") for i in services.assignee_ids(db, c.id)]
    return CasePublic(
        id=c.id,
        title=c.title,
        status=c.status,
        outcome=c.outcome,
        owner=names.get(c.owner_id, "?"),
        assignee=assignees[0] if assignees else None,
        assignees=assignees,
        created_by=names.get(c.created_by, "?"),
        created_at=c.created_at,
        updated_at=c.updated_at,
        n_members=int(n),
    )


def narrative_public(n: CaseNarrative, names: dict[int, str]) -> NarrativePublic:
    return NarrativePublic(
        version=n.version,
        body=n.body,
        sha256=n.sha256,
        username=names.get(n.user_id, "?"),
        created_at=n.created_at,
    )


def narrative_view(
    db: Session, analytics: Analytics, principal: Principal, case_id: int
) -> NarrativeView:
    """The narrative's versions and a draft from the evidence; the view is audited."""
    services.get_case(db, case_id)
    names = _names(db)
    versions = [narrative_public(n, names) for n in services.narrative_versions(db, case_id)]
    try:
        draft = narrative.draft(read_case(db, analytics, case_id, reporting_currency(analytics)))
    except ExportError:  # no members or no payments yet: nothing to draft from
        draft = ""
    principal.audit(db, "view", "case", str(case_id), {"narrative": True})
    return NarrativeView(current=versions[0] if versions else None, versions=versions, draft=draft)


def case_detail(db: Session, case_id: int) -> CaseDetail:
    c = db.get(Case, case_id)
    if c is None:
        raise NotFound(f"no case {case_id}")
    names = _names(db)
    base = case_public(db, c, names)
    members = db.execute(
        select(CaseMember).where(CaseMember.case_id == c.id).order_by(CaseMember.id)
    ).scalars()
    comments = db.execute(
        select(Comment).where(Comment.case_id == c.id).order_by(Comment.id)
    ).scalars()
    decisions = db.execute(
        select(Decision).where(Decision.case_id == c.id).order_by(Decision.id)
    ).scalars()
    written = services.current_narrative(db, c.id)
    versions = {n.id: n.version for n in services.narrative_versions(db, c.id)}
    return CaseDetail(
        **base.model_dump(),
        narrative=narrative_public(written, names) if written else None,
        members=[MemberPublic.model_validate(m) for m in members],
        comments=[
            CommentPublic(
                id=m.id, username=names.get(m.user_id, "?"), body=m.body, created_at=m.created_at
            )
            for m in comments
        ],
        decisions=[
            DecisionPublic(
                id=d.id,
                username=names.get(d.user_id, "?"),
                decision=d.decision,
                rationale=d.rationale,
                created_at=d.created_at,
                subject=[f"{s}:{e}" for s, e, _a in json.loads(d.subject or "[]")],
                current=services.decision_is_current(db, d),
                reviewed_by=names.get(d.reviewed_by) if d.reviewed_by else None,
                reviewed_at=d.reviewed_at,
                review_approved=d.review_approved,
                review_note=d.review_note,
                narrative_version=versions.get(d.narrative_id) if d.narrative_id else None,
            )
            for d in decisions
        ],
    )


def list_case_rows(db: Session, status: str | None, limit: int, offset: int) -> CaseList:
    q = select(Case)
    cq = select(func.count()).select_from(Case)
    if status:
        q = q.where(Case.status == status)
        cq = cq.where(Case.status == status)
    rows = db.execute(
        q.order_by(Case.updated_at.desc(), Case.id.desc()).limit(limit).offset(offset)
    )
    names = _names(db)
    return CaseList(
        data=[case_public(db, c, names) for c in rows.scalars()],
        count=int(db.execute(cq).scalar_one()),
    )


@router.get("", response_model=CaseList)
def list_cases(
    principal: PrincipalDep,
    db: DbDep,
    status: Annotated[
        str | None, Query(pattern=f"^({'|'.join(CASE_STATUSES)})$", description="open, ...")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> CaseList:
    return list_case_rows(db, status, limit, offset)


@router.post("", response_model=CaseDetail, status_code=201)
def create_case(
    body: CaseCreate, principal: WriterDep, db: DbDep, analytics: AnalyticsDep
) -> CaseDetail:
    c = services.create_case(
        db,
        principal.user,
        body.title,
        [(m.side, m.entity_id, m.alert_id) for m in body.members],
        body.assignee,
        entities=analytics,
    )
    return case_detail(db, c.id)


@router.get("/{case_id}", response_model=CaseDetail)
def get_case(case_id: CaseId, principal: PrincipalDep, db: DbDep) -> CaseDetail:
    out = case_detail(db, case_id)
    principal.audit(db, "view", "case", str(case_id))
    return out


@router.post("/{case_id}/members", response_model=CaseDetail)
def add_case_member(
    case_id: CaseId, body: MemberIn, principal: WriterDep, db: DbDep, analytics: AnalyticsDep
) -> CaseDetail:
    """Add an entity of the workspace; a decision made before no longer covers the case."""
    services.add_member(
        db, principal.user, case_id, body.side, body.entity_id, body.alert_id, entities=analytics
    )
    return case_detail(db, case_id)


@router.post("/{case_id}/assign", response_model=CaseDetail)
def assign_case(case_id: CaseId, body: AssignIn, principal: WriterDep, db: DbDep) -> CaseDetail:
    """Set the assignees (and optionally the owner), with a reason; owner or supervisors."""
    names = body.assignees if body.assignees is not None else [body.assignee or ""]
    services.assign(db, principal.user, case_id, [n for n in names if n], body.reason, body.owner)
    return case_detail(db, case_id)


@router.post("/{case_id}/comments", response_model=CaseDetail, status_code=201)
def comment_case(case_id: CaseId, body: CommentIn, principal: WriterDep, db: DbDep) -> CaseDetail:
    services.comment(db, principal.user, case_id, body.body)
    return case_detail(db, case_id)


@router.post("/{case_id}/decisions", response_model=CaseDetail, status_code=201)
def decide_case(case_id: CaseId, body: DecisionIn, principal: WriterDep, db: DbDep) -> CaseDetail:
    """Record confirmed / false_positive / needs_information with a rationale."""
    services.decide(db, principal.user, case_id, body.decision, body.rationale)
    return case_detail(db, case_id)


@router.post("/{case_id}/review", response_model=CaseDetail)
def review_case(case_id: CaseId, body: ReviewIn, principal: WriterDep, db: DbDep) -> CaseDetail:
    """A supervisor approves (or returns, with a note) the latest decision."""
    services.review(db, principal.user, case_id, body.approve, body.note)
    return case_detail(db, case_id)


@router.post("/{case_id}/close", response_model=CaseDetail)
def close_case(case_id: CaseId, principal: WriterDep, db: DbDep) -> CaseDetail:
    """Close with the latest decision; confirmed only after an approving supervisor review."""
    services.close(db, principal.user, case_id)
    return case_detail(db, case_id)


@router.get("/{case_id}/narrative", response_model=NarrativeView)
def get_narrative(
    case_id: CaseId, principal: PrincipalDep, db: DbDep, analytics: AnalyticsDep
) -> NarrativeView:
    """The STR/SAR narrative: every version, and a draft generated from the evidence."""
    return narrative_view(db, analytics, principal, case_id)


@router.post("/{case_id}/narrative", response_model=CaseDetail, status_code=201)
def save_narrative(
    case_id: CaseId, body: NarrativeIn, principal: WriterDep, db: DbDep
) -> CaseDetail:
    """A new version of the narrative (owner and assignees); a decision made on an earlier one
    no longer covers the case."""
    services.save_narrative(db, principal.user, case_id, body.body)
    return case_detail(db, case_id)
