"""Attachment by name: a record or a small entity joins the one entity likely to bear its name.

Many beneficiary sides carry a name, a country and one identifier at most; an evasive recipient
uses another phone or account with every remitter. Pair by pair the model cannot link such records:
a shared name and country give odds near 3:1 (``same name`` against the prior), under any sensible
threshold, and blocking never even puts them side by side. An analyst reads them differently: if
``Mary Grace Dela Paz`` in the Philippines is already an entity of eight records (an account, a
phone, three remitters) and nobody else of that name is known, a new record of that name, paid on a
phone the entity has not used, is most likely hers.

That reasoning is the same Fellegi-Sunter model, summed over entities instead of pairs. After the
pairs are scored, each entity ``F`` (a single record, or records already linked) looks at every
other entity ``E`` of the same country holding a record whose name agrees with one of ``F``'s (same
name, or names that sound alike; for a single record, also a name a typo away: :data:`FUZZY_LEVELS`),
with

    score(E) = |E| * lambda / (1 - lambda) * m_name / u_name * m_country / u_country
               * product over the other compared fields of m / u

where a field both entities hold counts with the model's top level when some value is shared and
its "differ" level when none is (another phone, another date of birth: strong evidence against), and
a field one of them lacks counts for nothing (``|E|`` records of ``E`` could each be the match, so
the prior odds grow with the entity). ``F`` is attached to the best candidate when
``score / (k + sum of all scores)`` reaches the threshold, ``k`` the number of candidates: "someone
not seen yet" counts once, and once more for every other entity seen bearing the name (a name borne
by several people who cannot be one, even those whose fields rule them out, is a common name, and
its unseen bearers are as many); every other candidate competes too, so a name borne by two
entities attaches to neither. A record with
nothing but a name, alone, is no candidate and does not compete: it shows no second bearer, only
the same evidence again (the ``1`` covers someone not seen yet), and is attached by the same
reckoning. The exact name's ratio comes from how rare the name is in the country, counted over the
records outside the two entities weighed (a recipient's own repeated name must not count against
her): a name nobody else among many records bears weighs more than the model's average same-name
pair; a name others bear is not weakened below that average (competition between the entities that
bear it does that: weakening it as well cost simulated beneficiary recall 0.876 -> 0.816 for no
precision, bench/resolve_simulated.py --seeds 1 2). A name borne by more than :data:`MAX_BEARERS`
entities in one country is left alone.

Run in rounds (``bantay.resolve.run``): an entity grown by one attachment may settle another. The
attachment is stored as a pair (a record of each side whose names agree best) with that
probability, so re-clustering and judgements treat it like any link; its agreed fields say what
counted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import duckdb
import polars as pl

from bantay.resolve import model as mdl
from bantay.resolve.cluster import ATTACHED_MARK

#: The columns of a table of scored record pairs (the links ``bantay resolve`` writes).
PAIRS_SCHEMA: dict[str, type[pl.DataType]] = {
    "party_record_id_l": pl.String,
    "party_record_id_r": pl.String,
    "match_probability": pl.Float64,
    "match_weight": pl.Float64,
    "agreed_fields": pl.String,
}

#: The fields compared entity against entity besides the name and the country (and whose absence
#: makes a record "nothing but a name").
IDENTIFYING = ("phone", "account", "email", "id_doc", "dob", "city", "address")
#: A name borne by more entities than this in one country attaches nothing (too common to tell its
#: bearers apart by the name; competing, they rarely reach a threshold), so its pairs are not formed.
MAX_BEARERS = 20
#: :func:`entity_prior_pairs` attaches entities of at most this many records (stragglers).
STRAGGLER_MAX = 2
#: The name levels an attachment may rest on, best first, with the column that must agree.
NAME_LEVELS = (
    ("same name (any order)", "name_key"),
    ("names sound alike (or nicknames)", "name_phonetic"),
)


def _level_mu(model: mdl.SavedModel, comparison: str, label: str) -> tuple[float, float] | None:
    """The level's (m, u), where both are set."""
    for lv_label, (m, u) in zip(
        mdl.level_labels(comparison), model.parameters.get(comparison) or [], strict=False
    ):
        if lv_label == label:
            return (m, u) if m and u else None
    return None


