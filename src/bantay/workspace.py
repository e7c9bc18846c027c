"""The workspace: a folder with a DuckDB database (analytics) and a SQLite database (workflow state).

The schema version and a fingerprint of the table layout are recorded in both. A workspace written by
another version is migrated by ``bantay migrate`` when a migration path exists and refused otherwise;
it is never read with the wrong layout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bantay import __version__
from bantay.errors import WorkspaceError
from bantay.schema import load_model

#: Bumped whenever the stored layout changes; each bump adds an entry to MIGRATIONS.
SCHEMA_VERSION = 2
#: Fingerprint of the table layout of each schema version. tests/test_workspace.py fails when the
#: YAML files change the layout without a new version (and a migration) recorded here.
SCHEMA_FINGERPRINTS: dict[int, str] = {1: "bdf4fe5e745030bc", 2: "234487425e9fd0fb"}

DUCKDB_FILE = "bantay.duckdb"
SQLITE_FILE = "workflow.sqlite"
#: Reporting settings (goAML reporting entity, codes): bantay.export.settings reads and writes it.
REPORTING_FILE = "reporting.toml"
ENV_VAR = "BANTAY_WORKSPACE"

DEFAULT_SETTINGS: dict[str, str] = {
    "reporting_currency": "USD",
    "rate_max_age_days": "7",
    "max_amount_reporting": "10000000",
    # DuckDB's memory ceiling while ingesting: a larger file spills to <workspace>/tmp instead
    "ingest_memory_limit": "1GB",
    # DuckDB's memory ceiling while scanning (empty: DuckDB's own, 80% of the machine's memory);
    # beyond it the features' aggregations spill to <workspace>/tmp, and the scan's own frames
    # come on top. 2GB keeps a 100M-transaction scan under 8 GB in all (README, bench_scan.py)
    "scan_memory_limit": "2GB",
    # DuckDB's memory ceiling while resolving entities (Splink's pairs and EM); beyond it, spill to
    # <workspace>/resolve/tmp. Without one DuckDB takes 80% of the machine (1M records: 20 GB)
    "resolve_memory_limit": "4GB",
}

#: What each setting does (``bantay config`` shows it).
SETTING_HELP: dict[str, str] = {
    "reporting_currency": "currency every amount is converted to (ISO 4217); fixed once "
    "transactions are loaded",
    "rate_max_age_days": "days an exchange rate is carried forward over gaps (weekends, holidays)",
    "max_amount_reporting": "amounts above this, in the reporting currency, are quarantined as "
    "absurd",
    "ingest_memory_limit": "DuckDB's memory ceiling while ingesting; beyond it, <workspace>/tmp",
    "scan_memory_limit": "DuckDB's memory ceiling while computing detection features (empty: "
    "DuckDB's own, 80% of memory); beyond it, <workspace>/tmp; the scan's own tables come on top "
    "(2GB: a 100M-transaction scan peaks under 8 GB)",
    "resolve_memory_limit": "DuckDB's memory ceiling while resolving entities; beyond it, "
    "<workspace>/resolve/tmp",
}

Migration = Callable[[duckdb.DuckDBPyConnection], None]


def _v1_field_faults(con: duckdb.DuckDBPyConnection) -> None:
    # the table as version 2 declares it (field_fault.yaml), written out: a migration must not
    # change when the YAML does
    con.execute(
        "CREATE TABLE field_faults (ingest_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, "
        "file VARCHAR NOT NULL, line BIGINT NOT NULL, field VARCHAR NOT NULL, "
        "reason_code VARCHAR NOT NULL, reason VARCHAR NOT NULL, raw VARCHAR)"
    )


#: from-version -> (description, function upgrading the DuckDB database to from-version + 1)
MIGRATIONS: dict[int, tuple[str, Migration]] = {
    1: (
        "add the field_faults table (values left empty in loaded records; nothing else changes)",
        _v1_field_faults,
    ),
}


def default_workspace() -> Path:
    return Path(os.environ.get(ENV_VAR) or Path.cwd())


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class Workspace:
    """An open workspace. Use :func:`init_workspace` or :func:`open_workspace` to get one."""

    path: Path
    con: duckdb.DuckDBPyConnection
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def reporting_currency(self) -> str:
        return self.settings["reporting_currency"]

    def sqlite(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path / SQLITE_FILE)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    def set_setting(self, key: str, value: str) -> None:
        """Set a workspace setting, checked first (see :data:`SETTING_HELP`)."""
        if key not in DEFAULT_SETTINGS:
            raise WorkspaceError(f"unknown setting {key!r}; known: {', '.join(DEFAULT_SETTINGS)}")
        value = self._checked(key, value.strip())
        self.con.execute(
            "INSERT OR REPLACE INTO bantay_meta VALUES (?, ?)", [f"setting.{key}", value]
        )
        self.settings[key] = value

    def _checked(self, key: str, value: str) -> str:
        bad = f"setting {key} = {value!r}:"
        if key == "reporting_currency":
            from bantay.ingest.reference import currency_codes

            value = value.upper()
            if value not in currency_codes():
                raise WorkspaceError(f"{bad} not an ISO 4217 currency code")
            n = self.con.execute("SELECT count(*) FROM transactions").fetchall()[0][0]
            if n and value != self.reporting_currency:
                raise WorkspaceError(
                    f"{bad} {n:,} transactions are already converted to "
                    f"{self.reporting_currency}; start a new workspace for another currency"
                )
        elif key == "rate_max_age_days":
            if not value.isdigit():
                raise WorkspaceError(f"{bad} a whole number of days (0 or more)")
        elif key == "max_amount_reporting":
            try:
                ok = float(value) > 0
            except ValueError:
                ok = False
            if not ok:
                raise WorkspaceError(f"{bad} a positive amount in the reporting currency")
        elif key == "scan_memory_limit" and value == "":
            pass  # DuckDB's own ceiling
        elif key.endswith("_memory_limit"):
            try:
                duckdb.connect().execute(f"SET memory_limit = '{value.replace(chr(39), '')}'")
            except duckdb.Error:
                raise WorkspaceError(f"{bad} not a memory size (e.g. 2GB, 800MB)") from None
        return value

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: a failure or a killed process leaves the workspace as before."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    def table_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for schema in load_model().table_schemas():
            row = self.con.execute(f"SELECT count(*) FROM {schema.table}").fetchone()
            out[str(schema.table)] = int(row[0]) if row else 0
        return out

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for schema in load_model().table_schemas():
        con.execute(schema.ddl())


def _read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {str(k): str(v) for k, v in con.execute("SELECT key, value FROM bantay_meta").fetchall()}


def private_file(path: Path) -> Path:
    """Create ``path`` empty if absent, readable and writable by its owner only (mode 600).

    Workspace files hold personal data (payments, names) or keys: never world-readable.
    """
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    return path


def _restrict(path: Path) -> None:
    """Mode 600 on an existing file (and its write-ahead log, when there is one)."""
    for f in (path, path.with_name(path.name + ".wal")):
        if f.exists():
            os.chmod(f, 0o600)


def init_workspace(path: Path, reporting_currency: str = "USD") -> Workspace:
    """Create a workspace folder (or open it if it is already one of this version).

    A new folder is made owner-only (700) and its databases mode 600.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise WorkspaceError(f"{path} exists and is not a folder")
    if not path.exists():
        path.mkdir(parents=True)
        os.chmod(path, 0o700)
    if (path / DUCKDB_FILE).exists():
        return open_workspace(path)
    con = duckdb.connect(str(path / DUCKDB_FILE))
    _restrict(path / DUCKDB_FILE)
    con.execute("BEGIN TRANSACTION")
    con.execute("CREATE TABLE bantay_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "schema_fingerprint": load_model().fingerprint(),
        "created_by": f"bantay {__version__}",
        "created_at": _utcnow().isoformat(timespec="seconds"),
        **{f"setting.{k}": v for k, v in DEFAULT_SETTINGS.items()},
        "setting.reporting_currency": reporting_currency.upper(),
    }
    con.executemany("INSERT INTO bantay_meta VALUES (?, ?)", list(meta.items()))
    _create_tables(con)
    con.execute("COMMIT")
    _restrict(path / DUCKDB_FILE)
    _record_sqlite_version(path)
    return _wrap(path, con)


