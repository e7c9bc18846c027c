"""Platforms and their reports in the workflow database: tokens, intake, reading back.

A platform is a principal of its own (not a user): ``add_platform`` makes it and its token (shown
once, stored as a keyed hash like users' API tokens), ``revoke_platform`` ends the token. ``receive``
stores a validated report and its audit entry in one write transaction; the same
``platform_report_id`` from the same platform is one report: sent again with the same content it is
answered as a repeat (and audited), with other content it is refused (nothing is overwritten).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantay.cases import audit
from bantay.cases.db import writing
from bantay.cases.models import Platform, PlatformReport, utcnow
from bantay.cases.security import new_token, token_hash
from bantay.errors import Conflict, Invalid, NotFound
from bantay.reports.model import ReportInvalid, canonical

PLATFORM_TOKEN_PREFIX = "btp_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")


def _who(p: Platform) -> str:
    return f"platform:{p.name}"[:64]


def add_platform(db: Session, secret: str, by: str, name: str) -> tuple[Platform, str]:
    """A new platform and its token (the only time the token is seen)."""
    name = name.strip()
    if not _NAME.match(name):
        raise Invalid(
            "name: 1-100 letters, digits, spaces, `. _ -`, starting with a letter or digit"
        )
    raw = new_token(PLATFORM_TOKEN_PREFIX)
    with writing(db):
        if db.execute(select(Platform.id).where(Platform.name == name)).first() is not None:
            raise Conflict(f"a platform named {name!r} exists already")
        p = Platform(name=name, token_hash=token_hash(secret, raw), prefix=raw[:8])
        db.add(p)
        db.flush()
        audit.append(
            db,
            user_id=None,
            username=by,
            action="platform_added",
            object_type="platform",
            object_id=name,
            detail={"prefix": p.prefix},
        )
    return p, raw


def list_platforms(db: Session) -> list[Platform]:
    return list(db.execute(select(Platform).order_by(Platform.name)).scalars())


def revoke_platform(db: Session, by: str, name: str) -> Platform:
    with writing(db):
        p = db.execute(select(Platform).where(Platform.name == name)).scalar_one_or_none()
        if p is None:
            raise NotFound(f"no platform named {name!r}")
        if p.revoked_at is None:
            p.revoked_at = utcnow()
            audit.append(
                db,
                user_id=None,
                username=by,
                action="platform_revoked",
                object_type="platform",
                object_id=name,
            )
    return p


def platform_of_token(db: Session, secret: str, raw: str) -> Platform | None:
    """The platform a token belongs to, if the token is known and not revoked."""
    if not raw.startswith(PLATFORM_TOKEN_PREFIX):
        return None
    p = db.execute(
        select(Platform).where(Platform.token_hash == token_hash(secret, raw))
    ).scalar_one_or_none()
    return p if p is not None and p.revoked_at is None else None


@dataclass(frozen=True)
class Received:
    report: PlatformReport
    created: bool


def receive(db: Session, platform: Platform, report: BaseModel) -> Received:
    """Store ``report`` from ``platform`` (with its audit entry), or find it already stored."""
    data: dict[str, Any] = report.model_dump(mode="json", exclude_none=True)
    given = data.get("platform")
    if given is not None and given != platform.name:
        raise ReportInvalid(
            [
                {
                    "loc": ["body", "platform"],
                    "msg": f"the token is {platform.name!r}'s, not {given!r}'s",
                    "type": "platform_mismatch",
                }
            ]
        )
    body = canonical(report)
    digest = hashlib.sha256(body.encode()).hexdigest()
    rid = str(data["platform_report_id"])
    conflict: int | None = None
    with writing(db):
        old = db.execute(
            select(PlatformReport).where(
                PlatformReport.platform_id == platform.id,
                PlatformReport.platform_report_id == rid,
            )
        ).scalar_one_or_none()
        if old is not None:
            same = old.sha256 == digest
            audit.append(
                db,
                user_id=None,
                username=_who(platform),
                action="report_repeated" if same else "report_refused",
                object_type="report",
                object_id=str(old.id),
                detail={"platform_report_id": rid, "sha256": digest},
            )
            if same:
                return Received(old, False)
            conflict = old.id
        else:
            r = PlatformReport(
                platform_id=platform.id,
                platform_report_id=rid,
                category=str(data["category"]),
                reported_user_id=str(data["reported_account"]["platform_user_id"]),
                received_at=utcnow(),
                body=body,
                sha256=digest,
            )
            db.add(r)
            db.flush()
            audit.append(
                db,
                user_id=None,
                username=_who(platform),
                action="report_received",
                object_type="report",
                object_id=str(r.id),
                detail={"platform_report_id": rid, "sha256": digest, "category": r.category},
            )
    if conflict is not None:
        # the refusal's audit entry is committed; nothing of the stored report changes
        raise Conflict(
            f"platform_report_id {rid!r} was received already (report {conflict}) with other "
            "content; a correction needs a new platform_report_id"
        )
    return Received(r, True)


def report_body(r: PlatformReport) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(r.body)
    return body


def get_report(db: Session, report_id: int) -> PlatformReport:
    r = db.get(PlatformReport, report_id)
    if r is None:
        raise NotFound(f"no report {report_id}")
    return r


def platform_names(db: Session) -> dict[int, str]:
    return {int(i): str(n) for i, n in db.execute(select(Platform.id, Platform.name))}
