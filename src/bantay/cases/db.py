"""The workflow database: engine (SQLite in WAL mode by default), migrations, sessions, writes.

Every change to the workflow and its audit entry are written in one transaction (:func:`writing`).
On SQLite that transaction starts with ``BEGIN IMMEDIATE``: it takes the database's write lock
before it reads anything, so two processes (``bantay serve`` and a command-line export, say) take
turns, and the audit chain cannot fork. On PostgreSQL the audit append takes a transaction-level
advisory lock (:mod:`bantay.cases.audit`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from bantay.workspace import SQLITE_FILE, private_file

MIGRATIONS = Path(__file__).parent / "migrations"
#: execution option that makes a SQLite transaction begin IMMEDIATE (see :func:`writing`)
WRITE_OPTION = "bantay_write"


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite:///"):
        return None
    rest = url.removeprefix("sqlite:///")
    return None if not rest or rest == ":memory:" else Path(rest)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite connections get WAL, foreign keys and a busy timeout.

    SQLite's own transaction handling is switched off (``isolation_level = None``) so that the
    engine's ``begin`` event decides how each transaction starts: ``BEGIN IMMEDIATE`` for writes,
    plain (deferred) ``BEGIN`` for reads.
    """
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            private_file(path)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_con: Any, _record: Any) -> None:
            dbapi_con.isolation_level = None
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get(WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def upgrade(engine: Engine) -> None:
    """Bring the workflow tables to the latest Alembic revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def session_factory(engine: Engine, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, info=info or {})


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits what is left pending at the end (rolls back on error)."""
    with factory() as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


@contextmanager
def writing(db: Session) -> Iterator[Session]:
    """One write transaction: every change made inside, and its audit entries, commit together.

    A read transaction left open by the caller is ended first, so the write starts under the
    database's write lock and reads the latest state. Nested calls join the outer transaction.
    """
    if db.info.get("writing"):
        yield db
        return
    if db.in_transaction():
        db.commit()
    db.connection(execution_options={WRITE_OPTION: True})
    db.info["writing"] = True
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        db.info.pop("after_write", None)
        raise
    finally:
        db.info["writing"] = False
    # work that follows a commit, in transactions of its own (a due audit checkpoint)
    for fn in db.info.pop("after_write", []):
        fn(db)


def in_write(db: Session) -> bool:
    return bool(db.info.get("writing"))


def open_db(url: str, info: dict[str, Any] | None = None) -> tuple[Engine, sessionmaker[Session]]:
    """Engine and session factory for ``url``, migrated to the latest revision."""
    engine = make_engine(url)
    upgrade(engine)
    return engine, session_factory(engine, info)


def workflow_url(workspace: Path, db_url: str | None = None) -> str:
    """``db_url``, else the workspace's SQLite file."""
    return db_url or f"sqlite:///{(Path(workspace) / SQLITE_FILE).resolve()}"


@dataclass
class Workflow:
    """An open workflow database with its audit key and checkpoint file."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.sessions) as db:
            yield db

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Workflow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()


def open_workflow(workspace: Path, db_url: str | None = None) -> Workflow:
    """The workflow database of ``workspace`` (or ``db_url``), migrated, with its audit key.

    The audit key and checkpoint file live outside the database (:mod:`bantay.cases.audit`):
    beside the SQLite file, or in the workspace folder for another database.
    """
    from bantay.cases import audit

    url = workflow_url(workspace, db_url)
    engine = make_engine(url)
    upgrade(engine)
    lite = sqlite_path(url)
    folder = lite.parent if lite is not None else Path(workspace)
    with engine.connect() as conn:
        empty = audit.log_is_empty(conn)
        # a log from before keyed entries, opened for the first time since: anchor it (once)
        legacy = not empty and audit.AuditConfig.key_missing(folder) and audit.starts_legacy(conn)
        conn.rollback()
    cfg = audit.AuditConfig.locate(folder, create=empty or legacy)
    wf = Workflow(url, engine, session_factory(engine, {"audit": cfg}))
    if legacy:
        with wf.session() as db:
            audit.key_legacy_log(db)
    return wf