def _wrap(path: Path, con: duckdb.DuckDBPyConnection) -> Workspace:
    meta = _read_meta(con)
    settings = dict(DEFAULT_SETTINGS)
    settings.update({k[8:]: v for k, v in meta.items() if k.startswith("setting.")})
    return Workspace(path=path, con=con, settings=settings)


def _connect_checked(
    path: Path, read_only: bool
) -> tuple[duckdb.DuckDBPyConnection, dict[str, str]]:
    db = path / DUCKDB_FILE
    if not db.exists():
        raise WorkspaceError(
            f"{path} is not a Bantay workspace (no {DUCKDB_FILE}); create one with `bantay init {path}`"
        )
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.Error as exc:
        raise WorkspaceError(f"cannot open {db}: {exc}") from exc
    try:
        meta = _read_meta(con)
    except duckdb.Error as exc:
        con.close()
        raise WorkspaceError(
            f"{db} is not a Bantay workspace database (no bantay_meta table)"
        ) from exc
    return con, meta


def open_workspace(path: Path | None = None, read_only: bool = False) -> Workspace:
    """Open an existing workspace of the current schema version; refuse any other clearly."""
    path = Path(path) if path is not None else default_workspace()
    con, meta = _connect_checked(path, read_only)
    if not read_only:
        with contextlib.suppress(PermissionError):
            _restrict(path / DUCKDB_FILE)  # workspaces made before files were owner-only
    version = int(meta.get("schema_version", "0"))
    if version > SCHEMA_VERSION:
        con.close()
        raise WorkspaceError(
            f"{path} was written by a newer Bantay (schema version {version}; this is "
            f"{SCHEMA_VERSION}, bantay {__version__}); upgrade Bantay to open it"
        )
    if version < SCHEMA_VERSION:
        con.close()
        raise WorkspaceError(
            f"{path} has schema version {version}; this Bantay uses {SCHEMA_VERSION}. "
            f"Run `bantay migrate --workspace {path}` to upgrade it (a copy is kept)"
            if version in MIGRATIONS
            else f"{path} has schema version {version}, which this Bantay ({SCHEMA_VERSION}) "
            "cannot migrate; re-create the workspace and ingest the sources again"
        )
    fingerprint = load_model().fingerprint()
    if meta.get("schema_fingerprint") != fingerprint:
        con.close()
        raise WorkspaceError(
            f"{path}: table layout {meta.get('schema_fingerprint')} differs from this Bantay's "
            f"{fingerprint} at the same schema version {version}; refusing to misread it"
        )
    return _wrap(path, con)


