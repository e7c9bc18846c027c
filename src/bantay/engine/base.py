"""The shared work of every engine, and the hooks each backend fills in.

Modelled on Splink's database APIs: the base class owns what is the same everywhere (Ibis tables,
results as pandas/Polars with text as Arrow strings, Arrow tables made safe for the backend, the
Splink API that scores pairs, closing); a backend supplies a handful of hooks (``_ibis``,
``_sql_arrow``, ``_register_arrow``, ``_make_splink_api``, ``_splink_arrow`` and, where it keeps
intermediate results itself, ``materialize``/``upload``).
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal, Self

import ibis.expr.types as ir
import pandas as pd
import polars as pl
import pyarrow as pa

from bantay.errors import BantayError
from bantay.workspace import Workspace

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")

#: Workspace tables a scan reads, where present (what the Spark engine copies out to Parquet).
INPUT_TABLES = (
    "transactions",
    "party_records",
    "signals",
    "entity_members",
    "entity_records",
    "party_entities",
    "entities",
)


class EngineError(BantayError):
    """The requested engine is not available, or cannot do what was asked."""


@contextmanager
def quiet_ibis() -> Iterator[None]:
    """Ibis 12 calls DuckDB 2's deprecated ``fetch_arrow_table``; the warning is Ibis's, not ours."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*fetch_arrow_table", category=DeprecationWarning
        )
        yield


def workspace_tables(ws: Workspace) -> list[str]:
    rows = ws.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


def arrow_string_type(t: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    """Arrow text to pandas as Arrow-backed strings (a fraction of Python objects' memory)."""
    return (
        pd.StringDtype("pyarrow") if pa.types.is_string(t) or pa.types.is_large_string(t) else None
    )


def arrow_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Arrow-backed strings: a fraction of the memory of Python string objects
    (a 100M-transaction scan holds millions of entity ids and names)."""
    for c in df.columns:
        if df[c].dtype == object and pd.api.types.infer_dtype(df[c], skipna=True) in (
            "string",
            "empty",
        ):
            df[c] = df[c].astype("string[pyarrow]")
    return df


def _polars(table: pa.Table) -> pl.DataFrame:
    out = pl.from_arrow(table)
    assert isinstance(out, pl.DataFrame)
    return out


class Engine(ABC):
    """One backend's connection, with the operations detection and resolution need.

    * ``table(name)``: a workspace table (one of ``names``) as an Ibis table;
    * ``execute(expr)``: an Ibis expression's result as pandas, text as Arrow strings;
    * ``materialize(expr, name)``: an intermediate table computed once for the queries that read
      it; ``upload(df, name)``: a small reference table made on the engine;
    * ``sql(query)`` / ``register(df, name)``: plain SQL over registered tables, to Polars;
    * ``splink_api`` / ``splink_register`` / ``splink_frame``: the Splink database API scoring
      pairs on this engine, and tables moved in and out of it;
    * ``close()``: drop what the engine made (also on leaving a ``with`` block).
    """

    name: ClassVar[EngineName]
    #: the workspace tables ``table()`` can read
    names: list[str]

    def __init__(self) -> None:
        self.names = []
        self._splink_api: Any = None

    # ------------------------------------------------------------------ hooks

    @abstractmethod
    def _ibis(self) -> Any:
        """The Ibis backend over this engine's connection."""

    def _view(self, name: str) -> str:
        """The name a workspace table has on the engine."""
        return name

    @abstractmethod
    def _sql_arrow(self, query: str) -> pa.Table:
        """A query's result as Arrow (in the engine's own SQL dialect)."""

    @abstractmethod
    def _register_arrow(self, table: pa.Table, name: str) -> None:
        """Make ``table`` readable by ``_sql_arrow`` as ``name``."""

    @abstractmethod
    def _make_splink_api(self) -> Any:
        """Splink's database API on this engine's connection."""

    @abstractmethod
    def _splink_arrow(self, sdf: Any) -> pa.Table:
        """A Splink data frame made on this engine, as Arrow."""

    def _arrow_for_engine(self, table: pa.Table) -> pa.Table:
        """An Arrow table in types the engine reads well (the identity unless overridden)."""
        return table

    @abstractmethod
    def execute(self, expr: ir.Table) -> pd.DataFrame:
        """An Ibis expression's result as pandas, text as Arrow strings."""

    @abstractmethod
    def materialize(self, expr: ir.Table, name: str) -> ir.Table: ...

    @abstractmethod
    def upload(self, df: pd.DataFrame, name: str) -> ir.Table:
        """A small reference table made on the engine (a memtable is not visible to every
        engine's connection)."""

    @abstractmethod
    def close(self) -> None:
        """Remove what the engine made (scratch tables, files, a private connection)."""

    # ------------------------------------------------------------------ shared work

    def table(self, name: str) -> ir.Table:
        with quiet_ibis():
            return self._ibis().table(self._view(name))

    def sql(self, query: str) -> pl.DataFrame:
        """The result of a query over the engine's tables (Splink's and those registered)."""
        return _polars(self._sql_arrow(query))

    def register(self, df: pl.DataFrame | pa.Table, name: str) -> None:
        table = df.to_arrow() if isinstance(df, pl.DataFrame) else df
        self._register_arrow(self._arrow_for_engine(table), name)

    @property
    def splink_api(self) -> Any:
        if self._splink_api is None:
            self._splink_api = self._make_splink_api()
        return self._splink_api

    def splink_register(self, df: pl.DataFrame, name: str) -> Any:
        """``df`` as a Splink data frame called ``name`` on this engine."""
        return self.splink_api.register(self._arrow_for_engine(df.to_arrow()), table_name=name)

    def splink_frame(self, sdf: Any) -> pl.DataFrame:
        """A Splink data frame made on this engine, as Polars."""
        return _polars(self._splink_arrow(sdf))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
