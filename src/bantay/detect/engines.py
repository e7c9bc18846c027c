"""Where the feature expressions run: DuckDB (the workspace's own database) or PySpark.

Both engines expose the same three things: ``table(name)`` giving an Ibis table, ``execute(expr)``
giving a pandas frame, and ``materialize(expr, name)`` computing an intermediate table once for the
queries that read it (``close()`` removes them). On DuckDB that is a compressed table in a scratch
database under the workspace's ``tmp`` folder, so that a 100M-transaction scan neither recomputes
the per-payment flags for every feature table nor holds them in memory. The Spark engine reads the
workspace tables from Parquet (written from the workspace here; at national scale point it at the
Parquet files directly) and is imported lazily, so Bantay works without the ``spark`` extra.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
from ibis.backends.sql.datatypes import DuckDBType

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

    def materialize(self, expr: ir.Table, name: str) -> ir.Table: ...

    def upload(self, df: pd.DataFrame, name: str) -> ir.Table:
        """A small reference table made on the engine (a memtable is not visible to every
        engine's connection)."""
        ...

    def close(self) -> None: ...


def workspace_tables(ws: Workspace) -> list[str]:
    rows = ws.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


def _arrow_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Arrow-backed strings: a fraction of the memory of Python string objects
    (a 100M-transaction scan holds millions of entity ids and names)."""
    for c in df.columns:
        if df[c].dtype == object and pd.api.types.infer_dtype(df[c], skipna=True) in (
            "string",
            "empty",
        ):
            df[c] = df[c].astype("string[pyarrow]")
    return df


def _typed_sql(expr: ir.Table) -> str:
    """The expression's DuckDB SQL with every column cast to the type Ibis gives it (a DuckDB SUM
    of BIGINT would otherwise come back as HUGEINT, read as a decimal)."""
    cols = ", ".join(
        f'CAST("{c}" AS {DuckDBType.from_ibis(t).sql("duckdb")}) AS "{c}"'
        for c, t in expr.schema().items()
    )
    return f"SELECT {cols} FROM ({ibis.to_sql(expr, dialect='duckdb')})"


def _arrow_string_type(t: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    return (
        pd.StringDtype("pyarrow") if pa.types.is_string(t) or pa.types.is_large_string(t) else None
    )


def _remove_abandoned_scratch(folder: Path) -> None:
    """Scratch databases of scans whose process is gone (killed half-way) are removed."""
    for path in folder.glob("scan-*-*.duckdb*"):
        pid = path.name.split("-")[1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except PermissionError:
            pass  # another user's live process


class DuckDBEngine:
    name = "duckdb"
    #: the scratch database's name in the workspace connection
    SCRATCH = "bantay_scan_scratch"

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws
        self._ibis = ibis.duckdb.from_connection(ws.con)
        self.names = workspace_tables(ws)
        self._scratch: Path | None = None

    def _attach_scratch(self) -> None:
        if self._scratch is None:
            folder = self._ws.path / "tmp"
            folder.mkdir(exist_ok=True)
            _remove_abandoned_scratch(folder)
            self._scratch = folder / f"scan-{os.getpid()}-{uuid.uuid4().hex[:8]}.duckdb"
            self._ws.con.execute(f"ATTACH '{self._scratch}' AS {self.SCRATCH}")

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        self._attach_scratch()
        self._ws.con.execute(
            f'CREATE OR REPLACE TABLE {self.SCRATCH}."{name}" AS {_typed_sql(expr)}'
        )
        with _quiet_ibis():
            return self._ibis.table(name, database=(self.SCRATCH, "main"))

    def upload(self, df: pd.DataFrame, name: str) -> ir.Table:
        self._attach_scratch()
        con = self._ws.con
        con.register("bantay_upload", df)
        try:
            con.execute(
                f'CREATE OR REPLACE TABLE {self.SCRATCH}."{name}" AS SELECT * FROM bantay_upload'
            )
        finally:
            con.unregister("bantay_upload")
        with _quiet_ibis():
            return self._ibis.table(name, database=(self.SCRATCH, "main"))

    def close(self) -> None:
        if self._scratch is None:
            return
        self._ws.con.execute(f"DETACH {self.SCRATCH}")
        for path in (self._scratch, self._scratch.with_name(self._scratch.name + ".wal")):
            path.unlink(missing_ok=True)
        self._scratch = None

    def table(self, name: str) -> ir.Table:
        with _quiet_ibis():
            return self._ibis.table(name)

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        """DuckDB's Arrow result straight to pandas, text as Arrow strings (Ibis's own conversion
        took 2-3 GiB more than the result at 100M transactions)."""
        table = self._ws.con.sql(_typed_sql(expr)).to_arrow_table()
        return table.to_pandas(types_mapper=_arrow_string_type)


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
        self._session = session
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
        return _arrow_strings(self._ibis.execute(expr))

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        """Spark plans the whole query and keeps intermediate results itself."""
        return expr

    def upload(self, df: pd.DataFrame, name: str) -> ir.Table:
        view = f"bantay_upload_{name}"
        self._session.createDataFrame(df).createOrReplaceTempView(view)
        return self._ibis.table(view)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def open_engine(ws: Workspace, name: str, session: Any | None = None) -> Engine:
    if name == "duckdb":
        return DuckDBEngine(ws)
    if name == "spark":
        return SparkEngine(ws, session)
    raise EngineError(f"unknown engine {name!r}; use duckdb or spark")
