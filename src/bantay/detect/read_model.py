"""The read model of detection outputs: what the web, the CLI and the exports read back.

One definition of each thing that used to be written twice:

* the stand-in beneficiary key (a beneficiary with no resolved entity is keyed by its account,
  else its phone; see :mod:`bantay.detect.entities`) is an Ibis expression here, and the SQL that
  the case analytics run over ``ws.transactions`` is compiled from that same expression
  (:func:`beneficiary_contact_sql`), so the two cannot drift apart;
* an alert as it is read back (:class:`Alert`) and its reasons (:class:`Reasons`), with the
  queries that read the top alerts of a scan (:func:`top_alerts`, :func:`top_alert_per_side`) and
  the top-scored entities (:func:`top_scored`).

Detection stays portable: the Ibis side runs on DuckDB and Spark alike; only the compiled SQL is
DuckDB's, for the DuckDB-only read side.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any, Literal, TypedDict

import ibis
import ibis.expr.types as ir
import sqlglot
import sqlglot.expressions as sge

#: Prefixes of the stand-in beneficiary keys (account, phone).
STANDIN_PREFIXES = ("acct:", "tel:")
#: The shortest phone (in digits) that keys a beneficiary.
MIN_PHONE_DIGITS = 6


def _digits(col: ir.StringValue) -> ir.StringValue:
    return col.re_replace(r"[^0-9]", "")


def _account(col: ir.StringValue) -> ir.StringValue:
    return col.upper().re_replace(r"[^0-9A-Z]", "")


def beneficiary_contact_key(tx: ir.Table) -> ir.StringValue:
    """``acct:`` + the account (letters and digits, upper-cased), else ``tel:`` + the phone's
    digits (at least six), else NULL."""
    acct = _account(tx.beneficiary_account)
    tel = _digits(tx.beneficiary_phone)
    acct_prefix, tel_prefix = STANDIN_PREFIXES
    return ibis.cases(
        (acct.notnull() & (acct.length() > 0), acct_prefix + acct),
        (tel.notnull() & (tel.length() >= MIN_PHONE_DIGITS), tel_prefix + tel),
        else_=ibis.null(str),
    )


def stand_in_beneficiary_key(tx: ir.Table) -> ir.StringValue:
    """The deterministic beneficiary key used where no resolved entity exists: the contact key
    (:func:`beneficiary_contact_key`), else ``beneficiary_record_id``; NULL without a record."""
    return ibis.cases(
        (tx.beneficiary_record_id.isnull(), ibis.null(str)),
        else_=beneficiary_contact_key(tx).fill_null(tx.beneficiary_record_id),
    )


def _sql(fn: Callable[[ir.Table], ir.Value], alias: str) -> str:
    """``fn`` (an expression over transactions) as a DuckDB SQL expression over the transactions
    table aliased ``alias``: compiled from the Ibis expression, not written again."""
    t = ibis.table(
        {"beneficiary_account": "string", "beneficiary_phone": "string"}, name="transactions"
    )
    select = sqlglot.parse_one(ibis.to_sql(t.select(k=fn(t)), dialect="duckdb"), read="duckdb")
    assert isinstance(select, sge.Select)
    expr = select.expressions[0].this
    for col in expr.find_all(sge.Column):
        col.set("table", sge.to_identifier(alias))
    return str(expr.sql(dialect="duckdb"))


@cache
def beneficiary_contact_sql(alias: str = "t") -> str:
    """:func:`beneficiary_contact_key` as DuckDB SQL over transactions aliased ``alias``."""
    return _sql(beneficiary_contact_key, alias)


@cache
def beneficiary_account_sql(alias: str = "t") -> str:
    """The beneficiary account as an ``acct:`` key holds it (letters and digits, upper-cased)."""
    return _sql(lambda t: _account(t.beneficiary_account), alias)


@cache
def beneficiary_phone_sql(alias: str = "t") -> str:
    """The beneficiary phone as a ``tel:`` key holds it (its digits)."""
    return _sql(lambda t: _digits(t.beneficiary_phone), alias)


# ---- alerts and their reasons ------------------------------------------------------------------

Side = Literal["payer", "beneficiary"]


class Reasons(TypedDict, total=False):
    """Why an entity alerted (``alerts.reasons``, JSON), as :func:`bantay.detect.scan.explain`
    writes it; an entity without an alert has none of the keys."""

    #: indicators fired: id, value, threshold, band, sources, ...
    indicators: list[dict[str, Any]]
    #: network evidence: path_to_seed, den_size, den_id, ...
    network: dict[str, Any]
    #: the model's largest contributions: feature, value, contribution, ...
    model: list[dict[str, Any]]
    #: family-link evidence that lowered the score: evidence, rule_score_reduction, ... (payers)
    family: dict[str, Any]
    #: where the payer-local hours of the high-risk payments came from (payers only)
    local_time: dict[str, Any]
    #: platform reports linked to the entity by a payment identifier (``report_links``)
    reports: list[dict[str, Any]]


class Alert(TypedDict):
    """An alert as it is read back (the ``alerts`` table, reasons parsed)."""

    rank: int
    side: Side
    entity_id: str
    score: float
    summary: str
    reasons: Reasons


#: The columns of an alert read back, in order.
ALERT_COLUMNS = ("rank", "side", "entity_id", "score", "summary", "reasons")


def parse_reasons(text: str | None) -> Reasons:
    """``alerts.reasons`` (JSON) as :class:`Reasons`; an empty dict where there is none."""
    out: Reasons = json.loads(text) if text else {}
    return out


def top_alerts(
    con: Any, side: str | None = None, top: int = 10, table: str = "alerts"
) -> list[Alert]:
    """The ``top`` alerts of ``table`` by rank (one side, or both), reasons parsed.

    ``con`` is a DuckDB connection (or cursor) that sees ``table``: the workspace's own connection
    (the CLI) or the web's analytics with the workspace attached (``ws.alerts``)."""
    q = f"SELECT {', '.join(ALERT_COLUMNS)} FROM {table}"
    params: list[Any] = []
    if side:
        q += " WHERE side = ?"
        params.append(side)
    rows = con.execute(q + " ORDER BY rank LIMIT ?", [*params, top]).fetchall()
    return [
        Alert(
            rank=rank,
            side=sd,
            entity_id=ent,
            score=score,
            summary=summary,
            reasons=parse_reasons(reasons),
        )
        for rank, sd, ent, score, summary, reasons in rows
    ]


def top_alert_per_side(con: Any, table: str = "alerts") -> list[tuple[Side, str, str]]:
    """``(side, entity_id, alert_id)`` of the best-ranked alert of each side, payers first."""
    rows = con.execute(
        f"""SELECT side, entity_id, alert_id FROM (
                SELECT *, row_number() OVER (PARTITION BY side ORDER BY rank) AS k
                FROM {table}) WHERE k = 1 ORDER BY side DESC"""
    ).fetchall()
    return [(sd, str(ent), str(aid)) for sd, ent, aid in rows]


def top_scored(con: Any, side: Side, top: int = 1, table: str = "scores") -> list[str]:
    """The ``top`` entities of one side by score, alerted or not."""
    rows = con.execute(
        f"SELECT entity_id FROM {table} WHERE side = ? ORDER BY score DESC, entity_id LIMIT ?",
        [side, top],
    ).fetchall()
    return [str(r[0]) for r in rows]
