"""Global search: any entity, alerted or not, by name variant, account, phone, customer reference;
and everyone who shares one identifier. Each search is audited as a view of personal data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from bantay.cases import services
from bantay.cases.analytics import Analytics
from bantay.web.deps import AnalyticsDep, DbDep, Principal, PrincipalDep

router = APIRouter(prefix="/search", tags=["search"])


class SearchRecord(BaseModel):
    party_record_id: str
    kind: str
    institution: str | None
    customer_ref: str | None
    name: str | None
    residence_country: str | None
    phone: str | None
    account_id: str | None


class SearchHit(BaseModel):
    entity_id: str
    name: str
    sides: list[str]
    scores: dict[str, float]
    alerted: list[str]
    matched: list[str]
    records: list[SearchRecord]


class SearchResult(BaseModel):
    query: dict[str, str]
    data: list[SearchHit]
    count: int


def _result(
    db: Session, principal: Principal, query: dict[str, str], hits: list[dict[str, Any]]
) -> SearchResult:
    principal.audit(
        db,
        "view",
        "search",
        " ".join(query.values())[:300],
        {"query": query, "entities": [h["entity_id"] for h in hits][:500]},
    )
    return SearchResult(
        query=query, data=[SearchHit.model_validate(h) for h in hits], count=len(hits)
    )


def search_entities(
    db: Session, analytics: Analytics, principal: Principal, q: str
) -> SearchResult:
    return _result(db, principal, {"q": q}, analytics.search(q))


def shared_identifier(
    db: Session, analytics: Analytics, principal: Principal, field: str, value: str
) -> SearchResult:
    services.text_field(value, "value", max_len=200, single_line=True)
    return _result(db, principal, {"field": field, "value": value}, analytics.sharing(field, value))


@router.get("", response_model=SearchResult)
def search(
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
    q: Annotated[
        str,
        Query(
            min_length=2,
            max_length=200,
            description="a name or part of one, an account, a phone, a customer reference, an id",
        ),
    ],
) -> SearchResult:
    """Entities with a record matching ``q`` (alerted or not), best score first."""
    return search_entities(db, analytics, principal, q)


@router.get("/shared", response_model=SearchResult)
def shared(
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
    field: Annotated[str, Query(pattern="^(account_id|phone|customer_ref|email|id_document)$")],
    value: Annotated[str, Query(min_length=1, max_length=200)],
) -> SearchResult:
    """Everyone with a record holding this identifier."""
    return shared_identifier(db, analytics, principal, field, value)
