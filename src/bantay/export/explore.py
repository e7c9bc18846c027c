"""The transaction explorer: an entity's or a case's payments, filtered, with the indicators
behind each and whether it is in the case's evidence; as rows for a page and as a safe CSV.

The payments and the indicators behind them come from :func:`bantay.export.case.gather` (the
same selection every report makes), so what an analyst sees here is what a report would carry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from bantay.csvsafe import csv_text
from bantay.detect.evidence import BEHIND, is_card
from bantay.errors import Invalid
from bantay.export.case import Gathered, key
from bantay.export.narrative import channel_words

#: the columns of the CSV, in order
CSV_COLUMNS = [
    "institution",
    "transaction_id",
    "ts_utc",
    "local_time",
    "amount",
    "currency",
    "amount_reporting",
    "channel",
    "payer_name",
    "payer_country",
    "beneficiary_name",
    "beneficiary_country",
    "merchant_name",
    "merchant_category",
    "counterparty",
    "counterparty_country",
    "indicators",
    "in_evidence",
]


@dataclass
class PaymentFilter:
    channel: str = ""
    counterparty: str = ""
    country: str = ""
    date_from: str = ""
    date_to: str = ""
    indicator: str = ""
    #: "" any, "yes" only the evidence, "no" only payments outside it
    evidence: str = ""

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def dates(self) -> tuple[dt.date | None, dt.date | None]:
        out: list[dt.date | None] = []
        for name in ("date_from", "date_to"):
            v = getattr(self, name).strip()
            try:
                out.append(dt.date.fromisoformat(v) if v else None)
            except ValueError as exc:
                raise Invalid(f"{name}: a date as YYYY-MM-DD, not {v[:20]!r}") from exc
        return out[0], out[1]


def _counterparty(t: dict[str, Any], g: Gathered, members: set[tuple[str, str]]) -> tuple[str, str]:
    """The other party of the payment, seen from the members: (name, country)."""
    payer_ent = g.entity_of.get(str(t.get("payer_record_id") or ""))
    if payer_ent is not None and ("payer", payer_ent) in members:
        name = t.get("merchant_name") if is_card(t) else None
        return str(name or t.get("beneficiary_name") or ""), str(t.get("beneficiary_country") or "")
    return str(t.get("payer_name") or ""), str(t.get("payer_country") or "")


def explore(
    g: Gathered,
    members: list[tuple[str, str]],
    f: PaymentFilter,
    evidence: set[tuple[str, str]],
) -> dict[str, Any]:
    """The payments matching ``f`` (newest first), with the facets to filter by and how many
    payments each fired indicator counted."""
    start, end = f.dates()
    mset = set(members)
    if f.evidence not in ("", "yes", "no"):
        raise Invalid("evidence: yes, no or empty")
    rows: list[dict[str, Any]] = []
    channels: set[str] = set()
    countries: set[str] = set()
    per_indicator: dict[str, int] = {}
    for t in g.transactions:
        k = key(t)
        inds = g.behind.get(k, [])
        cp, cp_country = _counterparty(t, g, mset)
        channels.add(str(t["channel"]))
        if cp_country:
            countries.add(cp_country)
        for i in inds:
            per_indicator[i] = per_indicator.get(i, 0) + 1
        day = t["ts_utc"].date() if isinstance(t["ts_utc"], dt.datetime) else None
        if f.channel and str(t["channel"]) != f.channel:
            continue
        if f.country and cp_country.upper() != f.country.strip().upper():
            continue
        if f.counterparty and f.counterparty.strip().lower() not in cp.lower():
            continue
        if start and (day is None or day < start):
            continue
        if end and (day is None or day > end):
            continue
        if f.indicator and f.indicator not in inds:
            continue
        chosen = k in evidence
        if (f.evidence == "yes" and not chosen) or (f.evidence == "no" and chosen):
            continue
        rows.append(
            {
                **t,
                "counterparty": cp,
                "counterparty_country": cp_country,
                "indicators": inds,
                "in_evidence": chosen,
                "is_card": is_card(t),
                "channel_words": channel_words(str(t["channel"])),
            }
        )
    rows.reverse()
    return {
        "rows": rows,
        "channels": sorted(channels),
        "countries": sorted(countries),
        "indicators": {
            i: (per_indicator[i], BEHIND[i][1] if i in BEHIND else "")
            for i in sorted(per_indicator)
        },
        "n_total": len(g.transactions),
        "n_evidence": sum(1 for t in g.transactions if key(t) in evidence),
    }


def rows_csv(rows: list[dict[str, Any]]) -> str:
    """The explorer's rows as CSV; every cell neutralised (:mod:`bantay.csvsafe`)."""
    return csv_text(
        CSV_COLUMNS,
        (
            [
                " ".join(r["indicators"])
                if c == "indicators"
                else ("yes" if r["in_evidence"] else "no")
                if c == "in_evidence"
                else r.get(c)
                for c in CSV_COLUMNS
            ]
            for r in rows
        ),
    )
