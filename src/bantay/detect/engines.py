"""Where the feature expressions run: DuckDB (the workspace's own database) or PySpark.

Both engines expose the same two things: ``table(name)`` giving an Ibis table and ``execute(expr)``
giving a pandas frame. The Spark engine reads the workspace tables from Parquet (written from the
workspace here; at national scale point it at the Parquet files directly) and is imported lazily, so
Bantay works without the ``spark`` extra.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import pandas as pd

from bantay.errors import BantayError
from bantay.workspace import Workspace

#: Tables the scan reads, where present.
INPUT_TABLES = (
    "transactions",
    "party_records",
    "signals",
    "entity_members",
    "entity_records",
    "party_entities",
    "entities",
)


@contextmanager
def _quiet_ibis() -> Iterator[None]:
    """Ibis 12 calls DuckDB 2's deprecated ``fetch_arrow_table``; the warning is Ibis's, not ours."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*fetch_arrow_table", category=DeprecationWarning
        )
        yield


class EngineError(BantayError):
    """The requested engine is not available."""


class Engine(Protocol):
    name: str
    names: list[str]

    def table(self, name: str) -> ir.Table: ...

    def execute(self, expr: ir.Table) -> pd.DataFrame: ...


def workspace_tables(ws: Workspace) -> list[str]:
    rows = ws.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, ws: Workspace) -> None:
        self._ibis = ibis.duckdb.from_connection(ws.con)
        self.names = workspace_tables(ws)

    def table(self, name: str) -> ir.Table:
        with _quiet_ibis():
            return self._ibis.table(name)

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        with _quiet_ibis():
            return self._ibis.execute(expr)


def spark_session(app_name: str = "bantay", partitions: int = 4) -> Any:
    """A local Spark session set up for Bantay: the one factory, shared with entity resolution.

    It carries Splink's similarity jar and a checkpoint directory, since a JVM cannot take jars
    once started and detection and resolution share the session in one process.
    """
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise EngineError(
            "the Spark engine needs PySpark: pip install 'bantay[spark]' (and Java 17)"
        ) from exc
    from bantay.resolve.spark_session import local_spark

    return local_spark(shuffle_partitions=partitions)


class SparkEngine:
    name = "spark"

    def __init__(self, ws: Workspace, session: Any | None = None) -> None:
        session = session or spark_session()
        self._dir = Path(tempfile.mkdtemp(prefix="bantay-scan-"))
        present = set(workspace_tables(ws))
        self.names = []
        for name in INPUT_TABLES:
            if name not in present:
                continue
            path = self._dir / f"{name}.parquet"
            ws.con.execute(f"COPY {name} TO '{path}' (FORMAT parquet)")
            view = f"bantay_{name}"
            session.read.parquet(str(path)).createOrReplaceTempView(view)
            self.names.append(name)
        self._ibis = ibis.pyspark.connect(session)

    def table(self, name: str) -> ir.Table:
        return self._ibis.table(f"bantay_{name}")

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        return self._ibis.execute(expr)


def open_engine(ws: Workspace, name: str, session: Any | None = None) -> Engine:
    if name == "duckdb":
        return DuckDBEngine(ws)
    if name == "spark":
        return SparkEngine(ws, session)
    raise EngineError(f"unknown engine {name!r}; use duckdb or spark")
