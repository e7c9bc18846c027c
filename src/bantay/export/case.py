"""A case as every export reads it, and the audit entry every export writes.

:func:`read_case` works on an open workflow session and :class:`~bantay.cases.analytics.Analytics`
(the web app passes its own); :func:`load_case` opens both for the command line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantay.cases import audit
from bantay.cases.analytics import Analytics
from bantay.cases.db import open_workflow, workflow_url
from bantay.cases.models import AuditEntry, Case, CaseMember, Comment, Decision, User
from bantay.errors import BantayError, NotFound
from bantay.workspace import DEFAULT_SETTINGS


class ExportError(BantayError):
    """A case cannot be exported (unknown, empty, incomplete parties, invalid report)."""


class UnknownCase(ExportError):
    """No case with that number."""


class EmptyCase(ExportError):
    """The case has no members, or its members have no payments."""


@dataclass
class MemberView:
    """One member entity of the case: what its entity page shows (who, why, money, network)."""

    side: str
    entity_id: str
    #: :meth:`Analytics.entity` (None when the entity is not in the latest resolution or scan)
    detail: dict[str, Any] | None
    money: dict[str, Any]
    network: dict[str, Any]

    @property
    def fired(self) -> list[str]:
        """Indicator ids that fired for this entity (the latest alert's, else every hit)."""
        if self.detail is None:
            return []
        reasons = self.detail.get("reasons") or {}
        ids = [str(i["id"]) for i in reasons.get("indicators", [])]
        if not ids:
            ids = [str(h["indicator_id"]) for h in self.detail.get("indicator_hits", [])]
        return list(dict.fromkeys(ids))


@dataclass
class CaseData:
    case_id: int
    title: str
    members: list[tuple[str, str]]
    transactions: list[dict[str, Any]]
    currency: str
    status: str = "open"
    outcome: str | None = None
    views: list[MemberView] = field(default_factory=list)
    #: party records of the member entities (KYC and transaction sides), all columns
    records: list[dict[str, Any]] = field(default_factory=list)
    #: party record id -> resolved entity id, for every party of the case's payments
    entity_of: dict[str, str] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    #: the case's entries in the audit trail, oldest first
    trail: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fired(self) -> list[str]:
        """Indicator ids that fired for any member, in member order."""
        out: list[str] = []
        for v in self.views:
            out += v.fired
        return list(dict.fromkeys(out))


def reporting_currency(an: Analytics) -> str:
    """The workspace's reporting currency (``amount_reporting`` is in it), as open_workspace reads it."""
    row = (
        an.cursor()
        .execute("SELECT value FROM ws.bantay_meta WHERE key = 'setting.reporting_currency'")
        .fetchone()
    )
    return str(row[0]) if row and row[0] else DEFAULT_SETTINGS["reporting_currency"]


def read_case(db: Session, an: Analytics, case_id: int, currency: str) -> CaseData:
    """The case's members, their payments on their side (oldest first), evidence and trail."""
    case = db.get(Case, case_id)
    if case is None:
        raise UnknownCase(f"no case {case_id}")
    names = {u.id: u.username for u in db.execute(select(User)).scalars()}
    members = [
        (m.side, m.entity_id)
        for m in db.execute(
            select(CaseMember).where(CaseMember.case_id == case_id).order_by(CaseMember.id)
        ).scalars()
    ]
    if not members:
        raise EmptyCase(f"case {case_id} has no members: add a payer or beneficiary first")
    decisions = [
        {
            "at": d.created_at,
            "username": names.get(d.user_id, "?"),
            "decision": d.decision,
            "rationale": d.rationale,
            "reviewed_by": names.get(d.reviewed_by) if d.reviewed_by else None,
            "reviewed_at": d.reviewed_at,
            "review_approved": d.review_approved,
            "review_note": d.review_note,
        }
        for d in db.execute(
            select(Decision).where(Decision.case_id == case_id).order_by(Decision.id)
        ).scalars()
    ]
    comments = [
        {"at": c.created_at, "username": names.get(c.user_id, "?"), "body": c.body}
        for c in db.execute(
            select(Comment).where(Comment.case_id == case_id).order_by(Comment.id)
        ).scalars()
    ]
    trail = [
        {
            "id": e.id,
            "at": e.at,
            "username": e.username,
            "action": e.action,
            "detail": json.loads(e.detail or "{}"),
            "hash": e.hash,
        }
        for e in db.execute(
            select(AuditEntry)
            .where(AuditEntry.object_type == "case", AuditEntry.object_id == str(case_id))
            .order_by(AuditEntry.id)
        ).scalars()
    ]
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    views: list[MemberView] = []
    member_of: dict[str, str] = {}
    cur = an.cursor()
    for side, entity_id in members:
        pred, params = an.side_predicate(side, entity_id)
        cur.execute(f"SELECT t.* FROM ws.transactions t WHERE {pred}", params)
        cols = [d[0] for d in cur.description or []]
        for row in cur.fetchall():
            r = dict(zip(cols, row, strict=True))
            seen[(str(r["institution"]), str(r["transaction_id"]))] = r
        try:
            detail: dict[str, Any] | None = an.entity(side, entity_id)
        except NotFound:
            detail = None
        views.append(
            MemberView(
                side, entity_id, detail, an.money(side, entity_id), an.network(side, entity_id)
            )
        )
        member_of.update(dict.fromkeys(an.records_of(entity_id), entity_id))
    if not seen:
        raise EmptyCase(f"case {case_id} is empty: its members have no transactions")
    txs = sorted(seen.values(), key=lambda r: (r["ts_utc"], r["institution"], r["transaction_id"]))
    party_ids = {
        str(t[c]) for t in txs for c in ("payer_record_id", "beneficiary_record_id") if t[c]
    }
    entity_of = {
        str(m["party_record_id"]): str(m["entity_id"])
        for m in an.lookup(
            "entity_members", "party_record_id", sorted(party_ids), "party_record_id, entity_id"
        )
    }
    # the records of every party: those of the members' entities and of their counterparties
    wanted = sorted(set(member_of) | party_ids)
    records = an.lookup("party_records", "party_record_id", wanted)
    records.sort(key=lambda r: str(r["party_record_id"]))
    entity_of.update(member_of)
    return CaseData(
        case_id=case_id,
        title=case.title,
        members=members,
        transactions=txs,
        currency=currency,
        status=case.status,
        outcome=case.outcome,
        views=views,
        records=records,
        entity_of=entity_of,
        decisions=decisions,
        comments=comments,
        trail=trail,
    )


def load_case(workspace: Path, case_id: int, db_url: str | None = None) -> CaseData:
    """:func:`read_case` on the workspace's workflow database (or ``db_url``) and analytics."""
    url = workflow_url(workspace, db_url)
    try:
        an = Analytics(Path(workspace))
    except NotFound as exc:
        raise ExportError(exc.message) from exc
    try:
        with open_workflow(Path(workspace), db_url) as wf, wf.session() as db:
            try:
                return read_case(db, an, case_id, reporting_currency(an))
            except UnknownCase as exc:
                raise UnknownCase(f"{exc} in {url}") from exc
    finally:
        an.close()


def audit_export(
    db: Session,
    case_id: int,
    fmt: str,
    body: bytes,
    *,
    username: str,
    user_id: int | None = None,
    target: str,
) -> None:
    """One ``case_exported`` entry in the hash-chained trail: who, what format, where, hash."""
    audit.record(
        db,
        user_id=user_id,
        username=username,
        action="case_exported",
        object_type="case",
        object_id=str(case_id),
        detail={
            "format": fmt,
            "path": target,
            "sha256": hashlib.sha256(body).hexdigest(),
            "bytes": len(body),
        },
    )


def record_export(
    workspace: Path,
    case_id: int,
    fmt: str,
    out: Path,
    body: bytes,
    username: str,
    db_url: str | None = None,
) -> None:
    """:func:`audit_export` for a file written by the command line."""
    with open_workflow(Path(workspace), db_url) as wf, wf.session() as db:
        audit_export(db, case_id, fmt, body, username=username, target=str(Path(out).resolve()))


def write_atomic(out: Path, body: bytes) -> Path:
    """Write ``body`` to ``out`` through a temporary file, so a reader never sees half a file."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(body)
    tmp.replace(out)
    return out


def iso(v: Any) -> str:
    """A timestamp or date as ISO text (seconds), anything else as text."""
    if isinstance(v, dt.datetime):
        return v.replace(microsecond=0, tzinfo=None).isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return "" if v is None else str(v)
