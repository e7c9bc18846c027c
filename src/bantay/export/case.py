"""A case as every export reads it, and the audit entry every export writes.

:func:`read_case` works on an open workflow session and :class:`~bantay.cases.analytics.Analytics`
(the web app passes its own); :func:`load_case` opens both for the command line.

Every export reports the same two things read here, so that they cannot disagree:

* the **subjects**: one per member entity, its KYC consolidated from all its party records (one
  payer, not "JACKSON, Thomas" and "Thomas Jackson" as two), names split into given and family
  names as the records hold them;
* the **evidence**: the payments behind the indicators that fired for each member
  (:mod:`bantay.detect.evidence`), not the member's whole ledger; card spending is evidence only
  where P10 counted it. A member without a fired indicator (a model score alone) contributes its
  remittances, never its card spending. ``payments="all"`` reports every payment instead.
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
from bantay.cases.services import case_evidence, current_narrative
from bantay.detect.evidence import BEHIND, is_card, payments_behind
from bantay.errors import BantayError, NotFound
from bantay.workspace import DEFAULT_SETTINGS


class ExportError(BantayError):
    """A case cannot be exported (unknown, empty, incomplete parties, invalid report)."""


class UnknownCase(ExportError):
    """No case with that number."""


class EmptyCase(ExportError):
    """The case has no members, or its members have no payments."""


#: Which payments a report carries: those behind the indicators (default), or every payment.
PAYMENT_SELECTIONS = ("evidence", "all")


def split_name(name: str | None) -> tuple[str, str] | None:
    """(given names, family name) of a name as written: ``JACKSON, Thomas`` (family name first,
    before a comma) or ``Thomas Jackson`` (family name last); None for a single word."""
    text = " ".join(str(name or "").split())
    if "," in text:
        family, _, given = (p.strip() for p in text.partition(","))
        if family and given:
            return given, family
        text = family or given
    parts = text.split()
    if len(parts) < 2:
        return None
    return " ".join(parts[:-1]), parts[-1]


@dataclass
class Subject:
    """One member entity as a report names it: KYC consolidated over its party records."""

    side: str
    entity_id: str
    given_name: str | None = None
    family_name: str | None = None
    #: the name most records give (KYC first), as recorded
    name: str = ""
    #: the other names its records give (variants, typing errors, surname-first spellings)
    aliases: list[str] = field(default_factory=list)
    date_of_birth: dt.date | None = None
    sex: str | None = None
    nationality: str | None = None
    residence_country: str | None = None
    address: str | None = None
    city: str | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    #: (kind, number): ``passport:P123`` -> ("passport", "P123"); kind "" when not said
    documents: list[tuple[str, str]] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    #: (institution, customer reference) of each KYC record
    customer_refs: list[tuple[str, str]] = field(default_factory=list)
    #: whether any record is the institution's own KYC (kind customer)
    kyc: bool = False

    @property
    def display(self) -> str:
        if self.given_name and self.family_name:
            return f"{self.given_name} {self.family_name}"
        return self.name or self.entity_id


def _most_common(values: list[Any]) -> Any:
    vals = [v for v in values if v not in (None, "")]
    if not vals:
        return None
    counts: dict[Any, int] = {}
    for v in vals:
        counts[v] = counts.get(v, 0) + 1
    # most frequent, ties to the first seen (records are sorted KYC first)
    return max(counts, key=lambda v: (counts[v], -vals.index(v)))


def consolidate(side: str, entity_id: str, records: list[dict[str, Any]]) -> Subject:
    """One subject from the party records of one entity (KYC records first)."""
    recs = sorted(records, key=lambda r: (r.get("kind") != "customer", str(r["party_record_id"])))
    kyc = [r for r in recs if r.get("kind") == "customer"]
    names = [r.get("name") for r in recs]
    # the institution's own KYC says the name best; the other records give variants
    name = _most_common([r.get("name") for r in kyc]) or _most_common(names) or ""
    pairs = [(r.get("given_name"), r.get("family_name")) for r in kyc]
    pair = _most_common([p for p in pairs if p[0] and p[1]])
    if pair is None:
        pair = split_name(name)
    if pair is None:
        pair = (None, None)
    given, family = pair
    written = {f"{given} {family}".casefold()} if given and family else set()
    aliases = sorted(
        {str(n) for n in names if n and str(n) != name and str(n).casefold() not in written}
    )

    def listed(col: str) -> list[str]:
        return list(dict.fromkeys(str(r[col]) for r in recs if r.get(col)))

    documents = []
    for doc in listed("id_document"):
        kind, _, number = doc.partition(":")
        documents.append((kind, number) if number else ("", kind))
    dob = _most_common([r.get("date_of_birth") for r in recs])
    if isinstance(dob, dt.datetime):
        dob = dob.date()
    return Subject(
        side=side,
        entity_id=entity_id,
        given_name=str(given) if given else None,
        family_name=str(family) if family else None,
        name=str(name),
        aliases=aliases,
        date_of_birth=dob,
        sex=_most_common([r.get("sex") for r in recs]),
        nationality=_most_common([r.get("nationality") for r in recs]),
        residence_country=_most_common([r.get("residence_country") for r in recs]),
        address=_most_common([r.get("address") for r in recs]),
        city=_most_common([r.get("city") for r in recs]),
        phones=listed("phone"),
        emails=listed("email"),
        documents=documents,
        accounts=listed("account_id"),
        customer_refs=[
            (str(r["institution"]), str(r["customer_ref"])) for r in kyc if r.get("customer_ref")
        ],
        kyc=bool(kyc),
    )


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
    #: one per member, in member order (:func:`consolidate`)
    subjects: list[Subject] = field(default_factory=list)
    #: (institution, transaction id) -> the fired indicators that counted the payment
    behind: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: the payments the reports carry (see the module's docstring), oldest first
    evidence: list[dict[str, Any]] = field(default_factory=list)
    #: "evidence" (behind the indicators) or "all" (every payment of the members)
    payments: str = "evidence"
    #: the analysts' narrative (its latest version), used by every report in place of the
    #: generated text; None when nobody wrote one
    narrative: str | None = None
    #: "version N by USER on DATE" of :attr:`narrative`
    narrative_about: str | None = None

    @property
    def fired(self) -> list[str]:
        """Indicator ids that fired for any member, in member order."""
        out: list[str] = []
        for v in self.views:
            out += v.fired
        return list(dict.fromkeys(out))

    def indicators_of(self, t: dict[str, Any]) -> list[str]:
        """The fired indicators that counted payment ``t``."""
        return self.behind.get(key(t), [])

    @property
    def left_out(self) -> list[dict[str, Any]]:
        """The members' payments that are not in :attr:`evidence` (card spending, mostly)."""
        chosen = {key(t) for t in self.evidence}
        return [t for t in self.transactions if key(t) not in chosen]

    def subject(self, side: str, entity_id: str) -> Subject | None:
        for s in self.subjects:
            if (s.side, s.entity_id) == (side, entity_id):
                return s
        return None

    def member_of(self, t: dict[str, Any], side: str) -> Subject | None:
        """The subject on ``side`` of payment ``t``, when that party is a case member."""
        rec = t.get(f"{side}_record_id")
        ent = self.entity_of.get(str(rec)) if rec else None
        return self.subject(side, ent) if ent else None


