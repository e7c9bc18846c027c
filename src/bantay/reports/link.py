"""Linking platform reports to the money: a report's payment identifiers meet the workspace's parties.

Each identifier a report carries (card token, wallet, account, payout account: ``account``; phone:
``phone``; payer name: ``name``) becomes a row of ``report_parties``, in the form of a party record
(``party_record_id`` ``report:<report id>:<payment>:<field>``, institution ``platform:<name>``),
kept beside the institutions' ``party_records``, never mixed into them (the ingest counts stay
whole). Linking finds, for each, the party records of the same person, and through entity
resolution's ``entity_members`` their entities, on every side (payer, beneficiary) the transactions
show that entity on (without a resolution, the scan's stand-in key: the payer record, or
``acct:``/``tel:`` for a beneficiary), in two ways:

- **Entity resolution.** Each payment of a report becomes the parties it names: the payer (payer
  name, phone and one of its card token, wallet or account; a payment with several gives one party
  each) and the receiving side (its payout account). They are scored against the resolved records
  with the workspace's saved Splink model (:func:`bantay.resolve.against.score_against_entities`:
  candidates share an identifier or the whole name), and a pair at or above the model's threshold
  links, **provided an identifier agrees** (phone or account, exactly or a digit apart): a name is
  not an identity, however rare, so a report that shares only a name with a record never links by
  it. A payer name with a phone one digit off the record's links here.
- **Exact identifiers**, as the scan keys them: accounts keep letters and digits, upper-cased;
  phones meet on their last nine digits (at least six digits in all), the national number whatever
  trunk prefix or country code a record wrote, and are then read in E.164 by the resolver's
  normalisation (the report's number in the reported account's country, the record's in its
  residence country): two numbers that end alike but differ in E.164 (two countries') do not link;
  where either cannot be read, the digits decide. An identifier shared links whatever the model
  says of the pair (its probability is kept beside it, for the analyst to weigh). This is also the
  whole of linking where the workspace has no saved model or features yet (never resolved): the
  result says so (:attr:`LinkResult.scoring`), and payer names are then not used.

The result, ``report_links``, says which report reaches which payer or beneficiary entity, by
which identifier (``identifier_type`` ``account``/``phone``, or ``resolved`` for a link entity
resolution found beyond them, whose ``value`` lists what the report carried and the fields that
agreed), with the pair's ``match_probability`` and ``agreed_fields`` where it was scored:
``bantay scan`` reads it (indicator ``R01_platform_report``, and linked beneficiaries seed the
network), and the entity page and alert show the reports. Records ingested since the last
resolution have no saved features and link by their exact identifiers only. A report that links to
nothing is still triaged on its own (:mod:`bantay.reports.triage`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantay.cases.models import Platform, PlatformReport
from bantay.detect.network import PHONE_TAIL_DIGITS, account_key, phone_tail_key
from bantay.detect.read_model import MIN_PHONE_DIGITS, STANDIN_PREFIXES
from bantay.resolve.against import ScoringUnavailable, score_against_entities
from bantay.resolve.normalize import normalize_phone
from bantay.workspace import Workspace

#: report payment fields -> the identifier type they link as
LINK_FIELDS = {
    "card_token": "account",
    "wallet_id": "account",
    "account": "account",
    "payout_account": "account",
    "phone": "phone",
}
#: the payer's own accounts (the payout account is the receiving side's)
PAYER_ACCOUNT_FIELDS = ("card_token", "wallet_id", "account")
#: comparisons of the model that are identifiers: a scored link needs one of them to agree
IDENTITY_COMPARISONS = ("phone", "account", "email", "id_document")
_IDENTITY_AGREED = r"(^|, )(" + "|".join(IDENTITY_COMPARISONS) + ")="
PARTY_COLUMNS = [
    "party_record_id",
    "report_id",
    "payment",
    "platform",
    "platform_report_id",
    "reported_user_id",
    "category",
    "received_at",
    "field",
    "identifier_type",
    "value",
    "norm",
    "name",
    "amount",
    "currency",
    "e164",
]


@dataclass(frozen=True)
class LinkResult:
    reports: int
    identifiers: int
    linked_reports: int
    links: int
    payer_entities: int
    beneficiary_entities: int
    #: whether the report parties were scored with the saved entity-resolution model
    scored: bool = False
    #: links found by entity resolution alone (``identifier_type = 'resolved'``), and their reports
    resolved_links: int = 0
    resolved_reports: int = 0
    #: how the parties were linked, in a sentence (the fallback says it fell back, and why)
    scoring: str = ""


def _norm(kind: str, value: str) -> str:
    """The scan's own keys: a phone's last digits, an account's letters and digits; a name folded
    to lower case (kept for the analyst; names are compared by entity resolution, not by key)."""
    if kind == "name":
        return " ".join(value.lower().split())
    return phone_tail_key(value) if kind == "phone" else account_key(value)


def report_parties(db: Session) -> pd.DataFrame:
    """Every linkable identifier of every stored report, as party-record-like rows."""
    names = {int(i): str(n) for i, n in db.execute(select(Platform.id, Platform.name))}
    rows: list[tuple[object, ...]] = []
    q = select(
        PlatformReport.id,
        PlatformReport.platform_id,
        PlatformReport.platform_report_id,
        PlatformReport.reported_user_id,
        PlatformReport.category,
        PlatformReport.received_at,
        PlatformReport.body,
    ).order_by(PlatformReport.id)
    fields = {**LINK_FIELDS, "payer_name": "name"}
    for rid, pid, prid, user, cat, at, body in db.execute(q):
        doc = json.loads(body)
        region = str((doc.get("reported_account") or {}).get("country") or "") or None
        for i, p in enumerate(doc.get("payments", [])):
            for field, kind in fields.items():
                v = p.get(field)
                if not v:
                    continue
                n = _norm(kind, str(v))
                if not n:
                    continue
                rows.append(
                    (
                        f"report:{rid}:{i}:{field}",
                        rid,
                        i,
                        names.get(pid, "?"),
                        prid,
                        user,
                        cat,
                        at,
                        field,
                        kind,
                        str(v),
                        n,
                        p.get("payer_name"),
                        p.get("amount"),
                        p.get("currency"),
                        (normalize_phone(str(v), region) or "") if kind == "phone" else "",
                    )
                )
    return pd.DataFrame.from_records(rows, columns=PARTY_COLUMNS)


def scoring_records(parties: pd.DataFrame) -> pl.DataFrame:
    """The parties each report payment names, shaped like ``party_records`` rows for entity
    resolution: the payer (payer name, phone, and one of its own accounts: one row per account,
    or one without) and the receiving side (payout account). Columns ``party_record_id``
    (``report:<report>:<payment>:<field>``, ``payer`` where the payer has no account), ``kind``,
    ``institution``, ``name``, ``phone`` (E.164 where it could be read), ``account_id``, and
    ``report_id``, ``payment`` and ``described`` (what the party carried, for the analyst)."""
    out_schema = {
        "party_record_id": pl.String,
        "kind": pl.String,
        "institution": pl.String,
        "name": pl.String,
        "phone": pl.String,
        "account_id": pl.String,
        "report_id": pl.Int64,
        "payment": pl.Int64,
        "described": pl.String,
    }
    if parties.empty:
        return pl.DataFrame(schema=out_schema)
    p = pl.from_pandas(
        parties[["report_id", "payment", "platform", "field", "identifier_type", "value", "name"]]
        .assign(e164=parties["e164"].fillna(""))
        .astype({"report_id": "int64", "payment": "int64"}),
        schema_overrides={
            c: pl.String for c in ("platform", "field", "identifier_type", "value", "name", "e164")
        },
    )
    key = ["report_id", "payment"]
    is_phone = pl.col("identifier_type") == "phone"
    base = p.group_by(key, maintain_order=True).agg(
        pl.col("platform").first(),
        pl.col("name").drop_nulls().first(),
        pl.when(is_phone)
        .then(pl.when(pl.col("e164") != "").then(pl.col("e164")).otherwise(pl.col("value")))
        .drop_nulls()
        .first()
        .alias("phone"),
        pl.when(is_phone).then(pl.col("value")).drop_nulls().first().alias("phone_written"),
    )
    accounts = p.filter(pl.col("field").is_in(PAYER_ACCOUNT_FIELDS)).select(
        *key, "field", pl.col("value").alias("account_id")
    )
    payer = (
        base.join(accounts, on=key, how="left")
        .filter(
            pl.col("name").is_not_null()
            | pl.col("phone").is_not_null()
            | pl.col("account_id").is_not_null()
        )
        .with_columns(
            pl.lit("report_payer").alias("kind"),
            pl.concat_str(
                [
                    pl.lit("payer ") + pl.col("name"),
                    pl.lit("phone ") + pl.col("phone_written"),
                    pl.col("field") + " " + pl.col("account_id"),
                ],
                separator=", ",
                ignore_nulls=True,
            ).alias("described"),
            pl.col("field").fill_null("payer"),
        )
    )
    payout = p.filter(pl.col("field") == "payout_account").select(
        *key,
        "platform",
        "field",
        pl.col("value").alias("account_id"),
        pl.lit(None, dtype=pl.String).alias("name"),
        pl.lit(None, dtype=pl.String).alias("phone"),
        pl.lit("report_payout").alias("kind"),
        (pl.lit("payout_account ") + pl.col("value")).alias("described"),
    )
    both = pl.concat([payer.select(payout.columns), payout])
    return both.select(
        pl.format("report:{}:{}:{}", "report_id", "payment", "field").alias("party_record_id"),
        "kind",
        (pl.lit("platform:") + pl.col("platform")).alias("institution"),
        "name",
        "phone",
        "account_id",
        "report_id",
        "payment",
        "described",
    ).unique("party_record_id", keep="first", maintain_order=True)


def _no_pairs() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "report_id": pl.Int64,
            "payment": pl.Int64,
            "via_record": pl.String,
            "match_probability": pl.Float64,
            "agreed_fields": pl.String,
            "described": pl.String,
        }
    )


def _scored_pairs(ws: Workspace, parties: pd.DataFrame) -> tuple[pl.DataFrame, float | None, str]:
    """The report parties scored against the resolved records: one row per (report, payment,
    record), the best-scoring party of the payment; the model's threshold (None where scoring was
    unavailable); and a sentence saying what was done."""
    empty = _no_pairs()
    records = scoring_records(parties)
    try:
        scored = score_against_entities(
            ws,
            records.select("party_record_id", "kind", "institution", "name", "phone", "account_id"),
        )
    except ScoringUnavailable as exc:
        return (
            empty,
            None,
            f"entity resolution unavailable ({exc}): fell back to exact identifiers only; "
            "payer names were not compared",
        )
    pairs = (
        scored.pairs.join(
            records.select("party_record_id", "report_id", "payment", "described"),
            left_on="record_id",
            right_on="party_record_id",
        )
        .rename({"party_record_id": "via_record"})
        .sort("match_probability", descending=True)
        .unique(["report_id", "payment", "via_record"], keep="first")
        .select(empty.columns)
    )
    say = (
        f"entity resolution: {records.height:,} report part(ies) scored with the saved model "
        f"({scored.model_origin}, threshold {scored.threshold:g}) against {scored.n_candidates:,} "
        f"candidate(s) among {scored.n_resolved:,} resolved records"
    )
    return pairs, scored.threshold, say


def _has(ws: Workspace, table: str) -> bool:
    return bool(
        ws.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()[0]  # type: ignore[index]
    )


def _drop_other_numbers(ws: Workspace) -> None:
    """Phones met on their last nine digits are the same number only if, read in E.164 (the
    report's number in the reported account's country, the record's in its residence country),
    they agree; a pair where either cannot be read so stays on the digits alone."""
    rows = ws.con.execute(
        "SELECT DISTINCT party_record_id, via_record, e164, raw_phone, region FROM __matched "
        "WHERE identifier_type = 'phone' AND e164 <> ''"
    ).fetchall()
    other = [
        (rp, rec)
        for rp, rec, e164, raw, region in rows
        if (theirs := normalize_phone(raw, region or None)) and theirs != e164
    ]
    if other:
        ws.con.executemany(
            "DELETE FROM __matched WHERE party_record_id = ? AND via_record = ?", other
        )


def link(ws: Workspace, parties: pd.DataFrame, *, resolve: bool = True) -> LinkResult:
    """Write ``report_parties`` and ``report_links`` (both replaced) from ``parties``.

    ``resolve=False`` links by the exact identifiers alone (what happens without a saved model),
    for comparison."""
    con = ws.con
    if parties.empty:
        parties = pd.DataFrame({c: pd.Series(dtype=object) for c in PARTY_COLUMNS})
    if resolve:
        scored, threshold, say = _scored_pairs(ws, parties)
    else:
        scored, threshold = _no_pairs(), None
        say = "entity resolution not asked for: exact identifiers only"
    con.register("__report_parties", parties)
    try:
        con.execute(
            """CREATE OR REPLACE TABLE report_parties AS
               SELECT party_record_id::VARCHAR AS party_record_id, report_id::BIGINT AS report_id,
                      payment::INTEGER AS payment,
                      platform::VARCHAR AS platform, platform_report_id::VARCHAR AS platform_report_id,
                      reported_user_id::VARCHAR AS reported_user_id, category::VARCHAR AS category,
                      received_at::TIMESTAMP AS received_at, field::VARCHAR AS field,
                      identifier_type::VARCHAR AS identifier_type, value::VARCHAR AS value,
                      norm::VARCHAR AS norm, name::VARCHAR AS name, amount::VARCHAR AS amount,
                      currency::VARCHAR AS currency, coalesce(e164::VARCHAR, '') AS e164
               FROM __report_parties"""
        )
    finally:
        con.unregister("__report_parties")
    members = _has(ws, "entity_members")
    join_members = (
        "LEFT JOIN entity_members em ON em.party_record_id = pr.party_record_id" if members else ""
    )
    ent = "em.entity_id" if members else "NULL"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __party_ids AS
            WITH base AS (
              SELECT pr.party_record_id,
                     upper(regexp_replace(coalesce(pr.account_id, ''), '[^0-9A-Za-z]', '', 'g'))
                       AS acct,
                     regexp_replace(coalesce(pr.phone, ''), '[^0-9]', '', 'g') AS digits,
                     pr.phone AS raw_phone, pr.residence_country AS region,
                     {ent} AS resolved
              FROM party_records pr {join_members})
            SELECT *, CASE WHEN length(digits) >= {MIN_PHONE_DIGITS}
                           THEN right(digits, {PHONE_TAIL_DIGITS}) ELSE '' END AS tel
            FROM base"""
    )
    # which side each record is a party of, as the transactions say (a KYC customer of an
    # e-wallet receives; one of a bank sends; some do both)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __sides AS
           SELECT DISTINCT payer_record_id AS party_record_id, 'payer' AS side
           FROM transactions WHERE payer_record_id IS NOT NULL
           UNION
           SELECT DISTINCT beneficiary_record_id, 'beneficiary'
           FROM transactions WHERE beneficiary_record_id IS NOT NULL"""
    )
    # record -> (entity, side) for every side its entity is a party of: the resolved entity's
    # sides, else the scan's stand-in key of the record on each of its own sides
    acct_prefix, tel_prefix = STANDIN_PREFIXES
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE __record_entities AS
            WITH es AS (
              SELECT DISTINCT p.resolved AS entity_id, s.side
              FROM __sides s JOIN __party_ids p USING (party_record_id)
              WHERE p.resolved IS NOT NULL)
            SELECT p.party_record_id, es.entity_id, es.side
            FROM __party_ids p JOIN es ON es.entity_id = p.resolved
            UNION ALL
            SELECT p.party_record_id,
                   CASE WHEN s.side = 'payer' THEN p.party_record_id
                        WHEN p.acct <> '' THEN '{acct_prefix}' || p.acct
                        WHEN length(p.digits) >= {MIN_PHONE_DIGITS} THEN '{tel_prefix}' || p.digits
                        ELSE p.party_record_id END,
                   s.side
            FROM __party_ids p JOIN __sides s USING (party_record_id)
            WHERE p.resolved IS NULL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE __matched AS
           SELECT rp.*, p.party_record_id AS via_record, NULL::VARCHAR AS raw_phone,
                  NULL::VARCHAR AS region
           FROM report_parties rp
           JOIN __party_ids p ON rp.identifier_type = 'account' AND p.acct = rp.norm
           WHERE p.acct <> ''
           UNION ALL
           SELECT rp.*, p.party_record_id AS via_record, p.raw_phone, p.region
           FROM report_parties rp
           JOIN __party_ids p ON rp.identifier_type = 'phone' AND p.tel = rp.norm
           WHERE p.tel <> ''"""
    )
    _drop_other_numbers(ws)
    con.register("__scored", scored.to_arrow())
    try:
        # an exact identifier links whatever the score; entity resolution adds the pairs at or
        # above the model's threshold on which an identifier agrees (a name alone never links)
        con.execute(
            f"""CREATE OR REPLACE TABLE report_links AS
                WITH exact AS (
                  SELECT DISTINCT m.report_id, m.platform, m.platform_report_id,
                         m.reported_user_id, m.category, m.received_at, e.side, e.entity_id,
                         m.identifier_type, m.value, m.via_record,
                         s.match_probability, s.agreed_fields
                  FROM __matched m JOIN __record_entities e ON e.party_record_id = m.via_record
                  LEFT JOIN __scored s ON s.report_id = m.report_id AND s.payment = m.payment
                       AND s.via_record = m.via_record),
                reports AS (
                  SELECT DISTINCT report_id, platform, platform_report_id, reported_user_id,
                         category, received_at
                  FROM report_parties),
                resolved AS (
                  SELECT DISTINCT r.report_id, r.platform, r.platform_report_id,
                         r.reported_user_id, r.category, r.received_at, e.side, e.entity_id,
                         'resolved' AS identifier_type,
                         s.described || ' (match ' || printf('%.4f', s.match_probability)
                           || ': ' || coalesce(s.agreed_fields, '') || ')' AS value,
                         s.via_record, s.match_probability, s.agreed_fields
                  FROM __scored s
                  JOIN reports r USING (report_id)
                  JOIN __record_entities e ON e.party_record_id = s.via_record
                  WHERE {threshold if threshold is not None else 2.0} <= s.match_probability
                    AND regexp_matches(coalesce(s.agreed_fields, ''), '{_IDENTITY_AGREED}')
                    AND NOT EXISTS (
                      SELECT 1 FROM __matched m WHERE m.report_id = s.report_id
                        AND m.payment = s.payment AND m.via_record = s.via_record))
                SELECT * FROM exact UNION ALL SELECT * FROM resolved"""
        )
    finally:
        con.unregister("__scored")
    con.execute("DROP TABLE IF EXISTS __matched")
    con.execute("DROP TABLE IF EXISTS __sides")
    con.execute("DROP TABLE IF EXISTS __record_entities")
    con.execute("DROP TABLE IF EXISTS __party_ids")
    r = con.execute(
        """SELECT (SELECT count(DISTINCT report_id) FROM report_parties),
                  (SELECT count(*) FROM report_parties),
                  count(DISTINCT report_id), count(*),
                  count(DISTINCT entity_id) FILTER (WHERE side = 'payer'),
                  count(DISTINCT entity_id) FILTER (WHERE side = 'beneficiary'),
                  count(*) FILTER (WHERE identifier_type = 'resolved'),
                  count(DISTINCT report_id) FILTER (WHERE identifier_type = 'resolved')
           FROM report_links"""
    ).fetchone()
    assert r is not None
    n = [int(x or 0) for x in r]
    if threshold is not None:
        say += f"; {n[6]:,} link(s) of {n[7]:,} report(s) found by it beyond the exact identifiers"
    return LinkResult(
        reports=n[0],
        identifiers=n[1],
        linked_reports=n[2],
        links=n[3],
        payer_entities=n[4],
        beneficiary_entities=n[5],
        scored=threshold is not None,
        resolved_links=n[6],
        resolved_reports=n[7],
        scoring=say,
    )


def linked_reports(ws: Workspace, side: str, entity_id: str) -> list[dict[str, object]]:
    """The reports linked to one entity, newest first, with the identifier that links each."""
    if not _has(ws, "report_links"):
        return []
    rows = ws.con.execute(
        """SELECT report_id, platform, platform_report_id, reported_user_id, category,
                  received_at, string_agg(DISTINCT identifier_type || ' ' || value, ', ')
           FROM report_links WHERE side = ? AND entity_id = ?
           GROUP BY ALL ORDER BY received_at DESC, report_id DESC""",
        [side, entity_id],
    ).fetchall()
    keys = (
        "report_id",
        "platform",
        "platform_report_id",
        "reported_user_id",
        "category",
        "received_at",
        "via",
    )
    return [dict(zip(keys, r, strict=True)) for r in rows]


def report_counts(ws: Workspace) -> dict[tuple[str, str], int]:
    """(side, entity) -> how many distinct reports are linked to it (empty without links)."""
    if not _has(ws, "report_links"):
        return {}
    return {
        (str(s), str(e)): int(n)
        for s, e, n in ws.con.execute(
            "SELECT side, entity_id, count(DISTINCT report_id) FROM report_links GROUP BY ALL"
        ).fetchall()
    }
