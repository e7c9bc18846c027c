"""From party records to the normalised columns the Splink model compares.

Normalisation runs once per distinct value (names, phones, cities), as columnar polars expressions
(:mod:`bantay.resolve.vectorized`) that reproduce the reference functions of
:mod:`bantay.resolve.normalize`; only values those expressions cannot reproduce exactly (non-ASCII
names, national phone numbers) are passed to the reference functions one by one.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from bantay.resolve import normalize as nz
from bantay.resolve import vectorized as vz
from bantay.resolve.blocking import MAX_BLOCK

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
    "name_letters",
    "name_single_letters",
    "name_words",
    "name_rare",
    "name_variants",
    "block_keys",
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


def _blank_to_null(col: str) -> pl.Expr:
    s = pl.col(col).cast(pl.String).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s).alias(col)


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
    df = df.with_columns(pl.coalesce("residence_country", "nationality").alias("raw_country"))
    countries = df.select("raw_country").unique().drop_nulls()
    countries = countries.with_columns(
        pl.Series(
            "country",
            [nz.normalize_country(c) for c in countries["raw_country"].to_list()],
            dtype=pl.String,
        )
    )
    df = df.join(countries, on="raw_country", how="left")

    names = vz.name_columns(df.select("name", "given_name", "family_name").unique())
    df = df.join(names, on=["name", "given_name", "family_name"], how="left", nulls_equal=True)

    phones = df.select("phone", "country").unique().drop_nulls("phone")
    phones = phones.with_columns(vz.phone_column(phones))
    df = df.join(phones, on=["phone", "country"], how="left", nulls_equal=True)

    cities = df.select("city").unique().drop_nulls()
    cities = cities.with_columns(vz.fold_column(cities["city"]).alias("city_key"))
    addresses = df.select("address").unique().drop_nulls()
    addresses = addresses.with_columns(vz.fold_column(addresses["address"]).alias("address_key"))
    df = df.join(cities, on="city", how="left").join(addresses, on="address", how="left")

    df = df.join(_variants(df), on=["name_tokens", "given_name"], how="left", nulls_equal=True)

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
        name_letters(pl.col("name_tokens")),
        name_single_letters(pl.col("name_tokens")),
        name_words(pl.col("name_tokens")),
        pl.lit(None, dtype=pl.String).alias("name_rare"),
        "name_variants",
        pl.lit(None, dtype=pl.List(pl.String)).alias("block_keys"),
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


def _variants(df: pl.DataFrame) -> pl.DataFrame:
    """``name_variants`` per distinct (name_tokens, given_name): :func:`normalize.name_variants`,
    with the given names written out where the record gives them."""
    combos = df.select("name_tokens", "given_name").unique().drop_nulls("name_tokens")
    givens = {
        g: frozenset(nz.name_tokens(None, g, None))
        for g in combos["given_name"].unique().drop_nulls().to_list()
    }
    return combos.with_columns(
        pl.Series(
            "name_variants",
            [
                nz.name_variants(toks, givens.get(g) if g is not None else None)
                for toks, g in combos.iter_rows()
            ],
            dtype=pl.List(pl.String),
        )
    )


def name_variants(tokens: pl.Expr) -> pl.Expr:
    """``name_variants`` from the name tokens alone (every word may be a given name): for
    features saved before the column existed."""
    return tokens.map_elements(
        lambda t: nz.name_variants(list(t)), return_dtype=pl.List(pl.String)
    ).alias("name_variants")


def name_letters(tokens: pl.Expr) -> pl.Expr:
    """``name_letters``: the distinct first letters of a name's words, sorted; empty for a name of
    one word (nothing there to disagree with another name)."""
    letters = tokens.list.eval(pl.element().str.slice(0, 1)).list.unique().list.sort()
    return pl.when(tokens.list.len() > 1).then(letters).alias("name_letters")


def name_single_letters(tokens: pl.Expr) -> pl.Expr:
    """``name_single_letters``: the words of a name written as an initial (``e`` of ``E. Dela
    Paz``), sorted; an empty list where there are none. With :func:`name_letters` the model tells
    ``delapaz e`` / ``delapaz grace mary`` (one word shared, the others disagree: two relatives
    more often than one person) from ``delapaz g`` / ``delapaz grace``."""
    return (
        tokens.list.eval(pl.element().filter(pl.element().str.len_chars() == 1))
        .list.unique()
        .list.sort()
        .alias("name_single_letters")
    )


def name_words(tokens: pl.Expr) -> pl.Expr:
    """``name_words``: the words of a name longer than an initial, sorted. "One name word shared"
    counts these: ``jimenez r`` and ``cuenca r`` share the initial ``r`` and nothing else (two
    people with one phone in a household were linked on it)."""
    return (
        tokens.list.eval(pl.element().filter(pl.element().str.len_chars() > 1))
        .list.unique()
        .list.sort()
        .alias("name_words")
    )


#: A name key shared by at most this many records is "rare" and blocks on its own (with country).
RARE_NAME_MAX = 30


def with_population_keys(
    feats: pl.DataFrame, cap: int = RARE_NAME_MAX, max_block: int = MAX_BLOCK
) -> pl.DataFrame:
    """Set the columns that depend on the whole population of records: ``name_rare`` (the name key
    where at most ``cap`` records share it) and ``block_keys`` (:func:`block_keys`).

    Beneficiary sides often carry a name and nothing else; blocking on the name alone finds them,
    and the cap keeps blocks small (a common name alone would never reach the threshold anyway).
    """
    counts = feats.group_by("name_key").len("n_name").drop_nulls("name_key")
    out = feats.drop("name_rare", strict=False).join(counts, on="name_key", how="left")
    out = out.with_columns(
        pl.when(pl.col("n_name") <= cap).then(pl.col("name_key")).alias("name_rare")
    ).drop("n_name")
    keys = block_keys(out, max_block)
    out = out.drop("block_keys", strict=False).join(keys, on="unique_id", how="left")
    return out.select(FEATURE_COLUMNS)


def tf_table(feats: pl.DataFrame, col: str) -> pl.DataFrame:
    """Splink's term-frequency table of ``col``: each value's share of the non-empty values."""
    vals = feats.select(col).drop_nulls()
    total = max(vals.height, 1)
    return vals.group_by(col).agg((pl.len().cast(pl.Float64) / total).alias(f"tf_{col}"))


#: A date of birth shared by more than this many times the records of the average date is a
#: stand-in (a year written as 1 January), not evidence of one person: no key pairs on it alone.
PLACEHOLDER_DOB = 5.0


def block_keys(feats: pl.DataFrame, max_block: int = MAX_BLOCK) -> pl.DataFrame:
    """``unique_id`` -> ``block_keys``: the keys a record shares with candidates for one person
    (:mod:`bantay.resolve.blocking`): each name word, and each nickname form of a given name, with
    the date of birth, with the address's first word (a postcode district), and with the city
    where the record also carries a date of birth or an address; the whole name alone where the
    record carries a date of birth or an address; and, whatever the name, a date of birth with the
    postcode district or with the city, unless many records bear that date (:data:`PLACEHOLDER_DOB`).
    A key shared by more than ``max_block`` records is dropped.

    The date-and-place keys reach one person's records whose names share no word (``blacm`` /
    ``r. black``, ``sir monro, 1st`` / ``sir charles monro``): Splink's own settings for
    historical_50k block on the date of birth with the birth place and with the postcode's start.
    There, with the scoring weighing a date by how many records bear it, they took F1 from 0.877
    to 0.891 (ceiling 0.674 -> 0.686, precision 0.985 -> 0.988). Without the stand-in dates left
    out, the keys joined namesakes born "1 January" of one year in one district (precision 0.977
    before the date's weight was made to depend on its frequency).

    The whole-name key reaches one person's records whose date of birth has a typo and whose town
    is missing on one side (``william wragge`` born 1852-08-18 and 1852-09-18): the scoring then
    weighs the dates or the addresses, so namesakes with their own dates of birth stay apart. On
    historical_50k it raised the recall ceiling from 0.651 to 0.674 (F1 0.865 -> 0.870, precision
    0.982 -> 0.985); simulated worlds (bench/resolve_simulated.py --seeds 1 2 3 4 5) and the
    synthetic register (bench/resolve_scale.py --persons 100000, precision 0.9514 -> 0.9515) moved
    by less than 0.001.

    The city key reaches a register's records whose date of birth is missing (``ralph bathurst``
    of Overstone with and without one): on historical_50k it raised the recall ceiling from 0.594
    to 0.651 and F1 from 0.835 to 0.844, and left simulated and independent payment worlds as they
    were (bench/resolve_external.py, bench/resolve_simulated.py --seeds 1 2 3). It needs a date of
    birth or an address on the record because the records that carry neither, beneficiary sides
    with a name and a city, are where a shared word and city mean relatives and namesakes as often
    as one person (simulated beneficiaries sharing their exact name are one person in 41-53% of
    pairs: bench/resolve_simulated.py --profiles namesakes --ambiguity), and the scoring would have
    nothing else to weigh.

    Keys without a second attribute were measured and left out. A rare word alone, the phonetic
    key alone or a word with the city for every record raised the recall ceiling of historical_50k
    (0.75 -> 0.82) but put namesakes and relatives side by side in payment worlds, where
    beneficiary sides carry a name and a city at most, and the names of different people then
    linked them: beneficiary F1 0.915 -> 0.861 on simulated worlds with namesakes
    (bench/resolve_simulated.py). Records that share nothing but a name are left to the attachment
    by name (:mod:`bantay.resolve.attach`), which weighs every entity bearing it. The year of birth
    with a word, and the whole address with a word, added 1M pairs to an 86,000-record payment
    world for 0.0001 of recall ceiling."""
    forms = (
        feats.select("unique_id", "name_words", "name_variants")
        .with_columns(
            pl.concat_list(
                pl.col("name_words").fill_null([]),
                pl.col("name_variants").list.join(" ").str.split(" ").fill_null([]),
            )
            .list.eval(pl.element().filter(pl.element().str.len_chars() > 1))
            .list.unique()
            .alias("w")
        )
        .select("unique_id", "w")
        .explode("w")
        .drop_nulls("w")
    )
    ctx = feats.select(
        "unique_id",
        "dob",
        pl.col("address").str.split(" ").list.first().alias("district"),
        pl.when(pl.col("dob").is_not_null() | pl.col("address").is_not_null())
        .then(pl.col("city"))
        .alias("rich_city"),
    )
    w = forms.join(ctx, on="unique_id")
    # dates of birth that say something by themselves: not a stand-in many records share (a year
    # written as 1 January), i.e. at most PLACEHOLDER_DOB times as common as the average date
    dobs = ctx.drop_nulls("dob").group_by("dob").len("n")
    average = float(dobs["n"].sum()) / dobs.height if dobs.height else 1.0
    common = PLACEHOLDER_DOB * max(1.0, average)
    specific = ctx.join(dobs.filter(pl.col("n") <= common), on="dob").drop("n")
    keys = pl.concat(
        [
            w.select("unique_id", (pl.lit("dw|") + pl.col("dob") + "|" + pl.col("w")).alias("k")),
            w.select(
                "unique_id", (pl.lit("pw|") + pl.col("district") + "|" + pl.col("w")).alias("k")
            ),
            w.select(
                "unique_id", (pl.lit("cw|") + pl.col("rich_city") + "|" + pl.col("w")).alias("k")
            ),
            feats.filter(pl.col("dob").is_not_null() | pl.col("address").is_not_null()).select(
                "unique_id", (pl.lit("nk|") + pl.col("name_key")).alias("k")
            ),
            specific.select(
                "unique_id", (pl.lit("dp|") + pl.col("dob") + "|" + pl.col("district")).alias("k")
            ),
            specific.select(
                "unique_id", (pl.lit("dc|") + pl.col("dob") + "|" + pl.col("rich_city")).alias("k")
            ),
        ]
    ).drop_nulls("k")
    keys = keys.unique()
    sizes = keys.group_by("k").len("n")
    keys = keys.join(sizes.filter(pl.col("n").is_between(2, max_block)), on="k").drop("n")
    return keys.group_by("unique_id").agg(pl.col("k").sort().alias("block_keys"))
