from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from bantay.errors import WorkspaceError
from bantay.schema import load_model
from bantay.workspace import (
    MIGRATIONS,
    SCHEMA_FINGERPRINTS,
    SCHEMA_VERSION,
    init_workspace,
    migrate_workspace,
    open_workspace,
)


def test_layout_change_needs_a_recorded_fingerprint() -> None:
    # A change to the YAML table layout must come with a new schema version (and a migration);
    # until the first release, version 1's fingerprint is updated in place.
    assert load_model().fingerprint() == SCHEMA_FINGERPRINTS[SCHEMA_VERSION]


def test_init_creates_both_databases_and_all_tables(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "w", reporting_currency="eur")
    assert (tmp_path / "w" / "bantay.duckdb").exists()
    assert (tmp_path / "w" / "workflow.sqlite").exists()
    assert ws.reporting_currency == "EUR"
    assert set(ws.table_counts()) == {s.table for s in load_model().table_schemas()}
    with ws.sqlite() as lite:
        assert lite.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    ws.close()


def test_init_twice_reopens(tmp_path: Path) -> None:
    init_workspace(tmp_path / "w").close()
    init_workspace(tmp_path / "w").close()


def test_not_a_workspace(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"not a Bantay workspace.*bantay init"):
        open_workspace(tmp_path)


def _set_meta(path: Path, key: str, value: str) -> None:
    con = duckdb.connect(str(path / "bantay.duckdb"))
    con.execute("UPDATE bantay_meta SET value = ? WHERE key = ?", [value, key])
    con.close()


def test_newer_workspace_is_refused(tmp_path: Path) -> None:
    init_workspace(tmp_path / "w").close()
    _set_meta(tmp_path / "w", "schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(WorkspaceError, match="newer Bantay"):
        open_workspace(tmp_path / "w")


def test_older_workspace_without_migration_is_refused(tmp_path: Path) -> None:
    init_workspace(tmp_path / "w").close()
    _set_meta(tmp_path / "w", "schema_version", "0")
    with pytest.raises(WorkspaceError, match="cannot migrate"):
        open_workspace(tmp_path / "w")
    with pytest.raises(WorkspaceError, match="no migration from schema version 0"):
        migrate_workspace(tmp_path / "w")


def test_same_version_other_layout_is_refused(tmp_path: Path) -> None:
    init_workspace(tmp_path / "w").close()
    _set_meta(tmp_path / "w", "schema_fingerprint", "0000")
    with pytest.raises(WorkspaceError, match="refusing to misread"):
        open_workspace(tmp_path / "w")


def test_older_workspace_is_migrated_with_a_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_workspace(tmp_path / "w").close()
    _set_meta(tmp_path / "w", "schema_version", str(SCHEMA_VERSION - 1))
    calls: list[int] = []

    def step(con: duckdb.DuckDBPyConnection) -> None:
        calls.append(1)
        con.execute("CREATE TABLE migrated_marker (x INTEGER)")

    monkeypatch.setitem(MIGRATIONS, SCHEMA_VERSION - 1, ("add marker", step))
    with pytest.raises(WorkspaceError, match="bantay migrate"):
        open_workspace(tmp_path / "w")
    done = migrate_workspace(tmp_path / "w")
    assert calls == [1] and done == [f"{SCHEMA_VERSION - 1} -> {SCHEMA_VERSION}: add marker"]
    assert (tmp_path / "w" / f"bantay.duckdb.v{SCHEMA_VERSION - 1}.bak").exists()
    open_workspace(tmp_path / "w").close()


def test_failed_migration_leaves_the_workspace_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_workspace(tmp_path / "w").close()
    _set_meta(tmp_path / "w", "schema_version", str(SCHEMA_VERSION - 1))

    def broken(con: duckdb.DuckDBPyConnection) -> None:
        con.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    monkeypatch.setitem(MIGRATIONS, SCHEMA_VERSION - 1, ("broken", broken))
    with pytest.raises(RuntimeError):
        migrate_workspace(tmp_path / "w")
    con = duckdb.connect(str(tmp_path / "w" / "bantay.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    version = con.execute("SELECT value FROM bantay_meta WHERE key='schema_version'").fetchone()
    con.close()
    assert "half_done" not in tables
    assert version == (str(SCHEMA_VERSION - 1),)


def test_a_version_1_workspace_is_migrated_to_field_faults(tmp_path: Path) -> None:
    # a version 1 workspace is this one without the field_faults table
    init_workspace(tmp_path / "w").close()
    con = duckdb.connect(str(tmp_path / "w" / "bantay.duckdb"))
    con.execute("DROP TABLE field_faults")
    con.close()
    _set_meta(tmp_path / "w", "schema_version", "1")
    _set_meta(tmp_path / "w", "schema_fingerprint", SCHEMA_FINGERPRINTS[1])
    with closing(sqlite3.connect(tmp_path / "w" / "workflow.sqlite")) as lite, lite:
        lite.execute("UPDATE bantay_meta SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(WorkspaceError, match="bantay migrate"):
        open_workspace(tmp_path / "w")
    assert migrate_workspace(tmp_path / "w") == [f"1 -> 2: {MIGRATIONS[1][0]}"]
    init_workspace(tmp_path / "fresh").close()
    layouts = []
    for name in ("w", "fresh"):
        with open_workspace(tmp_path / name, read_only=True) as ws:
            layouts.append(ws.con.execute("DESCRIBE field_faults").fetchall())
            with ws.sqlite() as lite:
                assert lite.execute(
                    "SELECT value FROM bantay_meta WHERE key = 'schema_version'"
                ).fetchone() == (str(SCHEMA_VERSION),)
    assert layouts[0] == layouts[1]
