"""The alert queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from bantay.cases import triage
from bantay.cases.analytics import Analytics, QueueFilter, QueuePage
from bantay.web.deps import (
    AnalyticsDep,
    DbDep,
    Principal,
    PrincipalDep,
    SettingsDep,
    WriterDep,
    sync_statuses,
)
from bantay.web.schemas import (
    AlertList,
    AlertRow,
    TriageAssignIn,
    TriageCloseIn,
    TriageConfirmIn,
    TriageDone,
    TriageReopenIn,
)
from bantay.web.settings import WebSettings

router = APIRouter(prefix="/alerts", tags=["alerts"])


def read_queue(
    db: Session,
    analytics: Analytics,
    principal: Principal,
    settings: WebSettings,
    f: QueueFilter,
    sort: str,
    order: str,
    after: str | None,
    limit: int | None,
) -> tuple[QueuePage, list[str]]:
    """One page of the queue with each entity's workflow status; the view is audited."""
    sync_statuses(db, analytics)
    page = analytics.queue(
        f, sort=sort, descending=order != "asc", after=after, limit=limit or settings.page_size
    )
    keys = [(r["side"], r["entity_id"]) for r in page.rows]
    statuses = [str(r.pop("status")) for r in page.rows]
    principal.audit(
        db,
        "view",
        "alert_queue",
        "alerts",
        {
            "filters": f.as_dict(),
            "sort": sort,
            "order": order,
            "after": after,
            "entities": [f"{s}:{e}" for s, e in keys],
        },
    )
    return page, statuses


@router.get("", response_model=AlertList)
def list_alerts(
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
    settings: SettingsDep,
    side: Annotated[str | None, Query(max_length=20)] = None,
    band: Annotated[
        str | None, Query(max_length=20, description="high (≥0.8), medium, low (<0.5)")
    ] = None,
    indicator: Annotated[str | None, Query(max_length=100)] = None,
    country: Annotated[str | None, Query(max_length=100)] = None,
    institution: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[
        str | None,
        Query(max_length=20, description="new, in_case, pending_review, confirmed, false_positive"),
    ] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="name contains, or exact entity id")
    ] = None,
    triage: Annotated[
        str | None,
        Query(
            max_length=30,
            description="open, closed (in triage), or awaiting_confirmation (closed with a "
            "label-giving reason, not yet confirmed by a supervisor)",
        ),
    ] = None,
    assignee: Annotated[
        str | None, Query(max_length=64, description="user name the alert is assigned to")
    ] = None,
    sort: Annotated[
        str, Query(max_length=20, description="score, name, country, institution, entity")
    ] = "score",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    after: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int | None, Query(ge=1, le=500)] = None,
) -> AlertList:
    """Alerts of the latest scan, filtered and sorted, one keyset page at a time."""
    f = QueueFilter(side, band, indicator, country, institution, status, q, triage, assignee)
    page, statuses = read_queue(db, analytics, principal, settings, f, sort, order, after, limit)
    return AlertList(
        data=[AlertRow(**r, status=st) for r, st in zip(page.rows, statuses, strict=True)],
        count=page.count,
        next_cursor=page.next_cursor,
        facets=page.facets,
    )


@router.post("/triage/assign", response_model=TriageDone)
def assign_alerts(
    body: TriageAssignIn, principal: WriterDep, db: DbDep, analytics: AnalyticsDep
) -> TriageDone:
    """Assign alerts (yourself; supervisors anyone), or unassign them (`assignee` null)."""
    ids = triage.assign(db, principal.user, body.alert_ids, body.assignee, alerts=analytics)
    return TriageDone(alert_ids=ids)


@router.post("/triage/close", response_model=TriageDone)
def close_alerts(
    body: TriageCloseIn, principal: WriterDep, db: DbDep, analytics: AnalyticsDep
) -> TriageDone:
    """Close alerts without a case, with a reason code (bulk: up to 500)."""
    ids = triage.close(
        db, principal.user, body.alert_ids, body.reason_code, body.note, alerts=analytics
    )
    return TriageDone(alert_ids=ids)


@router.post("/triage/confirm", response_model=TriageDone)
def confirm_closings(
    body: TriageConfirmIn, principal: WriterDep, db: DbDep, analytics: AnalyticsDep
) -> TriageDone:
    """Confirm closings with a label-giving reason (`explained_*`), so that they become training
    labels: supervisors only, never one's own closing (bulk: up to 500)."""
    ids = triage.confirm(db, principal.user, body.alert_ids, body.note)
    return TriageDone(alert_ids=ids)


@router.post("/{alert_id}/reopen", response_model=TriageDone)
def reopen_alert(
    alert_id: Annotated[str, Path(max_length=64)],
    body: TriageReopenIn,
    principal: WriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
) -> TriageDone:
    """Reopen an alert closed in triage (who closed it, or a supervisor), with a note; a
    confirmation of its closing is void (it gives no label until closed and confirmed again)."""
    triage.reopen(db, principal.user, alert_id, body.note, alerts=analytics)
    return TriageDone(alert_ids=[alert_id])


@router.get("/triage/reasons", response_model=dict[str, str])
def reason_codes(principal: PrincipalDep) -> dict[str, str]:
    """The reason codes a triage closing takes, with what each means."""
    return {k: v[0] for k, v in triage.REASON_CODES.items()}