def key(t: dict[str, Any]) -> tuple[str, str]:
    """A payment's identity: (institution, transaction id)."""
    return (str(t["institution"]), str(t["transaction_id"]))


def reporting_currency(an: Analytics) -> str:
    """The workspace's reporting currency (``amount_reporting`` is in it), as open_workspace reads it."""
    row = (
        an.cursor()
        .execute("SELECT value FROM ws.bantay_meta WHERE key = 'setting.reporting_currency'")
        .fetchone()
    )
    return str(row[0]) if row and row[0] else DEFAULT_SETTINGS["reporting_currency"]


def _rates(an: Analytics, currency: str) -> Any:
    from bantay.detect.catalogue import default_catalogue
    from bantay.detect.features import reference_rates

    rows = (
        an.cursor()
        .execute("SELECT currency, arg_max(rate, date) FROM ws.rates GROUP BY currency")
        .fetchall()
    )
    return reference_rates(default_catalogue(), currency, {str(c): float(r) for c, r in rows})


def _select_evidence(
    an: Analytics,
    views: list[MemberView],
    by_member: dict[tuple[str, str], list[dict[str, Any]]],
    entity_of: dict[str, str],
    currency: str,
    residence: dict[tuple[str, str], str | None] | None = None,
) -> tuple[dict[tuple[str, str], list[str]], set[tuple[str, str]]]:
    """(payment -> indicators behind it, the payments chosen as evidence). ``residence``: each
    member's country of residence (KYC), for payer-local hours where an export writes UTC."""
    from bantay.detect.catalogue import default_catalogue

    cat = default_catalogue()
    rates = None
    behind: dict[tuple[str, str], list[str]] = {}
    chosen: set[tuple[str, str]] = set()
    sides = {i.id: i.targets for i in cat.indicators}
    for v in views:
        rows = by_member.get((v.side, v.entity_id), [])
        # an indicator counts payments on the side whose score it enters
        fired = [i for i in v.fired if i in BEHIND and v.side in sides.get(i, ())]
        if fired:
            rates = rates or _rates(an, currency)
            bents = {
                k: (
                    None
                    if not r.get("beneficiary_record_id")
                    else entity_of.get(
                        str(r["beneficiary_record_id"]), str(r["beneficiary_record_id"])
                    )
                )
                for k, r in enumerate(rows)
            }
            found = False
            for r, inds in zip(
                rows,
                payments_behind(
                    rows,
                    fired,
                    cat,
                    rates,
                    bents,
                    (residence or {}).get((v.side, v.entity_id)) if v.side == "payer" else None,
                ),
                strict=True,
            ):
                if inds:
                    k = key(r)
                    behind[k] = list(dict.fromkeys(behind.get(k, []) + inds))
                    chosen.add(k)
                    found = True
            if not found:
                chosen |= {key(r) for r in rows if not is_card(r)}
        else:
            # a model score alone: the member's remittances are the scored activity
            chosen |= {key(r) for r in rows if not is_card(r)}
    return behind, chosen


