"""The Spark backend, through the same code path as DuckDB (local mode, a small set)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.resolve.conftest import basic_rows, entity_of, insert_records

from bantay.resolve.run import resolve
from bantay.workspace import Workspace

pytestmark = [
    pytest.mark.spark,
    # py4j leaves its gateway sockets to the garbage collector
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def test_spark_gives_the_same_entities_as_duckdb(rws: Workspace, spark: Any) -> None:
    insert_records(rws, basic_rows())
    resolve(rws)
    duck = entity_of(rws)
    duck_links = rws.con.execute(
        "SELECT party_record_id_l, party_record_id_r, round(match_probability, 6) "
        "FROM entity_links ORDER BY 1, 2"
    ).fetchall()
    report = resolve(rws, engine="spark", full=True, spark=spark)
    assert report.engine == "spark"
    assert entity_of(rws) == duck
    spark_links = rws.con.execute(
        "SELECT party_record_id_l, party_record_id_r, round(match_probability, 6) "
        "FROM entity_links ORDER BY 1, 2"
    ).fetchall()
    assert spark_links == duck_links
    # incremental on Spark too
    insert_records(
        rws,
        [{"party_record_id": "W:1", "kind": "payer_side", "institution": "W",
          "name": "John SMITH", "phone": "0412 345 678", "residence_country": "AU"}],
    )  # fmt: skip
    report = resolve(rws, engine="spark", spark=spark)
    assert report.mode == "incremental"
    ent = entity_of(rws)
    assert ent["W:1"] == ent["BANK:C3"]
