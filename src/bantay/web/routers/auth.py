"""Logging in and out, the current user, API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bantay.cases import services
from bantay.web.deps import (
    SESSION_COOKIE,
    AddressDep,
    DbDep,
    PrincipalDep,
    SettingsDep,
    WriterDep,
)
from bantay.web.schemas import LoginIn, LoginOut, TokenCreate, TokenOut, UserPublic
from bantay.web.settings import WebSettings

router = APIRouter(prefix="/auth", tags=["auth"])


def set_session_cookie(response: Response, settings: WebSettings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


@router.post("/login", response_model=LoginOut)
def login(
    body: LoginIn, address: AddressDep, response: Response, db: DbDep, settings: SettingsDep
) -> LoginOut:
    """Open a browser session (JSON body only, so a cross-site form cannot post it)."""
    res = services.login(
        db,
        settings.secret_key.get_secret_value(),
        body.username,
        body.password,
        address,
        max_failures=settings.login_max_failures,
        window_s=settings.login_window_s,
        session_hours=settings.session_hours,
    )
    set_session_cookie(response, settings, res.session_token)
    return LoginOut(user=UserPublic.model_validate(res.user), csrf_token=res.csrf_token)


@router.post("/logout", status_code=204)
def logout(request: Request, principal: WriterDep, db: DbDep, settings: SettingsDep) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        services.logout(db, settings.secret_key.get_secret_value(), cookie, principal.user)
    r = Response(status_code=204)
    r.delete_cookie(SESSION_COOKIE, path="/")
    return r


@router.get("/me", response_model=UserPublic)
def me(principal: PrincipalDep) -> UserPublic:
    return UserPublic.model_validate(principal.user)


@router.post("/tokens", response_model=TokenOut, status_code=201)
def create_token(
    body: TokenCreate, principal: WriterDep, db: DbDep, settings: SettingsDep
) -> TokenOut:
    """An API token for automation, acting as the calling user; shown once, stored hashed."""
    t, raw = services.create_api_token(
        db, settings.secret_key.get_secret_value(), principal.user, body.name
    )
    return TokenOut(id=t.id, name=t.name, token=raw)