def _level_lr(model: mdl.SavedModel, comparison: str, label: str) -> float | None:
    mu = _level_mu(model, comparison, label)
    return mu[0] / mu[1] if mu else None


def _weigh_name_by_its_bearers(
    best: pl.DataFrame, ents: pl.DataFrame, model: mdl.SavedModel
) -> pl.DataFrame:
    """The exact name's likelihood ratio from how rare the name is in the country, counted over
    the records outside the two entities weighed (a name a recipient's own records repeat is not a
    common name): ``m / u`` with ``u = (bearers outside + 1) / records of the country``, never
    above the level's own ``u``. A name nobody else among many records bears weighs more than the
    model's average same-name pair; a name others bear keeps that average. Names that only sound
    alike keep the level's ratio."""
    label, col = NAME_LEVELS[0]
    mu = _level_mu(model, "name", label)
    if mu is None:
        return best
    m, u = mu
    bearers = ents.group_by(col, "country").agg(pl.len().alias("n_all"))
    in_entity = ents.group_by("entity_id", col).agg(pl.len().alias("n_in"))
    per_country = ents.group_by("country").agg(pl.len().alias("n_country"))
    out = (
        best.join(ents.select("unique_id", col, "country"), on="unique_id", how="left")
        .join(bearers, on=[col, "country"], how="left")
        .join(in_entity.rename({"n_in": "in_f"}), on=["entity_id", col], how="left")
        .join(in_entity.rename({"entity_id": "cand", "n_in": "in_e"}), on=["cand", col], how="left")
        .join(per_country, on="country", how="left")
        .with_columns(
            (pl.col("n_all") - pl.col("in_f").fill_null(0) - pl.col("in_e").fill_null(0))
            .clip(0)
            .alias("others")
        )
    )
    exact = (pl.col("rank") == 0) & pl.col("n_country").is_not_null()
    return out.with_columns(
        pl.when(exact)
        .then(m / pl.min_horizontal(pl.lit(u), (pl.col("others") + 1) / pl.col("n_country")))
        .otherwise(pl.col("lr"))
        .alias("lr"),
        pl.when(exact)
        .then(pl.format("{}, borne by {} other record(s)", "label", "others"))
        .otherwise(pl.col("label"))
        .alias("label"),
    ).select(best.columns)


def _entities(
    records: pl.DataFrame, pairs: pl.DataFrame, threshold: float, same: Sequence[tuple[str, str]]
) -> pl.DataFrame:
    """``records`` (unique_id) with ``entity_id`` and ``size``: connected components of the links at
    the threshold and the "same" judgements (a record in none is an entity of its own)."""
    import igraph as ig

    edges = pl.concat(
        [
            pairs.filter(pl.col("match_probability") >= threshold).select(
                pl.col("party_record_id_l").alias("a"), pl.col("party_record_id_r").alias("b")
            ),
            pl.DataFrame(
                {"a": [a for a, _ in same], "b": [b for _, b in same]},
                schema={"a": pl.String, "b": pl.String},
            ),
        ]
    )
    nodes = pl.concat([edges["a"], edges["b"]]).unique().to_frame("unique_id").with_row_index("i")
    idx = edges.join(nodes.rename({"unique_id": "a", "i": "ia"}), on="a").join(
        nodes.rename({"unique_id": "b", "i": "ib"}), on="b"
    )
    g = ig.Graph(n=nodes.height, edges=idx.select("ia", "ib").to_numpy().tolist())
    comp = nodes.with_columns(
        pl.Series("c", g.connected_components().membership, dtype=pl.Int64)
    ).with_columns(pl.len().over("c").alias("size"))
    out = records.join(comp.select("unique_id", "c", "size"), on="unique_id", how="left")
    return out.select(
        pl.exclude("c", "size"),
        pl.coalesce(pl.format("c{}", "c"), pl.col("unique_id")).alias("entity_id"),
        pl.col("size").fill_null(1).cast(pl.Int64).alias("size"),
    )


