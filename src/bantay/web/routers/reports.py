"""``POST /api/reports``: platform reports in, authenticated by a per-platform token.

HTTP only: validation and storage are :mod:`bantay.reports`. The order of the checks: the body
limit (middleware, 413, before anything is read), the platform token (401), the platform's rate
(429), the content type (415: JSON only, never a form or an upload), then the report (422 naming
each field). A new report is answered 201, the same ``platform_report_id`` again 200.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bantay.cases import services
from bantay.cases.analytics import Analytics
from bantay.cases.security import token_hash
from bantay.errors import NotAuthenticated, Throttled
from bantay.export import cybertip
from bantay.export.case import audit_export
from bantay.reports import triage
from bantay.reports.intake import WAIT_S, Intake
from bantay.reports.limits import RateLimit
from bantay.reports.model import NotJson, ReportInvalid, parse_report
from bantay.reports.store import PLATFORM_TOKEN_PREFIX, PlatformRef, platform_by_hash
from bantay.reports.triage import AccountRow
from bantay.web.deps import AnalyticsDep, DbDep, Principal, PrincipalDep, SettingsDep, WriterDep
from bantay.web.schemas import MAX_ID
from bantay.web.settings import WebSettings

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


_MAKING = threading.Lock()


class _Intake:
    """Per app: the writer (group commit), the rate limit and the platforms already seen by
    token hash. A cached platform is re-checked against revocation in the writer's transaction
    (:func:`bantay.reports.store.receive_many`), so a revoked token stops at once."""

    def __init__(self, request: Request, settings: WebSettings) -> None:
        self.writer = Intake(request.app.state.sessions)
        self.limit = RateLimit(settings.reports_per_minute)
        self.platforms: dict[str, PlatformRef] = {}


def _state(request: Request) -> _Intake:
    with _MAKING:
        it: _Intake | None = getattr(request.app.state, "report_intake", None)
        if it is None:
            it = _Intake(request, request.app.state.settings)
            request.app.state.report_intake = it
    return it


def _lookup(request: Request, digest_of: str) -> PlatformRef | None:
    with request.app.state.workflow.session() as db:
        p = platform_by_hash(db, digest_of)
        return PlatformRef(p.id, p.name) if p is not None else None


async def platform_of(request: Request, it: _Intake) -> PlatformRef:
    """The platform whose token the request carries (401 without a valid one), within its rate."""
    settings: WebSettings = request.app.state.settings
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise NotAuthenticated("send the platform's token: Authorization: Bearer TOKEN")
    raw = auth[7:].strip()[:200]
    if not raw.startswith(PLATFORM_TOKEN_PREFIX):
        raise NotAuthenticated("invalid or revoked platform token")
    digest = token_hash(settings.secret_key.get_secret_value(), raw)
    p = it.platforms.get(digest)
    if p is None:
        p = await run_in_threadpool(_lookup, request, digest)
        if p is None:
            raise NotAuthenticated("invalid or revoked platform token")
        it.platforms[digest] = p
    wait = it.limit.allow(p.id)
    if wait:
        raise Throttled(f"over {settings.reports_per_minute} reports a minute", wait)
    return p


async def json_body(request: Request) -> bytes:
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
async def receive_report(request: Request) -> Any:
    """Receive one platform report (the JSON of `src/bantay/schema/platform_report.yaml`),
    authenticated by the platform's token (`Authorization: Bearer TOKEN`)."""
    it = _state(request)
    platform = await platform_of(request, it)
    body = await json_body(request)
    try:
        report = parse_report(body)
        got = await asyncio.wait_for(
            asyncio.wrap_future(it.writer.submit(platform, report)), WAIT_S
        )
    except ReportInvalid as exc:
        return JSONResponse({"detail": exc.errors}, 422)
    except TimeoutError:
        # not known to be stored: the platform retries with the same id (a repeat if it was)
        return JSONResponse(
            {"detail": "the report could not be written in time; retry with the same id"},
            503,
            headers={"Retry-After": "5"},
        )
    except NotAuthenticated:
        it.platforms = {k: v for k, v in it.platforms.items() if v.id != platform.id}
        raise
    receipt = ReportReceipt(
        report_id=got.report_id,
        platform_report_id=got.platform_report_id,
        status="received" if got.created else "repeat",
    )
    return JSONResponse(receipt.model_dump(), 201 if got.created else 200)


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


def _cybertip_download(
    db: Session, analytics: Analytics, settings: WebSettings, principal: Principal, case_id: int
) -> Response:
    """The case's CyberTipline XML as a download; supervisors only (personal data leaves the
    app), audited with its hash like every export."""
    services.require_role(principal.user, "supervisor")
    body = cybertip.render_case(db, analytics, case_id, settings.cybertip_reporter_email)
    name = f"bantay-case-{case_id}-cybertip.xml"
    audit_export(
        db,
        case_id,
        "cybertip",
        body,
        username=principal.user.username,
        user_id=principal.user.id,
        target=f"download:{name}",
    )
    return Response(
        body,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/cases/{case_id}/cybertip",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def export_cybertip(
    case_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
    principal: WriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
    settings: SettingsDep,
) -> Response:
    """A case's platform reports and payment evidence as a CyberTipline report (XML in the ISP
    web service's element order), for the platform to submit; supervisors only, audited."""
    return _cybertip_download(db, analytics, settings, principal, case_id)


@pages_router.post("/cases/{case_id}/export-cybertip", response_model=None)
def export_cybertip_page(
    case_id: Annotated[int, PathParam(ge=1, le=MAX_ID)],
    principal: WriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
    settings: SettingsDep,
) -> Response:
    return _cybertip_download(db, analytics, settings, principal, case_id)
