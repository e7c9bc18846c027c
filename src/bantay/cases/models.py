"""Workflow tables (SQLAlchemy 2 declarative models); their layout is created by Alembic migrations.

The tables keep their ``web_`` prefix from when the workflow lived in the web app (renaming them
would only churn existing databases); ``docs/data-model.md`` documents them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("analyst", "supervisor", "admin")
DECISIONS = ("confirmed", "false_positive", "needs_information")
CASE_STATUSES = ("open", "pending_review", "closed")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "web_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()


class ApiToken(Base):
    __tablename__ = "web_api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)


class LoginFailure(Base):
    __tablename__ = "web_login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Case(Base):
    """A case: its owner and assignees act on it; other users read it."""

    __tablename__ = "web_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    owner_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the decision the case was closed with (its reviewed subject gives the training labels)
    closed_decision_id: Mapped[int | None] = mapped_column(Integer, default=None)


class CaseAssignee(Base):
    __tablename__ = "web_case_assignees"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("web_cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    added_by: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseMember(Base):
    __tablename__ = "web_case_members"
    __table_args__ = (UniqueConstraint("case_id", "side", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("web_cases.id"), index=True)
    side: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(200))
    alert_id: Mapped[str | None] = mapped_column(String(64), default=None)
    added_by: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


Index("ix_web_case_members_entity", CaseMember.side, CaseMember.entity_id)


class Comment(Base):
    __tablename__ = "web_comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("web_cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Decision(Base):
    """A disposition of the case's subject: the members and evidence it covers, frozen as JSON
    (``subject``) with their hash; a change to the case after it makes it stale."""

    __tablename__ = "web_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("web_cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    decision: Mapped[str] = mapped_column(String(32))
    rationale: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("web_users.id"), default=None)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    review_approved: Mapped[bool | None] = mapped_column(default=None)
    review_note: Mapped[str | None] = mapped_column(Text, default=None)
    subject: Mapped[str] = mapped_column(Text, default="[]")
    subject_hash: Mapped[str] = mapped_column(String(64), default="")
    #: the case's narrative version when the decision was made (None: none written yet)
    narrative_id: Mapped[int | None] = mapped_column(Integer, default=None)
    #: the case's latest evidence choice (``web_case_evidence.id``) when the decision was made
    evidence_id: Mapped[int | None] = mapped_column(Integer, default=None)


class CaseNarrative(Base):
    """One version of a case's STR/SAR narrative, as an analyst wrote it; the latest is current."""

    __tablename__ = "web_case_narratives"
    __table_args__ = (UniqueConstraint("case_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("web_cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseEvidence(Base):
    """An analyst's choice to add a payment to, or remove it from, a case's evidence; the latest
    choice per payment holds (the others are the payments behind the indicators by default)."""

    __tablename__ = "web_case_evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("web_cases.id"), index=True)
    institution: Mapped[str] = mapped_column(String(100))
    transaction_id: Mapped[str] = mapped_column(String(200))
    included: Mapped[bool] = mapped_column()
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AlertTriage(Base):
    """One triage step on an alert outside any case: assigned, closed with a reason code, its
    closing confirmed by a supervisor, reopened.

    Append-only history; an alert's state is its latest step (:mod:`bantay.cases.triage`)."""

    __tablename__ = "web_alert_triage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(64), index=True)
    side: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("web_users.id"), default=None)
    reason_code: Mapped[str | None] = mapped_column(String(40), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


Index("ix_web_alert_triage_entity", AlertTriage.side, AlertTriage.entity_id)


class AuditEntry(Base):
    """Append-only; each row's hash covers its fields and the previous row's hash."""

    __tablename__ = "web_audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, default=None)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Platform(Base):
    """A platform that sends user reports (``POST /api/reports``): a principal of its own, not a
    user; its token is stored as a keyed hash and can be revoked."""

    __tablename__ = "web_platforms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class PlatformReport(Base):
    """One platform report as received (never rewritten); the JSON is kept whole in ``body``."""

    __tablename__ = "web_reports"
    __table_args__ = (UniqueConstraint("platform_id", "platform_report_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("web_platforms.id"))
    platform_report_id: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32), index=True)
    reported_user_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))


Index("ix_web_reports_account", PlatformReport.platform_id, PlatformReport.reported_user_id)


