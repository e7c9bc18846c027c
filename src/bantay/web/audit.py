"""The audit trail: an append-only, hash-chained log of views of personal data, decisions, exports.

Each entry's ``hash`` is SHA-256 over the previous entry's hash and the entry's own fields, so
changing, inserting or deleting any entry breaks the chain from that point on; :func:`verify` finds
the first broken link. The database also refuses UPDATE and DELETE on the table (a trigger).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantay.web.models import AuditEntry, utcnow

GENESIS = "0" * 64
_lock = threading.Lock()


def entry_hash(
    prev_hash: str,
    at: dt.datetime,
    user_id: int | None,
    username: str,
    action: str,
    object_type: str,
    object_id: str,
    detail: str,
) -> str:
    payload = json.dumps(
        [prev_hash, at.isoformat(), user_id, username, action, object_type, object_id, detail],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    db: Session,
    *,
    user_id: int | None,
    username: str,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry and commit (the caller's pending changes are committed with it)."""
    with _lock:
        last = db.execute(
            select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
        ).scalar_one_or_none()
        prev = last or GENESIS
        at = utcnow()
        d = json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), default=str)
        e = AuditEntry(
            at=at,
            user_id=user_id,
            username=username,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=d,
            prev_hash=prev,
            hash=entry_hash(prev, at, user_id, username, action, object_type, object_id, d),
        )
        db.add(e)
        db.commit()
    return e


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    first_bad_id: int | None = None
    problem: str = ""


def verify(db: Session) -> VerifyResult:
    """Walk the chain from the start; report the first entry whose link or hash does not hold."""
    prev = GENESIS
    n = 0
    for e in db.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        n += 1
        if e.prev_hash != prev:
            return VerifyResult(
                False, n, e.id, "previous-hash link broken (entry removed or inserted)"
            )
        h = entry_hash(
            e.prev_hash,
            e.at,
            e.user_id,
            e.username,
            e.action,
            e.object_type,
            e.object_id,
            e.detail,
        )
        if h != e.hash:
            return VerifyResult(False, n, e.id, "hash does not match the entry (entry altered)")
        prev = e.hash
    return VerifyResult(True, n)
