"""User management for admins (the CLI `bantay users` does the same)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from bantay.cases import services
from bantay.web.deps import AdminDep, AdminWriterDep, DbDep
from bantay.web.schemas import UserCreate, UserList, UserPublic, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=UserList)
def list_users(principal: AdminDep, db: DbDep) -> UserList:
    users = services.list_users(db)
    return UserList(data=[UserPublic.model_validate(u) for u in users], count=len(users))


@router.post("", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, principal: AdminWriterDep, db: DbDep) -> UserPublic:
    u = services.add_user(db, principal.user, body.username, body.password, body.role)
    return UserPublic.model_validate(u)


@router.patch("/{username}", response_model=UserPublic)
def update_user(
    username: Annotated[str, Path(max_length=64)],
    body: UserUpdate,
    principal: AdminWriterDep,
    db: DbDep,
) -> UserPublic:
    """Change a user's role or disable them (each change audited; the last admin stays)."""
    u = services.get_user(db, username)
    if body.role is not None:
        u = services.set_role(db, principal.user, username, body.role)
    if body.active is not None:
        u = services.set_active(db, principal.user, username, body.active)
    return UserPublic.model_validate(u)
