"""The keyed audit chain: each of the five tamperings is detected and named; writes are atomic
and linear across processes; the key and checkpoints live outside the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bantay.cases import audit, services
from bantay.cases.db import open_workflow
from bantay.cases.models import AuditEntry, User
from bantay.cases.security import use_cheap_hashing
from bantay.cli import app
from bantay.errors import WorkspaceError
from bantay.workspace import init_workspace

use_cheap_hashing()
OP = services.Actor.operator()


def _entries(folder: Path, n: int) -> None:
    with open_workflow(folder) as wf, wf.session() as db:
        for i in range(n):
            audit.record(
                db,
                user_id=None,
                username="ana",
                action="view",
                object_type="entity",
                object_id=f"payer:E{i:03d}",
            )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace whose log has 10 entries and one checkpoint of them."""
    path = tmp_path / "ws"
    init_workspace(path).close()
    _entries(path, 10)
    with open_workflow(path) as wf, wf.session() as db:
        audit.checkpoint(db)
    return path


def _verify(path: Path) -> audit.VerifyResult:
    with open_workflow(path) as wf, wf.session() as db:
        return audit.verify(db)


def _con(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path / "workflow.sqlite")
    con.execute("DROP TRIGGER IF EXISTS web_audit_log_no_update")
    con.execute("DROP TRIGGER IF EXISTS web_audit_log_no_delete")
    return con


def _sha(prev: str, row: tuple[object, ...]) -> str:
    """The public, unkeyed hash an attacker without the key can compute."""
    at, user_id, username, action, object_type, object_id, detail = row
    when = dt.datetime.fromisoformat(str(at)).isoformat()
    payload = json.dumps(
        [prev, when, user_id, username, action, object_type, object_id, detail],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


FIELDS = "at, user_id, username, action, object_type, object_id, detail"


def test_intact_log_verifies(ws: Path) -> None:
    r = _verify(ws)
    assert r.ok and r.entries == 10 and r.checkpoints == 1 and not r.findings


def test_alteration_detected(ws: Path) -> None:
    con = _con(ws)
    con.execute("UPDATE web_audit_log SET object_id = 'payer:SOMEONE-ELSE' WHERE id = 4")
    con.commit()
    r = _verify(ws)
    assert not r.ok and r.kinds == ["altered"] and r.first_bad_id == 4


def test_deletion_detected(ws: Path) -> None:
    con = _con(ws)
    con.execute("DELETE FROM web_audit_log WHERE id = 5")
    con.commit()
    r = _verify(ws)
    # a checkpoint counted 10 entries: the count no longer holds either
    assert not r.ok and r.kinds[0] == "deleted" and r.first_bad_id == 6
    assert "removed" in r.problem


def test_insertion_detected(ws: Path) -> None:
    con = _con(ws)
    rows = con.execute(
        f"SELECT id, prev_hash, hash, {FIELDS} FROM web_audit_log ORDER BY id"
    ).fetchall()
    # make room after entry 5 and insert a forged entry that links to it
    con.execute("DELETE FROM web_audit_log WHERE id > 5")
    forged = ("2026-01-01 00:00:00", None, "ana", "view", "entity", "payer:FORGED", "{}")
    con.execute(
        f"INSERT INTO web_audit_log (id, prev_hash, hash, {FIELDS}) VALUES (6, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [rows[4][2], _sha(rows[4][2], forged), *forged],
    )
    for r in rows[5:]:
        con.execute(
            f"INSERT INTO web_audit_log (id, prev_hash, hash, {FIELDS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [r[0] + 1, *r[1:]],
        )
    con.commit()
    r = _verify(ws)
    assert not r.ok and r.kinds[0] == "inserted" and r.first_bad_id == 6


def test_truncation_detected_against_the_checkpoint(ws: Path) -> None:
    con = _con(ws)
    con.execute("DELETE FROM web_audit_log WHERE id > 7")  # the last 3 entries
    con.commit()
    r = _verify(ws)
    # the chain that is left is whole: only the checkpoint outside the database shows the loss
    assert not r.ok and r.kinds == ["truncated"]
    assert "counted 10 entries, the log has 7 (3 removed from the end)" in r.problem


def test_rehashing_detected(ws: Path) -> None:
    con = _con(ws)
    con.execute("UPDATE web_audit_log SET object_id = 'payer:HIDDEN' WHERE id = 3")
    prev = "0" * 64
    for row in con.execute(f"SELECT id, {FIELDS} FROM web_audit_log ORDER BY id").fetchall():
        h = _sha(prev, row[1:])
        con.execute(
            "UPDATE web_audit_log SET prev_hash = ?, hash = ? WHERE id = ?", [prev, h, row[0]]
        )
        prev = h
    con.commit()
    r = _verify(ws)
    assert not r.ok and r.kinds[0] == "re-hashed" and r.first_bad_id == 1


def test_checkpoints_follow_an_intact_log(ws: Path) -> None:
    _entries(ws, 3)
    out = CliRunner().invoke(app, ["audit", "checkpoint", "-w", str(ws)])
    assert out.exit_code == 0 and "13 entries" in out.output
    _entries(ws, 2)
    con = _con(ws)
    con.execute("UPDATE web_audit_log SET username = 'x' WHERE id = 14")  # after the checkpoint
    con.commit()
    out = CliRunner().invoke(app, ["audit", "checkpoint", "-w", str(ws)])
    assert out.exit_code != 0 and "broken at entry" in str(out.exception)


def test_forged_checkpoint_detected(ws: Path) -> None:
    cp = ws / audit.CHECKPOINT_FILE
    line = json.loads(cp.read_text().splitlines()[0])
    line["count"] = 3
    cp.write_text(json.dumps(line) + "\n")
    r = _verify(ws)
    assert not r.ok and r.kinds == ["checkpoint"]


def test_cli_verify_names_what_it_finds(ws: Path) -> None:
    out = CliRunner().invoke(app, ["audit", "verify", "-w", str(ws)])
    assert out.exit_code == 0 and "intact" in out.output and "1 checkpoint" in out.output
    con = _con(ws)
    con.execute("DELETE FROM web_audit_log WHERE id > 8")
    con.commit()
    out = CliRunner().invoke(app, ["audit", "verify", "-w", str(ws)])
    assert out.exit_code == 1 and "BROKEN" in out.output and "truncated" in out.output
    # no checkpoint blesses the cut-back log
    out = CliRunner().invoke(app, ["audit", "checkpoint", "-w", str(ws)])
    assert out.exit_code != 0 and "does not continue its last checkpoint" in str(out.exception)
    _entries(ws, 2)
    out = CliRunner().invoke(app, ["audit", "checkpoint", "-w", str(ws)])
    assert out.exit_code != 0


def test_files_are_owner_only_and_outside_the_database(ws: Path) -> None:
    for name in ("workflow.sqlite", "bantay.duckdb", audit.KEY_FILE, audit.CHECKPOINT_FILE):
        mode = stat.S_IMODE(os.stat(ws / name).st_mode)
        assert mode == 0o600, (name, oct(mode))
    key = (ws / audit.KEY_FILE).read_text().strip()
    assert key.encode() not in (ws / "workflow.sqlite").read_bytes()


def test_a_missing_key_is_refused_not_replaced(ws: Path) -> None:
    (ws / audit.KEY_FILE).unlink()
    with pytest.raises(WorkspaceError, match=r"key .* is missing"):
        open_workflow(ws)


def test_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(audit.KEY_ENV, "k" * 16 + "0123456789abcdef")
    _entries(tmp_path, 3)
    assert not (tmp_path / audit.KEY_FILE).exists()
    assert _verify(tmp_path).ok
    monkeypatch.setenv(audit.KEY_ENV, "another key, of the right length!")
    assert _verify(tmp_path).kinds == ["re-hashed"]


def test_a_change_and_its_entry_commit_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise OSError("disk full")

    with open_workflow(tmp_path) as wf, wf.session() as db:
        services.add_user(db, OP, "ana", "x" * 12, "analyst")
        monkeypatch.setattr(audit, "append", broken)
        with pytest.raises(OSError):
            services.add_user(db, OP, "bob", "x" * 12, "analyst")
        # the audit entry could not be written, so neither was the user
        assert [u.username for u in db.query(User)] == ["ana"]


APPEND = """
import sys
from pathlib import Path
from bantay.cases import audit
from bantay.cases.db import open_workflow
with open_workflow(Path(sys.argv[1])) as wf, wf.session() as db:
    for i in range(int(sys.argv[2])):
        audit.record(db, user_id=None, username=sys.argv[3], action="view",
                     object_type="entity", object_id=f"payer:E{i}")
"""


def test_two_processes_keep_one_chain(tmp_path: Path) -> None:
    _entries(tmp_path, 1)  # makes the key
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen([sys.executable, "-c", APPEND, str(tmp_path), "60", name], env=env)
        for name in ("serve", "cli")
    ]
    assert [p.wait(180) for p in procs] == [0, 0]
    r = _verify(tmp_path)
    assert r.ok and r.entries == 121, r.problem


