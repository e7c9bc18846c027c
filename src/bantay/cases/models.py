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
