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
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from bantay.cases import audit
from bantay.cases.db import writing
from bantay.cases.models import Platform, PlatformReport, utcnow
from bantay.cases.security import new_token, token_hash
from bantay.errors import Conflict, Invalid, NotAuthenticated, NotFound, WorkflowError
from bantay.reports.model import ReportInvalid, canonical

PLATFORM_TOKEN_PREFIX = "btp_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")


def _who(p: PlatformLike) -> str:
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
    return platform_by_hash(db, token_hash(secret, raw))


def platform_by_hash(db: Session, digest: str) -> Platform | None:
    """The platform whose token has this keyed hash, unless revoked."""
    p = db.execute(select(Platform).where(Platform.token_hash == digest)).scalar_one_or_none()
    return p if p is not None and p.revoked_at is None else None


class PlatformLike(Protocol):
    """A platform as the intake needs it (the ORM row, or :class:`PlatformRef`)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class PlatformRef:
    """A platform's id and name, detached from any session (cached by the intake)."""

    id: int
    name: str


@dataclass(frozen=True)
class Received:
    """What became of one report: its number, and whether it was new (else a repeat)."""

    report_id: int
    platform_report_id: str
    created: bool


def _mismatch(platform: PlatformLike, given: object) -> ReportInvalid:
    return ReportInvalid(
        [
            {
                "loc": ["body", "platform"],
                "msg": f"the token is {platform.name!r}'s, not {given!r}'s",
                "type": "platform_mismatch",
            }
        ]
    )


def receive_many(
    db: Session, items: list[tuple[PlatformLike, BaseModel]]
) -> list[Received | WorkflowError]:
    """Store a batch of reports in one write transaction, each with its audit entry; per item,
    its receipt or the error that refused it (a platform mismatch, or the same
    ``platform_report_id`` with other content: refused and audited, never overwritten; a
    platform whose token was revoked meanwhile, checked in the same transaction).

    Within the batch, as across batches, the first of two reports with the same id is stored and
    a later one is its repeat (or its refusal)."""
    out: list[Received | WorkflowError] = [Invalid("not processed")] * len(items)
    prepared: list[tuple[int, PlatformLike, str, str, str, dict[str, Any]]] = []
    for i, (platform, report) in enumerate(items):
        data: dict[str, Any] = report.model_dump(mode="json", exclude_none=True)
        given = data.get("platform")
        if given is not None and given != platform.name:
            out[i] = _mismatch(platform, given)
            continue
        body = canonical(report)
        digest = hashlib.sha256(body.encode()).hexdigest()
        prepared.append((i, platform, str(data["platform_report_id"]), body, digest, data))
    if not prepared:
        return out
    with writing(db):
        active = set(
            db.execute(
                select(Platform.id).where(
                    Platform.id.in_({p.id for _, p, _, _, _, _ in prepared}),
                    Platform.revoked_at.is_(None),
                )
            ).scalars()
        )
        for i, p, *_ in prepared:
            if p.id not in active:
                out[i] = NotAuthenticated("invalid or revoked platform token")
        prepared = [x for x in prepared if x[1].id in active]
        keys = {(p.id, rid) for _, p, rid, _, _, _ in prepared}
        # (platform id, report id) -> (stored id or None while new in this batch, sha256)
        known: dict[tuple[int, str], tuple[int | None, str]] = {
            (int(pid), str(prid)): (int(rid_), str(sha))
            for rid_, pid, prid, sha in db.execute(
                select(
                    PlatformReport.id,
                    PlatformReport.platform_id,
                    PlatformReport.platform_report_id,
                    PlatformReport.sha256,
                ).where(
                    tuple_(PlatformReport.platform_id, PlatformReport.platform_report_id).in_(keys)
                )
            )
        }
        now = utcnow()
        new_rows: list[dict[str, Any]] = []
        # per prepared item: (index, key, kind: new | repeat | refused, audit entry)
        steps: list[tuple[int, tuple[int, str], str, dict[str, Any]]] = []
        for i, platform, rid, body, digest, data in prepared:
            k = (platform.id, rid)
            entry: dict[str, Any] = {
                "username": _who(platform),
                "object_type": "report",
                "object_id": "",
                "detail": {"platform_report_id": rid, "sha256": digest},
            }
            if k in known:
                kind = "repeat" if known[k][1] == digest else "refused"
                entry["action"] = f"report_{'repeated' if kind == 'repeat' else 'refused'}"
            else:
                kind = "new"
                known[k] = (None, digest)
                entry["action"] = "report_received"
                entry["detail"]["category"] = str(data["category"])
                new_rows.append(
                    {
                        "platform_id": platform.id,
                        "platform_report_id": rid,
                        "category": str(data["category"]),
                        "reported_user_id": str(data["reported_account"]["platform_user_id"]),
                        "received_at": now,
                        "body": body,
                        "sha256": digest,
                    }
                )
            steps.append((i, k, kind, entry))
        if new_rows:
            inserted = db.execute(
                insert(PlatformReport).returning(PlatformReport.id, sort_by_parameter_order=True),
                new_rows,
            ).scalars()
            for row, new_id in zip(new_rows, inserted, strict=True):
                k = (int(row["platform_id"]), str(row["platform_report_id"]))
                known[k] = (int(new_id), known[k][1])
        for i, k, kind, entry in steps:
            stored = known[k][0]
            assert stored is not None
            entry["object_id"] = str(stored)
            if kind == "refused":
                out[i] = Conflict(
                    f"platform_report_id {k[1]!r} was received already (report {stored}) with "
                    "other content; a correction needs a new platform_report_id"
                )
            else:
                out[i] = Received(stored, k[1], kind == "new")
        audit.append_many(db, [e for _, _, _, e in steps])
    return out


def receive(db: Session, platform: PlatformLike, report: BaseModel) -> Received:
    """Store one report (with its audit entry), or find it already stored; raises what refused it."""
    (got,) = receive_many(db, [(platform, report)])
    if isinstance(got, WorkflowError):
        raise got
    return got


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
