"""The workflow core: users, logins, tokens, cases, decisions, reviews, training labels.

The JSON API, the HTML pages, the command line and the exports all call these functions; none of
them reads a request. Every state change and its audit entry commit in one write transaction
(:func:`~bantay.cases.db.writing`).

Rules kept here, whoever calls:

- **Per-case access**: a case's owner and assignees act on it (members, comments, decisions,
  closing); others read it. Supervisors review any decision but their own, and reassign a case;
  a reassignment gives its reason, recorded in the trail.
- **Decisions freeze their subject**: a decision covers the case's members and their evidence (alert
  ids) as they were when it was made (``subject``, hashed). A change to the case afterwards
  reopens review: the decision can no longer be reviewed or closed on, a new one is needed.
- **Training labels come only from reviewed dispositions** (four eyes): a closed case's members
  *as its closing decision stated them*, when a supervisor approved that decision; and alerts
  closed in triage with a reason code saying the activity is explained (not offenders), once a
  supervisor other than who closed the alert confirmed the closing
  (:func:`bantay.cases.triage.confirm`). A reviewed case outcome overrides a triage closing of the
  same entity.
- Closed cases are read-only; only existing entities join a case; every text has a bound.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bantay.cases import audit
from bantay.cases.db import writing
from bantay.cases.models import (
    DECISIONS,
    ROLES,
    ApiToken,
    Case,
    CaseAssignee,
    CaseEvidence,
    CaseMember,
    CaseNarrative,
    Comment,
    Decision,
    LoginFailure,
    User,
    WebSession,
    utcnow,
)
from bantay.cases.security import (
    TOKEN_PREFIX,
    hash_password,
    new_token,
    token_hash,
    verify_password,
)
from bantay.csvsafe import csv_text
from bantay.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound, Throttled

RANK = {r: i for i, r in enumerate(ROLES)}
SIDES = ("payer", "beneficiary")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
#: bounds on what analysts type (characters)
MAX_TITLE = 200
MAX_ENTITY_ID = 200
MAX_ALERT_ID = 64
MAX_COMMENT = 10_000
MAX_RATIONALE = 5_000
MAX_NOTE = 5_000
MAX_REASON = 1_000
#: a case's narrative: goAML's <reason> takes 4,000 characters (FinCEN's narrative 17,000)
MAX_NARRATIVE = 4_000
MAX_MEMBERS = 500
#: failed logins from one address, over all user names, before that address is slowed down
ADDRESS_FAILURE_FACTOR = 10
#: the first wait once a user and address reach the limit (doubles with each further failure)
BACKOFF_BASE_S = 30
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class EntityCatalog(Protocol):
    """What the workflow asks of the analytics: does this entity exist on this side?"""

    def exists(self, side: str, entity_id: str) -> bool: ...


@dataclass(frozen=True)
class Actor:
    """Who acts: a user of the app, or the operator at the command line (an administrator)."""

    user_id: int | None
    username: str
    role: str

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, user.role)

    @classmethod
    def operator(cls) -> Actor:
        """The person at the command line: acts with the workspace's files, so as an admin."""
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
        return cls(None, f"cli:{name}"[:64], "admin")


def has_role(user: User | Actor, role: str) -> bool:
    return RANK[user.role] >= RANK[role]


def require_role(user: User | Actor, role: str) -> None:
    if not has_role(user, role):
        raise Forbidden(f"needs the {role} role (you are {user.role})")


def _actor(user: User | Actor) -> Actor:
    return user if isinstance(user, Actor) else Actor.of(user)