def test_legacy_log_is_checked_then_anchored(tmp_path: Path) -> None:
    _entries(tmp_path, 4)
    con = _con(tmp_path)
    # rewrite it as an old (unkeyed) Bantay wrote it, and forget the key
    prev = "0" * 64
    for row in con.execute(f"SELECT id, {FIELDS} FROM web_audit_log ORDER BY id").fetchall():
        h = _sha(prev, row[1:])
        con.execute(
            "UPDATE web_audit_log SET prev_hash = ?, hash = ? WHERE id = ?", [prev, h, row[0]]
        )
        prev = h
    con.commit()
    (tmp_path / audit.KEY_FILE).unlink()
    r = _verify(tmp_path)  # opening it anchors the legacy chain under a new key
    assert r.ok and r.entries == 5
    with open_workflow(tmp_path) as wf, wf.session() as db:
        last = db.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
        assert last is not None and last.action == audit.KEYED_ACTION
        assert json.loads(last.detail) == {"legacy_entries": 4, "legacy_head": prev}
    # a legacy entry altered afterwards is still caught
    con.execute("UPDATE web_audit_log SET username = 'x' WHERE id = 2")
    con.commit()
    assert _verify(tmp_path).kinds == ["altered"]


def test_append_many_chains_like_append(tmp_path: Path) -> None:
    """A batch of entries (the report intake's) continues the chain entry by entry, verifies,
    and schedules a checkpoint when it crosses one."""
    from itertools import pairwise

    from sqlalchemy import select

    from bantay.cases.db import writing

    with open_workflow(tmp_path, f"sqlite:///{tmp_path / 'wf.sqlite'}") as wf, wf.session() as db:
        with writing(db):
            audit.append(
                db, user_id=None, username="x", action="view", object_type="t", object_id="0"
            )
        with writing(db):
            ids = audit.append_many(
                db,
                [
                    {"username": "p", "action": "a", "object_type": "t", "object_id": str(i)}
                    for i in range(audit.CHECKPOINT_EVERY + 5)
                ],
            )
        assert ids == list(range(2, audit.CHECKPOINT_EVERY + 7))
        rows = list(db.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())
        assert all(b.prev_hash == a.hash for a, b in pairwise(rows))
        assert audit.verify(db).ok
        # the batch crossed entry CHECKPOINT_EVERY: a checkpoint was written after the commit
        assert audit.read_checkpoints(audit.config(db).checkpoints)
