"""User management for admins (the CLI `bantay users` does the same)."""

from __future__ import annotations

from fastapi import APIRouter

from bantay.web import services
from bantay.web.deps import AdminDep, AdminWriterDep, DbDep
from bantay.web.schemas import UserCreate, UserList, UserPublic, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=UserList)
def list_users(principal: AdminDep, db: DbDep) -> UserList:
    users = services.list_users(db)
    return UserList(data=[UserPublic.model_validate(u) for u in users], count=len(users))


@router.post("", response_model=UserPublic, status_code=201)
def create_user(body: UserCreate, principal: AdminWriterDep, db: DbDep) -> UserPublic:
    u = services.add_user(db, body.username, body.password, body.role)
    principal.audit(db, "user_created", "user", u.username, {"role": u.role})
    return UserPublic.model_validate(u)


@router.patch("/{username}", response_model=UserPublic)
def update_user(
    username: str, body: UserUpdate, principal: AdminWriterDep, db: DbDep
) -> UserPublic:
    u = services.get_user(db, username)
    if body.role is not None:
        u = services.set_role(db, username, body.role)
    if body.active is not None:
        u = services.set_active(db, username, body.active)
    principal.audit(db, "user_updated", "user", username, body.model_dump(exclude_none=True))
    return UserPublic.model_validate(u)
