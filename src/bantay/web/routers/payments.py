"""The transaction explorer, per entity and per case; choosing a case's evidence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bantay.cases import services
from bantay.cases.analytics import Analytics
from bantay.errors import Invalid, NotFound
from bantay.export.case import gather, reporting_currency
from bantay.export.explore import PaymentFilter, explore, rows_csv
from bantay.web.deps import AnalyticsDep, DbDep, Principal, PrincipalDep, WriterDep
from bantay.web.routers.cases import case_detail
from bantay.web.schemas import MAX_ID, CaseDetail, Side

router = APIRouter(tags=["payments"])
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="The case number.")]


def payment_filter(
    channel: Annotated[str, Query(max_length=40)] = "",
    counterparty: Annotated[str, Query(max_length=200, description="name contains")] = "",
    country: Annotated[str, Query(max_length=10, description="the counterparty's")] = "",
    date_from: Annotated[str, Query(max_length=10, description="YYYY-MM-DD (UTC)")] = "",
    date_to: Annotated[str, Query(max_length=10, description="YYYY-MM-DD (UTC), inclusive")] = "",
    indicator: Annotated[str, Query(max_length=60, description="only payments behind it")] = "",
    evidence: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
) -> PaymentFilter:
    return PaymentFilter(channel, counterparty, country, date_from, date_to, indicator, evidence)


FilterDep = Annotated[PaymentFilter, Depends(payment_filter)]


class PaymentRow(BaseModel):
    institution: str
    transaction_id: str
    ts_utc: Any
    amount: Any
    currency: str | None
    amount_reporting: Any
    channel: str
    payer_name: str | None
    payer_country: str | None
    beneficiary_name: str | None
    beneficiary_country: str | None
    merchant_name: str | None = None
    counterparty: str
    counterparty_country: str
    indicators: list[str]
    in_evidence: bool


class PaymentList(BaseModel):
    data: list[PaymentRow]
    count: int
    n_total: int = Field(description="All the payments, before filtering.")
    n_evidence: int = Field(description="Payments in the evidence (case) or behind indicators.")
    indicators: dict[str, int] = Field(description="Fired indicator -> payments it counted.")


class EvidenceIn(BaseModel):
    institution: str = Field(min_length=1, max_length=100)
    transaction_id: str = Field(min_length=1, max_length=200)
    included: bool = Field(description="True: add to the case's evidence; false: remove.")


def case_payments(
    db: Session, analytics: Analytics, principal: Principal, case_id: int, f: PaymentFilter
) -> dict[str, Any]:
    """A case's payments with its evidence (default, plus the analysts' choices); audited."""
    services.get_case(db, case_id)
    members = [(str(s), str(e)) for s, e, _a in services.subject_of(db, case_id)]
    g = gather(analytics, members, reporting_currency(analytics))
    chosen = set(g.chosen)
    for k, included in services.case_evidence(db, case_id).items():
        (chosen.add if included else chosen.discard)(k)
    out = explore(g, members, f, chosen)
    principal.audit(db, "view", "case", str(case_id), {"payments": f.as_dict()})
    return out


def entity_payments(
    db: Session,
    analytics: Analytics,
    principal: Principal,
    side: str,
    entity_id: str,
    f: PaymentFilter,
) -> dict[str, Any]:
    """An entity's payments on its side; "evidence" is the payments behind its indicators."""
    if side not in services.SIDES:
        raise Invalid("side: must be payer or beneficiary")
    if not analytics.exists(side, entity_id):
        raise NotFound(f"no {side} entity {entity_id!r}")
    g = gather(analytics, [(side, entity_id)], reporting_currency(analytics))
    out = explore(g, [(side, entity_id)], f, g.chosen)
    principal.audit(db, "view", "entity", f"{side}:{entity_id}", {"payments": f.as_dict()})
    return out


def _listed(out: dict[str, Any]) -> PaymentList:
    return PaymentList(
        data=[PaymentRow.model_validate(r) for r in out["rows"]],
        count=len(out["rows"]),
        n_total=out["n_total"],
        n_evidence=out["n_evidence"],
        indicators={k: v[0] for k, v in out["indicators"].items()},
    )


def csv_download(
    db: Session, principal: Principal, rows: list[dict[str, Any]], what: str, name: str
) -> PlainTextResponse:
    """The rows as a CSV download (cells neutralised); audited as an export."""
    text = rows_csv(rows)
    principal.audit(db, "export", "payments", what, {"rows": len(rows)})
    return PlainTextResponse(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/cases/{case_id}/payments", response_model=PaymentList)
def list_case_payments(
    case_id: CaseId, f: FilterDep, principal: PrincipalDep, db: DbDep, analytics: AnalyticsDep
) -> PaymentList:
    """The case members' payments, filtered, with the indicators behind each and whether it is
    in the case's evidence (what every export reports)."""
    return _listed(case_payments(db, analytics, principal, case_id, f))


@router.get("/cases/{case_id}/payments.csv", response_class=PlainTextResponse)
def case_payments_csv(
    case_id: CaseId, f: FilterDep, principal: PrincipalDep, db: DbDep, analytics: AnalyticsDep
) -> PlainTextResponse:
    out = case_payments(db, analytics, principal, case_id, f)
    return csv_download(
        db, principal, out["rows"], f"case:{case_id}", f"bantay-case-{case_id}-payments.csv"
    )


@router.post("/cases/{case_id}/evidence", response_model=CaseDetail)
def choose_case_evidence(
    case_id: CaseId, body: EvidenceIn, principal: WriterDep, db: DbDep, analytics: AnalyticsDep
) -> CaseDetail:
    """Add a member's payment to the case's evidence, or remove one; a decision made before no
    longer covers the case."""
    services.choose_evidence(
        db,
        principal.user,
        case_id,
        body.institution,
        body.transaction_id,
        body.included,
        payments=analytics,
    )
    return case_detail(db, case_id)


@router.get("/entities/{side}/{entity_id}/payments", response_model=PaymentList)
def list_entity_payments(
    side: Side,
    entity_id: Annotated[str, Path(max_length=200)],
    f: FilterDep,
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
) -> PaymentList:
    """The entity's payments on its side, filtered, with the indicators behind each."""
    return _listed(entity_payments(db, analytics, principal, side, entity_id, f))


@router.get("/entities/{side}/{entity_id}/payments.csv", response_class=PlainTextResponse)
def entity_payments_csv(
    side: Side,
    entity_id: Annotated[str, Path(max_length=200)],
    f: FilterDep,
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
) -> PlainTextResponse:
    out = entity_payments(db, analytics, principal, side, entity_id, f)
    return csv_download(
        db, principal, out["rows"], f"{side}:{entity_id}", "bantay-entity-payments.csv"
    )
