"""Request dependencies, as ``Annotated`` aliases the routers use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from bantay.cases import audit, services, triage
from bantay.cases.analytics import Analytics
from bantay.cases.models import User, WebSession
from bantay.cases.security import same
from bantay.errors import Forbidden, NotAuthenticated
from bantay.web.middleware import client_address
from bantay.web.settings import WebSettings

SESSION_COOKIE = "bantay_session"
LOGIN_CSRF_COOKIE = "bantay_login_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> WebSettings:
    s: WebSettings = request.app.state.settings
    return s


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as db:
        yield db


def get_address(request: Request) -> str:
    """The client's address (``X-Forwarded-For`` believed only from configured proxies)."""
    return client_address(request, request.app.state.proxies)


def get_analytics(request: Request) -> Analytics:
    a: Analytics = request.app.state.analytics
    return a


SettingsDep = Annotated[WebSettings, Depends(get_settings)]
DbDep = Annotated[Session, Depends(get_db)]
AnalyticsDep = Annotated[Analytics, Depends(get_analytics)]
AddressDep = Annotated[str, Depends(get_address)]


@dataclass
class Principal:
    """Who is asking, and how: a browser session (needs CSRF tokens) or an API token."""

    user: User
    session: WebSession | None

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token if self.session else ""

    def audit(
        self,
        db: Session,
        action: str,
        object_type: str,
        object_id: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        audit.record(
            db,
            user_id=self.user.id,
            username=self.user.username,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
        )


def _established(request: Request, principal: Principal) -> Principal:
    """Remember who asked, for the audit entry of a refused request."""
    request.state.actor = services.Actor.of(principal.user)
    return principal


def get_principal(request: Request, db: DbDep, settings: SettingsDep) -> Principal:
    secret = settings.secret_key.get_secret_value()
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        u = services.token_user(db, secret, auth[7:].strip()[:200])
        if u is None:
            raise NotAuthenticated("invalid or revoked API token")
        return _established(request, Principal(u, None))
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = services.session_user(db, secret, cookie[:200])
        if found is not None:
            return _established(request, Principal(found[0], found[1]))
    raise NotAuthenticated("log in, or send an API token")


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def csrf_checked(request: Request, principal: PrincipalDep) -> Principal:
    """State changes from a browser session must carry the session's CSRF token."""
    if request.method in SAFE_METHODS or principal.session is None:
        return principal
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not same(sent, principal.session.csrf_token):
        raise Forbidden("missing or wrong CSRF token")
    return principal


WriterDep = Annotated[Principal, Depends(csrf_checked)]


def role(required: str) -> Callable[[Principal], Principal]:
    def check(principal: PrincipalDep) -> Principal:
        services.require_role(principal.user, required)
        return principal

    return check


def role_writer(required: str) -> Callable[[Principal], Principal]:
    def check(principal: WriterDep) -> Principal:
        services.require_role(principal.user, required)
        return principal

    return check


SupervisorDep = Annotated[Principal, Depends(role("supervisor"))]
SupervisorWriterDep = Annotated[Principal, Depends(role_writer("supervisor"))]
AdminDep = Annotated[Principal, Depends(role("admin"))]
AdminWriterDep = Annotated[Principal, Depends(role_writer("admin"))]


def sync_statuses(db: Session, analytics: Analytics) -> None:
    """Refresh the in-memory entity statuses and triage states of the queue when they changed."""
    analytics.ensure_queue()
    version = services.status_version(db)
    if version != analytics.status_version:
        analytics.set_statuses(version, services.all_entity_statuses(db))
    tversion = triage.version(db)
    if tversion != analytics.triage_version:
        analytics.set_triage(tversion, triage.queue_states(db))
