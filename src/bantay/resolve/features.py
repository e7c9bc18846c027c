"""From party records to the normalised columns the Splink model compares.

Normalisation runs once per distinct value (names, phones), so a value repeated across many records
costs one call to the functions in :mod:`bantay.resolve.normalize`.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pyarrow as pa

from bantay.resolve import normalize as nz

#: Columns of party_records read by resolution.
INPUT_COLUMNS: tuple[str, ...] = (
    "party_record_id",
    "kind",
    "institution",
    "customer_ref",
    "name",
    "given_name",
    "family_name",
    "date_of_birth",
    "nationality",
    "residence_country",
    "city",
    "address",
    "phone",
    "email",
    "account_id",
    "id_document",
)

#: Columns of the feature table, in order: ``unique_id`` and what the model compares, then context.
FEATURE_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "name_key",
    "name_tokens",
    "name_phonetic",
    "name_initials",
    "name_has_initial",
    "name_rare",
    "dob",
    "phone",
    "email",
    "account",
    "id_doc",
    "city",
    "country",
    "address",
    "kind",
    "institution",
    "customer_ref",
)

_NAME_SCHEMA: dict[str, Any] = {
    "name_key": pl.String,
    "name_tokens": pl.List(pl.String),
    "name_phonetic": pl.String,
    "name_initials": pl.String,
    "name_has_initial": pl.Boolean,
}


def _name_columns(
    names: list[str | None], givens: list[str | None], families: list[str | None]
) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {k: [] for k in _NAME_SCHEMA}
    for name, given, family in zip(names, givens, families, strict=True):
        toks = nz.name_tokens(name, given, family)
        if not toks:
            for v in cols.values():
                v.append(None)
            continue
        cols["name_key"].append(" ".join(toks))
        cols["name_tokens"].append(toks)
        cols["name_phonetic"].append(
            " ".join(sorted(nz.phonetic(nz.NICKNAMES.get(t, t)) for t in toks))
        )
        cols["name_initials"].append(" ".join(sorted(t[0] for t in toks)))
        cols["name_has_initial"].append(any(len(t) == 1 for t in toks))
    return cols


def _blank_to_null(col: str) -> pl.Expr:
    s = pl.col(col).cast(pl.String).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s).alias(col)


def _fold_expr(col: str) -> pl.Expr:
    return pl.col(col).map_elements(nz.fold, return_dtype=pl.String)


def build_features(records: pa.Table | pl.DataFrame) -> pl.DataFrame:
    """The feature table of ``records`` (party_records rows; missing columns count as empty)."""
    df = records if isinstance(records, pl.DataFrame) else pl.from_arrow(records)
    assert isinstance(df, pl.DataFrame)
    for col in INPUT_COLUMNS:
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    df = df.select(INPUT_COLUMNS).with_columns(
        [_blank_to_null(c) for c in INPUT_COLUMNS if c != "date_of_birth"]
        + [pl.col("date_of_birth").cast(pl.String).alias("date_of_birth")]
    )
    df = df.with_columns(
        pl.coalesce("residence_country", "nationality")
        .map_elements(nz.normalize_country, return_dtype=pl.String)
        .alias("country")
    )

    names = df.select("name", "given_name", "family_name").unique()
    cols = _name_columns(
        names["name"].to_list(), names["given_name"].to_list(), names["family_name"].to_list()
    )
    names = names.with_columns([pl.Series(k, v, dtype=_NAME_SCHEMA[k]) for k, v in cols.items()])
    df = df.join(names, on=["name", "given_name", "family_name"], how="left", nulls_equal=True)

    phones = df.select("phone", "country").unique().drop_nulls("phone")
    e164 = [
        nz.normalize_phone(p, c)
        for p, c in zip(phones["phone"].to_list(), phones["country"].to_list(), strict=True)
    ]
    phones = phones.with_columns(pl.Series("phone_e164", e164, dtype=pl.String))
    df = df.join(phones, on=["phone", "country"], how="left", nulls_equal=True)

    cities = df.select("city").unique().drop_nulls()
    cities = cities.with_columns(_fold_expr("city").alias("city_key"))
    addresses = df.select("address").unique().drop_nulls()
    addresses = addresses.with_columns(_fold_expr("address").alias("address_key"))
    df = df.join(cities, on="city", how="left").join(addresses, on="address", how="left")

    ident = pl.col("account_id").str.replace_all(r"[\s\-./]", "").str.to_uppercase()
    doc = pl.col("id_document").str.replace_all(r"[\s\-./]", "").str.to_uppercase()
    email = pl.col("email").str.strip_chars().str.to_lowercase()
    return df.select(
        pl.col("party_record_id").alias("unique_id"),
        "name_key",
        "name_tokens",
        "name_phonetic",
        "name_initials",
        "name_has_initial",
        pl.lit(None, dtype=pl.String).alias("name_rare"),
        pl.col("date_of_birth").str.slice(0, 10).alias("dob"),
        pl.col("phone_e164").alias("phone"),
        pl.when(email.str.contains(r"^[^@]+@[^@]+$")).then(email).otherwise(None).alias("email"),
        pl.when(ident == "").then(None).otherwise(ident).alias("account"),
        pl.when(doc == "").then(None).otherwise(doc).alias("id_doc"),
        pl.col("city_key").alias("city"),
        "country",
        pl.col("address_key").alias("address"),
        "kind",
        "institution",
        "customer_ref",
    )


#: A name key shared by at most this many records is "rare" and blocks on its own (with country).
RARE_NAME_MAX = 30


def with_rare_names(feats: pl.DataFrame, cap: int = RARE_NAME_MAX) -> pl.DataFrame:
    """Set ``name_rare``: the name key where at most ``cap`` records share it, else empty.

    Beneficiary sides often carry a name and nothing else; blocking on the name alone finds them,
    and the cap keeps blocks small (a common name alone would never reach the threshold anyway).
    """
    counts = feats.group_by("name_key").len("n_name").drop_nulls("name_key")
    out = feats.drop("name_rare", strict=False).join(counts, on="name_key", how="left")
    out = out.with_columns(
        pl.when(pl.col("n_name") <= cap).then(pl.col("name_key")).alias("name_rare")
    ).drop("n_name")
    return out.select(FEATURE_COLUMNS)
