"""Read the six exports of a world back into one table, independently of Bantay.

Used by ``check.py`` so the calibration report comes from the files and the truth alone. Rows
whose amount or currency was broken on purpose come back with a null amount.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

COLS = [
    "institution",
    "transaction_id",
    "ts_utc",
    "amount",
    "currency",
    "beneficiary_name",
    "beneficiary_phone",
    "beneficiary_country",
    "memo",
]


def _local_to_utc(col: str, fmt: str, zone: str) -> pl.Expr:
    """Local wall-clock text in ``zone`` as a UTC timestamp (the earlier reading of a repeated hour)."""
    return (
        pl.col(col)
        .str.strptime(pl.Datetime("us"), fmt, strict=False)
        .dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
    )


def _num(col: str, decimal: str = ".", thousands: str = "") -> pl.Expr:
    """Amount text as a number (sign dropped; broken values become null)."""
    e = pl.col(col).str.replace_all("-", "", literal=True)
    if thousands:
        e = e.str.replace_all(thousands, "", literal=True)
    if decimal != ".":
        e = e.str.replace_all(decimal, ".", literal=True)
    return e.cast(pl.Float64, strict=False)


def tradewind(d: Path) -> pl.DataFrame:
    """Tradewind Remit: Sydney local time, decimal comma."""
    df = pl.read_csv(d / "tradewind" / "transfers.csv", infer_schema_length=0)
    return df.select(
        pl.lit("Tradewind Remit").alias("institution"),
        pl.col("Transfer No").alias("transaction_id"),
        _local_to_utc("Date Sent", "%d/%m/%Y %H:%M", "Australia/Sydney").alias("ts_utc"),
        _num("Send Amount", ",", ".").alias("amount"),
        pl.col("Send Ccy").alias("currency"),
        pl.col("Receiver Full Name").alias("beneficiary_name"),
        pl.col("Receiver Mobile").alias("beneficiary_phone"),
        pl.col("Receiver Country").alias("beneficiary_country"),
        pl.col("Reason").alias("memo"),
    )


def lumen(d: Path) -> pl.DataFrame:
    """Lumen Transfer: UTC times."""
    df = pl.read_csv(d / "lumen" / "transactions.csv", infer_schema_length=0)
    return df.select(
        pl.lit("Lumen Transfer").alias("institution"),
        pl.col("id").alias("transaction_id"),
        _local_to_utc("created_at", "%Y-%m-%dT%H:%M:%SZ", "UTC").alias("ts_utc"),
        _num("send_amount").alias("amount"),
        pl.col("send_currency").alias("currency"),
        pl.col("recipient_name").alias("beneficiary_name"),
        pl.col("recipient_phone").alias("beneficiary_phone"),
        pl.col("recipient_country").alias("beneficiary_country"),
        pl.col("note").alias("memo"),
    )


def coralcoast(d: Path) -> pl.DataFrame:
    """Coral Coast Bank: semicolon CSV, UTC, signed amounts."""
    df = pl.read_csv(d / "coralcoast" / "payments.csv", separator=";", infer_schema_length=0)
    return df.select(
        pl.lit("Coral Coast Bank").alias("institution"),
        pl.col("txn_id").alias("transaction_id"),
        _local_to_utc("booking_ts_utc", "%Y-%m-%dT%H:%M:%SZ", "UTC").alias("ts_utc"),
        _num("amount").alias("amount"),
        pl.col("ccy").alias("currency"),
        pl.col("cpty_name").alias("beneficiary_name"),
        pl.lit(None, pl.String).alias("beneficiary_phone"),
        pl.col("cpty_country").alias("beneficiary_country"),
        pl.col("remittance_info").alias("memo"),
    )


def prairie(d: Path) -> pl.DataFrame:
    """Prairie State Bank: Chicago local time with AM/PM, thousands comma."""
    df = pl.read_csv(d / "prairie" / "activity_export.csv", infer_schema_length=0)
    return df.select(
        pl.lit("Prairie State Bank").alias("institution"),
        pl.col("Reference").alias("transaction_id"),
        _local_to_utc("Posted (CT)", "%m/%d/%Y %I:%M:%S %p", "America/Chicago").alias("ts_utc"),
        _num("Amount", ".", ",").alias("amount"),
        pl.col("Currency").alias("currency"),
        pl.col("Payee Name").alias("beneficiary_name"),
        pl.lit(None, pl.String).alias("beneficiary_phone"),
        pl.col("Payee Country").alias("beneficiary_country"),
        pl.col("Memo").alias("memo"),
    )


def northgate(d: Path) -> pl.DataFrame:
    """Northgate Bank: Parquet, local time with a zone per row."""
    df = pl.read_parquet(d / "northgate" / "transactions.parquet")
    parts = []
    for (zone,), g in df.group_by("tz"):
        parts.append(
            g.with_columns(
                _local_to_utc("value_datetime_local", "%Y-%m-%d %H:%M:%S", str(zone)).alias(
                    "ts_utc"
                )
            )
        )
    df = pl.concat(parts)
    return df.select(
        pl.lit("Northgate Bank").alias("institution"),
        pl.col("transaction_ref").alias("transaction_id"),
        pl.col("ts_utc"),
        pl.col("amount").cast(pl.Float64),
        pl.col("currency"),
        pl.col("beneficiary_name"),
        pl.lit(None, pl.String).alias("beneficiary_phone"),
        pl.col("beneficiary_country"),
        pl.col("payment_reference").alias("memo"),
    )


def pocketpay(d: Path) -> pl.DataFrame:
    """Pocketpay: JSON lines, ISO times with an offset."""
    df = pl.read_ndjson(d / "pocketpay" / "payments.jsonl", infer_schema_length=None)
    return df.select(
        pl.lit("Pocketpay").alias("institution"),
        pl.col("payment_id").alias("transaction_id"),
        pl.col("created")
        .str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%:z", strict=False)
        .alias("ts_utc"),
        _num("amount").alias("amount"),
        pl.col("currency"),
        pl.col("recipient_name").alias("beneficiary_name"),
        pl.col("recipient_phone").alias("beneficiary_phone"),
        pl.col("recipient_country").alias("beneficiary_country"),
        pl.col("note").alias("memo"),
    )


def read_world(d: Path) -> pl.DataFrame:
    """All transactions of the world in one table (``COLS``)."""
    frames = [
        f(d).select(COLS) for f in (tradewind, lumen, coralcoast, prairie, northgate, pocketpay)
    ]
    return pl.concat(frames, how="vertical_relaxed")


def read_rates(d: Path) -> pl.DataFrame:
    """The world's rates table."""
    return pl.read_csv(
        d / "rates" / "usd_rates.csv",
        schema_overrides={"date": pl.Date, "currency": pl.String, "rate": pl.Float64},
    )
