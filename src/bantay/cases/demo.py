"""The demo login for ``bantay demo``: create (or reset) demo users and say how to open the app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bantay.cases import services
from bantay.cases.db import open_workflow
from bantay.detect.read_model import top_alert_per_side, top_scored
from bantay.errors import NotFound
from bantay.workspace import Workspace

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
    by = services.Actor.operator()
    with open_workflow(path) as wf, wf.session() as db:
        for name, role in DEMO_USERS.items():
            try:
                services.get_user(db, name)
                services.set_password(db, by, name, DEMO_PASSWORD)
                services.set_role(db, by, name, role)
                services.set_active(db, by, name, True)
            except NotFound:
                services.add_user(db, by, name, DEMO_PASSWORD, role)
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
        tables = {r[0] for r in w.con.execute("SHOW TABLES").fetchall()}
        if "alerts" not in tables:
            return None
        members: list[tuple[str, str, str | None]] = list(top_alert_per_side(w.con))
        if not members:
            return None
        if not any(side == "beneficiary" for side, _, _ in members):
            members += [("beneficiary", e, None) for e in top_scored(w.con, "beneficiary")]
    from bantay.cases.analytics import Analytics

    an = Analytics(Path(ws))
    try:
        with open_workflow(Path(ws)) as wf, wf.session() as db:
            user = services.get_user(db, username)
            case = services.create_case(
                db, user, "Demo: top payer and beneficiary alerts", members, entities=an
            )
            case_id = int(case.id)
    finally:
        an.close()
    return case_id
