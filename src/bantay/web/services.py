"""The workflow core: users, logins, tokens, cases, decisions, label export.

The JSON API, the HTML pages and the CLI all call these functions; none of them reads a request.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bantay.web import audit
from bantay.web.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound, Throttled
from bantay.web.models import (
    DECISIONS,
    ROLES,
    ApiToken,
    Case,
    CaseMember,
    Comment,
    Decision,
    LoginFailure,
    User,
    WebSession,
    utcnow,
)
from bantay.web.security import (
    TOKEN_PREFIX,
    hash_password,
    new_token,
    token_hash,
    verify_password,
)

RANK = {r: i for i, r in enumerate(ROLES)}
SIDES = ("payer", "beneficiary")
MIN_PASSWORD = 10


def has_role(user: User, role: str) -> bool:
    return RANK[user.role] >= RANK[role]


def require_role(user: User, role: str) -> None:
    if not has_role(user, role):
        raise Forbidden(f"needs the {role} role (you are {user.role})")


# ---- users -------------------------------------------------------------------------------------


def add_user(db: Session, username: str, password: str, role: str) -> User:
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password must have at least {MIN_PASSWORD} characters")
    if not username or len(username) > 64:
        raise Invalid("username must have 1-64 characters")
    if db.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise Conflict(f"user {username!r} exists")
    u = User(username=username, password_hash=hash_password(password), role=role)
    db.add(u)
    db.commit()
    return u


def get_user(db: Session, username: str) -> User:
    u = db.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if u is None:
        raise NotFound(f"no user {username!r}")
    return u


def list_users(db: Session) -> list[User]:
    return list(db.execute(select(User).order_by(User.username)).scalars())


def set_role(db: Session, username: str, role: str) -> User:
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    u = get_user(db, username)
    u.role = role
    db.commit()
    return u


def set_active(db: Session, username: str, active: bool) -> User:
    u = get_user(db, username)
    u.active = active
    if not active:
        db.execute(delete(WebSession).where(WebSession.user_id == u.id))
        for t in db.execute(select(ApiToken).where(ApiToken.user_id == u.id)).scalars():
            t.revoked = True
    db.commit()
    return u


def set_password(db: Session, username: str, password: str) -> User:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password must have at least {MIN_PASSWORD} characters")
    u = get_user(db, username)
    u.password_hash = hash_password(password)
    db.commit()
    return u


# ---- logins, sessions, tokens ------------------------------------------------------------------


@dataclass
class Login:
    user: User
    session_token: str
    csrf_token: str


def login(
    db: Session,
    secret: str,
    username: str,
    password: str,
    address: str,
    *,
    max_failures: int,
    window_s: int,
    session_hours: float,
) -> Login:
    """Check the password (throttled per user and per address) and open a session."""
    since = utcnow() - dt.timedelta(seconds=window_s)
    failures = db.execute(
        select(func.count())
        .select_from(LoginFailure)
        .where(
            LoginFailure.at >= since,
            (LoginFailure.username == username) | (LoginFailure.address == address),
        )
    ).scalar_one()
    if failures >= max_failures:
        raise Throttled(
            f"too many failed logins; try again in up to {window_s // 60 or 1} minutes", window_s
        )
    u = db.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = verify_password(u.password_hash if u else None, password)
    if not ok or u is None or not u.active:
        db.add(LoginFailure(username=username[:64], address=address[:64]))
        db.commit()
        audit.record(
            db,
            user_id=None,
            username=username[:64],
            action="login_failed",
            object_type="user",
            object_id=username[:64],
            detail={"address": address},
        )
        raise NotAuthenticated("wrong user name or password")
    token = new_token()
    csrf = new_token()
    db.add(
        WebSession(
            id=token_hash(secret, token),
            user_id=u.id,
            csrf_token=csrf,
            expires_at=utcnow() + dt.timedelta(hours=session_hours),
        )
    )
    db.commit()
    audit.record(
        db,
        user_id=u.id,
        username=u.username,
        action="login",
        object_type="user",
        object_id=u.username,
        detail={"address": address},
    )
    return Login(u, token, csrf)


def session_user(db: Session, secret: str, token: str) -> tuple[User, WebSession] | None:
    s = db.get(WebSession, token_hash(secret, token))
    if s is None or s.expires_at < utcnow():
        return None
    u = db.get(User, s.user_id)
    if u is None or not u.active:
        return None
    return u, s


def logout(db: Session, secret: str, token: str) -> None:
    db.execute(delete(WebSession).where(WebSession.id == token_hash(secret, token)))
    db.commit()


def create_api_token(db: Session, secret: str, user: User, name: str) -> tuple[ApiToken, str]:
    raw = new_token(TOKEN_PREFIX)
    t = ApiToken(
        token_hash=token_hash(secret, raw), prefix=raw[:8], name=name[:100], user_id=user.id
    )
    db.add(t)
    db.commit()
    audit.record(
        db,
        user_id=user.id,
        username=user.username,
        action="token_created",
        object_type="api_token",
        object_id=str(t.id),
        detail={"name": name},
    )
    return t, raw


def token_user(db: Session, secret: str, raw: str) -> User | None:
    t = db.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(secret, raw))
    ).scalar_one_or_none()
    if t is None or t.revoked:
        return None
    u = db.get(User, t.user_id)
    return u if u is not None and u.active else None


# ---- cases -------------------------------------------------------------------------------------


def _audit_case(db: Session, user: User, action: str, case_id: int, detail: dict[str, Any]) -> None:
    """One entry in the audit trail for `user`'s `action` on a case."""
    audit.record(
        db,
        user_id=user.id,
        username=user.username,
        action=action,
        object_type="case",
        object_id=str(case_id),
        detail=detail,
    )


