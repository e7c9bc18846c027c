"""Where Bantay's analytics run: DuckDB (embedded, the default) or PySpark (a cluster).

One base class, :class:`~bantay.engine.base.Engine`, does the shared work in Splink's shape (a
database API with a few hooks per backend): Ibis tables and expressions, SQL to Arrow/Polars,
registering frames, intermediate tables, and the Splink database API that entity resolution scores
pairs with. :mod:`bantay.engine.duckdb_engine` and :mod:`bantay.engine.spark_engine` fill in the
hooks; PySpark is imported only when the Spark engine is opened, so Bantay works without the
``spark`` extra. Detection (:mod:`bantay.detect.scan`) and resolution (:mod:`bantay.resolve.run`)
both open their engine here.
"""

from __future__ import annotations

from typing import Any

from bantay.engine.base import ENGINES, Engine, EngineError, EngineName, workspace_tables
from bantay.engine.duckdb_engine import DuckDBEngine
from bantay.workspace import Workspace


def open_engine(ws: Workspace | None, name: str, session: Any | None = None, **kw: Any) -> Engine:
    """The engine called ``name`` over the workspace ``ws`` (``None``: an empty one for scratch
    work such as Splink's scoring). ``session`` is a SparkSession to reuse; ``kw`` go to the
    engine (``tmp_dir``, ``memory_limit``)."""
    if name == "duckdb":
        return DuckDBEngine(ws, **kw)
    if name == "spark":
        from bantay.engine.spark_engine import SparkEngine

        return SparkEngine(ws, session, **kw)
    raise EngineError(f"unknown engine {name!r}; use one of: {', '.join(ENGINES)}")


__all__ = [
    "ENGINES",
    "DuckDBEngine",
    "Engine",
    "EngineError",
    "EngineName",
    "open_engine",
    "workspace_tables",
]