def _entry(
    db: Session,
    by: User | Actor,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    a = _actor(by)
    audit.append(
        db,
        user_id=a.user_id,
        username=a.username,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )


def text_field(
    value: str, name: str, *, max_len: int, min_len: int = 1, single_line: bool = False
) -> str:
    """``value`` stripped and checked: length within bounds, no control characters on one line."""
    v = value.strip()
    if len(v) < min_len:
        raise Invalid(
            f"{name}: needs at least {min_len} character{'s' if min_len > 1 else ''}"
            if min_len > 1
            else f"{name}: must not be empty"
        )
    if len(v) > max_len:
        raise Invalid(f"{name}: at most {max_len:,} characters (got {len(v):,})")
    if single_line and _CONTROL.search(v):
        raise Invalid(f"{name}: must not contain control characters")
    return v


def refused(db: Session, by: User | Actor | None, what: str, detail: dict[str, Any]) -> None:
    """An audit entry for a refused attempt (HTTP 403, or the command line's equivalent)."""
    a = _actor(by) if by is not None else Actor(None, "anonymous", "analyst")
    with writing(db):
        audit.append(
            db,
            user_id=a.user_id,
            username=a.username,
            action="refused",
            object_type="request",
            object_id=what[:300],
            detail=detail,
        )


# ---- users -------------------------------------------------------------------------------------


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise Invalid(f"role: unknown role {role!r}; one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password: must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise Invalid(f"password: at most {MAX_PASSWORD} characters")


def add_user(db: Session, by: User | Actor, username: str, password: str, role: str) -> User:
    require_role(by, "admin")
    _check_role(role)
    _check_password(password)
    if not _USERNAME.match(username):
        raise Invalid(
            "username: 1-64 characters, letters, digits and . _ @ - (starting with a letter or "
            "digit)"
        )
    with writing(db):
        if db.execute(select(User).where(User.username == username)).scalar_one_or_none():
            raise Conflict(f"user {username!r} exists")
        u = User(username=username, password_hash=hash_password(password), role=role)
        db.add(u)
        db.flush()
        _entry(db, by, "user_created", "user", username, {"role": role})
    return u


def get_user(db: Session, username: str) -> User:
    u = db.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if u is None:
        raise NotFound(f"no user {username!r}")
    return u


def list_users(db: Session) -> list[User]:
    return list(db.execute(select(User).order_by(User.username)).scalars())


def _other_active_admins(db: Session, u: User) -> int:
    return int(
        db.execute(
            select(func.count())
            .select_from(User)
            .where(User.role == "admin", User.active.is_(True), User.id != u.id)
        ).scalar_one()
    )


def set_role(db: Session, by: User | Actor, username: str, role: str) -> User:
    require_role(by, "admin")
    _check_role(role)
    with writing(db):
        u = get_user(db, username)
        before = u.role
        if before == "admin" and role != "admin" and u.active and not _other_active_admins(db, u):
            raise Conflict(f"{username} is the last active admin; make another admin first")
        u.role = role
        _entry(db, by, "user_role_set", "user", username, {"from": before, "to": role})
    return u


def set_active(db: Session, by: User | Actor, username: str, active: bool) -> User:
    require_role(by, "admin")
    with writing(db):
        u = get_user(db, username)
        if not active and u.role == "admin" and u.active and not _other_active_admins(db, u):
            raise Conflict(f"{username} is the last active admin and cannot be disabled")
        u.active = active
        revoked = 0
        if not active:
            db.execute(delete(WebSession).where(WebSession.user_id == u.id))
            for t in db.execute(select(ApiToken).where(ApiToken.user_id == u.id)).scalars():
                if not t.revoked:
                    t.revoked = True
                    revoked += 1
        _entry(
            db,
            by,
            "user_enabled" if active else "user_disabled",
            "user",
            username,
            {"tokens_revoked": revoked} if not active else {},
        )
    return u


def set_password(db: Session, by: User | Actor, username: str, password: str) -> User:
    require_role(by, "admin")
    _check_password(password)
    with writing(db):
        u = get_user(db, username)
        u.password_hash = hash_password(password)
        _entry(db, by, "password_set", "user", username)
    return u


# ---- logins, sessions, tokens ------------------------------------------------------------------


@dataclass
class Login:
    user: User
    session_token: str
    csrf_token: str


def _wait_s(n: int, limit: int, last: dt.datetime | None, window_s: int) -> int:
    """Seconds left to wait after ``n`` recent failures (0 below ``limit``): 30 s, 60 s, ..."""
    if n < limit or last is None:
        return 0
    wait = min(window_s, BACKOFF_BASE_S * 2 ** min(n - limit, 20))
    left = (last + dt.timedelta(seconds=wait) - utcnow()).total_seconds()
    return max(0, math.ceil(left))


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
    """Check the password and open a session.

    Failures slow down the pair (user name, address) that made them, with a doubling wait once
    there are ``max_failures`` within ``window_s``; one address failing over many user names is
    slowed down too. A user logging in from elsewhere is not locked out by someone else's guesses.
    """
    name = username[:64]
    addr = address[:64]
    since = utcnow() - dt.timedelta(seconds=window_s)
    with writing(db):
        n, last = db.execute(
            select(func.count(), func.max(LoginFailure.at)).where(
                LoginFailure.at >= since,
                LoginFailure.username == name,
                LoginFailure.address == addr,
            )
        ).one()
        wait = _wait_s(int(n), max_failures, last, window_s)
        if not wait:
            n_addr, last_addr = db.execute(
                select(func.count(), func.max(LoginFailure.at)).where(
                    LoginFailure.at >= since, LoginFailure.address == addr
                )
            ).one()
            wait = _wait_s(int(n_addr), max_failures * ADDRESS_FAILURE_FACTOR, last_addr, window_s)
        if wait:
            audit.append(
                db,
                user_id=None,
                username=name,
                action="login_throttled",
                object_type="user",
                object_id=name,
                detail={"address": addr, "retry_after": wait},
            )
    if wait:
        raise Throttled(f"too many failed logins; try again in {wait} seconds", wait)
    u = db.execute(select(User).where(User.username == name)).scalar_one_or_none()
    ok = verify_password(u.password_hash if u else None, password[:MAX_PASSWORD])
    if not ok or u is None or not u.active:
        with writing(db):
            db.add(LoginFailure(username=name, address=addr))
            audit.append(
                db,
                user_id=None,
                username=name,
                action="login_failed",
                object_type="user",
                object_id=name,
                detail={"address": addr},
            )
        raise NotAuthenticated("wrong user name or password")
    token = new_token()
    csrf = new_token()
    with writing(db):
        db.execute(
            delete(LoginFailure).where(LoginFailure.username == name, LoginFailure.address == addr)
        )
        db.add(
            WebSession(
                id=token_hash(secret, token),
                user_id=u.id,
                csrf_token=csrf,
                expires_at=utcnow() + dt.timedelta(hours=session_hours),
            )
        )
        _entry(db, u, "login", "user", u.username, {"address": addr})
    return Login(u, token, csrf)


def session_user(db: Session, secret: str, token: str) -> tuple[User, WebSession] | None:
    s = db.get(WebSession, token_hash(secret, token))
    if s is None or s.expires_at < utcnow():
        return None
    u = db.get(User, s.user_id)
    if u is None or not u.active:
        return None
    return u, s


def logout(db: Session, secret: str, token: str, user: User) -> None:
    with writing(db):
        db.execute(delete(WebSession).where(WebSession.id == token_hash(secret, token)))
        _entry(db, user, "logout", "user", user.username)


def create_api_token(db: Session, secret: str, user: User, name: str) -> tuple[ApiToken, str]:
    label = text_field(name, "name", max_len=100, single_line=True)
    raw = new_token(TOKEN_PREFIX)
    with writing(db):
        t = ApiToken(
            token_hash=token_hash(secret, raw), prefix=raw[:8], name=label, user_id=user.id
        )
        db.add(t)
        db.flush()
        _entry(db, user, "token_created", "api_token", str(t.id), {"name": label})
    return t, raw


def token_user(db: Session, secret: str, raw: str) -> User | None:
    t = db.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(secret, raw))
    ).scalar_one_or_none()
    if t is None or t.revoked:
        return None
    u = db.get(User, t.user_id)
    return u if u is not None and u.active else None


