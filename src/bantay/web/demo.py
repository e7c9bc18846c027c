"""The demo login for ``bantay demo``: create (or reset) demo users and say how to open the app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bantay.web import services
from bantay.web.db import open_db, session_scope
from bantay.web.errors import NotFound
from bantay.web.settings import WebSettings
from bantay.workspace import SQLITE_FILE, Workspace

DEMO_USERS = {"demo": "supervisor", "analyst": "analyst"}
DEMO_PASSWORD = "bantay-demo-only"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    url: str
    command: str


def ensure_demo_user(ws: Workspace | Path, host: str = "127.0.0.1", port: int = 8000) -> DemoLogin:
    """Create ``demo`` (supervisor) and ``analyst`` with the demo password, or reset them.

    Returns the supervisor's login, the URL and the command that serves the workspace. For
    synthetic demo worlds only: the password is public.
    """
    path = ws.path if isinstance(ws, Workspace) else Path(ws)
    _engine, factory = open_db(f"sqlite:///{(path / SQLITE_FILE).resolve()}")
    with session_scope(factory) as db:
        for name, role in DEMO_USERS.items():
            try:
                services.get_user(db, name)
                services.set_password(db, name, DEMO_PASSWORD)
                services.set_role(db, name, role)
                services.set_active(db, name, True)
            except NotFound:
                services.add_user(db, name, DEMO_PASSWORD, role)
    _engine.dispose()
    return DemoLogin(
        username="demo",
        password=DEMO_PASSWORD,
        role="supervisor",
        url=f"http://{host}:{port}/",
        command=f"bantay serve -w {path} --host {host} --port {port}",
    )


def settings_for(workspace: Path, secret_key: str, **kw: object) -> WebSettings:
    return WebSettings(workspace=workspace, secret_key=secret_key, **kw)  # type: ignore[arg-type]