def _field_evidence(
    model: mdl.SavedModel, present: Sequence[str]
) -> list[tuple[str, str, float, str, float]]:
    """(column, agree label, its likelihood ratio, differ label, its ratio) of every identifying
    field the model compares: its top level and its last ("differ") level."""
    by_column = {col: name for name, col in mdl.COMPARISON_COLUMNS.items()}
    out: list[tuple[str, str, float, str, float]] = []
    for col in present:
        name = by_column.get(col)
        if name is None or name not in model.parameters:
            continue
        labels = mdl.level_labels(name)
        agree, differ = _level_lr(model, name, labels[0]), _level_lr(model, name, labels[-1])
        if agree is not None and differ is not None:
            out.append((col, labels[0], agree, labels[-1], differ))
    return out


def attach_pairs(
    feats: pl.DataFrame,
    pairs: pl.DataFrame,
    model: mdl.SavedModel,
    threshold: float,
    same: Sequence[tuple[str, str]] = (),
    typos: bool = True,
) -> pl.DataFrame:
    """Pairs (party_record_id_l/_r, match_probability, match_weight, agreed_fields) attaching
    entities that ``pairs`` (at ``threshold``) and the "same" judgements leave apart to the one
    entity likely to bear their name (see the module). ``typos``: also single records whose name
    is a typo away (:data:`FUZZY_LEVELS`)."""
    empty = pl.DataFrame(schema=PAIRS_SCHEMA)
    lr_country = _level_lr(model, "country", "same country")
    lam = model.probability_two_random_records_match
    if not 0 < lam < 1 or "name_key" not in feats.columns:
        return empty
    country_note = "country=same country"
    if lr_country is None:
        # no record carries a country (a national register, one institution's customers): the
        # bearers of a name compete across the whole workspace, and the country says nothing
        feats = feats.with_columns(pl.lit("").alias("country"))
        lr_country, country_note = 1.0, "no country recorded"
    prior = lam / (1 - lam)
    present = [c for c in IDENTIFYING if c in feats.columns]
    evidence = _field_evidence(model, present)
    named = feats.filter(pl.col("name_key").is_not_null() & pl.col("country").is_not_null())
    if named.height < 2:
        return empty
    ents = _entities(
        named.select("unique_id", "name_key", "name_phonetic", "country", *present),
        pairs,
        threshold,
        same,
    )
    bare = pl.all_horizontal([pl.col(c).is_null() for c in present]) if present else pl.lit(True)
    # a record with nothing but a name, alone: it says no more than "someone not seen yet" (the 1
    # below), and most often it is the same person again, attached like the others; so it is no
    # candidate and does not compete
    ents = ents.with_columns(((pl.col("size") == 1) & bare).alias("bare"))
    cands: list[pl.DataFrame] = []
    level_rows: list[tuple[int, float, str]] = []
    for rank, (label, col) in enumerate(NAME_LEVELS):
        lr = _level_lr(model, "name", label)
        if lr is None:
            continue
        # one row per entity and name: the entity's smallest record bearing it stands for them all
        by_name = (
            ents.drop_nulls(col)
            .group_by("entity_id", col, "country")
            .agg(pl.col("unique_id").min(), pl.col("size").first(), pl.col("bare").first())
        )
        theirs = by_name.filter(~pl.col("bare")).select(
            pl.col("unique_id").alias("other"), pl.col("entity_id").alias("cand"), col, "country",
            "size",
        )  # fmt: skip
        # a name borne by many entities attaches nothing (they all compete): skip the join
        crowded = theirs.group_by(col, "country").agg(pl.len().alias("k"))
        theirs = theirs.join(
            crowded.filter(pl.col("k") > MAX_BEARERS), on=[col, "country"], how="anti"
        )
        mine = by_name.select("entity_id", "unique_id", col, "country")
        hit = mine.join(theirs, on=[col, "country"]).filter(pl.col("cand") != pl.col("entity_id"))
        cands.append(
            hit.select(
                "entity_id", "unique_id", "cand", "other", "size", pl.lit(rank).alias("rank")
            )
        )
        level_rows.append((rank, lr, label))
    names = named.select("name_key", "name_initials", "name_words").unique("name_key")
    for rank, (label, keys, test) in enumerate(FUZZY_LEVELS if typos else (), len(NAME_LEVELS)):
        lr = _level_lr(model, "name", label)
        if lr is not None:
            cands.append(_fuzzy_candidates(ents, keys(names).unique(), test, rank))
            level_rows.append((rank, lr, label))
    if not cands:
        return empty
    c = pl.concat(cands)
    levels = pl.DataFrame(
        level_rows, schema={"rank": pl.Int32, "lr": pl.Float64, "label": pl.String}, orient="row"
    )
    # per (entity, candidate): the best name level reached, and the two records that reach it
    # (one key per row, compared as text: ranks are single digits)
    key = pl.concat_str([pl.col("rank").cast(pl.String), "unique_id", "other"], separator="\x1f")
    best = (
        c.group_by("entity_id", "cand")
        .agg(key.min().alias("k"), pl.col("size").first())
        .with_columns(pl.col("k").str.split_exact("\x1f", 2).alias("k"))
        .unnest("k")
        .rename({"field_0": "rank", "field_1": "unique_id", "field_2": "other"})
        .with_columns(pl.col("rank").cast(pl.Int32))
        .join(levels, on="rank")
    )
    best = _weigh_name_by_its_bearers(best, ents, model)
    involved = pl.concat([best["entity_id"], best["cand"]]).unique().implode()
    ents = ents.filter(pl.col("entity_id").is_in(involved))
    # the other fields, entity against entity: a value both hold agrees, values that never meet
    # differ, a field one of them lacks says nothing
    score = pl.col("size") * prior * pl.col("lr") * lr_country
    notes: list[pl.Expr] = [pl.format("name={}", "label"), pl.lit(country_note)]
    for col, agree_label, agree, differ_label, differ in evidence:
        values = ents.drop_nulls(col).group_by("entity_id").agg(pl.col(col).unique().alias("v"))
        best = best.join(values.rename({"v": f"{col}_a"}), on="entity_id", how="left").join(
            values.rename({"entity_id": "cand", "v": f"{col}_b"}), on="cand", how="left"
        )
        both = pl.col(f"{col}_a").is_not_null() & pl.col(f"{col}_b").is_not_null()
        met = pl.col(f"{col}_a").list.set_intersection(pl.col(f"{col}_b")).list.len() > 0
        score = score * pl.when(both & met).then(agree).when(both).then(differ).otherwise(1.0)
        notes.append(
            pl.when(both & met)
            .then(pl.lit(f"{col}={agree_label}"))
            .when(both)
            .then(pl.lit(f"{col}={differ_label}"))
        )
    best = best.with_columns(
        score.alias("score"),
        pl.concat_str(notes, separator=", ", ignore_nulls=True).alias("why"),
    ).with_columns(
        (
            pl.col("score") / (pl.len().over("entity_id") + pl.col("score").sum().over("entity_id"))
        ).alias("p")
    )
    won = best.sort("entity_id", "p", "cand", descending=[False, True, False]).unique(
        "entity_id", keep="first", maintain_order=True
    )
    won = won.filter(pl.col("p") >= threshold)
    if won.height == 0:
        return empty
    return _as_pairs(
        won, "unique_id", "other", pl.format("{}, entity of {} records", "why", "size")
    )


