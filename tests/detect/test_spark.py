"""The same feature expressions on Spark (local mode) give DuckDB's results exactly."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from detect_data import load, tx

from bantay.detect.catalogue import default_catalogue
from bantay.detect.features import reference_rates
from bantay.detect.scan import compute_features
from bantay.engine import DuckDBEngine
from bantay.engine.spark_engine import SparkEngine
from bantay.workspace import Workspace

pytestmark = [
    pytest.mark.spark,
    # py4j leaves its gateway sockets to the garbage collector
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


# the `spark` fixture (one session for the suite, Splink-ready) is in tests/conftest.py


def small_world() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for k, b in enumerate(("Maria_Lopez", "Ana_Reyes", "Joy_Bautista")):
        rows += tx(
            7 + k,
            "REMIT1:John_Smith",
            f"h:{b}",
            amount=30 + 5 * k,
            start=dt.datetime(2024, 3, 1, 13 + k),
            beneficiary_phone=f"+63 917 555 01{k}",
            memo="school uniform" if k == 1 else None,
        )
    for p in ("Bob_Jones", "Tim_Brown"):
        rows += tx(
            5,
            f"BANK2:{p}",
            "h:Maria_Lopez",
            amount=45.5,
            institution="BANK2",
            currency="EUR",
            payer_country="DE",
            utc_offset_minutes=60,
            beneficiary_phone="+63 917 555 010",
        )
    rows += tx(
        12,
        "REMIT1:Jose",
        "h:Ana_Cruz",
        amount=200,
        every=dt.timedelta(days=30),
        payer_name="Jose Cruz",
        beneficiary_name="Ana Cruz",
        utc_offset_minutes=None,
    )
    rows += tx(
        2,
        "REMIT1:John_Smith",
        None,
        amount=12.99,
        channel="card",
        merchant_name="SecureVPN",
        merchant_category="4816",
    )
    return rows


def test_spark_matches_duckdb(ws: Workspace, spark: Any) -> None:
    load(ws, small_world())
    cat = default_catalogue()
    rates = reference_rates(cat, "USD", {})
    duck = compute_features(DuckDBEngine(ws), cat, rates)
    sprk = compute_features(SparkEngine(ws, spark), cat, rates)
    for name in (
        "pairs",
        "payer",
        "beneficiary",
        "identifiers",
        "copayers",
        "cobenefs",
        "shared_payers",
    ):
        a, b = duck[name], sprk[name][duck[name].columns]
        assert len(a) > 0
        pd.testing.assert_frame_equal(
            a.astype(object).where(a.notna(), None),
            b.astype(object).where(b.notna(), None),
            check_dtype=False,
            obj=name,
        )
