"""The report queue: platform reports merged per reported account and ranked for triage.

One row per reported account (a platform and its user id): every report about it, merged. Rows
rank by, in order: **linked money** (a report's payment identifier reaches a payer or beneficiary
the institutions see, :mod:`bantay.reports.link`), **repeat reports** on the same account, the
gravest **category** among them, an **ongoing** abuse, then the newest report first. A report
linked to nothing is still a row: it is triaged on its own.

Opening a row makes a case with the row's reports in it and, beside them, the linked entities as
members (only those of the workspace's latest resolution or scan): the payment evidence of those
members sits in the same case, and the CyberTipline export reads both.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bantay.cases import services
from bantay.cases.models import Case, CaseReport, Platform, PlatformReport, User
from bantay.errors import NotFound
from bantay.reports.cases import add_reports

#: gravity of each category (higher first)
CATEGORY_RANK = {
    "livestreamed_abuse": 3,
    "child_sex_trafficking": 3,
    "online_enticement": 2,
    "other": 1,
}
MAX_ROWS = 500


@dataclass
class AccountRow:
    """The reports on one reported account, merged."""

    platform: str
    platform_id: int
    reported_user_id: str
    screen_names: list[str] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    linked: list[tuple[str, str]] = field(default_factory=list)
    ongoing: bool = False
    last_received: dt.datetime | None = None
    cases: list[int] = field(default_factory=list)
    rank: int = 0

    @property
    def n_reports(self) -> int:
        return len(self.reports)

    @property
    def gravity(self) -> int:
        return max((CATEGORY_RANK.get(c, 0) for c in self.categories), default=0)

    def sort_key(self) -> tuple[Any, ...]:
        last = self.last_received or dt.datetime.min
        return (
            -int(bool(self.linked)),
            -self.n_reports,
            -self.gravity,
            -int(self.ongoing),
            -last.timestamp() if last != dt.datetime.min else 0.0,
            self.platform,
            self.reported_user_id,
        )

    def why(self) -> str:
        """The row's rank in words."""
        parts = []
        if self.linked:
            parts.append(f"linked to {len(self.linked)} payer/beneficiary entit(ies)")
        else:
            parts.append("no link to the money")
        parts.append(f"{self.n_reports} report(s)")
        parts.append(", ".join(sorted(set(self.categories))).replace("_", " "))
        if self.ongoing:
            parts.append("ongoing")
        return "; ".join(parts)


def queue(
    db: Session,
    links: dict[int, list[tuple[str, str]]],
    *,
    linked_only: bool = False,
    limit: int = MAX_ROWS,
) -> list[AccountRow]:
    """The ranked report queue (``links``: report id -> linked (side, entity) pairs)."""
    names = {int(i): str(n) for i, n in db.execute(select(Platform.id, Platform.name))}
    in_case: dict[int, list[int]] = {}
    for rid, cid in db.execute(select(CaseReport.report_id, CaseReport.case_id)):
        in_case.setdefault(int(rid), []).append(int(cid))
    rows: dict[tuple[int, str], AccountRow] = {}
    for r in db.execute(select(PlatformReport).order_by(PlatformReport.id)).scalars():
        body = json.loads(r.body)
        k = (r.platform_id, r.reported_user_id)
        row = rows.get(k)
        if row is None:
            row = rows[k] = AccountRow(names.get(r.platform_id, "?"), r.platform_id, k[1])
        sn = body["reported_account"].get("screen_name")
        if sn and sn not in row.screen_names:
            row.screen_names.append(sn)
        linked = links.get(r.id, [])
        row.reports.append(
            {
                "id": r.id,
                "platform_report_id": r.platform_report_id,
                "category": r.category,
                "received_at": r.received_at,
                "incident_at": body.get("incident_at"),
                "reporter_type": body.get("reporter_type", "user"),
                "ongoing": bool(body.get("ongoing")),
                "text": body.get("text", ""),
                "payments": body.get("payments", []),
                "linked": linked,
            }
        )
        row.categories.append(r.category)
        for pair in linked:
            if pair not in row.linked:
                row.linked.append(pair)
        row.ongoing = row.ongoing or bool(body.get("ongoing"))
        if row.last_received is None or r.received_at > row.last_received:
            row.last_received = r.received_at
        for cid in in_case.get(r.id, []):
            if cid not in row.cases:
                row.cases.append(cid)
    ranked = sorted(
        (r for r in rows.values() if r.linked or not linked_only), key=AccountRow.sort_key
    )
    for i, row in enumerate(ranked, start=1):
        row.rank = i
    return ranked[:limit]


def open_case(
    db: Session,
    user: User,
    platform: str,
    reported_user_id: str,
    links: dict[int, list[tuple[str, str]]],
    *,
    entities: services.EntityCatalog,
) -> Case:
    """A case with every report on the account and its linked entities as members."""
    p = db.execute(select(Platform).where(Platform.name == platform)).scalar_one_or_none()
    if p is None:
        raise NotFound(f"no platform named {platform!r}")
    ids = list(
        db.execute(
            select(PlatformReport.id)
            .where(
                PlatformReport.platform_id == p.id,
                PlatformReport.reported_user_id == reported_user_id,
            )
            .order_by(PlatformReport.id)
        ).scalars()
    )
    if not ids:
        raise NotFound(f"no report on {reported_user_id!r} from {platform}")
    members: list[tuple[str, str, str | None]] = []
    for rid in ids:
        for side, ent in links.get(rid, []):
            m = (side, ent, None)
            if m not in members and entities.exists(side, ent):
                members.append(m)
    title = f"Platform reports on {reported_user_id} ({platform})"[: services.MAX_TITLE]
    c = services.create_case(db, user, title, members, entities=entities)
    add_reports(db, user, c.id, ids)
    return c
