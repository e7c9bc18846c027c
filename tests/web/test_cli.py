"""bantay users / audit verify on a workspace."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bantay.cases.demo import ensure_demo_user
from bantay.cases.synthetic import build
from bantay.cli import app


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return build(tmp_path / "ws", n_alerts=20, big_entity_tx=20)


def test_users_and_audit_verify(ws: Path) -> None:
    r = CliRunner()
    w = ["-w", str(ws)]
    out = r.invoke(app, ["users", "add", "ana", "--role", "analyst", "--password", "x" * 12, *w])
    assert out.exit_code == 0, out.output
    out = r.invoke(app, ["users", "add", "ana", "--password", "x" * 12, *w])
    assert out.exit_code != 0  # exists
    assert r.invoke(app, ["users", "set-role", "ana", "supervisor", *w]).exit_code == 0
    assert r.invoke(app, ["users", "disable", "ana", *w]).exit_code == 0
    out = r.invoke(app, ["users", "list", *w])
    assert "ana" in out.output and "supervisor" in out.output and "no" in out.output
    demo = ensure_demo_user(ws)
    assert demo.username == "demo" and demo.url == "http://127.0.0.1:8000/"
    assert demo.command == f"bantay serve -w {ws} --host 127.0.0.1 --port 8000"
    assert ensure_demo_user(ws).password == demo.password  # idempotent
    out = r.invoke(app, ["audit", "verify", *w])
    assert out.exit_code == 0 and "intact" in out.output
    con = sqlite3.connect(ws / "workflow.sqlite")
    con.execute(
        "INSERT INTO web_audit_log (at, username, action, object_type, object_id, detail, "
        "prev_hash, hash) VALUES ('2026-01-01 00:00:00', 'x', 'view', 'entity', 'e', '{}', "
        "'0', '0')"
    )
    con.commit()
    con.close()
    out = r.invoke(app, ["audit", "verify", *w])
    assert out.exit_code == 1 and "BROKEN" in out.output