@dataclass
class Gathered:
    """Members' payments with what the detector says of them (no workflow state)."""

    #: every payment of the members on their side, oldest first
    transactions: list[dict[str, Any]]
    views: list[MemberView]
    records: list[dict[str, Any]]
    entity_of: dict[str, str]
    subjects: list[Subject]
    #: payment -> the fired indicators that counted it
    behind: dict[tuple[str, str], list[str]]
    #: the payments chosen as evidence by default (behind the indicators)
    chosen: set[tuple[str, str]]


def gather(an: Analytics, members: list[tuple[str, str]], currency: str) -> Gathered:
    """The members' payments on their side, their subjects, and the payments behind their
    indicators (the default evidence): what :func:`read_case` and the transaction explorer show."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    views: list[MemberView] = []
    member_of: dict[str, str] = {}
    by_member: dict[tuple[str, str], list[dict[str, Any]]] = {}
    cur = an.cursor()
    for side, entity_id in members:
        pred, params = an.side_predicate(side, entity_id)
        cur.execute(f"SELECT t.* FROM ws.transactions t WHERE {pred} ORDER BY t.ts_utc", params)
        cols = [d[0] for d in cur.description or []]
        mine = by_member.setdefault((side, entity_id), [])
        for row in cur.fetchall():
            r = dict(zip(cols, row, strict=True))
            seen[key(r)] = r
            mine.append(r)
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
    subjects = []
    for side, entity_id in members:
        mine = [r for r in records if member_of.get(str(r["party_record_id"])) == entity_id]
        if not mine:  # no resolved entity: the names its payments give
            mine = [
                {
                    "party_record_id": str(t.get(f"{side}_record_id") or ""),
                    "kind": "transaction",
                    "name": t.get(f"{side}_name"),
                    "phone": t.get(f"{side}_phone"),
                    "residence_country": t.get(f"{side}_country"),
                    "account_id": t.get(f"{side}_account"),
                }
                for t in by_member.get((side, entity_id), [])
            ]
        subjects.append(consolidate(side, entity_id, mine))
    residence = {(x.side, x.entity_id): x.residence_country for x in subjects}
    behind, chosen = _select_evidence(an, views, by_member, entity_of, currency, residence)
    return Gathered(txs, views, records, entity_of, subjects, behind, chosen)


def read_case(
    db: Session, an: Analytics, case_id: int, currency: str, payments: str = "evidence"
) -> CaseData:
    """The case's members, their payments on their side (oldest first), evidence and trail."""
    if payments not in PAYMENT_SELECTIONS:
        raise ExportError(
            f"payments must be one of {', '.join(PAYMENT_SELECTIONS)}, not {payments!r}"
        )
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
    written = current_narrative(db, case_id)
    g = gather(an, members, currency)
    if not g.transactions:
        raise EmptyCase(f"case {case_id} is empty: its members have no transactions")
    chosen = set(g.chosen)
    for k, included in case_evidence(db, case_id).items():
        if included:
            chosen.add(k)
        else:
            chosen.discard(k)
    if payments == "all":
        chosen = {key(t) for t in g.transactions}
    txs = g.transactions
    return CaseData(
        case_id=case_id,
        title=case.title,
        members=members,
        transactions=txs,
        currency=currency,
        status=case.status,
        outcome=case.outcome,
        views=g.views,
        records=g.records,
        entity_of=g.entity_of,
        decisions=decisions,
        comments=comments,
        trail=trail,
        subjects=g.subjects,
        behind=g.behind,
        evidence=[t for t in txs if key(t) in chosen],
        payments=payments,
        narrative=written.body if written else None,
        narrative_about=(
            f"version {written.version} by {names.get(written.user_id, '?')} on "
            f"{written.created_at:%Y-%m-%d}"
            if written
            else None
        ),
    )


def load_case(
    workspace: Path, case_id: int, db_url: str | None = None, payments: str = "evidence"
) -> CaseData:
    """:func:`read_case` on the workspace's workflow database (or ``db_url``) and analytics."""
    url = workflow_url(workspace, db_url)
    try:
        an = Analytics(Path(workspace))
    except NotFound as exc:
        raise ExportError(exc.message) from exc
    try:
        with open_workflow(Path(workspace), db_url) as wf, wf.session() as db:
            try:
                return read_case(db, an, case_id, reporting_currency(an), payments)
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