# ---- cases: access -----------------------------------------------------------------------------


def get_case(db: Session, case_id: int) -> Case:
    c = db.get(Case, case_id)
    if c is None:
        raise NotFound(f"no case {case_id}")
    return c


def assignee_ids(db: Session, case_id: int) -> list[int]:
    return [
        int(i)
        for i in db.execute(
            select(CaseAssignee.user_id)
            .where(CaseAssignee.case_id == case_id)
            .order_by(CaseAssignee.id)
        ).scalars()
    ]


def can_act(db: Session, user: User, c: Case) -> bool:
    """The owner and the assignees act on a case; everyone else reads it."""
    return user.id == c.owner_id or user.id in assignee_ids(db, c.id)


def _require_act(db: Session, user: User, c: Case) -> None:
    if not can_act(db, user, c):
        owner = db.get(User, c.owner_id)
        raise Forbidden(
            f"case {c.id} is {owner.username if owner else 'someone else'}'s: only its owner and "
            "assignees act on it (ask its owner or a supervisor to assign you)"
        )


def _touch(c: Case) -> None:
    c.updated_at = utcnow()


def _check_open(c: Case) -> None:
    if c.status == "closed":
        raise Conflict(f"case {c.id} is closed: it is read-only")


# ---- cases: subject ----------------------------------------------------------------------------


