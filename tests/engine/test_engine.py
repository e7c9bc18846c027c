"""The engine layer: one base, DuckDB and Spark hooks; both engines give the same answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bantay.engine import DuckDBEngine, Engine, EngineError, open_engine
from bantay.workspace import Workspace


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {"unique_id": ["a", "b", "c"], "name": ["Ana Reyes", "Ana Reyes", None], "n": [1, 2, 3]}
    )


def _roundtrip(eng: Engine) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What every engine must do the same way: SQL over a registered frame, and a Splink frame
    moved in and back out."""
    eng.register(_frame(), "t_engine")
    by_sql = eng.sql("SELECT name, sum(n) AS n FROM t_engine GROUP BY name ORDER BY name")
    sdf = eng.splink_register(_frame(), "t_engine_splink")
    back = eng.splink_frame(sdf).sort("unique_id")
    return by_sql, back


def test_a_private_duckdb_engine_registers_queries_and_closes_its_connection(
    tmp_path: Path,
) -> None:
    eng = DuckDBEngine(tmp_dir=tmp_path / "spill", memory_limit="1GB")
    with eng:
        by_sql, back = _roundtrip(eng)
        assert eng.splink_api is eng.splink_api  # made once
        setting = eng.con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert by_sql.to_dicts() == [{"name": "Ana Reyes", "n": 3}, {"name": None, "n": 3}]
    assert back.select("unique_id", "name", "n").equals(_frame())
    assert setting == ("953.6 MiB",)  # 1 GB as DuckDB prints it
    assert (tmp_path / "spill").is_dir()
    with pytest.raises(Exception, match=r"(?i)closed"):
        eng.con.execute("SELECT 1")


def test_over_a_workspace_intermediate_tables_go_to_scratch_and_leave_on_close(
    ws: Workspace,
) -> None:
    eng = DuckDBEngine(ws)
    assert "transactions" in eng.names
    tx = eng.table("transactions")
    counted = tx.aggregate(n=tx.count())
    kept = eng.materialize(counted, "counted")
    assert eng.execute(kept)["n"].tolist() == [0]
    assert eng.execute(kept)["n"].dtype == "int64"  # a typed result, not DuckDB's HUGEINT
    scratch = list((ws.path / "tmp").glob("scan-*.duckdb"))
    assert len(scratch) == 1
    eng.close()
    assert not list((ws.path / "tmp").glob("scan-*.duckdb*"))
    # the workspace's own connection stays open
    assert ws.con.execute("SELECT 1").fetchone() == (1,)


def test_an_unknown_engine_is_refused_naming_the_ones_there_are(ws: Workspace) -> None:
    with pytest.raises(EngineError, match=r"'polars'.*duckdb, spark"):
        open_engine(ws, "polars")


def test_spark_is_imported_only_when_the_spark_engine_is_opened() -> None:
    code = (
        "import sys, bantay.engine, bantay.detect.scan, bantay.resolve.run, bantay.pipeline;"
        "print('pyspark' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.spark
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_spark_answers_as_duckdb_does(spark: Any, ws: Workspace) -> None:
    with DuckDBEngine() as duck:
        d_sql, d_back = _roundtrip(duck)
    sprk = open_engine(ws, "spark", spark)
    try:
        s_sql, s_back = _roundtrip(sprk)
        assert "transactions" in sprk.names
        assert sprk.execute(sprk.table("transactions")).shape[0] == 0
    finally:
        sprk.close()
    assert (
        s_sql.sort("name", nulls_last=True).to_dicts()
        == d_sql.sort("name", nulls_last=True).to_dicts()
    )
    cols = ["unique_id", "name", "n"]
    assert s_back.select(cols).to_dicts() == d_back.select(cols).to_dicts()