def _case(db: Session, case_id: int) -> Case:
    c = db.get(Case, case_id)
    if c is None:
        raise NotFound(f"no case {case_id}")
    return c


def _touch(c: Case) -> None:
    c.updated_at = utcnow()


def _check_open(c: Case) -> None:
    if c.status == "closed":
        raise Conflict(f"case {c.id} is closed")


def create_case(
    db: Session,
    user: User,
    title: str,
    members: list[tuple[str, str, str | None]] | None = None,
    assignee: str | None = None,
) -> Case:
    if not title.strip():
        raise Invalid("a case needs a title")
    c = Case(title=title.strip()[:200], created_by=user.id)
    if assignee:
        c.assignee_id = get_user(db, assignee).id
    db.add(c)
    db.flush()
    for side, entity_id, alert_id in members or []:
        _add_member(db, c, user, side, entity_id, alert_id)
    db.commit()
    _audit_case(
        db,
        user,
        "case_created",
        c.id,
        {"title": c.title, "members": [f"{s}:{e}" for s, e, _ in members or []]},
    )
    return c


def _add_member(
    db: Session, c: Case, user: User, side: str, entity_id: str, alert_id: str | None
) -> CaseMember:
    if side not in SIDES:
        raise Invalid(f"side must be payer or beneficiary, not {side!r}")
    existing = db.execute(
        select(CaseMember).where(
            CaseMember.case_id == c.id, CaseMember.side == side, CaseMember.entity_id == entity_id
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    m = CaseMember(
        case_id=c.id, side=side, entity_id=entity_id, alert_id=alert_id, added_by=user.id
    )
    db.add(m)
    return m


def add_member(
    db: Session, user: User, case_id: int, side: str, entity_id: str, alert_id: str | None
) -> CaseMember:
    c = _case(db, case_id)
    _check_open(c)
    m = _add_member(db, c, user, side, entity_id, alert_id)
    _touch(c)
    db.commit()
    _audit_case(
        db,
        user,
        "case_member_added",
        c.id,
        {"side": side, "entity_id": entity_id, "alert_id": alert_id},
    )
    return m


def assign(db: Session, user: User, case_id: int, assignee: str | None) -> Case:
    c = _case(db, case_id)
    _check_open(c)
    c.assignee_id = get_user(db, assignee).id if assignee else None
    _touch(c)
    db.commit()
    _audit_case(db, user, "case_assigned", c.id, {"assignee": assignee})
    return c


def comment(db: Session, user: User, case_id: int, body: str) -> Comment:
    c = _case(db, case_id)
    if not body.strip():
        raise Invalid("a comment needs text")
    m = Comment(case_id=c.id, user_id=user.id, body=body.strip())
    db.add(m)
    _touch(c)
    db.commit()
    _audit_case(db, user, "comment", c.id, {"comment_id": m.id})
    return m


def decide(db: Session, user: User, case_id: int, decision: str, rationale: str) -> Decision:
    """Record a disposition with its rationale; a confirmed one waits for a supervisor's review."""
    c = _case(db, case_id)
    _check_open(c)
    if decision not in DECISIONS:
        raise Invalid(f"decision must be one of {', '.join(DECISIONS)}")
    if len(rationale.strip()) < 5:
        raise Invalid("a decision needs a rationale (at least a few words)")
    d = Decision(case_id=c.id, user_id=user.id, decision=decision, rationale=rationale.strip())
    db.add(d)
    c.status = "pending_review" if decision == "confirmed" else "open"
    _touch(c)
    db.commit()
    _audit_case(
        db,
        user,
        "decision",
        c.id,
        {"decision_id": d.id, "decision": decision, "rationale": d.rationale},
    )
    return d


def latest_decision(db: Session, case_id: int) -> Decision | None:
    return db.execute(
        select(Decision).where(Decision.case_id == case_id).order_by(Decision.id.desc()).limit(1)
    ).scalar_one_or_none()


def review(db: Session, user: User, case_id: int, approve: bool, note: str) -> Decision:
    """A supervisor (not the decision's author) approves or returns the latest decision."""
    require_role(user, "supervisor")
    c = _case(db, case_id)
    _check_open(c)
    d = latest_decision(db, case_id)
    if d is None:
        raise Conflict("nothing to review: the case has no decision")
    if d.reviewed_by is not None:
        raise Conflict("the latest decision is already reviewed")
    if d.user_id == user.id:
        raise Forbidden("a decision is reviewed by another person than its author")
    if not approve and not note.strip():
        raise Invalid("returning a decision needs a note")
    d.reviewed_by = user.id
    d.reviewed_at = utcnow()
    d.review_approved = approve
    d.review_note = note.strip() or None
    if not approve:
        c.status = "open"
    _touch(c)
    db.commit()
    _audit_case(
        db, user, "review", c.id, {"decision_id": d.id, "approved": approve, "note": d.review_note}
    )
    return d


def close(db: Session, user: User, case_id: int) -> Case:
    """Close with the latest decision's outcome; confirmed needs an approving supervisor review."""
    c = _case(db, case_id)
    _check_open(c)
    d = latest_decision(db, case_id)
    if d is None:
        raise Conflict("record a decision (with its rationale) before closing the case")
    if d.decision == "needs_information":
        raise Conflict("the latest decision asks for more information; decide before closing")
    if d.decision == "confirmed" and not (d.reviewed_by is not None and d.review_approved):
        raise Forbidden("a case is closed as confirmed only after a supervisor's approving review")
    c.status = "closed"
    c.outcome = d.decision
    _touch(c)
    db.commit()
    _audit_case(db, user, "case_closed", c.id, {"outcome": d.decision, "decision_id": d.id})
    return c


def entity_statuses(db: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Workflow status of each (side, entity_id): in_case, pending_review or a closed outcome."""
    if not keys:
        return {}
    return _statuses(db, {e for _, e in keys})


def _statuses(db: Session, ids: set[str] | None) -> dict[tuple[str, str], str]:
    """(side, entity) -> the status of its latest case; every member's when `ids` is None."""
    query = (
        select(CaseMember.side, CaseMember.entity_id, Case.status, Case.outcome)
        .join(Case, Case.id == CaseMember.case_id)
        .order_by(Case.updated_at)
    )
    if ids is not None:
        query = query.where(CaseMember.entity_id.in_(ids))
    rows = db.execute(query).all()
    out: dict[tuple[str, str], str] = {}
    for side, ent, status, outcome in rows:
        out[(side, ent)] = (
            outcome or "closed"
            if status == "closed"
            else ("in_case" if status == "open" else status)
        )
    return out


def all_entity_statuses(db: Session) -> dict[tuple[str, str], str]:
    return _statuses(db, None)


def status_version(db: Session) -> tuple[int, str]:
    n, last = db.execute(select(func.count(), func.max(Case.updated_at)).select_from(Case)).one()
    m = db.execute(select(func.count()).select_from(CaseMember)).scalar_one()
    return int(n) * 1_000_003 + int(m), str(last)


def dispositions(db: Session) -> list[tuple[str, str, bool]]:
    """(side, entity_id, label) of every entity in a closed case: confirmed → True, fp → False."""
    rows = db.execute(
        select(CaseMember.side, CaseMember.entity_id, Case.outcome)
        .join(Case, Case.id == CaseMember.case_id)
        .where(Case.status == "closed", Case.outcome.in_(("confirmed", "false_positive")))
        .order_by(Case.updated_at)
    ).all()
    latest: dict[tuple[str, str], bool] = {}
    for side, ent, outcome in rows:
        latest[(side, ent)] = outcome == "confirmed"
    return [(s, e, lab) for (s, e), lab in sorted(latest.items())]


def labels_csv(db: Session, user: User) -> str:
    """The dispositions as the CSV ``bantay train --labels`` reads (side,entity_id,label)."""
    rows = dispositions(db)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["side", "entity_id", "label"])
    for side, ent, lab in rows:
        w.writerow([side, ent, "true" if lab else "false"])
    audit.record(
        db,
        user_id=user.id,
        username=user.username,
        action="export",
        object_type="labels",
        object_id="dispositions",
        detail={"rows": len(rows)},
    )
    return buf.getvalue()
