"""Read-only access to the workspace's analytics (``bantay.duckdb``) for the web app.

The alert queue is materialised once per scan into an in-memory DuckDB table sorted by score, with
the columns the filters need (country, institution, indicators); pages are read with keyset
pagination on ``(sort column, alert_id)``, so a page costs the same at row 50 and at row 999,950.
The workflow status of each entity (from the workflow database) is joined in memory.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from bantay.web.errors import Invalid, NotFound
from bantay.workspace import DUCKDB_FILE

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
        self._status_version: object = None
        self.facets: dict[str, list[str]] = {}
        self.has_members = self._count("entity_members") > 0

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def close(self) -> None:
        self.con.close()

    def _count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM ws.{table}").fetchone()
        return int(row[0]) if row else 0

    # ---- the queue -----------------------------------------------------------------------------

    def latest_scan(self) -> str | None:
        row = self.cursor().execute("SELECT max(scan_id) FROM ws.alerts").fetchone()
        return str(row[0]) if row and row[0] is not None else None

    def ensure_queue(self) -> None:
        scan = self.latest_scan()
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
                       coalesce(i.indicators, '') AS indicators
                FROM ws.alerts a
                LEFT JOIN ws.entities e ON e.entity_id = a.entity_id
                LEFT JOIN country c ON c.entity_id = a.entity_id
                LEFT JOIN ind i ON i.side = a.side AND i.entity_id = a.entity_id
                ORDER BY a.score DESC, a.alert_id
                """
            )
            cur.execute(
                "CREATE OR REPLACE TABLE entity_status "
                "(side VARCHAR, entity_id VARCHAR, status VARCHAR)"
            )
            self._status_version = None

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
        if version == self._status_version:
            return
        with self._lock:
            cur = self.cursor()
            cur.execute("DELETE FROM entity_status")
            if statuses:
                cur.executemany(
                    "INSERT INTO entity_status VALUES (?, ?, ?)",
                    [[s, e, st] for (s, e), st in statuses.items()],
                )
            self._status_version = version

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
        join = ""
        if f.status:
            if f.status not in STATUSES:
                raise Invalid(f"status must be one of {', '.join(STATUSES)}")
            join = "LEFT JOIN entity_status s ON s.side = q.side AND s.entity_id = q.entity_id"
            where.append("coalesce(s.status, 'new') = ?")
            params.append(f.status)
        cur = self.cursor()
        base_where = " AND ".join(where) or "TRUE"
        row = cur.execute(
            f"SELECT count(*) FROM queue q {join} WHERE {base_where}", params
        ).fetchone()
        count = int(row[0]) if row else 0
        page_where = list(where)
        page_params = list(params)
        if after:
            try:
                key, aid = json.loads(after)
            except (ValueError, TypeError) as exc:
                raise Invalid("bad cursor") from exc
            op = "<" if descending else ">"
            page_where.append(f"(q.{col} {op} ? OR (q.{col} = ? AND q.alert_id > ?))")
            page_params += [key, key, aid]
        direction = "DESC" if descending else "ASC"
        cur.execute(
            f"""SELECT q.alert_id, q.side, q.entity_id, q.rank, q.score, q.summary, q.name,
                       q.country, q.institutions, q.indicators
                FROM queue q {join} WHERE {" AND ".join(page_where) or "TRUE"}
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

    def _records(self, entity_id: str) -> list[str]:
        cur = self.cursor()
        cur.execute(
            "SELECT party_record_id FROM ws.entity_members WHERE entity_id = ?", [entity_id]
        )
        return [str(r[0]) for r in cur.fetchall()]

    def _side_predicate(self, side: str, entity_id: str) -> tuple[str, list[Any]]:
        """SQL over ``ws.transactions t`` selecting the entity's payments on ``side``."""
        col = "payer_record_id" if side == "payer" else "beneficiary_record_id"
        recs = self._records(entity_id)
        if recs:
            return f"t.{col} IN (SELECT unnest(?::VARCHAR[]))", [recs]
        if side == "beneficiary" and entity_id.startswith("acct:"):
            return (
                "regexp_replace(upper(t.beneficiary_account), '[^0-9A-Z]', '', 'g') = ?",
                [entity_id[5:]],
            )
        if side == "beneficiary" and entity_id.startswith("tel:"):
            return "regexp_replace(t.beneficiary_phone, '[^0-9]', '', 'g') = ?", [entity_id[4:]]
        return f"t.{col} = ?", [entity_id]

    def entity(self, side: str, entity_id: str) -> dict[str, Any]:
        """Who the entity is, why it scored, from the latest scan."""
        if side not in ("payer", "beneficiary"):
            raise Invalid("side must be payer or beneficiary")
        cur = self.cursor()
        cur.execute("SELECT * FROM ws.entities WHERE entity_id = ?", [entity_id])
        ent = _rows(cur)
        cur.execute(
            "SELECT * FROM ws.scores WHERE side = ? AND entity_id = ? ORDER BY scan_id DESC LIMIT 1",
            [side, entity_id],
        )
        score = _rows(cur)
        if not ent and not score:
            raise NotFound(f"no {side} entity {entity_id!r}")
        cur.execute(
            """SELECT p.party_record_id, p.kind, p.institution, p.customer_ref, p.name,
                      p.date_of_birth, p.residence_country, p.city, p.phone, p.account_id,
                      p.n_transactions, p.file, p.line, m.assigned_by
               FROM ws.entity_members m JOIN ws.party_records p USING (party_record_id)
               WHERE m.entity_id = ? ORDER BY p.institution, p.party_record_id LIMIT 500""",
            [entity_id],
        )
        members = _rows(cur)
        cur.execute(
            """SELECT l.party_record_id_l, l.party_record_id_r, l.match_probability,
                      l.match_weight, l.agreed_fields, l.decision
               FROM ws.entity_links l
               WHERE l.party_record_id_l IN (SELECT party_record_id FROM ws.entity_members
                                             WHERE entity_id = ?)
                  OR l.party_record_id_r IN (SELECT party_record_id FROM ws.entity_members
                                             WHERE entity_id = ?)
               ORDER BY l.match_probability DESC LIMIT 200""",
            [entity_id, entity_id],
        )
        links = _rows(cur)
        names: dict[str, int] = {}
        for m in members:
            if m["name"]:
                names[m["name"]] = names.get(m["name"], 0) + 1
        cur.execute(
            "SELECT * FROM ws.alerts WHERE side = ? AND entity_id = ? ORDER BY scan_id DESC LIMIT 1",
            [side, entity_id],
        )
        alert = _rows(cur)
        reasons: dict[str, Any] = json.loads(alert[0]["reasons"]) if alert else {}
        cur.execute(
            """SELECT indicator_id, value, threshold, band, score, corridor, sources
               FROM ws.indicator_hits WHERE side = ? AND entity_id = ?
               ORDER BY score DESC, indicator_id""",
            [side, entity_id],
        )
        hits = _rows(cur)
        cur.execute(
            "SELECT * FROM ws.network_scores WHERE side = ? AND entity_id = ? LIMIT 1",
            [side, entity_id],
        )
        net = _rows(cur)
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
        """Weekly amounts and counts, and an hour × weekday count in the payer's local time."""
        pred, params = self._side_predicate(side, entity_id)
        cur = self.cursor()
        local = "coalesce(t.local_time, t.ts_utc + to_minutes(coalesce(t.utc_offset_minutes, 0)))"
        cur.execute(
            f"""SELECT date_trunc('week', t.ts_utc)::DATE AS week,
                       sum(t.amount_reporting)::DOUBLE AS amount, count(*) AS n
                FROM ws.transactions t WHERE {pred} GROUP BY 1 ORDER BY 1""",
            params,
        )
        weeks = [
            {"week": str(w), "amount": round(float(a), 2), "n": int(n)}
            for w, a, n in cur.fetchall()
        ]
        cur.execute(
            f"""SELECT isodow({local}) - 1 AS dow, hour({local}) AS hr, count(*) AS n,
                       count(t.local_time) + count(t.utc_offset_minutes) AS known
                FROM ws.transactions t WHERE {pred} GROUP BY 1, 2""",
            params,
        )
        heat = [[0] * 24 for _ in range(7)]
        known = 0
        total = 0
        for dow, hr, n, k in cur.fetchall():
            heat[int(dow)][int(hr)] = int(n)
            total += int(n)
            known += min(int(k), int(n))
        cur.execute(
            f"""SELECT t.ts_utc, {local} AS local_time, t.amount, t.currency, t.amount_reporting,
                       t.channel, t.institution, t.payer_name, t.payer_country,
                       t.beneficiary_name, t.beneficiary_country, t.transaction_id
                FROM ws.transactions t WHERE {pred} ORDER BY t.ts_utc DESC LIMIT 50""",
            params,
        )
        recent = _rows(cur)
        return {
            "weeks": weeks,
            "heatmap": heat,
            "weekdays": list(WEEKDAYS),
            "n_transactions": total,
            "local_time_known": known >= total,
            "recent": recent,
        }

    def network(self, side: str, entity_id: str, limit: int = 20) -> dict[str, Any]:
        """The entity, its counterparties and their other counterparties (two hops), with dens."""
        pred, params = self._side_predicate(side, entity_id)
        ekey = self._entity_sql
        other = "beneficiary" if side == "payer" else "payer"
        cur = self.cursor()
        cur.execute(
            f"""SELECT {ekey(other)} AS other, sum(t.amount_reporting)::DOUBLE AS amount,
                       count(*) AS n
                FROM ws.transactions t {self._joins()} WHERE {pred} AND {ekey(other)} IS NOT NULL
                GROUP BY 1 ORDER BY amount DESC LIMIT ?""",
            [*params, limit],
        )
        first = [(str(o), float(a), int(n)) for o, a, n in cur.fetchall()]
        nodes: dict[tuple[str, str], dict[str, Any]] = {
            (side, entity_id): {"side": side, "entity_id": entity_id, "ring": 0}
        }
        edges: list[dict[str, Any]] = []
        for o, a, n in first:
            nodes[(other, o)] = {"side": other, "entity_id": o, "ring": 1}
            p, b = (entity_id, o) if side == "payer" else (o, entity_id)
            edges.append({"payer": p, "beneficiary": b, "amount": round(a, 2), "n": n})
        if first:
            ids = [o for o, _, _ in first]
            col = "payer_entity" if other == "payer" else "beneficiary_entity"
            cur.execute(
                f"""WITH x AS (
                        SELECT {ekey("payer")} AS payer_entity,
                               {ekey("beneficiary")} AS beneficiary_entity,
                               t.amount_reporting
                        FROM ws.transactions t {self._joins()}
                        WHERE {self._in_entities(other)}
                    )
                    SELECT payer_entity, beneficiary_entity, sum(amount_reporting)::DOUBLE, count(*)
                    FROM x WHERE {col} IN (SELECT unnest(?::VARCHAR[]))
                      AND {"payer_entity" if side == "payer" else "beneficiary_entity"} <> ?
                      AND payer_entity IS NOT NULL AND beneficiary_entity IS NOT NULL
                    GROUP BY 1, 2 ORDER BY 3 DESC LIMIT ?""",
                [*self._in_params(other, ids), ids, entity_id, limit * 3],
            )
            for p, b, a, n in cur.fetchall():
                far = (side, str(p) if side == "payer" else str(b))
                if far not in nodes:
                    nodes[far] = {"side": side, "entity_id": far[1], "ring": 2}
                edges.append(
                    {"payer": str(p), "beneficiary": str(b), "amount": round(float(a), 2), "n": n}
                )
        keys = list(nodes)
        cur.execute(
            """SELECT n.side, n.entity_id, n.den_id, n.den_size, n.seed_hops, n.seed_match,
                      s.score, s.alerted, e.name
               FROM (SELECT unnest(?::VARCHAR[]) AS side, unnest(?::VARCHAR[]) AS entity_id) k
               LEFT JOIN ws.network_scores n ON n.side = k.side AND n.entity_id = k.entity_id
               LEFT JOIN ws.scores s ON s.side = k.side AND s.entity_id = k.entity_id
               LEFT JOIN ws.entities e ON e.entity_id = k.entity_id""",
            [[k[0] for k in keys], [k[1] for k in keys]],
        )
        for s, e, den, den_size, hops, seed_match, score, alerted, name in cur.fetchall():
            if s is None:
                continue
            node = nodes.get((str(s), str(e)))
            if node is None:
                continue
            node.update(
                den_id=den or "",
                den_size=int(den_size or 0),
                seed=bool(seed_match) or hops == 0,
                score=float(score) if score is not None else None,
                alerted=bool(alerted),
                name=name or "",
            )
        cur.execute(
            """SELECT k.entity_id, e.name FROM (SELECT unnest(?::VARCHAR[]) AS entity_id) k
               JOIN ws.entities e USING (entity_id)""",
            [[k[1] for k in keys]],
        )
        for e, name in cur.fetchall():
            for s in ("payer", "beneficiary"):
                if (s, e) in nodes:
                    nodes[(s, e)].setdefault("name", name or "")
        for node in nodes.values():
            node.setdefault("name", "")
            node.setdefault("den_id", "")
            node.setdefault("den_size", 0)
            node.setdefault("seed", False)
            node.setdefault("score", None)
            node.setdefault("alerted", False)
        return {"nodes": list(nodes.values()), "edges": edges}

    # entity keys of transaction sides, as the scan keys them (resolved, else stand-in)
    def _joins(self) -> str:
        if not self.has_members:
            return ""
        return (
            "LEFT JOIN ws.entity_members pm ON pm.party_record_id = t.payer_record_id "
            "LEFT JOIN ws.entity_members bm ON bm.party_record_id = t.beneficiary_record_id"
        )

    def _entity_sql(self, side: str) -> str:
        standin_b = (
            "CASE WHEN t.beneficiary_record_id IS NULL THEN NULL "
            "WHEN length(regexp_replace(upper(coalesce(t.beneficiary_account, '')), "
            "'[^0-9A-Z]', '', 'g')) > 0 THEN 'acct:' || regexp_replace(upper("
            "t.beneficiary_account), '[^0-9A-Z]', '', 'g') "
            "WHEN length(regexp_replace(coalesce(t.beneficiary_phone, ''), '[^0-9]', '', 'g')) "
            ">= 6 THEN 'tel:' || regexp_replace(t.beneficiary_phone, '[^0-9]', '', 'g') "
            "ELSE t.beneficiary_record_id END"
        )
        if side == "payer":
            return (
                "coalesce(pm.entity_id, t.payer_record_id)"
                if self.has_members
                else ("t.payer_record_id")
            )
        return f"coalesce(bm.entity_id, {standin_b})" if self.has_members else standin_b

    def _in_entities(self, side: str) -> str:
        col = "payer_record_id" if side == "payer" else "beneficiary_record_id"
        if self.has_members:
            return (
                f"(t.{col} IN (SELECT party_record_id FROM ws.entity_members "
                f"WHERE entity_id IN (SELECT unnest(?::VARCHAR[]))) "
                f"OR {self._entity_sql(side)} IN (SELECT unnest(?::VARCHAR[])))"
            )
        return f"{self._entity_sql(side)} IN (SELECT unnest(?::VARCHAR[]))"

    def _in_params(self, side: str, ids: list[str]) -> list[Any]:
        return [ids, ids] if self.has_members else [ids]
