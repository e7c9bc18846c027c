"""``POST /api/reports``: platform reports in, authenticated by a per-platform token.

HTTP only: validation and storage are :mod:`bantay.reports`. The order of the checks: the body
limit (middleware, 413, before anything is read), the platform token (401), the platform's rate
(429), the content type (415: JSON only, never a form or an upload), then the report (422 naming
each field). A new report is answered 201, the same ``platform_report_id`` again 200.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bantay.cases.models import Platform
from bantay.errors import NotAuthenticated, Throttled
from bantay.reports.limits import RateLimit
from bantay.reports.model import NotJson, ReportInvalid, parse_report
from bantay.reports.store import platform_of_token, receive
from bantay.web.deps import DbDep, SettingsDep

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
