"""The Spark engine: PySpark in local mode here, your cluster's session at national scale.

PySpark is imported only here, and this module only when the Spark engine is opened, so Bantay
works without the ``spark`` extra. Over a workspace the engine reads the tables a scan needs from
Parquet (written from the workspace here; at national scale point it at the Parquet files
directly). Spark plans whole queries and keeps intermediate results itself, so ``materialize`` is
the identity.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from bantay.engine.base import INPUT_TABLES, Engine, EngineError, arrow_strings, workspace_tables
from bantay.workspace import Workspace

_NEEDS_SPARK = "the Spark engine needs PySpark: pip install 'bantay[spark]' (and Java 17)"


def local_spark(tmp_dir: Path | None = None, cores: int = 2, shuffle_partitions: int = 4) -> Any:
    """A local-mode SparkSession set up for Bantay: UI off, few shuffle partitions, a checkpoint
    directory and Splink's similarity jar (a JVM cannot take jars once started, and detection and
    resolution share the session in one process). On a cluster pass your own session with the same
    two settings (``spark.jars`` with Splink's jar, a checkpoint directory)."""
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EngineError(_NEEDS_SPARK) from exc
    base = Path(tmp_dir) if tmp_dir is not None else Path(tempfile.mkdtemp(prefix="bantay-spark-"))
    base.mkdir(parents=True, exist_ok=True)
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("bantay")
        .config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.sql.warehouse.dir", str(base / "warehouse"))
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setCheckpointDir(str(base / "checkpoints"))
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_safe(table: pa.Table) -> pa.Table:
    """Spark reads large_string/large_list poorly from Arrow; cast to the plain types."""
    fields = []
    for f in table.schema:
        t = f.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            t = pa.string()
        elif pa.types.is_large_list(t):
            t = pa.list_(pa.string())
        fields.append(pa.field(f.name, t))
    return table.cast(pa.schema(fields))


class SparkEngine(Engine):
    name = "spark"

    def __init__(
        self,
        ws: Workspace | None = None,
        session: Any | None = None,
        tmp_dir: Path | None = None,
        memory_limit: str | None = None,  # Spark's memory is the session's; kept for one signature
    ) -> None:
        super().__init__()
        self.session = session if session is not None else local_spark(tmp_dir)
        self._dir = Path(tempfile.mkdtemp(prefix="bantay-spark-tables-"))
        if ws is not None:
            present = set(workspace_tables(ws))
            for name in INPUT_TABLES:
                if name not in present:
                    continue
                path = self._dir / f"{name}.parquet"
                ws.con.execute(f"COPY {name} TO '{path}' (FORMAT parquet)")
                self.session.read.parquet(str(path)).createOrReplaceTempView(self._view(name))
                self.names.append(name)
        self._ibis_con: Any = None

    # hooks
    def _ibis(self) -> Any:
        if self._ibis_con is None:
            self._ibis_con = ibis.pyspark.connect(self.session)
        return self._ibis_con

    def _view(self, name: str) -> str:
        return f"bantay_{name}"

    def _sql_arrow(self, query: str) -> pa.Table:
        return self.session.sql(query).toArrow()

    def _register_arrow(self, table: pa.Table, name: str) -> None:
        self.session.createDataFrame(table.to_pandas()).createOrReplaceTempView(name)

    def _arrow_for_engine(self, table: pa.Table) -> pa.Table:
        return spark_safe(table)

    def _make_splink_api(self) -> Any:
        from splink.backends.spark import SparkAPI

        return SparkAPI(spark_session=self.session)  # type: ignore[no-untyped-call]

    def _splink_arrow(self, sdf: Any) -> pa.Table:
        return self.session.table(sdf.physical_name).toArrow()

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        return arrow_strings(self._ibis().execute(expr))

    def materialize(self, expr: ir.Table, name: str) -> ir.Table:
        """Spark plans the whole query and keeps intermediate results itself."""
        return expr

    def upload(self, df: pd.DataFrame, name: str) -> ir.Table:
        view = f"bantay_upload_{name}"
        self.session.createDataFrame(df).createOrReplaceTempView(view)
        return self._ibis().table(view)

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
