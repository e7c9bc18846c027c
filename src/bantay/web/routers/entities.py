"""One entity: who, why, money over time, network."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from bantay.cases import services
from bantay.cases.analytics import Analytics
from bantay.errors import Invalid
from bantay.web.deps import AnalyticsDep, DbDep, Principal, PrincipalDep
from bantay.web.schemas import EntityView, Side

router = APIRouter(prefix="/entities", tags=["entities"])


#: Nodes an analyst may widen the network from at once (each adds one hop of counterparties).
MAX_EXPAND = 8


def parse_expand(raw: str | None) -> list[tuple[str, str]]:
    """``expand``: comma-separated ``side:entity_id`` of drawn nodes to widen by one hop."""
    out: list[tuple[str, str]] = []
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        side, sep, entity_id = item.strip().partition(":")
        if not sep or side not in services.SIDES or not entity_id:
            raise Invalid(f"expand: {item!r} is not side:entity_id (side payer or beneficiary)")
        if len(entity_id) > services.MAX_ENTITY_ID:
            raise Invalid(f"expand: entity_id of 1 to {services.MAX_ENTITY_ID} characters")
        out.append((side, entity_id))
    if len(out) > MAX_EXPAND:
        raise Invalid(f"expand: at most {MAX_EXPAND} nodes at once")
    return list(dict.fromkeys(out))


def read_entity(
    db: Session,
    analytics: Analytics,
    principal: Principal,
    side: str,
    entity_id: str,
    expand: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Everything the entity page shows; the view of personal data is audited. ``expand``:
    network nodes widened by one hop (:func:`parse_expand`)."""
    if side not in services.SIDES:
        raise Invalid("side: must be payer or beneficiary")
    if not entity_id or len(entity_id) > services.MAX_ENTITY_ID:
        raise Invalid(f"entity_id: 1 to {services.MAX_ENTITY_ID} characters")
    detail = analytics.entity(side, entity_id)
    money = analytics.money(side, entity_id)
    net = analytics.network(side, entity_id, expand=expand or ())
    status = services.entity_statuses(db, [(side, entity_id)]).get((side, entity_id), "new")
    principal.audit(db, "view", "entity", f"{side}:{entity_id}")
    return {
        "side": side,
        "entity_id": entity_id,
        "status": status,
        "detail": detail,
        "money": money,
        "network": net,
    }


@router.get("/{side}/{entity_id}", response_model=EntityView)
def get_entity(
    side: Side,
    entity_id: Annotated[str, Path(max_length=200)],
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
) -> EntityView:
    return EntityView(**read_entity(db, analytics, principal, side, entity_id))
