"""Exports: the analysts' dispositions as training labels."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from bantay.web import services
from bantay.web.deps import DbDep, SupervisorDep

router = APIRouter(prefix="/exports", tags=["exports"])


@router.get(
    "/labels.csv",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_labels(principal: SupervisorDep, db: DbDep) -> PlainTextResponse:
    """Closed cases' entities as `side,entity_id,label` for `bantay train --labels FILE`."""
    text = services.labels_csv(db, principal.user)
    return PlainTextResponse(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="bantay-labels.csv"'},
    )
