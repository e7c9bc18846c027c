"""Read-only access to the workspace's analytics (``bantay.duckdb``) for the case workflow.

The web app's queue and entity pages, the case exports and the workflow's check that a case member
exists all read detection outputs through :class:`Analytics`.

The alert queue is materialised once per scan into an in-memory DuckDB table sorted by score, with
the columns the filters need (country, institution, indicators); pages are read with keyset
pagination on ``(sort column, alert_id)``, so a page costs the same at row 50 and at row 999,950.
The workflow status of each entity (from the workflow database) is joined in memory.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from bantay.detect.read_model import (
    STANDIN_PREFIXES,
    beneficiary_account_sql,
    beneficiary_contact_sql,
    beneficiary_phone_sql,
    parse_reasons,
)
from bantay.errors import Invalid, NotFound
from bantay.workspace import DUCKDB_FILE

#: How often (seconds) a request checks whether a new scan replaced the alerts
SCAN_CHECK_S = 5.0
#: Score bands of the queue filter: name -> [low, high)
BANDS: dict[str, tuple[float, float]] = {
    "high": (0.8, 1.01),
    "medium": (0.5, 0.8),
    "low": (0.0, 0.5),
}
SORTS = {
    "score": "score",
    "name": "name",
    "country": "country",
    "institution": "institution",
    "entity": "entity_id",
}
STATUSES = ("new", "in_case", "pending_review", "confirmed", "false_positive", "closed")
#: triage states of an alert outside cases (bantay.cases.triage); ``awaiting_confirmation``: closed
#: with a reason that gives a training label, not yet confirmed by a second (supervisor) pair of eyes
TRIAGE_STATES = ("open", "closed", "awaiting_confirmation")
#: (table, column) pairs looked up by value: a copy of (value, rowid) sorted and indexed by value,
#: so a lookup does not scan a million rows; rows are then read by rowid
LOOKUPS = (
    ("entities", "entity_id"),
    ("alerts", "entity_id"),
    ("scores", "entity_id"),
    ("entity_members", "entity_id"),
    ("entity_members", "party_record_id"),
    ("party_records", "party_record_id"),
    ("indicator_hits", "entity_id"),
    ("network_scores", "entity_id"),
)
#: The scan's stand-in key of a beneficiary without a resolved entity (acct:/tel:, else NULL),
#: compiled from the Ibis expression the scan uses (bantay.detect.read_model)
STANDIN_B = beneficiary_contact_sql("t")
#: The outermost ring a widened network draws (the entity is ring 0).
MAX_RING = 4
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class QueueFilter:
    side: str | None = None
    band: str | None = None
    indicator: str | None = None
    country: str | None = None
    institution: str | None = None
    status: str | None = None
    q: str | None = None
    #: triage (workflow database): ``open``, ``closed`` or ``awaiting_confirmation`` (closed, its
    #: label not yet confirmed); the user name an alert is assigned to
    triage: str | None = None
    assignee: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class QueuePage:
    rows: list[dict[str, Any]]
    count: int
    next_cursor: str | None
    facets: dict[str, list[str]] = field(default_factory=dict)


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _cursor(after: str, sort: str) -> tuple[Any, str]:
    """The ``after`` cursor, checked: ``[value of the sort column, alert id]`` as the queue gave it."""
    try:
        value, aid = json.loads(after)
    except (ValueError, TypeError) as exc:
        raise Invalid("after: not a cursor of this queue (pass next_cursor back)") from exc
    numeric = sort == "score"
    ok_value = (
        isinstance(value, int | float) and not isinstance(value, bool)
        if numeric
        else isinstance(value, str) or value is None
    )
    if not ok_value or not isinstance(aid, str) or len(aid) > 200:
        raise Invalid("after: not a cursor of this queue (pass next_cursor back)")
    return value, aid


class Analytics:
    """One in-memory DuckDB with the workspace database attached read-only."""

    def __init__(self, workspace: Path) -> None:
        db = Path(workspace) / DUCKDB_FILE
        if not db.exists():
            raise NotFound(f"{workspace} is not a Bantay workspace (no {DUCKDB_FILE})")
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"ATTACH '{db.resolve()}' AS ws (READ_ONLY)")
        self._lock = threading.Lock()
        self._scan: str | None = None
        self.status_version: object = None
        self.triage_version: object = None
        self.facets: dict[str, list[str]] = {}
        self._counts: dict[tuple[object, ...], int] = {}
        self._checked = 0.0

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def close(self) -> None:
        self.con.close()

    def _count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM ws.{table}").fetchone()
        return int(row[0]) if row else 0

    # ---- the queue -----------------------------------------------------------------------------

    def latest_scan(self) -> str | None:
        """The scan whose alerts are shown: from the small ``scans`` table, else the alerts."""
        cur = self.cursor()
        row = cur.execute("SELECT max(scan_id) FROM ws.scans").fetchone()
        if not row or row[0] is None:
            row = cur.execute("SELECT max(scan_id) FROM ws.alerts").fetchone()
        return str(row[0]) if row and row[0] is not None else None

    def ensure_queue(self) -> None:
        """Materialise the queue for the latest scan (checked at most every few seconds)."""
        now = time.monotonic()
        if self._scan is not None and now - self._checked < SCAN_CHECK_S:
            return
        scan = self.latest_scan()
        self._checked = now
        if scan == self._scan and self._scan is not None:
            return
        with self._lock:
            if scan == self._scan and self._scan is not None:
                return
            cur = self.cursor()
            cur.execute(
                """
                CREATE OR REPLACE TABLE queue AS
                WITH country AS (
                    SELECT m.entity_id, mode(p.residence_country) AS country
                    FROM ws.entity_members m JOIN ws.party_records p USING (party_record_id)
                    GROUP BY 1
                ), ind AS (
                    SELECT side, entity_id,
                           ',' || string_agg(indicator_id, ',' ORDER BY indicator_id) || ','
                               AS indicators
                    FROM ws.indicator_hits GROUP BY ALL
                )
                SELECT a.alert_id, a.side, a.entity_id, a.rank, a.score, a.summary,
                       coalesce(e.name, '') AS name,
                       coalesce(split_part(e.institutions, ',', 1), '') AS institution,
                       coalesce(e.institutions, '') AS institutions,
                       coalesce(c.country, '') AS country,
                       coalesce(i.indicators, '') AS indicators,
                       'new' AS status,
                       sc.created_at AS raised_at,
                       'open' AS triage,
                       '' AS assignee,
                       '' AS confirmation
                FROM ws.alerts a
                LEFT JOIN ws.scans sc ON sc.scan_id = a.scan_id
                LEFT JOIN ws.entities e ON e.entity_id = a.entity_id
                LEFT JOIN country c ON c.entity_id = a.entity_id
                LEFT JOIN ind i ON i.side = a.side AND i.entity_id = a.entity_id
                ORDER BY a.score DESC, a.alert_id
                """
            )
            # a second copy in name order: a page reads the first row groups only (zone maps)
            cur.execute(
                "CREATE OR REPLACE TABLE queue_by_name AS SELECT * FROM queue ORDER BY name, alert_id"
            )
            cur.execute(
                "CREATE OR REPLACE TABLE entity_status "
                "(side VARCHAR, entity_id VARCHAR, status VARCHAR)"
            )
            cur.execute(
                "CREATE OR REPLACE TABLE alert_triage "
                "(alert_id VARCHAR, triage VARCHAR, assignee VARCHAR, confirmation VARCHAR)"
            )
            self.status_version = None
            self.triage_version = None
            for table, col in LOOKUPS:
                cur.execute(
                    f"CREATE OR REPLACE TABLE ix_{table}_{col} AS SELECT {col} AS k, rowid AS rid "
                    f"FROM ws.{table} ORDER BY {col}"
                )
                # an ART index for lists of scattered values (entity ids are hashes)
                cur.execute(f"CREATE INDEX ix_{table}_{col}_k ON ix_{table}_{col} (k)")

            def distinct(sql: str) -> list[str]:
                return sorted({str(r[0]) for r in cur.execute(sql).fetchall() if r[0]})

            self.facets = {
                "indicator": distinct("SELECT DISTINCT indicator_id FROM ws.indicator_hits"),
                "country": distinct("SELECT DISTINCT country FROM queue"),
                "institution": distinct(
                    "SELECT DISTINCT unnest(string_split(institutions, ',')) FROM queue"
                ),
            }
            self._scan = scan

    def set_statuses(self, version: object, statuses: dict[tuple[str, str], str]) -> None:
        """Replace the in-memory entity statuses when the workflow database changed."""
        if version == self.status_version:
            return
        with self._lock:
            cur = self.cursor()
            cur.execute("DELETE FROM entity_status")
            if statuses:
                cur.executemany(
                    "INSERT INTO entity_status VALUES (?, ?, ?)",
                    [[s, e, st] for (s, e), st in statuses.items()],
                )
            for table in ("queue", "queue_by_name"):
                cur.execute(f"UPDATE {table} SET status = 'new' WHERE status <> 'new'")
                cur.execute(
                    f"UPDATE {table} SET status = s.status FROM entity_status s "
                    f"WHERE {table}.side = s.side AND {table}.entity_id = s.entity_id"
                )
            self.status_version = version

    def set_triage(self, version: object, states: dict[str, tuple[str, str, str]]) -> None:
        """Replace the in-memory triage state (alert_id -> (state, assignee, confirmation)) when
        it changed."""
        if version == self.triage_version:
            return
        with self._lock:
            cur = self.cursor()
            cur.execute("DELETE FROM alert_triage")
            if states:
                cur.executemany(
                    "INSERT INTO alert_triage VALUES (?, ?, ?, ?)",
                    [[a, st, who, conf] for a, (st, who, conf) in states.items()],
                )
            for table in ("queue", "queue_by_name"):
                cur.execute(
                    f"UPDATE {table} SET triage = 'open', assignee = '', confirmation = '' "
                    "WHERE triage <> 'open' OR assignee <> '' OR confirmation <> ''"
                )
                cur.execute(
                    f"UPDATE {table} SET triage = t.triage, assignee = t.assignee, "
                    "confirmation = t.confirmation "
                    f"FROM alert_triage t WHERE {table}.alert_id = t.alert_id"
                )
            self.triage_version = version

    def alerts(self, alert_ids: list[str]) -> dict[str, dict[str, Any]]:
        """alert_id -> its queue row (side, entity_id, score, name, raised_at), for the latest scan."""
        self.ensure_queue()
        if not alert_ids:
            return {}
        cur = self.cursor()
        cur.execute(
            "SELECT alert_id, side, entity_id, score, name, summary, raised_at FROM queue "
            "WHERE alert_id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(set(alert_ids))],
        )
        return {str(r["alert_id"]): r for r in _rows(cur)}

    def _has_ws_table(self, name: str) -> bool:
        row = (
            self.cursor()
            .execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'ws' "
                "AND table_name = ?",
                [name],
            )
            .fetchone()
        )
        return bool(row and row[0])

    def linked_reports(self, side: str, entity_id: str) -> list[dict[str, Any]]:
        """Platform reports linked to the entity by a payment identifier or by entity resolution
        (``report_links``), newest first, each with the identifiers that link it."""
        if not self._has_ws_table("report_links"):
            return []
        cur = self.cursor()
        cur.execute(
            """SELECT report_id, platform, platform_report_id, reported_user_id, category,
                      received_at, string_agg(DISTINCT identifier_type || ' ' || value, ', ')
                        AS via
               FROM ws.report_links WHERE side = ? AND entity_id = ?
               GROUP BY ALL ORDER BY received_at DESC, report_id DESC LIMIT 500""",
            [side, entity_id],
        )
        return _rows(cur)

    def report_entities(self) -> dict[int, list[tuple[str, str]]]:
        """report id -> the (side, entity) pairs it is linked to (empty without links)."""
        if not self._has_ws_table("report_links"):
            return {}
        out: dict[int, list[tuple[str, str]]] = {}
        for rid, side, ent in (
            self.cursor()
            .execute(
                "SELECT DISTINCT report_id, side, entity_id FROM ws.report_links "
                "ORDER BY report_id, side, entity_id"
            )
            .fetchall()
        ):
            out.setdefault(int(rid), []).append((str(side), str(ent)))
        return out

    def entity_alerts(self, side: str, entity_id: str) -> list[dict[str, Any]]:
        """The entity's alerts in the workspace (the latest scan's), with when they were raised."""
        rows = self.lookup(
            "alerts", "entity_id", [entity_id], "scan_id, alert_id, side, rank, score"
        )
        return [r for r in rows if r["side"] == side]

    def queue(
        self,
        f: QueueFilter,
        sort: str = "score",
        descending: bool = True,
        after: str | None = None,
        limit: int = 50,
    ) -> QueuePage:
        self.ensure_queue()
        if sort not in SORTS:
            raise Invalid(f"sort must be one of {', '.join(SORTS)}")
        col = SORTS[sort]
        where: list[str] = []
        params: list[Any] = []
        if f.side:
            if f.side not in ("payer", "beneficiary"):
                raise Invalid("side must be payer or beneficiary")
            where.append("q.side = ?")
            params.append(f.side)
        if f.band:
            if f.band not in BANDS:
                raise Invalid(f"band must be one of {', '.join(BANDS)}")
            lo, hi = BANDS[f.band]
            where.append("q.score >= ? AND q.score < ?")
            params += [lo, hi]
        if f.indicator:
            where.append("contains(q.indicators, ?)")
            params.append(f",{f.indicator},")
        if f.country:
            where.append("q.country = ?")
            params.append(f.country.upper())
        if f.institution:
            where.append("contains(',' || q.institutions || ',', ?)")
            params.append(f",{f.institution},")
        if f.q:
            where.append("(q.name ILIKE ? OR q.entity_id = ?)")
            params += [f"%{f.q}%", f.q]
        if f.triage:
            if f.triage not in TRIAGE_STATES:
                raise Invalid(f"triage must be one of {', '.join(TRIAGE_STATES)}")
            if f.triage == "awaiting_confirmation":
                where.append("q.triage = 'closed' AND q.confirmation = 'awaiting'")
            else:
                where.append("q.triage = ?")
                params.append(f.triage)
        if f.assignee:
            where.append("q.assignee = ?")
            params.append(f.assignee)
        if f.status:
            if f.status not in STATUSES:
                raise Invalid(f"status must be one of {', '.join(STATUSES)}")
            where.append("q.status = ?")
            params.append(f.status)
        table = "queue_by_name" if sort == "name" else "queue"
        cur = self.cursor()
        base_where = " AND ".join(where) or "TRUE"
        # counts change only with the scan (and, filtered by status, with the cases): cached
        ckey = (
            self._scan,
            self.status_version if f.status else None,
            self.triage_version if f.triage or f.assignee else None,
            base_where,
            *params,
        )
        count = self._counts.get(ckey)
        if count is None:
            row = cur.execute(f"SELECT count(*) FROM queue q WHERE {base_where}", params).fetchone()
            count = int(row[0]) if row else 0
            if len(self._counts) > 10_000:
                self._counts.clear()
            self._counts[ckey] = count
        page_where = list(where)
        page_params = list(params)
        if after:
            last_value, aid = _cursor(after, sort)
            op = "<" if descending else ">"
            page_where.append(f"(q.{col} {op} ? OR (q.{col} = ? AND q.alert_id > ?))")
            page_params += [last_value, last_value, aid]
        direction = "DESC" if descending else "ASC"
        cur.execute(
            f"""SELECT q.alert_id, q.side, q.entity_id, q.rank, q.score, q.summary, q.name,
                       q.country, q.institutions, q.indicators, q.status, q.raised_at, q.triage,
                       q.assignee, q.confirmation
                FROM {table} q WHERE {" AND ".join(page_where) or "TRUE"}
                ORDER BY q.{col} {direction}, q.alert_id LIMIT ?""",
            [*page_params, limit + 1],
        )
        rows = _rows(cur)
        nxt = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            nxt = json.dumps([last[col], last["alert_id"]])
        for r in rows:
            r["indicators"] = [i for i in r["indicators"].split(",") if i]
        return QueuePage(rows, count, nxt, self.facets)

    # ---- one entity ----------------------------------------------------------------------------

    def lookup(
        self, table: str, col: str, values: list[str], columns: str = "*"
    ) -> list[dict[str, Any]]:
        """Rows of ``ws.table`` whose ``col`` is one of ``values``, through the sorted rowid map."""
        self.ensure_queue()
        if not values:
            return []
        cur = self.cursor()
        rids: list[int] = []
        values = sorted(values)
        for k in range(0, len(values), 100):
            chunk = values[k : k + 100]
            # constants (not a joined list) so the filter reaches the zone maps
            marks = ", ".join("?" * len(chunk))
            cur.execute(f"SELECT rid FROM ix_{table}_{col} WHERE k IN ({marks})", chunk)
            rids += [int(r[0]) for r in cur.fetchall()]
        out: list[dict[str, Any]] = []
        for k in range(0, len(rids), 200):
            ids = rids[k : k + 200]
            marks = ", ".join("?" * len(ids))
            cur.execute(
                f"SELECT {columns} FROM ws.{table} "
                f"WHERE rowid BETWEEN ? AND ? AND rowid IN ({marks})",
                [min(ids), max(ids), *ids],
            )
            out += _rows(cur)
        return out

    def records_of(self, entity_id: str) -> list[str]:
        """The party records resolved into ``entity_id``."""
        return [
            str(r["party_record_id"])
            for r in self.lookup("entity_members", "entity_id", [entity_id], "party_record_id")
        ]

    def side_predicate(self, side: str, entity_id: str) -> tuple[str, list[Any]]:
        """SQL over ``ws.transactions t`` selecting the entity's payments on ``side``."""
        col = "payer_record_id" if side == "payer" else "beneficiary_record_id"
        recs = self.records_of(entity_id)
        if recs:
            return f"t.{col} IN (SELECT unnest(?::VARCHAR[]))", [recs]
        acct, tel = STANDIN_PREFIXES
        if side == "beneficiary" and entity_id.startswith(acct):
            return f"{beneficiary_account_sql('t')} = ?", [entity_id[len(acct) :]]
        if side == "beneficiary" and entity_id.startswith(tel):
            return f"{beneficiary_phone_sql('t')} = ?", [entity_id[len(tel) :]]
        return f"t.{col} = ?", [entity_id]

    # ---- search --------------------------------------------------------------------------------

    def _found(
        self, records: list[dict[str, Any]], matched: dict[str, set[str]]
    ) -> list[dict[str, Any]]:
        """Group matching party records by entity, with the entity's sides, score and alert."""
        by_entity: dict[str, dict[str, Any]] = {}
        for r in records:
            ent = str(r["entity_id"] or r["party_record_id"])
            e = by_entity.setdefault(
                ent,
                {"entity_id": ent, "records": [], "kinds": set(), "matched": set()},
            )
            e["records"].append(r)
            e["kinds"].add(r["kind"])
            e["matched"] |= matched.get(str(r["party_record_id"]), set())
        ids = list(by_entity)
        names = self.names(ids)
        scores: dict[str, dict[str, float]] = {}
        for r in self.lookup("scores", "entity_id", ids, "entity_id, side, score"):
            scores.setdefault(str(r["entity_id"]), {})[str(r["side"])] = float(r["score"])
        alerted = {
            (str(r["side"]), str(r["entity_id"]))
            for r in self.lookup("alerts", "entity_id", ids, "entity_id, side")
        }
        out = []
        for ent, e in by_entity.items():
            sides = sorted(scores.get(ent, {}))
            if not sides:
                sides = ["beneficiary"] if e["kinds"] == {"beneficiary_side"} else ["payer"]
            out.append(
                {
                    "entity_id": ent,
                    "name": names.get(ent) or e["records"][0]["name"] or ent,
                    "sides": sides,
                    "scores": scores.get(ent, {}),
                    "alerted": sorted(s for s in sides if (s, ent) in alerted),
                    "matched": sorted(e["matched"]),
                    "records": e["records"],
                }
            )
        out.sort(key=lambda e: (-max(e["scores"].values(), default=0.0), e["name"]))
        return out

    def search(self, q: str, limit: int = 200) -> list[dict[str, Any]]:
        """Entities (alerted or not) with a record matching ``q``: a name or name variant
        (contains), an account number or phone (digits and letters compared without spacing or
        punctuation), a customer reference, a record id or an entity id (exact)."""
        self.ensure_queue()
        text = q.strip()
        if len(text) < 2:
            raise Invalid("q: at least 2 characters")
        acct = "".join(ch for ch in text.upper() if ch.isalnum())
        digits = "".join(ch for ch in text if ch.isdigit())
        cur = self.cursor()
        cur.execute(
            f"""
            SELECT p.party_record_id, p.kind, p.institution, p.customer_ref, p.name,
                   p.residence_country, p.phone, p.account_id, m.entity_id,
                   p.name ILIKE ? AS m_name,
                   p.customer_ref = ? AS m_customer_ref,
                   (? <> '' AND regexp_replace(upper(p.account_id), '[^0-9A-Z]', '', 'g') = ?)
                       AS m_account,
                   (length(?) >= 5 AND regexp_replace(p.phone, '[^0-9]', '', 'g') = ?) AS m_phone,
                   (p.party_record_id = ? OR m.entity_id = ?) AS m_id
            FROM ws.party_records p
            LEFT JOIN ws.entity_members m USING (party_record_id)
            WHERE p.name ILIKE ? OR p.customer_ref = ? OR p.party_record_id = ?
               OR m.entity_id = ?
               OR (? <> '' AND regexp_replace(upper(p.account_id), '[^0-9A-Z]', '', 'g') = ?)
               OR (length(?) >= 5 AND regexp_replace(p.phone, '[^0-9]', '', 'g') = ?)
            ORDER BY p.party_record_id
            LIMIT {int(limit)}
            """,
            [
                f"%{text}%",
                text,
                acct,
                acct,
                digits,
                digits,
                text,
                text,
                f"%{text}%",
                text,
                text,
                text,
                acct,
                acct,
                digits,
                digits,
            ],
        )
        rows = _rows(cur)
        matched: dict[str, set[str]] = {}
        for r in rows:
            m = {
                k[2:]
                for k in ("m_name", "m_customer_ref", "m_account", "m_phone", "m_id")
                if r.pop(k)
            }
            matched[str(r["party_record_id"])] = m
        return self._found(rows, matched)

    #: identifiers that a click on them looks up across all records
    SHARED_FIELDS = ("account_id", "phone", "customer_ref", "email", "id_document")

    def sharing(self, field: str, value: str, limit: int = 500) -> list[dict[str, Any]]:
        """Everyone with a record holding the identifier ``value`` in ``field`` (accounts and
        phones compared without spacing or punctuation)."""
        self.ensure_queue()
        if field not in self.SHARED_FIELDS:
            raise Invalid(f"field: one of {', '.join(self.SHARED_FIELDS)}")
        v = value.strip()
        if not v:
            raise Invalid("value: must not be empty")
        if field == "account_id":
            expr, arg = (
                "regexp_replace(upper(p.account_id), '[^0-9A-Z]', '', 'g')",
                "".join(ch for ch in v.upper() if ch.isalnum()),
            )
        elif field == "phone":
            expr, arg = (
                "regexp_replace(p.phone, '[^0-9]', '', 'g')",
                "".join(ch for ch in v if ch.isdigit()),
            )
        else:
            expr, arg = f"p.{field}", v
        if not arg:
            raise Invalid("value: nothing to compare")
        cur = self.cursor()
        cur.execute(
            f"""SELECT p.party_record_id, p.kind, p.institution, p.customer_ref, p.name,
                       p.residence_country, p.phone, p.account_id, m.entity_id
                FROM ws.party_records p LEFT JOIN ws.entity_members m USING (party_record_id)
                WHERE {expr} = ? ORDER BY p.party_record_id LIMIT {int(limit)}""",
            [arg],
        )
        rows = _rows(cur)
        return self._found(rows, {str(r["party_record_id"]): {field} for r in rows})

    def payment_of(
        self, members: list[tuple[str, str]], institution: str, transaction_id: str
    ) -> bool:
        """Whether the payment (institution, transaction id) is one of ``members``' on their side."""
        cur = self.cursor()
        for side, entity_id in members:
            pred, params = self.side_predicate(side, entity_id)
            row = cur.execute(
                f"SELECT count(*) FROM ws.transactions t WHERE t.institution = ? "
                f"AND t.transaction_id = ? AND {pred}",
                [institution, transaction_id, *params],
            ).fetchone()
            if row and row[0]:
                return True
        return False

    def names(self, entity_ids: list[str]) -> dict[str, str]:
        """entity_id -> display name, for the resolved entities among ``entity_ids``."""
        rows = self.lookup("entities", "entity_id", sorted(set(entity_ids)), "entity_id, name")
        return {str(r["entity_id"]): str(r["name"]) for r in rows if r.get("name")}

    def exists(self, side: str, entity_id: str) -> bool:
        """Whether ``entity_id`` is a resolved entity, or was scored on ``side`` (stand-in keys)."""
        if side not in ("payer", "beneficiary"):
            return False
        if self.lookup("entities", "entity_id", [entity_id], "entity_id"):
            return True
        return any(
            r["side"] == side for r in self.lookup("scores", "entity_id", [entity_id], "side")
        )

    def entity(self, side: str, entity_id: str) -> dict[str, Any]:
        """Who the entity is, why it scored, from the latest scan."""
        if side not in ("payer", "beneficiary"):
            raise Invalid("side must be payer or beneficiary")
        cur = self.cursor()
        ent = self.lookup("entities", "entity_id", [entity_id])

        def mine(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            rows = [r for r in rows if r["side"] == side]
            return sorted(rows, key=lambda r: str(r.get("scan_id", "")), reverse=True)

        score = mine(self.lookup("scores", "entity_id", [entity_id]))[:1]
        if not ent and not score:
            raise NotFound(f"no {side} entity {entity_id!r}")
        recs = self.records_of(entity_id)
        members = self.lookup("party_records", "party_record_id", recs)[:500] if recs else []
        assigned = {
            r["party_record_id"]: r["assigned_by"]
            for r in self.lookup("entity_members", "entity_id", [entity_id])
        }
        members = [
            {
                **{
                    k: m[k]
                    for k in (
                        "party_record_id",
                        "kind",
                        "institution",
                        "customer_ref",
                        "name",
                        "date_of_birth",
                        "residence_country",
                        "city",
                        "phone",
                        "account_id",
                        "n_transactions",
                        "file",
                        "line",
                    )
                },
                "assigned_by": assigned.get(m["party_record_id"], ""),
            }
            for m in sorted(members, key=lambda m: (m["institution"], m["party_record_id"]))
        ]
        links: list[dict[str, Any]] = []
        if len(recs) > 1:
            cur.execute(
                """SELECT party_record_id_l, party_record_id_r, match_probability, match_weight,
                          agreed_fields, decision
                   FROM ws.entity_links
                   WHERE party_record_id_l IN (SELECT unnest(?::VARCHAR[]))
                      OR party_record_id_r IN (SELECT unnest(?::VARCHAR[]))
                   ORDER BY match_probability DESC LIMIT 200""",
                [recs, recs],
            )
            links = _rows(cur)
        names: dict[str, int] = {}
        for m in members:
            if m["name"]:
                names[m["name"]] = names.get(m["name"], 0) + 1
        alert = mine(self.lookup("alerts", "entity_id", [entity_id]))[:1]
        reasons = parse_reasons(alert[0]["reasons"]) if alert else {}
        hits = [
            {
                k: h[k]
                for k in (
                    "indicator_id",
                    "value",
                    "threshold",
                    "band",
                    "score",
                    "corridor",
                    "sources",
                )
            }
            for h in mine(self.lookup("indicator_hits", "entity_id", [entity_id]))
        ]
        hits.sort(key=lambda h: (-h["score"], h["indicator_id"]))
        net = mine(self.lookup("network_scores", "entity_id", [entity_id]))[:1]
        return {
            "side": side,
            "entity_id": entity_id,
            "entity": ent[0] if ent else None,
            "score": score[0] if score else None,
            "alert": {k: v for k, v in alert[0].items() if k != "reasons"} if alert else None,
            "reasons": reasons,
            "indicator_hits": hits,
            "network_score": net[0] if net else None,
            "members": members,
            "name_variants": sorted(names.items(), key=lambda kv: (-kv[1], kv[0])),
            "resolution_links": links,
        }

    def money(self, side: str, entity_id: str) -> dict[str, Any]:
        """Weekly amounts and counts, and an hour × weekday count in the payer's local time, of
        the remittances; card spending (groceries, cafés, the related purchases of P10) is
        counted apart and listed on its own, never drawn into the remittances' charts."""
        pred, params = self.side_predicate(side, entity_id)
        remit = f"({pred}) AND coalesce(t.channel, '') <> 'card'"
        card = f"({pred}) AND t.channel = 'card'"
        cur = self.cursor()
        local = "coalesce(t.local_time, t.ts_utc + to_minutes(coalesce(t.utc_offset_minutes, 0)))"
        cur.execute(
            f"""SELECT date_trunc('week', t.ts_utc)::DATE AS week,
                       sum(t.amount_reporting)::DOUBLE AS amount, count(*) AS n
                FROM ws.transactions t WHERE {remit} GROUP BY 1 ORDER BY 1""",
            params,
        )
        weeks = [
            {"week": str(w), "amount": round(float(a or 0), 2), "n": int(n)}
            for w, a, n in cur.fetchall()
        ]
        cur.execute(
            f"""SELECT isodow({local}) - 1 AS dow, hour({local}) AS hr, count(*) AS n,
                       count(t.local_time) + count(t.utc_offset_minutes) AS known
                FROM ws.transactions t WHERE {remit} GROUP BY 1, 2""",
            params,
        )
        heat = [[0] * 24 for _ in range(7)]
        known = 0
        total = 0
        for dow, hr, n, k in cur.fetchall():
            heat[int(dow)][int(hr)] = int(n)
            total += int(n)
            known += min(int(k), int(n))
        columns = f"""t.ts_utc, {local} AS local_time, t.amount, t.currency, t.amount_reporting,
                       t.channel, t.institution, t.payer_name, t.payer_country,
                       t.beneficiary_name, t.beneficiary_country, t.merchant_name,
                       t.merchant_category, t.transaction_id"""
        cur.execute(
            f"SELECT {columns} FROM ws.transactions t WHERE {remit} "
            "ORDER BY t.ts_utc DESC LIMIT 50",
            params,
        )
        recent = _rows(cur)
        cur.execute(
            f"SELECT count(*), coalesce(sum(t.amount_reporting), 0)::DOUBLE "
            f"FROM ws.transactions t WHERE {card}",
            params,
        )
        row = cur.fetchone()
        n_card, card_amount = (int(row[0]), float(row[1])) if row else (0, 0.0)
        cur.execute(
            f"SELECT {columns} FROM ws.transactions t WHERE {card} ORDER BY t.ts_utc DESC LIMIT 50",
            params,
        )
        recent_card = _rows(cur)
        return {
            "weeks": weeks,
            "heatmap": heat,
            "weekdays": list(WEEKDAYS),
            "n_transactions": total,
            "local_time_known": known >= total,
            "recent": recent,
            "n_card_purchases": n_card,
            "card_amount": round(card_amount, 2),
            "recent_card": recent_card,
        }

    def _entities_of(self, side: str, rows: list[tuple[str, str | None]]) -> dict[str, str]:
        """Entity of each record id (resolved, else the scan's stand-in key, else the record)."""
        recs = [r for r, _ in rows]
        found = {
            str(m["party_record_id"]): str(m["entity_id"])
            for m in self.lookup(
                "entity_members", "party_record_id", recs, "party_record_id, entity_id"
            )
        }
        return {
            r: found.get(r) or (standin if side == "beneficiary" and standin else r)
            for r, standin in rows
        }

    def _counterparties(
        self, side: str, entity_id: str, limit: int
    ) -> tuple[dict[str, str], list[tuple[str, list[float]]]]:
        """(record -> entity of each counterparty record, the ``limit`` counterparty entities
        with the most money: (entity, [amount, count])). Remittances only."""
        pred, params = self.side_predicate(side, entity_id)
        other = "beneficiary" if side == "payer" else "payer"
        ocol = "beneficiary_record_id" if side == "payer" else "payer_record_id"
        cur = self.cursor()
        cur.execute(
            f"""SELECT t.{ocol}, {STANDIN_B if other == "beneficiary" else "NULL"},
                       sum(t.amount_reporting)::DOUBLE, count(*)
                FROM ws.transactions t
                WHERE {pred} AND coalesce(t.channel, '') <> 'card' AND t.{ocol} IS NOT NULL
                GROUP BY 1, 2""",
            params,
        )
        got = cur.fetchall()
        ent_of = self._entities_of(other, [(str(r), s) for r, s, _, _ in got])
        agg: dict[str, list[float]] = {}
        for r, _s, a, n in got:
            e = ent_of[str(r)]
            x = agg.setdefault(e, [0.0, 0])
            x[0] += float(a)
            x[1] += int(n)
        return ent_of, sorted(agg.items(), key=lambda kv: -kv[1][0])[:limit]

    def network(
        self,
        side: str,
        entity_id: str,
        limit: int = 20,
        expand: Sequence[tuple[str, str]] = (),
    ) -> dict[str, Any]:
        """The entity, its counterparties and their other counterparties (two hops), with dens;
        each node of ``expand`` (one already drawn) adds its own counterparties, one hop further
        out (the analyst widens the picture one hop at a time).

        Remittances only (card spending is not a payment relationship). For a payer: the
        beneficiaries it paid, and the other payers of those beneficiaries (co-payers) with an
        edge to each beneficiary they share; every edge carries its amount and count. A
        counterparty is matched as an entity (all its records, or its account or phone when
        it is a stand-in key), so a co-payer who paid another record of the same beneficiary is
        linked to it.
        """
        pred, params = self.side_predicate(side, entity_id)
        other = "beneficiary" if side == "payer" else "payer"
        mycol, ocol = (
            ("payer_record_id", "beneficiary_record_id")
            if side == "payer"
            else ("beneficiary_record_id", "payer_record_id")
        )
        remit = "coalesce(t.channel, '') <> 'card'"
        cur = self.cursor()
        ent_of, first = self._counterparties(side, entity_id, limit)
        nodes: dict[tuple[str, str], dict[str, Any]] = {
            (side, entity_id): {"side": side, "entity_id": entity_id, "ring": 0}
        }
        edges: list[dict[str, Any]] = []
        for o, (a, n) in first:
            nodes[(other, o)] = {"side": other, "entity_id": o, "ring": 1}
            p, b = (entity_id, o) if side == "payer" else (o, entity_id)
            edges.append({"payer": p, "beneficiary": b, "amount": round(a, 2), "n": int(n)})
        # second hop: the other counterparties of those entities, through all their records
        # (or, for a stand-in beneficiary, its account or phone)
        ring1 = {o for o, _ in first}
        orecs = sorted(
            {r for r, e in ent_of.items() if e in ring1}
            | {
                str(m["party_record_id"])
                for m in self.lookup(
                    "entity_members", "entity_id", sorted(ring1), "party_record_id"
                )
            }
        )
        standins = sorted(
            o for o in ring1 if other == "beneficiary" and o.startswith(STANDIN_PREFIXES)
        )
        if orecs or standins:
            match = f"t.{ocol} IN (SELECT unnest(?::VARCHAR[]))"
            args: list[Any] = [orecs]
            if standins:
                match = f"({match} OR {STANDIN_B} IN (SELECT unnest(?::VARCHAR[])))"
                args.append(standins)
            cur.execute(
                f"""SELECT t.{mycol}, t.{ocol}, {STANDIN_B},
                           sum(t.amount_reporting)::DOUBLE, count(*)
                    FROM ws.transactions t
                    WHERE {match} AND {remit} AND t.{mycol} IS NOT NULL AND NOT ({pred})
                    GROUP BY 1, 2, 3""",
                [*args, *params],
            )
            got2 = cur.fetchall()
            far_of = self._entities_of(
                side, [(str(r), s if side == "beneficiary" else None) for r, _o, s, _a, _n in got2]
            )
            near_of = self._entities_of(
                other,
                [(str(o), s if other == "beneficiary" else None) for _r, o, s, _a, _n in got2],
            )
            agg2: dict[tuple[str, str], list[float]] = {}
            for r, o, _s, a, n in got2:
                key = (far_of[str(r)], near_of[str(o)])
                if key[0] == entity_id or key[1] not in ring1:
                    continue
                x = agg2.setdefault(key, [0.0, 0])
                x[0] += float(a)
                x[1] += int(n)
            for (far, o), (a, n) in sorted(agg2.items(), key=lambda kv: -kv[1][0])[: limit * 3]:
                if (side, far) not in nodes:
                    nodes[(side, far)] = {"side": side, "entity_id": far, "ring": 2}
                p, b = (far, o) if side == "payer" else (o, far)
                edges.append({"payer": p, "beneficiary": b, "amount": round(a, 2), "n": int(n)})
        for key in dict.fromkeys(expand):
            if key not in nodes:
                continue  # only a node drawn can be widened
            ring = min(int(nodes[key]["ring"]) + 1, MAX_RING)
            there = "beneficiary" if key[0] == "payer" else "payer"
            have = {(e["payer"], e["beneficiary"]) for e in edges}
            for o, (a, n) in self._counterparties(key[0], key[1], limit)[1]:
                nodes.setdefault((there, o), {"side": there, "entity_id": o, "ring": ring})
                p, b = (key[1], o) if key[0] == "payer" else (o, key[1])
                if (p, b) not in have:
                    edges.append({"payer": p, "beneficiary": b, "amount": round(a, 2), "n": int(n)})
        ids = sorted({k[1] for k in nodes})
        net = {
            (str(r["side"]), str(r["entity_id"])): r
            for r in self.lookup("network_scores", "entity_id", ids)
        }
        scores = {
            (str(r["side"]), str(r["entity_id"])): r
            for r in self.lookup("scores", "entity_id", ids)
        }
        names = {
            str(r["entity_id"]): r["name"]
            for r in self.lookup("entities", "entity_id", ids, "entity_id, name")
        }
        for key, node in nodes.items():
            ns = net.get(key) or {}
            sc = scores.get(key) or {}
            node.update(
                name=names.get(key[1]) or "",
                den_id=ns.get("den_id") or "",
                den_size=int(ns.get("den_size") or 0),
                seed=bool(ns.get("seed_match")) or ns.get("seed_hops") == 0,
                score=float(sc["score"]) if sc.get("score") is not None else None,
                alerted=bool(sc.get("alerted")),
            )
        return {"nodes": list(nodes.values()), "edges": edges}
