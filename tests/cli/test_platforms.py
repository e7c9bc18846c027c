"""bantay platforms add | list | revoke: the token printed once, stored hashed, revocable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from bantay.cases.synthetic import build
from bantay.cli import app


def test_add_list_revoke(tmp_path: Path) -> None:
    ws = build(tmp_path / "ws", n_alerts=5, big_entity_tx=5)
    r = CliRunner()
    w = ["-w", str(ws)]
    out = r.invoke(app, ["platforms", "add", "ExampleCall", *w])
    assert out.exit_code == 0, out.output
    token = out.output.strip().splitlines()[-1]
    assert token.startswith("btp_") and len(token) > 40
    assert r.invoke(app, ["platforms", "add", "ExampleCall", *w]).exit_code != 0
    con = sqlite3.connect(ws / "workflow.sqlite")
    ((stored, prefix),) = con.execute("SELECT token_hash, prefix FROM web_platforms").fetchall()
    assert token not in stored and token.startswith(prefix)
    listed = r.invoke(app, ["platforms", "list", *w])
    assert "ExampleCall" in listed.output and token not in listed.output
    assert r.invoke(app, ["platforms", "revoke", "ExampleCall", *w]).exit_code == 0
    assert con.execute("SELECT revoked_at FROM web_platforms").fetchone()[0] is not None
    assert r.invoke(app, ["platforms", "revoke", "Nobody", *w]).exit_code != 0
    actions = [a for (a,) in con.execute("SELECT action FROM web_audit_log ORDER BY id")]
    assert actions[-2:] == ["platform_added", "platform_revoked"]
