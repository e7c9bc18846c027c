"""Fixtures for entity resolution: small workspaces of party records, one shared Spark session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bantay.workspace import Workspace, init_workspace

#: A handful of records: two people with variants across institutions, and one alone.
BASIC = [
    # party_record_id, kind, institution, customer_ref, name, dob, phone, country, city
    ("BANK:C1", "customer", "BANK", "C1", "Juan Dela Cruz", "1980-01-02", "+639171234567", "PH",
     "Manila"),
    ("REMIT:h1", "payer_side", "REMIT", None, "DELA CRUZ, Juan", "1980-01-02", "09171234567", "PH",
     "manila"),
    ("BANK:C2", "customer", "BANK", "C2", "Maria Santos", "1975-05-05", "+639181111111", "PH",
     "Cebu"),
    ("REMIT:h2", "beneficiary_side", "REMIT", None, "Ma. Santos", None, "0918 111 1111", "PH",
     "Cebu"),
    ("BANK:C3", "customer", "BANK", "C3", "John Smith", "1970-03-03", "+61412345678", "AU",
     "Sydney"),
]  # fmt: skip
COLUMNS = [
    "party_record_id", "kind", "institution", "customer_ref", "name", "date_of_birth", "phone",
    "residence_country", "city",
]  # fmt: skip


def insert_records(ws: Workspace, rows: list[dict[str, Any]] | pl.DataFrame) -> None:
    """Insert party records (missing provenance is filled in)."""
    df = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows)
    if "date_of_birth" in df.columns and df["date_of_birth"].dtype == pl.String:
        df = df.with_columns(pl.col("date_of_birth").str.to_date())
    start = int(ws.con.execute("SELECT count(*) FROM party_records").fetchall()[0][0])
    defaults = {"ingest_id": "test", "source": "test", "file": "test.csv"}
    for col, value in defaults.items():
        if col not in df.columns:
            df = df.with_columns(pl.lit(value).alias(col))
    line = pl.int_range(pl.len()) + start + 2
    if "line" not in df.columns:
        df = df.with_columns(line.alias("line"))
    else:
        df = df.with_columns(pl.coalesce(pl.col("line"), line).alias("line"))
    df = df.drop([c for c in ("person_id",) if c in df.columns])
    ws.con.register("test_rows", df.to_arrow())
    ws.con.execute("INSERT INTO party_records BY NAME SELECT * FROM test_rows")
    ws.con.unregister("test_rows")


def basic_rows() -> list[dict[str, Any]]:
    return [dict(zip(COLUMNS, r, strict=True)) for r in BASIC]


@pytest.fixture
def rws(tmp_path: Path) -> Iterator[Workspace]:
    """An empty workspace for resolution tests."""
    w = init_workspace(tmp_path / "ws")
    yield w
    w.close()


@pytest.fixture
def basic_ws(rws: Workspace) -> Workspace:
    insert_records(rws, basic_rows())
    return rws


def entity_of(ws: Workspace) -> dict[str, str]:
    return {
        str(r): str(e)
        for r, e in ws.con.execute(
            "SELECT party_record_id, entity_id FROM entity_members"
        ).fetchall()
    }


@pytest.fixture
def entities() -> Callable[[Workspace], dict[str, str]]:
    return entity_of


# the Spark session is shared by the whole suite: see tests/conftest.py
