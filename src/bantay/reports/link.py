"""Linking platform reports to the money: a report's payment identifiers meet the workspace's parties.

Each identifier a report carries (card token, wallet, account, payout account: ``account``; phone:
``phone``) becomes a row of ``report_parties``, in the form of a party record (``party_record_id``
``report:<report id>:<payment>:<field>``, institution ``platform:<name>``), kept beside the
institutions' ``party_records``, never mixed into them (the ingest counts stay whole). Linking then
joins them, by the normalised identifier, to every party record holding the same one, and through
entity resolution's ``entity_members`` to that record's entity, on every side (payer, beneficiary)
the transactions show that entity on (without a resolution, to the scan's stand-in key: the payer
record, or ``acct:``/``tel:`` for a beneficiary). The result,
``report_links``, says which report reaches which payer or beneficiary entity, by which identifier:
``bantay scan`` reads it (indicator ``R01_platform_report``, and linked beneficiaries seed the
network), and the entity page and alert show the reports.

Normalisation: accounts keep letters and digits, upper-cased (the scan's own); phones meet on their
last nine digits (at least six digits in all), the national number whatever trunk prefix or country
code a record wrote, and are then read in E.164 by the resolver's normalisation (the report's number
in the reported account's country, the record's in its residence country): two numbers that end
alike but differ in E.164 (two countries') do not link; where either cannot be read, the digits
decide, and the link keeps the value for the analyst to see. Names are kept for the analyst to read, never linked on by themselves (a
payer name on a tip is weak evidence; an analyst can still search it). A report whose identifiers
match nothing is still triaged on its own (:mod:`bantay.reports.triage`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from bantay.cases.models import Platform, PlatformReport
from bantay.detect.network import PHONE_TAIL_DIGITS, account_key, phone_tail_key
from bantay.detect.read_model import MIN_PHONE_DIGITS, STANDIN_PREFIXES
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
PARTY_COLUMNS = [
    "party_record_id",
    "report_id",
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


def _norm(kind: str, value: str) -> str:
    """The scan's own keys: a phone's last digits, an account's letters and digits."""
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
    for rid, pid, prid, user, cat, at, body in db.execute(q):
        doc = json.loads(body)
        region = str((doc.get("reported_account") or {}).get("country") or "") or None
        for i, p in enumerate(doc.get("payments", [])):
            for field, kind in LINK_FIELDS.items():
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


def link(ws: Workspace, parties: pd.DataFrame) -> LinkResult:
    """Write ``report_parties`` and ``report_links`` (both replaced) from ``parties``."""
    con = ws.con
    if parties.empty:
        parties = pd.DataFrame({c: pd.Series(dtype=object) for c in PARTY_COLUMNS})
    con.register("__report_parties", parties)
    try:
        con.execute(
            """CREATE OR REPLACE TABLE report_parties AS
               SELECT party_record_id::VARCHAR AS party_record_id, report_id::BIGINT AS report_id,
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
    con.execute(
        """CREATE OR REPLACE TABLE report_links AS
           SELECT DISTINCT m.report_id, m.platform, m.platform_report_id, m.reported_user_id,
                  m.category, m.received_at, e.side, e.entity_id, m.identifier_type, m.value,
                  m.via_record
           FROM __matched m JOIN __record_entities e ON e.party_record_id = m.via_record"""
    )
    con.execute("DROP TABLE IF EXISTS __matched")
    con.execute("DROP TABLE IF EXISTS __sides")
    con.execute("DROP TABLE IF EXISTS __record_entities")
    con.execute("DROP TABLE IF EXISTS __party_ids")
    r = con.execute(
        """SELECT (SELECT count(DISTINCT report_id) FROM report_parties),
                  (SELECT count(*) FROM report_parties),
                  count(DISTINCT report_id), count(*),
                  count(DISTINCT entity_id) FILTER (WHERE side = 'payer'),
                  count(DISTINCT entity_id) FILTER (WHERE side = 'beneficiary')
           FROM report_links"""
    ).fetchone()
    assert r is not None
    return LinkResult(*(int(x or 0) for x in r))


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
