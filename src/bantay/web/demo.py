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


def create_demo_case(ws: Path, username: str = "demo") -> int | None:
    """Open a case, as `username`, on the latest scan's top payer alert and top beneficiary alert
    (the top-scored beneficiary when none alerted). Returns its id, or None without alerts."""
    from bantay.workspace import open_workspace

    with open_workspace(ws, read_only=True) as w:
        scan = w.con.execute("SELECT max(scan_id) FROM alerts").fetchone()
        if not scan or scan[0] is None:
            return None
        rows = w.con.execute(
            """SELECT side, entity_id, alert_id FROM (
                   SELECT *, row_number() OVER (PARTITION BY side ORDER BY rank) AS k
                   FROM alerts WHERE scan_id = ?) WHERE k = 1 ORDER BY side DESC""",
            [scan[0]],
        ).fetchall()
        members: list[tuple[str, str, str | None]] = [(str(s), str(e), str(a)) for s, e, a in rows]
        if not any(side == "beneficiary" for side, _, _ in members):
            top = w.con.execute(
                "SELECT entity_id FROM scores WHERE side = 'beneficiary' ORDER BY score DESC LIMIT 1"
            ).fetchone()
            if top:
                members.append(("beneficiary", str(top[0]), None))
    _engine, factory = open_db(f"sqlite:///{(Path(ws) / SQLITE_FILE).resolve()}")
    with session_scope(factory) as db:
        user = services.get_user(db, username)
        case = services.create_case(db, user, "Demo: top payer and beneficiary alerts", members)
        case_id = int(case.id)
    _engine.dispose()
    return case_id


def settings_for(workspace: Path, secret_key: str, **kw: object) -> WebSettings:
    return WebSettings(workspace=workspace, secret_key=secret_key, **kw)  # type: ignore[arg-type]