def _says_who(agreed: pl.Expr) -> pl.Expr:
    """The pair agrees on who the person is, not only on where or with whom: the date of birth,
    or the name with the address or an identifier (phone, account, e-mail, document)."""
    field = r"(^|, ){}="
    dob = agreed.str.contains(field.format("date_of_birth"))
    name = agreed.str.contains(field.format("name"))
    ident = agreed.str.contains(field.format("(address|phone|account|email|id_document)"))
    return (dob | (name & ident)).fill_null(False)


def entity_prior_pairs(
    pairs: pl.DataFrame, threshold: float, members: Callable[[], pl.DataFrame]
) -> pl.DataFrame:
    """Attachments of a straggler to the larger entity its pairs point at, weighed as an entity.

    A pair's probability weighs two records against the prior that two random records match. A
    record left alone below the threshold (another birth place, a missing date of birth, one name
    word short) that scores near the threshold against a record of an entity of ``|E|`` records is
    weighed, by the reckoning of :func:`attach_pairs`, with ``|E|`` chances of being the match::

        score(E) = |E| * odds of its best pair with E     p(E) = score(E) / (1 + sum of scores)

    ``1`` for someone not seen yet, and every other entity its pairs point at competing, so a
    record scored alike against two people attaches to neither. A pair above the threshold counts
    too where the group check kept the straggler apart: a large entity's records vary among
    themselves, and one record matching a few of them is outvoted by the rest (on historical_50k,
    498 of 507 such stragglers were one person with the entity; F1 0.870 -> 0.877 at precision
    0.985). Only pairs that agree on who the
    person is attach: on the date of birth, or on the name and the address or an identifier.
    Records tied by a shared phone, account or address alone are a household as often as one
    person, and a name with a city is what namesakes in one town share (on synthetic registers
    with common names, attaching on it took pairwise precision 0.952 -> 0.914 at 250,000
    records, bench/resolve_scale.py --persons 100000); the entity's size says nothing about
    either (its records share the one phone, the one name and town). Only an entity smaller than the
    candidate attaches (the larger one is the evidence), and only on pairs already scored (the
    fields the model compared, a differing identifier counting against as it did in the pair).
    ``members()`` gives (party_record_id, entity_id), the entities as clustered
    (:func:`bantay.resolve.cluster.cluster_frame`): a record its group's check kept apart is a
    straggler too. It is called only where some pair could attach (a clustering of every record).
    """
    empty = pl.DataFrame(schema=PAIRS_SCHEMA)
    # below the threshold, or above it and kept apart by the group check (a straggler whose one
    # strong pair is outvoted by the entity's other records, which vary among themselves)
    who = pairs.filter((pl.col("match_probability") > 0) & _says_who(pl.col("agreed_fields")))
    if who.height == 0:
        return empty
    ents = members().select(
        pl.col("party_record_id").alias("unique_id"),
        "entity_id",
        pl.len().over("entity_id").alias("size"),
    )
    small = ents.filter(pl.col("size") <= STRAGGLER_MAX)
    # the pairs above the threshold are most of the pairs, and few of them touch a straggler
    ids = small["unique_id"].implode()
    who = who.filter(
        pl.col("party_record_id_l").is_in(ids) | pl.col("party_record_id_r").is_in(ids)
    )
    sides = pl.concat(
        who.select(
            pl.col(f"party_record_id_{x}").alias("a"),
            pl.col(f"party_record_id_{y}").alias("b"),
            "match_probability",
            "agreed_fields",
        )
        for x, y in (("l", "r"), ("r", "l"))
    )
    cand = (
        sides.join(small.rename({"unique_id": "a", "entity_id": "ea", "size": "sa"}), on="a")
        .join(ents.rename({"unique_id": "b", "entity_id": "eb", "size": "sb"}), on="b")
        .filter((pl.col("ea") != pl.col("eb")) & (pl.col("sb") > pl.col("sa")))
    )
    if cand.height == 0:
        return empty
    odds = pl.col("match_probability") / (1 - pl.col("match_probability"))
    best = (
        cand.with_columns(odds.alias("odds"))
        .sort("odds", "a", "b", descending=[True, False, False])
        .group_by("ea", "eb", maintain_order=True)
        .first()
        .with_columns((pl.col("sb") * pl.col("odds")).alias("score"))
        .with_columns((pl.col("score") / (1 + pl.col("score").sum().over("ea"))).alias("p"))
    )
    won = (
        best.sort("ea", "p", "eb", descending=[False, True, False])
        .unique("ea", keep="first", maintain_order=True)
        .filter(pl.col("p") >= threshold)
    )
    if won.height == 0:
        return empty
    return _as_pairs(
        won,
        "a",
        "b",
        pl.format(
            "{}, best pair of an entity of {} records", pl.col("agreed_fields").fill_null(""), "sb"
        ),
    )


