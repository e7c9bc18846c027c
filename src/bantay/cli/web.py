"""``bantay serve``, ``bantay users`` and ``bantay audit``: the analyst web app and its upkeep."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from bantay.cli.common import WorkspaceOpt, app, console, err_console, workspace_path
from bantay.errors import BantayError
from bantay.workspace import DUCKDB_FILE, SQLITE_FILE

if TYPE_CHECKING:
    from bantay.cases.db import Workflow
SECRET_FILE = "web-secret.key"
SECRET_ENV = "BANTAY_WEB_SECRET_KEY"

users_app = typer.Typer(
    help="Manage the web app's local users (roles: analyst, supervisor, admin)."
)
audit_app = typer.Typer(help="The workflow's audit trail: verify it, checkpoint it.")
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


def _workflow(path: Path) -> Workflow:
    from bantay.cases.db import open_workflow

    return open_workflow(path, os.environ.get("BANTAY_WEB_DATABASE_URL"))


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
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            help="Address or network of a reverse proxy whose X-Forwarded-For is believed "
            "(repeatable); by default nobody's is."
        ),
    ] = None,
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
            trusted_proxies=trusted_proxy or [],
        )
    except ValueError as exc:
        raise BantayError(str(exc)) from exc
    web = create_app(settings, serving=True)
    console.print(
        f"Bantay web app on http://{host}:{port}/ (workspace {path}); it listens once the alert "
        "queue is prepared; Ctrl-C to stop"
    )
    # the client address comes from the app's own rule (settings.trusted_proxies), never from
    # uvicorn's, which believes X-Forwarded-For from any loopback client
    uvicorn.run(web, host=host, port=port, log_level="warning", proxy_headers=False)


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
    """Add a user (recorded in the audit trail as done by cli:<you>)."""
    from bantay.cases import services

    path = _ws(workspace)
    pw = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with _workflow(path) as wf, wf.session() as db:
        u = services.add_user(db, services.Actor.operator(), username, pw, role)
        console.print(f"added {u.username} ({u.role})")


@users_app.command("list")
def users_list(workspace: WorkspaceOpt = None) -> None:
    """List users with their roles."""
    from rich.table import Table

    from bantay.cases import services

    t = Table("user", "role", "active", "created")
    with _workflow(_ws(workspace)) as wf, wf.session() as db:
        for u in services.list_users(db):
            t.add_row(u.username, u.role, "yes" if u.active else "no", str(u.created_at))
    console.print(t)


@users_app.command("disable")
def users_disable(username: str, workspace: WorkspaceOpt = None) -> None:
    """Disable a user: sessions end and API tokens are revoked (never the last admin)."""
    from bantay.cases import services

    with _workflow(_ws(workspace)) as wf, wf.session() as db:
        services.set_active(db, services.Actor.operator(), username, False)
    console.print(f"disabled {username}")


@users_app.command("enable")
def users_enable(username: str, workspace: WorkspaceOpt = None) -> None:
    """Enable a disabled user."""
    from bantay.cases import services

    with _workflow(_ws(workspace)) as wf, wf.session() as db:
        services.set_active(db, services.Actor.operator(), username, True)
    console.print(f"enabled {username}")


@users_app.command("set-role")
def users_set_role(username: str, role: str, workspace: WorkspaceOpt = None) -> None:
    """Change a user's role (the last admin keeps theirs)."""
    from bantay.cases import services

    with _workflow(_ws(workspace)) as wf, wf.session() as db:
        services.set_role(db, services.Actor.operator(), username, role)
    console.print(f"{username} is now {role}")


@audit_app.command("verify")
def audit_verify(workspace: WorkspaceOpt = None) -> None:
    """Check the audit log: its keyed hash chain and every checkpoint. Exit 1 when it was
    altered, entries deleted, inserted or re-hashed, or the log truncated; each is named."""
    from bantay.cases import audit

    with _workflow(_ws(workspace)) as wf, wf.session() as db:
        r = audit.verify(db)
        where = audit.config(db).checkpoints
    if r.ok:
        console.print(
            f"audit log intact: {r.entries:,} entries, keyed hash chain verified against "
            f"{r.checkpoints:,} checkpoint{'s' if r.checkpoints != 1 else ''} ({where})"
        )
        return
    err_console.print(
        f"[bold red]audit log BROKEN[/] ({r.entries:,} entries read): {', '.join(r.kinds)}",
        highlight=False,
    )
    for f in r.findings[:50]:
        err_console.print(f"  {f.kind}: {escape(f.message)}", highlight=False)
    if len(r.findings) > 50:
        err_console.print(f"  ... and {len(r.findings) - 50:,} more", highlight=False)
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(workspace: WorkspaceOpt = None) -> None:
    """Append the log's entry count and head hash, keyed, to the checkpoint file (ship that file
    to write-once storage: a later `bantay audit verify` detects a truncated or rewritten log)."""
    from bantay.cases import audit

    with _workflow(_ws(workspace)) as wf, wf.session() as db:
        cp = audit.checkpoint(db)
        where = audit.config(db).checkpoints
    console.print(f"checkpoint: {cp.count:,} entries, head {cp.head[:16]}… written to {where}")