def migrate_workspace(path: Path) -> list[str]:
    """Apply migrations in one transaction, after copying the database aside. Returns what was done."""
    import shutil

    path = Path(path)
    con, meta = _connect_checked(path, read_only=False)
    version = int(meta.get("schema_version", "0"))
    done: list[str] = []
    if version == SCHEMA_VERSION:
        con.close()
        return done
    if version > SCHEMA_VERSION:
        con.close()
        raise WorkspaceError(
            f"{path} is newer (version {version}) than this Bantay ({SCHEMA_VERSION})"
        )
    steps = []
    v = version
    while v < SCHEMA_VERSION:
        if v not in MIGRATIONS:
            con.close()
            raise WorkspaceError(f"no migration from schema version {v}; re-create the workspace")
        steps.append((v, *MIGRATIONS[v]))
        v += 1
    con.execute("CHECKPOINT")
    con.close()
    shutil.copy2(path / DUCKDB_FILE, path / f"{DUCKDB_FILE}.v{version}.bak")
    con = duckdb.connect(str(path / DUCKDB_FILE))
    con.execute("BEGIN TRANSACTION")
    try:
        for v, description, fn in steps:
            fn(con)
            done.append(f"{v} -> {v + 1}: {description}")
        con.execute(
            "INSERT OR REPLACE INTO bantay_meta VALUES ('schema_version', ?), "
            "('schema_fingerprint', ?)",
            [str(SCHEMA_VERSION), load_model().fingerprint()],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    _record_sqlite_version(path)
    return done


def _record_sqlite_version(path: Path) -> None:
    """Record the schema version in the SQLite database too (created if need be, in WAL mode)."""
    lite = sqlite3.connect(private_file(path / SQLITE_FILE))
    try:
        with lite:
            lite.execute("PRAGMA journal_mode=WAL")
            lite.execute(
                "CREATE TABLE IF NOT EXISTS bantay_meta (key TEXT PRIMARY KEY, value TEXT)"
            )
            lite.execute(
                "INSERT OR REPLACE INTO bantay_meta VALUES ('schema_version', ?)",
                [str(SCHEMA_VERSION)],
            )
    finally:
        lite.close()
