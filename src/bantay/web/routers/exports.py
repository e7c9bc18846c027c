"""Exports: the analysts' dispositions as training labels; a case in each report format."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session

from bantay.cases import services
from bantay.cases.analytics import Analytics
from bantay.export.case import audit_export, read_case, reporting_currency
from bantay.export.download import Download, render
from bantay.export.goaml import ReportingEntity
from bantay.web.deps import (
    AnalyticsDep,
    DbDep,
    Principal,
    SettingsDep,
    SupervisorDep,
    SupervisorWriterDep,
)
from bantay.web.schemas import MAX_ID
from bantay.web.settings import WebSettings

router = APIRouter(prefix="/exports", tags=["exports"])

ExportFormat = Literal["goaml", "fincen", "ftm", "pack"]


@router.get(
    "/labels.csv",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_labels(principal: SupervisorDep, db: DbDep) -> PlainTextResponse:
    """The analysts' dispositions as `side,entity_id,label` for `bantay train --labels FILE`:
    reviewed case outcomes, and alerts closed in triage as explained (not offenders) whose closing
    a supervisor other than who closed them confirmed."""
    text = services.labels_csv(db, principal.user)
    return PlainTextResponse(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="bantay-labels.csv"'},
    )


def export_case_file(
    db: Session,
    analytics: Analytics,
    settings: WebSettings,
    principal: Principal,
    case_id: int,
    fmt: str,
) -> Response:
    """Build one format of a case as a download; audited with who, format and the file's hash.

    Only supervisors export: a report takes personal data out of the app's access control.
    """
    services.require_role(principal.user, "supervisor")
    # export errors (unknown or empty case, invalid report) map to 404 / 409 / 422 in web.errors
    entity = None
    if fmt == "goaml":
        entity = (
            ReportingEntity.from_toml(settings.goaml_settings)
            if settings.goaml_settings
            else ReportingEntity.from_workspace(settings.workspace)
        )
    data = read_case(db, analytics, case_id, reporting_currency(analytics))
    out: Download = render(
        data, fmt, username=principal.user.username, entity=entity, xsd=settings.goaml_xsd
    )
    audit_export(
        db,
        case_id,
        fmt,
        out.body,
        username=principal.user.username,
        user_id=principal.user.id,
        target=f"download:{out.filename}",
    )
    return Response(
        out.body,
        media_type=out.media_type,
        headers={"Content-Disposition": f'attachment; filename="{out.filename}"'},
    )


@router.post(
    "/cases/{case_id}/{fmt}",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/xml": {},
                "application/zip": {},
                "application/x-ndjson": {},
                "text/html": {},
            }
        }
    },
)
def export_case(
    case_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    fmt: ExportFormat,
    principal: SupervisorWriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
    settings: SettingsDep,
) -> Response:
    """A case as a goAML STR (validated), a FinCEN SAR draft (zip: narrative + CSV), FtM JSON
    lines or a self-contained HTML referral pack; supervisors only, audited."""
    return export_case_file(db, analytics, settings, principal, case_id, fmt)
