"""FinCEN SAR narrative draft (OCSE-FIN-2021-NTC3) and a transactions CSV from a case."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from bantay.csvsafe import neutral
from bantay.export.case import CaseData, load_case, record_export

KEY_TERM = "OCSE-FIN-2021-NTC3"
LIMIT = 17_000
CSV_COLUMNS = [
    "transaction_id",
    "institution",
    "ts_utc",
    "amount",
    "currency",
    "amount_reporting",
    "channel",
    "payer_name",
    "payer_account",
    "payer_country",
    "beneficiary_name",
    "beneficiary_account",
    "beneficiary_institution",
    "beneficiary_country",
    "merchant_name",
]


def narrative(data: CaseData) -> str:
    """Who, what, when, where, why, how; factual and within FinCEN's 17,000 characters."""
    txs = data.transactions
    total = sum(float(t["amount_reporting"] or 0) for t in txs)
    first, last = min(t["ts_utc"] for t in txs), max(t["ts_utc"] for t in txs)
    payers = Counter(str(t["payer_name"] or t["payer_account"] or "unknown") for t in txs)
    benes = Counter(
        str(t["beneficiary_name"] or t["merchant_name"] or t["beneficiary_account"] or "unknown")
        for t in txs
    )
    countries = Counter(str(t["beneficiary_country"] or "unknown") for t in txs)
    channels = Counter(str(t["channel"]) for t in txs)
    members = "; ".join(f"{side} entity {e}" for side, e in data.members)
    parts = [
        f"{KEY_TERM}. This report concerns case {data.case_id} ({data.title}).",
        f"WHO: the case covers {members}. Payers: "
        + ", ".join(f"{n} ({c} payments)" for n, c in payers.most_common(10))
        + ". Beneficiaries: "
        + ", ".join(f"{n} ({c} payments)" for n, c in benes.most_common(10))
        + ".",
        f"WHAT: {len(txs)} payments totalling {total:,.2f} {data.currency}.",
        f"WHEN: between {first:%Y-%m-%d} and {last:%Y-%m-%d}.",
        "WHERE: beneficiary countries "
        + ", ".join(f"{k} ({v})" for k, v in countries.most_common())
        + ".",
        _why(data),
        "HOW: channels " + ", ".join(f"{k} ({v})" for k, v in channels.most_common()) + ".",
        "The attached CSV lists every payment.",
    ]
    text = "\n\n".join(parts)
    return text if len(text) <= LIMIT else text[: LIMIT - 3] + "..."


def _num(v: object) -> str:
    return f"{v:g}" if isinstance(v, int | float) else str(v)


def _why(data: CaseData) -> str:
    """The indicators that fired for each member (value against threshold, published source),
    the network evidence, and whether an analyst has decided yet: facts, not a verdict."""
    lines = [
        "WHY: the activity matches payment-pattern indicators that FinCEN Notice "
        f"{KEY_TERM} and other published sources associate with online child sexual exploitation:"
    ]
    for v in data.views:
        reasons = (v.detail or {}).get("reasons") or {}
        found = []
        for i in reasons.get("indicators", []):
            sources = ", ".join(str(src.get("id")) for src in i.get("sources", []))
            found.append(
                f"{i.get('title') or i.get('id')} ({i.get('id')}: {_num(i.get('value'))} "
                f"{i.get('unit') or ''} against a threshold of {_num(i.get('threshold'))}"
                + (f"; sources {sources}" if sources else "")
                + ")"
            )
        net = reasons.get("network") or {}
        if net.get("den_size"):
            found.append(f"member of a group of {net['den_size']} linked beneficiaries")
        if isinstance(net.get("seed_hops"), int) and net["seed_hops"] >= 0:
            found.append(f"{net['seed_hops']} payment link(s) from a known facilitator")
        lines.append(
            f"- {v.side} entity {v.entity_id}: " + ("; ".join(found) or "no indicator recorded")
        )
    if data.decisions:
        d = data.decisions[-1]
        review = (
            f", reviewed by {d['reviewed_by']} ({'approved' if d['review_approved'] else 'returned'})"
            if d.get("reviewed_by")
            else ", not yet reviewed"
        )
        lines.append(
            f"The latest analyst decision is '{d['decision']}' by {d['username']} on "
            f"{d['at']:%Y-%m-%d}{review}."
        )
    else:
        lines.append(
            "No analyst decision is recorded yet: this draft is for the analyst to complete."
        )
    return "\n".join(lines)


def transactions_csv(data: CaseData) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    w.writeheader()
    for t in data.transactions:
        w.writerow({k: neutral(t.get(k)) for k in CSV_COLUMNS})
    return buf.getvalue()


def export_fincen(
    workspace: Path,
    case_id: int,
    out: Path,
    username: str = "cli",
    db_url: str | None = None,
) -> tuple[Path, Path]:
    """Write the narrative to ``out`` and the CSV next to it (``.transactions.csv``); audited."""
    data = load_case(workspace, case_id, db_url)
    text = narrative(data)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    csv_path = out.with_suffix(".transactions.csv")
    csv_path.write_text(transactions_csv(data), encoding="utf-8")
    record_export(workspace, case_id, "fincen", out, text.encode(), username, db_url)
    return out, csv_path