def _typo_keys(names: pl.DataFrame) -> pl.DataFrame:
    """(name_key, key) where names with a typo meet: a word with the name's first letters."""
    return (
        names.select("name_key", "name_initials", "name_words")
        .drop_nulls("name_initials")
        .explode("name_words")
        .drop_nulls("name_words")
        .select(
            "name_key",
            pl.concat_str(["name_initials", "name_words"], separator="|").alias("key"),
        )
    )


def _one_edit_keys(names: pl.DataFrame) -> pl.DataFrame:
    """(name_key, key) where names one or two letters apart meet: the name, and the name with one
    character deleted (two names one edit apart share one of these, as do most names with two
    letters swapped or one letter changed in each)."""
    longest = names.select(pl.col("name_key").str.len_chars().max().fill_null(0)).item()
    key = pl.col("name_key")
    return pl.concat(
        [names.select("name_key", key.alias("key"))]
        + [
            names.filter(key.str.len_chars() > i).select(
                "name_key", (key.str.slice(0, i) + key.str.slice(i + 1)).alias("key")
            )
            for i in range(longest)
        ]
    )


#: The fuzzy name levels an attachment may rest on after :data:`NAME_LEVELS`: the model's level,
#: the keys on which its names meet, and the test the two whole names must pass (SQL, as the
#: model's level). Only single records are attached on them: a typo is one record's.
FUZZY_LEVELS: tuple[tuple[str, Callable[[pl.DataFrame], pl.DataFrame], str], ...] = (
    # the words' first letters agree, one word is shared and the whole names are alike
    # (``pollarc thomas`` / ``pollard thomas``, ``barrie thomas`` / ``barry thomas``)
    (
        "name with a typo",
        _typo_keys,
        "jaro_winkler_similarity(name_key, other_key) >= 0.92",
    ),
    # a typo anywhere, the first letter included (``chester tobert`` / ``chester robert``,
    # ``ho0kinson`` / ``hopkinson``)
    ("name two letters apart", _one_edit_keys, "levenshtein(name_key, other_key) <= 2"),
)


