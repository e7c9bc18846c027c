"""Toolchain facts the project depends on (../shared/COMPAT.md): a failing test here means a pin
in pyproject.toml can be dropped or must change."""

from __future__ import annotations

import ibis
import pandas as pd


def test_ibis_creates_duckdb_tables_with_the_pinned_sqlglot() -> None:
    # Ibis 12 + sqlglot >= 30.18 fails here with a DuckDB ParserException; pinned below 30.18.
    con = ibis.duckdb.connect()
    t = con.create_table("t", pd.DataFrame({"a": [1, 2]}))
    assert t.a.sum().execute() == 3