def subject_of(db: Session, case_id: int) -> list[list[str | None]]:
    """The case's members with their evidence (alert id), in a canonical order."""
    return [
        [str(s), str(e), a]
        for s, e, a in db.execute(
            select(CaseMember.side, CaseMember.entity_id, CaseMember.alert_id)
            .where(CaseMember.case_id == case_id)
            .order_by(CaseMember.side, CaseMember.entity_id)
        ).all()
    ]


def subject_hash(subject: list[list[str | None]]) -> str:
    return hashlib.sha256(json.dumps(subject, separators=(",", ":")).encode()).hexdigest()


def current_narrative(db: Session, case_id: int) -> CaseNarrative | None:
    """The case's narrative as it stands (its latest version), if one was written."""
    return db.execute(
        select(CaseNarrative)
        .where(CaseNarrative.case_id == case_id)
        .order_by(CaseNarrative.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def narrative_versions(db: Session, case_id: int) -> list[CaseNarrative]:
    """Every version of the case's narrative, newest first."""
    return list(
        db.execute(
            select(CaseNarrative)
            .where(CaseNarrative.case_id == case_id)
            .order_by(CaseNarrative.version.desc())
        ).scalars()
    )


def latest_evidence_choice(db: Session, case_id: int) -> int | None:
    """The id of the case's latest evidence choice (None: the default evidence)."""
    v = db.execute(
        select(func.max(CaseEvidence.id)).where(CaseEvidence.case_id == case_id)
    ).scalar_one()
    return int(v) if v is not None else None


def case_evidence(db: Session, case_id: int) -> dict[tuple[str, str], bool]:
    """(institution, transaction id) -> added (True) or removed (False): the analysts' latest
    choice for each payment they chose about; the others keep the default."""
    out: dict[tuple[str, str], bool] = {}
    for e in db.execute(
        select(CaseEvidence).where(CaseEvidence.case_id == case_id).order_by(CaseEvidence.id)
    ).scalars():
        out[(e.institution, e.transaction_id)] = bool(e.included)
    return out


def decision_is_current(db: Session, d: Decision) -> bool:
    """Whether the case still is what the decision covered: its members, their evidence (alerts
    and the payments chosen) and its narrative."""
    if d.subject_hash != subject_hash(subject_of(db, d.case_id)):
        return False
    if d.evidence_id != latest_evidence_choice(db, d.case_id):
        return False
    n = current_narrative(db, d.case_id)
    return d.narrative_id == (n.id if n else None)


def _member(
    side: str, entity_id: str, alert_id: str | None, entities: EntityCatalog
) -> tuple[str, str, str | None]:
    if side not in SIDES:
        raise Invalid(f"side: must be payer or beneficiary, not {side[:20]!r}")
    ent = text_field(entity_id, "entity_id", max_len=MAX_ENTITY_ID, single_line=True)
    alert = (
        text_field(alert_id, "alert_id", max_len=MAX_ALERT_ID, single_line=True)
        if alert_id
        else None
    )
    if not entities.exists(side, ent):
        raise Invalid(f"entity_id: no {side} entity {ent!r} in the workspace's latest resolution")
    return side, ent, alert


def _add_member(
    db: Session, c: Case, user: User, side: str, entity_id: str, alert_id: str | None
) -> bool:
    existing = db.execute(
        select(CaseMember).where(
            CaseMember.case_id == c.id, CaseMember.side == side, CaseMember.entity_id == entity_id
        )
    ).scalar_one_or_none()
    if existing is not None:
        return False
    db.add(
        CaseMember(
            case_id=c.id, side=side, entity_id=entity_id, alert_id=alert_id, added_by=user.id
        )
    )
    db.flush()
    return True


def latest_decision(db: Session, case_id: int) -> Decision | None:
    return db.execute(
        select(Decision).where(Decision.case_id == case_id).order_by(Decision.id.desc()).limit(1)
    ).scalar_one_or_none()


def _reopen_if_changed(db: Session, c: Case) -> int | None:
    """After a change to the case: a decision that no longer covers it goes back to review.

    Returns the id of the decision reopened (None when there was nothing to reopen).
    """
    d = latest_decision(db, c.id)
    if d is None or decision_is_current(db, d):
        return None
    if c.status == "pending_review":
        c.status = "open"
    return d.id


# ---- cases: actions ----------------------------------------------------------------------------


def create_case(
    db: Session,
    user: User,
    title: str,
    members: list[tuple[str, str, str | None]] | None = None,
    assignee: str | None = None,
    *,
    entities: EntityCatalog,
) -> Case:
    """Open a case owned by ``user``, with members that exist in the workspace."""
    t = text_field(title, "title", max_len=MAX_TITLE, single_line=True)
    if len(members or []) > MAX_MEMBERS:
        raise Invalid(f"members: at most {MAX_MEMBERS} per request")
    checked = [_member(s, e, a, entities) for s, e, a in members or []]
    with writing(db):
        c = Case(title=t, created_by=user.id, owner_id=user.id)
        db.add(c)
        db.flush()
        assignees: list[str] = []
        if assignee:
            a = get_user(db, assignee)
            if not a.active:
                raise Invalid(f"assignee: {assignee} is disabled")
            db.add(CaseAssignee(case_id=c.id, user_id=a.id, added_by=user.id))
            assignees.append(a.username)
        for side, entity_id, alert_id in checked:
            _add_member(db, c, user, side, entity_id, alert_id)
        _entry(
            db,
            user,
            "case_created",
            "case",
            str(c.id),
            {
                "title": c.title,
                "members": [f"{s}:{e}" for s, e, _ in checked],
                "assignees": assignees,
            },
        )
    return c


def add_member(
    db: Session,
    user: User,
    case_id: int,
    side: str,
    entity_id: str,
    alert_id: str | None,
    *,
    entities: EntityCatalog,
) -> CaseMember:
    side, entity_id, alert_id = _member(side, entity_id, alert_id, entities)
    with writing(db):
        c = get_case(db, case_id)
        _require_act(db, user, c)
        _check_open(c)
        added = _add_member(db, c, user, side, entity_id, alert_id)
        reopened = _reopen_if_changed(db, c) if added else None
        _touch(c)
        detail: dict[str, Any] = {"side": side, "entity_id": entity_id, "alert_id": alert_id}
        if not added:
            detail["already_member"] = True
        if reopened is not None:
            detail["review_reopened"] = reopened
        _entry(db, user, "case_member_added", "case", str(c.id), detail)
        m = db.execute(
            select(CaseMember).where(
                CaseMember.case_id == c.id,
                CaseMember.side == side,
                CaseMember.entity_id == entity_id,
            )
        ).scalar_one()
    return m


def assign(
    db: Session,
    user: User,
    case_id: int,
    assignees: list[str] | None,
    reason: str,
    owner: str | None = None,
) -> Case:
    """Set who works the case (and, optionally, who owns it), with the reason: audited.

    The owner and supervisors reassign; the assignees replace the current ones.
    """
    why = text_field(reason, "reason", max_len=MAX_REASON, min_len=5)
    with writing(db):
        c = get_case(db, case_id)
        _check_open(c)
        if user.id != c.owner_id and not has_role(user, "supervisor"):
            raise Forbidden(f"only case {c.id}'s owner or a supervisor reassigns it")
        names = {u.id: u.username for u in db.execute(select(User)).scalars()}
        before = [names.get(i, "?") for i in assignee_ids(db, c.id)]
        owner_before = names.get(c.owner_id, "?")
        new_ids: list[int] = []
        for name in dict.fromkeys(assignees or []):
            a = get_user(db, name)
            if not a.active:
                raise Invalid(f"assignees: {name} is disabled")
            new_ids.append(a.id)
        if owner is not None:
            o = get_user(db, owner)
            if not o.active:
                raise Invalid(f"owner: {owner} is disabled")
            c.owner_id = o.id
        db.execute(delete(CaseAssignee).where(CaseAssignee.case_id == c.id))
        for i in new_ids:
            db.add(CaseAssignee(case_id=c.id, user_id=i, added_by=user.id))
        _touch(c)
        _entry(
            db,
            user,
            "case_assigned",
            "case",
            str(c.id),
            {
                "assignees_before": before,
                "assignees": [names[i] for i in new_ids],
                "owner_before": owner_before,
                "owner": names.get(c.owner_id, "?"),
                "reason": why,
            },
        )
    return c


def comment(db: Session, user: User, case_id: int, body: str) -> Comment:
    text = text_field(body, "body", max_len=MAX_COMMENT)
    with writing(db):
        c = get_case(db, case_id)
        _require_act(db, user, c)
        _check_open(c)
        m = Comment(case_id=c.id, user_id=user.id, body=text)
        db.add(m)
        _touch(c)
        db.flush()
        _entry(db, user, "comment", "case", str(c.id), {"comment_id": m.id})
    return m


class PaymentCatalog(Protocol):
    """What choosing evidence asks of the analytics: is this a payment of these members?"""

    def payment_of(
        self, members: list[tuple[str, str]], institution: str, transaction_id: str
    ) -> bool: ...


def choose_evidence(
    db: Session,
    user: User,
    case_id: int,
    institution: str,
    transaction_id: str,
    included: bool,
    *,
    payments: PaymentCatalog,
) -> CaseEvidence:
    """Add a payment of the case's members to its evidence, or remove one (owner and
    assignees, open cases). A decision made before no longer covers the case."""
    inst = text_field(institution, "institution", max_len=100, single_line=True)
    tx = text_field(transaction_id, "transaction_id", max_len=200, single_line=True)
    with writing(db):
        c = get_case(db, case_id)
        _require_act(db, user, c)
        _check_open(c)
        members = [(str(s), str(e)) for s, e, _a in subject_of(db, c.id)]
        if not payments.payment_of(members, inst, tx):
            raise Invalid(
                f"payment {inst}/{tx}: not a payment of case {c.id}'s members on their side"
            )
        e = CaseEvidence(
            case_id=c.id, institution=inst, transaction_id=tx, included=included, user_id=user.id
        )
        db.add(e)
        db.flush()
        reopened = _reopen_if_changed(db, c)
        _touch(c)
        detail: dict[str, Any] = {
            "institution": inst,
            "transaction_id": tx,
            "included": included,
        }
        if reopened is not None:
            detail["review_reopened"] = reopened
        _entry(
            db,
            user,
            "evidence_added" if included else "evidence_removed",
            "case",
            str(c.id),
            detail,
        )
    return e


def save_narrative(db: Session, user: User, case_id: int, body: str) -> CaseNarrative:
    """A new version of the case's STR/SAR narrative (owner and assignees, open cases only).

    The narrative is decision content: a decision made on an earlier version no longer covers
    the case (its review reopens, like a change of members). Saving the current text again
    changes nothing.
    """
    text = text_field(body.replace("\r\n", "\n"), "narrative", max_len=MAX_NARRATIVE, min_len=20)
    with writing(db):
        c = get_case(db, case_id)
        _require_act(db, user, c)
        _check_open(c)
        current = current_narrative(db, c.id)
        if current is not None and current.body == text:
            return current
        n = CaseNarrative(
            case_id=c.id,
            version=(current.version + 1) if current else 1,
            body=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            user_id=user.id,
        )
        db.add(n)
        db.flush()
        reopened = _reopen_if_changed(db, c)
        _touch(c)
        detail: dict[str, Any] = {
            "narrative_id": n.id,
            "version": n.version,
            "sha256": n.sha256,
            "chars": len(text),
            "body": text,
        }
        if reopened is not None:
            detail["review_reopened"] = reopened
        _entry(db, user, "narrative_saved", "case", str(c.id), detail)
    return n


def decide(db: Session, user: User, case_id: int, decision: str, rationale: str) -> Decision:
    """Record a disposition of the case's current members and evidence, with its rationale.

    A confirmed one waits for a supervisor's review.
    """
    if decision not in DECISIONS:
        raise Invalid(f"decision: must be one of {', '.join(DECISIONS)}")
    why = rationale.strip()
    if len(why) < 5:
        raise Invalid("rationale: a decision needs a rationale (at least a few words)")
    why = text_field(why, "rationale", max_len=MAX_RATIONALE, min_len=5)
    with writing(db):
        c = get_case(db, case_id)
        _require_act(db, user, c)
        _check_open(c)
        subject = subject_of(db, c.id)
        if not subject and decision != "needs_information":
            raise Conflict("the case has no members: add the entities the decision is about")
        narrative = current_narrative(db, c.id)
        d = Decision(
            case_id=c.id,
            user_id=user.id,
            decision=decision,
            rationale=why,
            subject=json.dumps(subject, separators=(",", ":")),
            subject_hash=subject_hash(subject),
            narrative_id=narrative.id if narrative else None,
            evidence_id=latest_evidence_choice(db, c.id),
        )
        db.add(d)
        c.status = "pending_review" if decision == "confirmed" else "open"
        _touch(c)
        db.flush()
        _entry(
            db,
            user,
            "decision",
            "case",
            str(c.id),
            {
                "decision_id": d.id,
                "decision": decision,
                "rationale": d.rationale,
                "subject": [f"{s}:{e}" for s, e, _ in subject],
                "subject_hash": d.subject_hash,
                "narrative_version": narrative.version if narrative else None,
            },
        )
    return d


def review(db: Session, user: User, case_id: int, approve: bool, note: str) -> Decision:
    """A supervisor (not the decision's author) approves or returns the latest decision.

    Only a decision that still covers the case can be reviewed.
    """
    require_role(user, "supervisor")
    text = note.strip()
    if len(text) > MAX_NOTE:
        raise Invalid(f"note: at most {MAX_NOTE:,} characters")
    if not approve and not text:
        raise Invalid("note: returning a decision needs a note")
    with writing(db):
        c = get_case(db, case_id)
        _check_open(c)
        d = latest_decision(db, case_id)
        if d is None:
            raise Conflict("nothing to review: the case has no decision")
        if d.reviewed_by is not None:
            raise Conflict("the latest decision is already reviewed")
        if d.user_id == user.id:
            raise Forbidden("a decision is reviewed by another person than its author")
        if not decision_is_current(db, d):
            raise Conflict(
                f"the case changed after decision {d.id} (members, evidence or narrative): it no "
                "longer covers the case; a new decision is needed"
            )
        d.reviewed_by = user.id
        d.reviewed_at = utcnow()
        d.review_approved = approve
        d.review_note = text or None
        if not approve:
            c.status = "open"
        _touch(c)
        _entry(
            db,
            user,
            "review",
            "case",
            str(c.id),
            {
                "decision_id": d.id,
                "approved": approve,
                "note": d.review_note,
                "subject_hash": d.subject_hash,
            },
        )
    return d


def close(db: Session, user: User, case_id: int) -> Case:
    """Close with the latest decision's outcome; confirmed needs an approving supervisor review,
    and the decision must still cover the case."""
    with writing(db):
        c = get_case(db, case_id)
        _require_act(db, user, c)
        _check_open(c)
        d = latest_decision(db, case_id)
        if d is None:
            raise Conflict("record a decision (with its rationale) before closing the case")
        if d.decision == "needs_information":
            raise Conflict("the latest decision asks for more information; decide before closing")
        if not decision_is_current(db, d):
            raise Conflict(
                f"the case changed after decision {d.id}: record a new decision on what it is now"
            )
        if d.decision == "confirmed" and not (d.reviewed_by is not None and d.review_approved):
            raise Forbidden(
                "a case is closed as confirmed only after a supervisor's approving review"
            )
        c.status = "closed"
        c.outcome = d.decision
        c.closed_decision_id = d.id
        _touch(c)
        _entry(
            db,
            user,
            "case_closed",
            "case",
            str(c.id),
            {"outcome": d.decision, "decision_id": d.id, "reviewed": bool(d.review_approved)},
        )
    return c


def can_review(db: Session, user: User, c: Case) -> bool:
    """Whether :func:`review` would accept ``user``'s review of the case's latest decision now."""
    if not has_role(user, "supervisor") or c.status == "closed":
        return False
    d = latest_decision(db, c.id)
    return (
        d is not None
        and d.reviewed_by is None
        and d.user_id != user.id
        and decision_is_current(db, d)
    )


def can_close(db: Session, user: User, c: Case) -> bool:
    """Whether :func:`close` would close the case for ``user`` now (so pages offer it only then)."""
    if c.status == "closed" or not can_act(db, user, c):
        return False
    d = latest_decision(db, c.id)
    if d is None or d.decision == "needs_information" or not decision_is_current(db, d):
        return False
    return d.decision != "confirmed" or (d.reviewed_by is not None and bool(d.review_approved))


# ---- statuses and labels -----------------------------------------------------------------------


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


def latest_cases(db: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(side, entity) -> the case its status comes from (its latest case), for ``keys``."""
    if not keys:
        return {}
    wanted = set(keys)
    rows = db.execute(
        select(CaseMember.side, CaseMember.entity_id, Case.id)
        .join(Case, Case.id == CaseMember.case_id)
        .where(CaseMember.entity_id.in_({e for _, e in keys}))
        .order_by(Case.updated_at, Case.id)
    ).all()
    return {(s, e): int(cid) for s, e, cid in rows if (s, e) in wanted}


def entity_cases(db: Session, side: str, entity_id: str) -> list[Case]:
    """Every case the entity is a member of, latest change first."""
    return list(
        db.execute(
            select(Case)
            .join(CaseMember, CaseMember.case_id == Case.id)
            .where(CaseMember.side == side, CaseMember.entity_id == entity_id)
            .order_by(Case.updated_at.desc(), Case.id.desc())
        ).scalars()
    )


def all_entity_statuses(db: Session) -> dict[tuple[str, str], str]:
    return _statuses(db, None)


def status_version(db: Session) -> tuple[int, str]:
    n, last = db.execute(select(func.count(), func.max(Case.updated_at)).select_from(Case)).one()
    m = db.execute(select(func.count()).select_from(CaseMember)).scalar_one()
    return int(n) * 1_000_003 + int(m), str(last)


def dispositions(db: Session) -> list[tuple[str, str, bool]]:
    """(side, entity_id, label) for training: confirmed → True, false positive → False.

    Only reviewed outcomes count: a closed case whose closing decision a supervisor approved, and
    only the members that decision stated (its frozen subject), never members added later.
    """
    rows = db.execute(
        select(Decision.decision, Decision.subject)
        .join(Case, Case.closed_decision_id == Decision.id)
        .where(
            Case.status == "closed",
            Decision.review_approved.is_(True),
            Decision.decision.in_(("confirmed", "false_positive")),
        )
        .order_by(Case.updated_at, Case.id)
    ).all()
    latest: dict[tuple[str, str], bool] = {}
    for outcome, subject in rows:
        for side, ent, _alert in json.loads(subject or "[]"):
            latest[(str(side), str(ent))] = outcome == "confirmed"
    return [(s, e, lab) for (s, e), lab in sorted(latest.items())]


def training_labels(db: Session) -> list[tuple[str, str, bool]]:
    """(side, entity_id, label): the confirmed triage closings that give a label
    (:func:`bantay.cases.triage.triage_labels`: confirmed by a supervisor other than who closed
    the alert), overridden by reviewed case outcomes (:func:`dispositions`) for the same entity."""
    from bantay.cases.triage import triage_labels  # triage builds on this module

    labels = triage_labels(db)
    labels.update({(s, e): lab for s, e, lab in dispositions(db)})
    return [(s, e, lab) for (s, e), lab in sorted(labels.items())]


def labels_csv(db: Session, user: User) -> str:
    """The analysts' dispositions as the CSV ``bantay train --labels`` reads
    (side,entity_id,label): reviewed case outcomes, and alerts closed in triage as explained
    whose closing a second person (a supervisor) confirmed."""
    require_role(user, "supervisor")
    rows = training_labels(db)
    text = csv_text(
        ["side", "entity_id", "label"],
        [[side, ent, "true" if lab else "false"] for side, ent, lab in rows],
    )
    audit.record(
        db,
        user_id=user.id,
        username=user.username,
        action="export",
        object_type="labels",
        object_id="dispositions",
        detail={"rows": len(rows)},
    )
    return text