class CaseReport(Base):
    """A platform report put into a case (beside the payment evidence)."""

    __tablename__ = "web_case_reports"
    __table_args__ = (UniqueConstraint("case_id", "report_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("web_cases.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("web_reports.id"))
    added_by: Mapped[int | None] = mapped_column(ForeignKey("web_users.id"), default=None)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


#: What each workflow table and column holds: docs/data-model.md is generated from this (and
#: tests/cases/test_models.py fails when a column has no entry).
TABLE_DOCS: dict[str, tuple[str, dict[str, str]]] = {
    "web_users": (
        "People who log in to the web app; managed with `bantay users` or by admins.",
        {
            "id": "Key.",
            "username": "Login name (1-64 letters, digits, `. _ @ -`), unique.",
            "password_hash": "argon2id hash of the password; never the password.",
            "role": "`analyst`, `supervisor` or `admin` (each includes the one before).",
            "active": "False once disabled: sessions end, API tokens are revoked. The last "
            "active admin cannot be disabled or demoted.",
            "created_at": "When the user was added (UTC).",
        },
    ),
    "web_sessions": (
        "Browser sessions.",
        {
            "id": "HMAC-SHA256 (web secret key) of the session cookie; never the cookie.",
            "user_id": "The user logged in.",
            "csrf_token": "The session's CSRF token, sent back on every state change.",
            "created_at": "Login time (UTC).",
            "expires_at": "End of the session (UTC).",
        },
    ),
    "web_api_tokens": (
        "API tokens for automation, acting as their user.",
        {
            "id": "Key.",
            "token_hash": "HMAC-SHA256 of the token; the token is shown once, never stored.",
            "prefix": "First characters of the token, to recognise it.",
            "name": "What the token is for.",
            "user_id": "The user it acts as.",
            "created_at": "Creation time (UTC).",
            "revoked": "True once revoked (the user was disabled).",
        },
    ),
    "web_login_failures": (
        "Failed logins, for throttling per user name and address (not the audit trail: the "
        "audit log has a `login_failed` entry for each).",
        {
            "id": "Key.",
            "username": "The user name tried.",
            "address": "The client address (X-Forwarded-For only from configured proxies).",
            "at": "When (UTC).",
        },
    ),
    "web_cases": (
        "Cases: entities grouped for a decision. The owner and assignees act on a case; "
        "other users read it. (A database created before migration 0002 keeps its old "
        "`assignee_id` column, no longer written: the migration copied it into "
        "`web_case_assignees`.)",
        {
            "id": "The case number.",
            "title": "Title (1-200 characters).",
            "status": "`open`, `pending_review` (a confirmed decision awaits review) or `closed` "
            "(read-only).",
            "outcome": "The closing decision: `confirmed` or `false_positive`.",
            "owner_id": "The user who owns the case (its creator, unless handed over).",
            "created_by": "The user who opened it.",
            "created_at": "When (UTC).",
            "updated_at": "Last change (UTC).",
            "closed_decision_id": "The decision the case was closed with; its subject and "
            "review give the training labels.",
        },
    ),
    "web_case_assignees": (
        "Who works a case besides its owner; changed only with a reason (audited).",
        {
            "id": "Key.",
            "case_id": "The case.",
            "user_id": "The assignee.",
            "added_by": "Who assigned them.",
            "added_at": "When (UTC).",
        },
    ),
    "web_case_members": (
        "The entities of a case, with the alert that brought each in. Only entities of the "
        "workspace's latest resolution or scan are accepted.",
        {
            "id": "Key.",
            "case_id": "The case.",
            "side": "`payer` or `beneficiary`.",
            "entity_id": "The entity (as in `entities` / `scores`).",
            "alert_id": "The alert that brought it in (the evidence), if any.",
            "added_by": "Who added it.",
            "added_at": "When (UTC).",
        },
    ),
    "web_comments": (
        "Analysts' notes on a case (not on a closed one).",
        {
            "id": "Key.",
            "case_id": "The case.",
            "user_id": "The author.",
            "body": "Text (at most 10,000 characters).",
            "created_at": "When (UTC).",
        },
    ),
    "web_decisions": (
        "Dispositions with their rationale and review. A decision covers the members and "
        "evidence the case had when it was made (its subject); a later change to the case "
        "makes it stale: it can no longer be reviewed or closed on.",
        {
            "id": "Key.",
            "case_id": "The case.",
            "user_id": "The author.",
            "decision": "`confirmed`, `false_positive` or `needs_information`.",
            "rationale": "Why (5-5,000 characters).",
            "created_at": "When (UTC).",
            "reviewed_by": "The supervisor who reviewed it (never its author).",
            "reviewed_at": "When (UTC).",
            "review_approved": "True approved, False returned.",
            "review_note": "The reviewer's note (required to return a decision).",
            "subject": "JSON list of `[side, entity_id, alert_id]`: what the decision covers.",
            "subject_hash": "SHA-256 of `subject`.",
            "narrative_id": "The narrative version (`web_case_narratives.id`) the decision "
            "was made on; a newer version makes the decision stale, like a change of members.",
            "evidence_id": "The latest evidence choice (`web_case_evidence.id`) when the "
            "decision was made; a later choice makes the decision stale.",
        },
    ),
    "web_case_narratives": (
        "The STR/SAR narrative of a case, every version kept: pre-filled from the evidence, "
        "edited by the case's owner or assignees, reviewed with the decision, and used by every "
        "export (goAML `<reason>`, FinCEN narrative, referral pack) in place of the generated "
        "text.",
        {
            "id": "Key.",
            "case_id": "The case.",
            "version": "1, 2, ... within the case; the highest is current.",
            "body": "The text (at most 4,000 characters: goAML's `<reason>`).",
            "sha256": "SHA-256 of `body`.",
            "user_id": "Who wrote this version.",
            "created_at": "When (UTC).",
        },
    ),
    "web_case_evidence": (
        "Payments an analyst added to or removed from a case's evidence (append-only; the "
        "latest choice per payment holds). Without a choice, a case's evidence is the payments "
        "behind its members' indicators; every export reports the evidence.",
        {
            "id": "Key (the order of the choices).",
            "case_id": "The case.",
            "institution": "The payment's institution (with `transaction_id`, its identity).",
            "transaction_id": "The payment's transaction id at that institution.",
            "included": "True: added to the evidence; False: removed from it.",
            "user_id": "Who chose.",
            "at": "When (UTC).",
        },
    ),
    "web_alert_triage": (
        "Triage of alerts without a case, as an append-only history: who assigned an alert to "
        "whom, who closed it with which reason code, which supervisor confirmed the closing, who "
        "reopened it. An alert's state is its latest steps. A closing with an `explained_*` "
        "reason code becomes a training label (not an offender) only once a supervisor other "
        "than who closed it has confirmed it (four eyes), unless a reviewed case outcome says "
        "otherwise; reopening the alert voids the confirmation.",
        {
            "id": "Key (the order of the steps).",
            "alert_id": "The alert (as in `alerts`; each scan gives its alerts new ids).",
            "side": "`payer` or `beneficiary`.",
            "entity_id": "The alerted entity.",
            "action": "`assign`, `close`, `confirm` (a supervisor confirmed the current "
            "closing) or `reopen`.",
            "assignee_id": "With `assign`: the user it is assigned to (empty: unassigned).",
            "reason_code": "With `close`: why (`bantay.cases.triage.REASON_CODES`); with "
            "`confirm`: the reason code of the closing confirmed.",
            "note": "The analyst's note (at most 5,000 characters).",
            "user_id": "Who took the step.",
            "at": "When (UTC).",
        },
    ),
    "web_platforms": (
        "Platforms that send user reports to `POST /api/reports` (`bantay platforms add`): each "
        "is a principal of its own, with one token, shown once; revoked, it is refused (401).",
        {
            "id": "Key.",
            "name": "The platform's name (1-100 characters), unique.",
            "token_hash": "HMAC-SHA256 (web secret key) of the token; never the token.",
            "prefix": "First characters of the token, to recognise it.",
            "created_at": "When it was added (UTC).",
            "revoked_at": "When its token was revoked (UTC); empty while it is valid.",
        },
    ),
    "web_reports": (
        "Platform reports as received, never rewritten: the validated JSON whole, with the "
        "fields the triage queue sorts and merges on. The same `platform_report_id` from the "
        "same platform is one report (a repeat is answered 200 and audited).",
        {
            "id": "Key (Bantay's report number).",
            "platform_id": "The platform that sent it (from its token).",
            "platform_report_id": "The platform's own id of the report (the idempotency key).",
            "category": "`child_sex_trafficking`, `online_enticement`, `livestreamed_abuse` "
            "or `other`.",
            "reported_user_id": "The platform's id of the reported account (reports on one "
            "account merge in triage).",
            "received_at": "When Bantay received it (UTC).",
            "body": "The report's JSON (`src/bantay/schema/platform_report.yaml`), canonical: "
            "sorted keys, no empty fields.",
            "sha256": "SHA-256 of `body`.",
        },
    ),
    "web_case_reports": (
        "Platform reports put into a case, beside its payment evidence (the CyberTipline "
        "export reads them).",
        {
            "id": "Key.",
            "case_id": "The case.",
            "report_id": "The report (`web_reports.id`).",
            "added_by": "Who added it (empty: the command line).",
            "added_at": "When (UTC).",
        },
    ),
    "web_audit_log": (
        "The audit trail, append-only (UPDATE and DELETE refused by triggers): every view of "
        "personal data, change, export, login and refused request. Each entry's `hash` is an "
        "HMAC-SHA256, under a key kept outside the database, of the previous entry's hash and "
        "its own fields; checkpoints (count and head hash, keyed) go to a file outside the "
        "database. `bantay audit verify` names alterations, deletions, insertions, truncation "
        "and re-hashing.",
        {
            "id": "Position in the chain.",
            "at": "When (UTC).",
            "user_id": "The user (empty for the command line and anonymous requests).",
            "username": "Who: a user name, `cli:<account>` for the command line, `anonymous`.",
            "action": "What: `view`, `case_created`, `decision`, `review`, `case_closed`, "
            "`case_exported`, `user_created`, `refused`, `login_failed`, ...",
            "object_type": "`case`, `entity`, `user`, `labels`, `request`, ...",
            "object_id": "Which one.",
            "detail": "JSON with the particulars (filters, rationale, file hash, reason).",
            "prev_hash": "The previous entry's `hash` (64 zeros for the first).",
            "hash": "HMAC-SHA256 of `prev_hash` and the fields above.",
        },
    ),
}
