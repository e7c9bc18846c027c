"""The alert queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from bantay.cases.analytics import Analytics, QueueFilter, QueuePage
from bantay.web.deps import AnalyticsDep, DbDep, Principal, PrincipalDep, SettingsDep, sync_statuses
from bantay.web.schemas import AlertList, AlertRow
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
    f = QueueFilter(side, band, indicator, country, institution, status, q)
    page, statuses = read_queue(db, analytics, principal, settings, f, sort, order, after, limit)
    return AlertList(
        data=[AlertRow(**r, status=st) for r, st in zip(page.rows, statuses, strict=True)],
        count=page.count,
        next_cursor=page.next_cursor,
        facets=page.facets,
    )
