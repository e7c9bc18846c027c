"""``bantay serve``, ``bantay users`` and ``bantay audit``: the analyst web app and its upkeep."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bantay.cli.common import WorkspaceOpt, app, console, err_console, workspace_path
from bantay.errors import BantayError
from bantay.workspace import DUCKDB_FILE, SQLITE_FILE

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

T = TypeVar("T")
SECRET_FILE = "web-secret.key"
SECRET_ENV = "BANTAY_WEB_SECRET_KEY"

users_app = typer.Typer(
    help="Manage the web app's local users (roles: analyst, supervisor, admin)."
)
audit_app = typer.Typer(help="The web app's audit trail.")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


def _ws(workspace: Path | None) -> Path:
    path = workspace_path(workspace)
    if not (path / DUCKDB_FILE).exists():
        raise BantayError(
            f"{path} is not a Bantay workspace (no {DUCKDB_FILE}); create one with `bantay init`"
        )
    return path


def _db_url(path: Path) -> str:
    return (
        os.environ.get("BANTAY_WEB_DATABASE_URL") or f"sqlite:///{(path / SQLITE_FILE).resolve()}"
    )


def workspace_secret(path: Path) -> str:
    """$BANTAY_WEB_SECRET_KEY, else a random key kept in the workspace (created once, mode 600)."""
    env = os.environ.get(SECRET_ENV)
    if env:
        return env
    f = path / SECRET_FILE
    if not f.exists():
        fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return f.read_text().strip()


def _session(path: Path) -> tuple[Engine, AbstractContextManager[Session]]:
    from bantay.web.db import open_db, session_scope

    engine, factory = open_db(_db_url(path))
    return engine, session_scope(factory)


def _run(fn: Callable[[], T]) -> T:
    from bantay.web.errors import WebError

    try:
        return fn()
    except WebError as exc:
        raise BantayError(exc.message) from exc


@app.command()
def serve(
    workspace: WorkspaceOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    cookie_secure: Annotated[
        bool, typer.Option(help="Mark session cookies Secure (behind HTTPS).")
    ] = False,
) -> None:
    """Serve the analyst web app (alert queue, entities, cases, audit) on HOST:PORT."""
    import uvicorn

    from bantay.web.app import create_app
    from bantay.web.settings import WebSettings

    path = _ws(workspace)
    try:
        settings = WebSettings(
            workspace=path,
            secret_key=workspace_secret(path),  # type: ignore[arg-type]
            database_url=os.environ.get("BANTAY_WEB_DATABASE_URL"),
            cookie_secure=cookie_secure,
        )
    except ValueError as exc:
        raise BantayError(str(exc)) from exc
    web = create_app(settings)
    console.print(
        f"Bantay web app on http://{host}:{port}/ (workspace {path}); it listens once the alert "
        "queue is prepared; Ctrl-C to stop"
    )
    uvicorn.run(web, host=host, port=port, log_level="warning")


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[str, typer.Option(help="analyst, supervisor or admin.")] = "analyst",
    password: Annotated[
        str | None,
        typer.Option(
            envvar="BANTAY_USER_PASSWORD",
            help="Password (10+ characters); asked for when not given.",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a user."""
    from bantay.web import services

    path = _ws(workspace)
    pw = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    engine, scope = _session(path)
    with scope as db:
        u = _run(lambda: services.add_user(db, username, pw, role))
        console.print(f"added {u.username} ({u.role})")
    engine.dispose()


@users_app.command("list")
def users_list(workspace: WorkspaceOpt = None) -> None:
    """List users with their roles."""
    from rich.table import Table

    from bantay.web import services

    engine, scope = _session(_ws(workspace))
    t = Table("user", "role", "active", "created")
    with scope as db:
        for u in services.list_users(db):
            t.add_row(u.username, u.role, "yes" if u.active else "no", str(u.created_at))
    engine.dispose()
    console.print(t)


@users_app.command("disable")
def users_disable(username: str, workspace: WorkspaceOpt = None) -> None:
    """Disable a user: sessions end and API tokens are revoked."""
    from bantay.web import services

    engine, scope = _session(_ws(workspace))
    with scope as db:
        _run(lambda: services.set_active(db, username, False))
    engine.dispose()
    console.print(f"disabled {username}")


@users_app.command("enable")
def users_enable(username: str, workspace: WorkspaceOpt = None) -> None:
    """Enable a disabled user."""
    from bantay.web import services

    engine, scope = _session(_ws(workspace))
    with scope as db:
        _run(lambda: services.set_active(db, username, True))
    engine.dispose()
    console.print(f"enabled {username}")


@users_app.command("set-role")
def users_set_role(username: str, role: str, workspace: WorkspaceOpt = None) -> None:
    """Change a user's role."""
    from bantay.web import services

    engine, scope = _session(_ws(workspace))
    with scope as db:
        _run(lambda: services.set_role(db, username, role))
    engine.dispose()
    console.print(f"{username} is now {role}")


@audit_app.command("verify")
def audit_verify(workspace: WorkspaceOpt = None) -> None:
    """Check the audit log's hash chain; exit 1 at the first altered, removed or inserted entry."""
    from bantay.web import audit

    engine, scope = _session(_ws(workspace))
    with scope as db:
        r = audit.verify(db)
    engine.dispose()
    if r.ok:
        console.print(f"audit log intact: {r.entries:,} entries, hash chain verified")
        return
    err_console.print(
        f"[bold red]audit log BROKEN[/] at entry {r.first_bad_id}: {r.problem} "
        f"({r.entries:,} entries read)"
    )
    raise typer.Exit(1)
