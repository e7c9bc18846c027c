"""Vectorised normalisation: the name keys, phones and folded text of :mod:`bantay.resolve.normalize`
computed with polars expressions over whole columns instead of a Python call per value.

:mod:`bantay.resolve.normalize` stays the reference: its functions define every key, and
``tests/resolve/test_vectorized.py`` checks on hypothesis samples that this module gives identical
keys. What the expressions cannot reproduce exactly goes to the reference functions:

* names with a non-ASCII character (diacritics are stripped by Unicode canonical combining class,
  which polars' regular expressions cannot express; Thai and Chinese pass through), and
* phones that are not already written as E.164 (with or without spaces): national numbers need
  ``phonenumbers`` and its per-country metadata.

Everything else (ASCII names of every corridor, with honorifics, suffixes, abbreviations, ``Ma.``,
initials, ``Surname, Given`` and compound surnames) runs as columnar operations.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from bantay.resolve import normalize as nz

#: The name columns produced, with their types.
NAME_SCHEMA: dict[str, Any] = {
    "name_key": pl.String,
    "name_tokens": pl.List(pl.String),
    "name_phonetic": pl.String,
    "name_initials": pl.String,
    "name_has_initial": pl.Boolean,
}

# Python's str.split() treats \x1c-\x1f as whitespace; Rust's \s does not.
_WS = r"[\s\x1c-\x1f]"
_NON_ASCII = r"[^\x00-\x7f]"
_TITLES = sorted(nz.HONORIFICS | nz.SUFFIXES)


def reference_name_columns(
    names: list[str | None], givens: list[str | None], families: list[str | None]
) -> dict[str, list[Any]]:
    """The name columns computed value by value with the reference functions."""
    cols: dict[str, list[Any]] = {k: [] for k in NAME_SCHEMA}
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


def _pieces(df: pl.DataFrame) -> pl.DataFrame:
    """One row per piece of a name: given and family fields, and the comma-separated parts of the
    full name. Columns: nid, src (0 field, 1 name), pidx, given_part, text."""
    fields = pl.concat(
        [
            df.select(
                "nid",
                pl.lit(0, pl.Int32).alias("src"),
                pl.lit(0, pl.Int32).alias("pidx"),
                pl.lit(True).alias("given_part"),
                pl.col("given_name").alias("text"),
            ),
            df.select(
                "nid",
                pl.lit(0, pl.Int32).alias("src"),
                pl.lit(1, pl.Int32).alias("pidx"),
                pl.lit(False).alias("given_part"),
                pl.col("family_name").alias("text"),
            ),
        ]
    )
    parts = (
        df.select("nid", pl.col("name").str.split(",").alias("text"))
        .explode("text")
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int32).over("nid").alias("pidx"))
        .select(
            "nid",
            pl.lit(1, pl.Int32).alias("src"),
            "pidx",
            (pl.col("pidx") > 0).alias("given_part"),
            "text",
        )
    )
    return (
        pl.concat([fields, parts])
        .drop_nulls("text")
        .with_row_index("pid")
        .with_columns(pl.col("pid").cast(pl.Int64))
    )


_PIECE = "pid"


def _words(pieces: pl.DataFrame) -> pl.DataFrame:
    """Word tokens per piece, in written order: the vectorised ``normalize._words`` (ASCII)."""
    # fold, then split on whitespace and periods keeping a trailing "." (normalize._raw_tokens)
    raw = (
        pieces.with_columns(
            pl.col("text").str.to_lowercase().str.extract_all(r"[^\s\x1c-\x1f.]+\.?").alias("tok")
        )
        .drop("text")
        .explode("tok")
        .drop_nulls("tok")
        .with_columns(pl.col("tok").str.strip_suffix(".").alias("bare"))
    )
    # honorifics dropped unless nothing else is left
    raw = raw.with_columns(pl.col("bare").is_in(sorted(nz.HONORIFICS)).alias("hon"))
    raw = raw.filter(~pl.col("hon") | (~pl.col("hon")).sum().over(_PIECE).eq(0))
    # Ma. / Ma -> maria (normalize.expand_abbreviations)
    i = pl.int_range(pl.len()).over(_PIECE)
    n = pl.len().over(_PIECE)
    raw = raw.with_columns(
        (
            (pl.col("tok") == "ma.")
            | (
                (pl.col("tok") == "ma")
                & (i == 0)
                & (n - 1 >= pl.when(pl.col("given_part")).then(1).otherwise(2))
            )
        ).alias("maria")
    )
    # clean: apostrophes vanish, other punctuation splits; abbreviations expand
    sub = (
        raw.with_columns(
            pl.when(pl.col("maria"))
            .then(pl.concat_list(pl.lit("maria")))
            .otherwise(pl.col("bare").str.replace_all(r"['`]", "").str.extract_all(r"[a-z0-9]+"))
            .alias("w")
        )
        .select("nid", "src", _PIECE, "given_part", "w")
        .explode("w")
        .drop_nulls("w")
    )
    sub = sub.with_columns(pl.col("w").replace(nz.ABBREVIATIONS))
    # titles and suffixes dropped unless nothing else is left
    sub = sub.with_columns(pl.col("w").is_in(_TITLES).alias("title"))
    sub = sub.filter(~pl.col("title") | (~pl.col("title")).sum().over(_PIECE).eq(0))
    # particles glued to the word that follows (normalize.glue_particles)
    sub = sub.with_columns(pl.col("w").is_in(sorted(nz.PARTICLES)).alias("particle"))
    word_end = (~pl.col("particle")).cast(pl.Int32)
    sub = sub.with_columns(
        (word_end.cum_sum().over(_PIECE) - word_end).alias("gid"),
        (~pl.col("particle")).sum().over(_PIECE).alias("n_words"),
        pl.int_range(pl.len()).over(_PIECE).alias("pos"),
    )
    glued = sub.group_by(_PIECE, "gid").agg(
        pl.col("w").sort_by("pos").str.join(""),
        (~pl.col("particle")).any().alias("complete"),
        pl.col("n_words").first(),
        pl.col("nid").first(),
        pl.col("src").first(),
    )
    return glued.filter(pl.col("complete") | (pl.col("n_words") == 0)).select(
        "nid", "src", _PIECE, "w"
    )


def _phonetic(words: pl.Series) -> pl.Series:
    """The vectorised ``normalize.phonetic`` (after nicknames) of ASCII words."""
    t = pl.col("w").replace(nz.NICKNAMES)
    for src, dst in nz._PHONETIC_RULES:
        t = t.str.replace_all(src, dst, literal=True)
    df = pl.DataFrame({"w": words}).with_columns(t.alias("t"))
    s = pl.col("t").str.slice(0, 1) + pl.col("t").str.slice(1).str.replace_all(r"[haeiou]", "")
    chars = s.str.split("")
    dedup = chars.list.eval(
        pl.element().filter(
            pl.element().shift(1).is_null() | (pl.element() != pl.element().shift(1))
        )
    ).list.join("")
    return df.select(dedup.alias("p"))["p"]


def name_columns(names: pl.DataFrame) -> pl.DataFrame:
    """``names`` (columns name, given_name, family_name) with the name columns added, rows in the
    same order. Equal to :func:`reference_name_columns` value by value."""
    df = names.with_row_index("nid")
    ascii_ok = pl.lit(True)
    for c in ("name", "given_name", "family_name"):
        ascii_ok = ascii_ok & ~pl.col(c).str.contains(_NON_ASCII).fill_null(False)
    fast = df.filter(ascii_ok)
    slow = df.filter(~ascii_ok)

    words = _words(_pieces(fast))
    # given/family fields win where they give any word; a name part made only of suffixes is
    # dropped unless all parts are
    words = words.with_columns(
        (pl.col("src") == 0).any().over("nid").alias("has_fields"),
        pl.col("w").is_in(sorted(nz.SUFFIXES)).all().over(_PIECE).alias("suffix_only"),
    )
    words = words.filter((pl.col("src") == 0) | ~pl.col("has_fields"))
    words = words.filter(
        (pl.col("src") == 0) | ~pl.col("suffix_only") | pl.col("suffix_only").all().over("nid")
    )
    # titles dropped from the whole name unless nothing else is left (normalize.parse_name)
    words = words.with_columns(pl.col("w").is_in(sorted(nz.PERSON_TITLES)).alias("person_title"))
    words = words.filter(
        ~pl.col("person_title") | (~pl.col("person_title")).sum().over("nid").eq(0)
    )
    uniq = words.select(pl.col("w").unique())
    phon = uniq.with_columns(_phonetic(uniq["w"]).alias("p"))
    words = words.join(phon, on="w", how="left")
    agg = (
        words.group_by("nid")
        .agg(pl.col("w"), pl.col("p"))
        .with_columns(
            pl.col("w").list.sort().alias("name_tokens"),
            pl.col("p").list.sort().list.join(" ").alias("name_phonetic"),
            pl.col("w")
            .list.eval(pl.element().str.slice(0, 1))
            .list.sort()
            .list.join(" ")
            .alias("name_initials"),
            pl.col("w")
            .list.eval(pl.element().str.len_chars() == 1)
            .list.any()
            .alias("name_has_initial"),
        )
    )
    agg = agg.with_columns(pl.col("name_tokens").list.join(" ").alias("name_key"))
    fast_out = fast.join(agg, on="nid", how="left")

    ref = reference_name_columns(
        slow["name"].to_list(), slow["given_name"].to_list(), slow["family_name"].to_list()
    )
    slow_out = slow.with_columns([pl.Series(k, v, dtype=NAME_SCHEMA[k]) for k, v in ref.items()])
    cols = ["nid", *names.columns, *NAME_SCHEMA]
    out = pl.concat([fast_out.select(cols), slow_out.select(cols)]).sort("nid")
    return out.drop("nid")


_E164 = r"^\+[1-9]\d{6,14}$"


def phone_column(phones: pl.DataFrame) -> pl.Series:
    """``phone_e164`` for ``phones`` (columns phone, country): the vectorised
    ``normalize.normalize_phone``; numbers not written as E.164 go through ``phonenumbers``."""
    stripped = pl.col("phone").str.strip_chars()
    cleaned = stripped.str.replace_all(r"[^\d+]", "")
    # Python's \d matches any Unicode digit: keep non-ASCII text for the reference function
    fast = (
        pl.when(stripped.str.contains(_NON_ASCII))
        .then(None)
        .when(stripped.str.contains(_E164))
        .then(stripped)
        .when(~stripped.str.contains("(", literal=True) & cleaned.str.contains(_E164))
        .then(cleaned)
    )
    df = phones.with_columns(fast.alias("fast"))
    todo = df.filter(pl.col("fast").is_null() & pl.col("phone").is_not_null()).unique(
        ["phone", "country"]
    )
    done = [
        nz.normalize_phone(p, c)
        for p, c in zip(todo["phone"].to_list(), todo["country"].to_list(), strict=True)
    ]
    todo = todo.with_columns(pl.Series("slow", done, dtype=pl.String))
    df = df.with_row_index("i").join(
        todo.select("phone", "country", "slow"),
        on=["phone", "country"],
        how="left",
        nulls_equal=True,
    )
    return df.sort("i").select(pl.coalesce("fast", "slow").alias("phone_e164"))["phone_e164"]


def fold_column(values: pl.Series) -> pl.Series:
    """The vectorised ``normalize.fold`` (ASCII values; others through the reference)."""
    df = pl.DataFrame({"v": values}).with_row_index("i")
    non_ascii = pl.col("v").str.contains(_NON_ASCII).fill_null(False)
    fast = df.filter(~non_ascii).with_columns(
        pl.col("v").str.to_lowercase().str.extract_all(r"[^\s\x1c-\x1f]+").list.join(" ").alias("f")
    )
    slow = df.filter(non_ascii)
    slow = slow.with_columns(
        pl.Series("f", [nz.fold(v) for v in slow["v"].to_list()], dtype=pl.String)
    )
    out = pl.concat([fast, slow]).sort("i")
    return out.select(pl.when(pl.col("f") == "").then(None).otherwise(pl.col("f")).alias("f"))["f"]