def _fuzzy_candidates(ents: pl.DataFrame, keys: pl.DataFrame, test: str, rank: int) -> pl.DataFrame:
    """Single records' candidates whose names pass ``test`` and meet on one of ``keys`` (name_key ->
    key). A key borne by many entities (``m s|maria``) is left out like a crowded name; the pair's
    other fields then weigh as for any attachment."""
    named = ents.select("entity_id", "unique_id", "name_key", "country", "size", "bare")
    mine = (
        named.filter(pl.col("size") == 1)
        .join(keys, on="name_key")
        .unique(["entity_id", "name_key", "key", "country"])
    )
    wanted = keys.join(mine.select("key").unique(), on="key", how="semi")
    theirs = (
        named.filter(~pl.col("bare"))
        .join(wanted, on="name_key")
        .unique(["entity_id", "name_key", "key", "country"])
        .select(
            pl.col("unique_id").alias("other"), pl.col("entity_id").alias("cand"),
            pl.col("name_key").alias("other_key"), "key", "country", "size",
        )
    )  # fmt: skip
    crowded = theirs.group_by("key", "country").agg(pl.col("cand").n_unique().alias("k"))
    theirs = theirs.join(
        crowded.filter(pl.col("k") > MAX_BEARERS), on=["key", "country"], how="anti"
    )
    hit = (
        mine.select("entity_id", "unique_id", "name_key", "key", "country")
        .join(theirs, on=["key", "country"])
        .filter(
            (pl.col("cand") != pl.col("entity_id")) & (pl.col("name_key") != pl.col("other_key"))
        )
        .unique(["entity_id", "unique_id", "cand", "other"])
    )
    con = duckdb.connect()
    con.register("names", hit.select("name_key", "other_key").unique())
    alike = con.sql(f"SELECT name_key, other_key FROM names WHERE {test}").pl()
    con.close()
    return hit.join(alike, on=["name_key", "other_key"]).select(
        "entity_id", "unique_id", "cand", "other", "size", pl.lit(rank).alias("rank")
    )


def _as_pairs(won: pl.DataFrame, a: str, b: str, why: pl.Expr) -> pl.DataFrame:
    """Attachments (records ``a``, ``b``, probability ``p``) as scored pairs, marked as such."""
    return won.select(
        pl.min_horizontal(a, b).alias("party_record_id_l"),
        pl.max_horizontal(a, b).alias("party_record_id_r"),
        pl.col("p").cast(pl.Float64).alias("match_probability"),
        pl.when(pl.col("p") < 1)
        .then((pl.col("p") / (1 - pl.col("p"))).log(2))
        .otherwise(pl.lit(60.0))
        .alias("match_weight"),
        pl.concat_str([why, pl.lit(ATTACHED_MARK)], separator=" ").alias("agreed_fields"),
    ).unique(["party_record_id_l", "party_record_id_r"], keep="first", maintain_order=True)
