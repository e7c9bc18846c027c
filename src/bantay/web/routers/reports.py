"""``POST /api/reports``: platform reports in, authenticated by a per-platform token.

HTTP only: validation and storage are :mod:`bantay.reports`. The order of the checks: the body
limit (middleware, 413, before anything is read), the platform token (401), the platform's rate
(429), the content type (415: JSON only, never a form or an upload), then the report (422 naming
each field). A new report is answered 201, the same ``platform_report_id`` again 200.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bantay.cases.analytics import Analytics
from bantay.cases.models import Platform
from bantay.errors import NotAuthenticated, Throttled
from bantay.reports import triage
from bantay.reports.limits import RateLimit
from bantay.reports.model import NotJson, ReportInvalid, parse_report
from bantay.reports.store import platform_of_token, receive
from bantay.reports.triage import AccountRow
from bantay.web.deps import AnalyticsDep, DbDep, Principal, PrincipalDep, SettingsDep, WriterDep

router = APIRouter(prefix="/reports", tags=["reports"])


class ReportReceipt(BaseModel):
    """What the platform gets back: Bantay's report number and whether it was new."""

    report_id: int = Field(description="Bantay's number of the report.")
    platform_report_id: str = Field(description="The platform's id, as sent.")
    status: str = Field(description="`received` (201) or `repeat` (200: already received).")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ReportErrors(BaseModel):
    detail: list[FieldError]


def _limiter(request: Request, settings: SettingsDep) -> RateLimit:
    lim: RateLimit | None = getattr(request.app.state, "report_limit", None)
    if lim is None:
        lim = RateLimit(settings.reports_per_minute)
        request.app.state.report_limit = lim
    return lim


def get_platform(request: Request, db: DbDep, settings: SettingsDep) -> Platform:
    """The platform whose token the request carries (401 without a valid one), within its rate."""
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise NotAuthenticated("send the platform's token: Authorization: Bearer TOKEN")
    p = platform_of_token(db, settings.secret_key.get_secret_value(), auth[7:].strip()[:200])
    if p is None:
        raise NotAuthenticated("invalid or revoked platform token")
    wait = _limiter(request, settings).allow(p.id)
    if wait:
        raise Throttled(f"over {settings.reports_per_minute} reports a minute", wait)
    return p


PlatformDep = Annotated[Platform, Depends(get_platform)]


async def json_body(request: Request, _platform: PlatformDep) -> bytes:
    """The raw JSON body; a form, a multipart upload or any other type is refused (415)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype.startswith("multipart/") or ctype == "application/x-www-form-urlencoded":
        raise NotJson(
            "no files or uploads are accepted: a report is JSON, with hashes (pdq, md5, sha1) "
            "in place of any media"
        )
    if ctype != "application/json":
        raise NotJson(f"a report is sent as application/json (got {ctype or 'no type'})")
    return await request.body()


@router.post(
    "",
    status_code=201,
    response_model=ReportReceipt,
    responses={
        200: {"model": ReportReceipt, "description": "The same report was received before."},
        401: {"description": "No token, or an unknown or revoked one."},
        409: {"description": "The platform_report_id was received with other content."},
        413: {"description": "The body is over the limit (64 KiB)."},
        415: {"description": "Not JSON: a form, a file or a multipart upload."},
        422: {"model": ReportErrors, "description": "Each field that does not fit the schema."},
        429: {"description": "Over the platform's rate; Retry-After says when to retry."},
    },
)
def receive_report(
    platform: PlatformDep, body: Annotated[bytes, Depends(json_body)], db: DbDep
) -> Any:
    """Receive one platform report (the JSON of `src/bantay/schema/platform_report.yaml`)."""
    try:
        report = parse_report(body)
        got = receive(db, platform, report)
    except ReportInvalid as exc:
        return JSONResponse({"detail": exc.errors}, 422)
    receipt = ReportReceipt(
        report_id=got.report.id,
        platform_report_id=got.report.platform_report_id,
        status="received" if got.created else "repeat",
    )
    return JSONResponse(
        receipt.model_dump(),
        201 if got.created else 200,
        headers={"Location": f"/api/reports/{got.report.id}"},
    )


# ---- triage: the analysts' side -------------------------------------------------------------


class QueueReport(BaseModel):
    id: int
    platform_report_id: str
    category: str
    received_at: str
    linked: list[list[str]]


class QueueRow(BaseModel):
    rank: int
    platform: str
    reported_user_id: str
    screen_names: list[str]
    n_reports: int
    categories: list[str]
    ongoing: bool
    linked: list[list[str]] = Field(description="[side, entity_id] pairs the reports reach.")
    cases: list[int]
    why: str
    reports: list[QueueReport]


class QueueList(BaseModel):
    data: list[QueueRow]
    count: int


class OpenCase(BaseModel):
    platform: str = Field(max_length=100)
    reported_user_id: str = Field(max_length=200)


def queue_rows(
    db: Session, analytics: Analytics, principal: Principal, linked_only: bool = False
) -> list[AccountRow]:
    """The ranked report queue; reading it (report texts, accounts) is audited."""
    rows = triage.queue(db, analytics.report_entities(), linked_only=linked_only)
    principal.audit(db, "view", "reports", "queue", {"rows": len(rows)})
    return rows


@router.get("", response_model=QueueList)
def report_queue(
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
    linked: Annotated[bool, Query(description="Only accounts linked to the money.")] = False,
) -> QueueList:
    """The report queue: reports merged per reported account, ranked (linked money, repeat
    reports, category)."""
    rows = queue_rows(db, analytics, principal, linked)
    return QueueList(
        data=[
            QueueRow(
                rank=r.rank,
                platform=r.platform,
                reported_user_id=r.reported_user_id,
                screen_names=r.screen_names,
                n_reports=r.n_reports,
                categories=r.categories,
                ongoing=r.ongoing,
                linked=[list(p) for p in r.linked],
                cases=r.cases,
                why=r.why(),
                reports=[
                    QueueReport(
                        id=x["id"],
                        platform_report_id=x["platform_report_id"],
                        category=x["category"],
                        received_at=str(x["received_at"]),
                        linked=[list(p) for p in x["linked"]],
                    )
                    for x in r.reports
                ],
            )
            for r in rows
        ],
        count=len(rows),
    )


@router.post("/case", status_code=201)
def open_report_case(
    body: OpenCase, principal: WriterDep, db: DbDep, analytics: AnalyticsDep
) -> dict[str, int]:
    """Open a case from a reported account: its reports, and the entities they link to."""
    c = triage.open_case(
        db,
        principal.user,
        body.platform,
        body.reported_user_id,
        analytics.report_entities(),
        entities=analytics,
    )
    return {"case_id": c.id}


pages_router = APIRouter(include_in_schema=False)


@pages_router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
    linked: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    from bantay.web.routers.pages import render

    rows = queue_rows(db, analytics, principal, linked)
    return render(request, "reports.html", me=principal, rows=rows, linked=linked)


@pages_router.post("/reports/case")
def reports_open_case(
    principal: WriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
    platform: Annotated[str, Form(max_length=100)],
    reported_user_id: Annotated[str, Form(max_length=200)],
) -> RedirectResponse:
    c = triage.open_case(
        db,
        principal.user,
        platform,
        reported_user_id,
        analytics.report_entities(),
        entities=analytics,
    )
    return RedirectResponse(f"/cases/{c.id}", status_code=303)
