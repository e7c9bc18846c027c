"""A local Spark session set up for Splink (its similarity jar and a checkpoint directory).

On a cluster, pass your own session to :func:`bantay.resolve.run.resolve` instead; it needs the same
two settings (``spark.jars`` with Splink's similarity jar, and a checkpoint directory).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any


def local_spark(tmp_dir: Path | None = None, cores: int = 2, shuffle_partitions: int = 4) -> Any:
    """A local-mode SparkSession: UI off, few shuffle partitions, Splink's jar, a checkpoint dir."""
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as exc:  # pragma: no cover - depends on the install
        from bantay.resolve import ResolveError

        raise ResolveError("the Spark engine needs PySpark: pip install 'bantay[spark]'") from exc
    base = Path(tmp_dir) if tmp_dir is not None else Path(tempfile.mkdtemp(prefix="bantay-spark-"))
    base.mkdir(parents=True, exist_ok=True)
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("bantay-resolve")
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
