"""The workspace's reporting settings (reporting entity, transmode and institution codes), the
ones ``bantay config`` sets: read and changed by administrators, each change audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from bantay.export import settings as reporting
from bantay.web.deps import AdminDep, AdminWriterDep, DbDep, Principal, SettingsDep
from bantay.web.settings import WebSettings

router = APIRouter(prefix="/settings", tags=["settings"])


class SettingIn(BaseModel):
    key: Annotated[str, Field(min_length=3, max_length=200, examples=["goaml.rentity_id"])]
    value: Annotated[str, Field(max_length=500, description="An empty value removes it.")] = ""


def change_setting(
    db: Session, settings: WebSettings, principal: Principal, key: str, value: str
) -> dict[str, str]:
    """Check and store one reporting setting; audited with its value before and after."""
    if not value.strip():
        reporting.check_key(key)  # removing: the key must still be one
    before = reporting.flat(settings.workspace).get(key)
    reporting.set_reporting(settings.workspace, key, value)
    after = reporting.flat(settings.workspace)
    principal.audit(
        db, "setting_changed", "setting", key[:300], {"before": before, "after": after.get(key)}
    )
    return after


@router.get("/reporting", response_model=dict[str, str])
def get_reporting(principal: AdminDep, settings: SettingsDep) -> dict[str, str]:
    """Every reporting setting (the keys `bantay config` takes), with the shipped transmode codes."""
    return reporting.flat(settings.workspace)


@router.post("/reporting", response_model=dict[str, str])
def set_reporting(
    body: SettingIn, principal: AdminWriterDep, db: DbDep, settings: SettingsDep
) -> dict[str, str]:
    """Set one reporting setting (`goaml.rentity_id`, `goaml.transmode.card`,
    `institution.NAME.swift`, ...); an empty value removes it. Administrators only; audited."""
    return change_setting(db, settings, principal, body.key, body.value)
