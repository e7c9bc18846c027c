"""The narrative of a case in words: who, what, when, where, why and how, from its evidence.

goAML's ``<reason>`` (4,000 characters) and the FinCEN SAR narrative (17,000) say the same facts,
so that no two reports of one case disagree: the subjects (one per member, consolidated), the
payments behind the indicators (counts and totals), the indicators in words with their published
sources (bibliography: ``docs/sources.md``), the network evidence, what lowered a score, and
whether an analyst has decided. Facts, not a verdict.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from bantay.detect.evidence import BEHIND, is_card
from bantay.detect.words import (
    indicator_sentence,
    lowered,
    network_sentences,
    plural,
    sources,
)
from bantay.export.case import CaseData, Subject

_CHANNELS = {
    "bank_transfer": "bank transfer",
    "online_remittance": "online remittance",
    "card": "card purchase",
    "cash_pickup": "remittance for cash pick-up",
    "wallet": "e-wallet transfer",
    "mobile_money": "mobile-money transfer",
}


def channel_words(channel: str) -> str:
    return _CHANNELS.get(channel, channel.replace("_", " "))


def money(amount: Any, currency: Any = None) -> str:
    """``1,234.50 USD``: two decimals, thousands separated; '' when unknown."""
    if amount is None:
        return ""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    return f"{value:,.2f}" + (f" {currency}" if currency else "")


def total(txs: list[dict[str, Any]]) -> float:
    return sum(float(t.get("amount_reporting") or 0) for t in txs)


def who(s: Subject) -> str:
    """A subject in one line: name, birth date, residence, address, ids, other names."""
    bits = [s.display]
    if s.date_of_birth:
        bits.append(f"born {s.date_of_birth:%Y-%m-%d}")
    where = ", ".join(x for x in (s.address, s.city, s.residence_country) if x)
    if where:
        bits.append(f"of {where}")
    if s.documents:
        bits.append("; ".join(f"{k} {n}".strip() for k, n in s.documents))
    if s.customer_refs:
        bits.append("customer " + ", ".join(f"{r} at {i}" for i, r in s.customer_refs))
    if s.aliases:
        bits.append("also recorded as " + ", ".join(s.aliases[:5]))
    return f"{s.side} {', '.join(bits)} (Bantay entity {s.entity_id})"


def counterparties(
    data: CaseData, side: str, txs: list[dict[str, Any]] | None = None
) -> Counter[str]:
    """The parties on ``side`` of ``txs`` (default: the evidence) that are not members, one per
    entity (not one per spelling of a name), by payments."""
    other: Counter[str] = Counter()
    names: dict[str, str] = {}
    for t in data.evidence if txs is None else txs:
        if data.member_of(t, side) is not None:
            continue
        rec = t.get(f"{side}_record_id")
        ent = data.entity_of.get(str(rec)) if rec else None
        label = str(
            t.get(f"{side}_name") or t.get("merchant_name") or t.get(f"{side}_account") or "unknown"
        )
        k = ent or f"name:{label}"
        names.setdefault(k, label)
        other[k] += 1
    return Counter({names[k]: n for k, n in other.items()})


def _why(data: CaseData, limit: int) -> list[str]:
    lines = []
    for v in data.views:
        reasons = (v.detail or {}).get("reasons") or {}
        subject = data.subject(v.side, v.entity_id)
        mine = [t for t in data.evidence if data.member_of(t, v.side) is subject]
        per_ind = Counter(i for t in mine for i in data.indicators_of(t))
        label = subject.display if subject else v.entity_id
        found = [
            indicator_sentence(i, per_ind.get(str(i["id"])) if str(i["id"]) in BEHIND else None)
            for i in reasons.get("indicators", [])[:limit]
        ]
        found += network_sentences(reasons.get("network") or {})
        down = lowered(v.side, reasons)
        text = f"- {v.side} {label}: " + ("; ".join(found) or "no indicator fired (model score)")
        if down:
            text += ". What lowered the score: " + "; ".join(down[:3])
        lines.append(text + ".")
    return lines


def _decision(data: CaseData) -> str:
    if not data.decisions:
        return "No analyst decision is recorded yet: this draft is for the analyst to complete."
    d = data.decisions[-1]
    review = (
        f", reviewed by {d['reviewed_by']} ({'approved' if d['review_approved'] else 'returned'})"
        if d.get("reviewed_by")
        else ", not yet reviewed"
    )
    return (
        f"The latest analyst decision is '{d['decision']}' by {d['username']} on "
        f"{d['at']:%Y-%m-%d}{review}: {d['rationale']}"
    )


def parts(
    data: CaseData, described: list[dict[str, Any]] | None = None, limit: int = 10
) -> dict[str, str]:
    """The narrative's paragraphs by heading (WHO, WHAT, WHEN, WHERE, WHY, HOW, SOURCES)."""
    ev = data.evidence
    remit = [t for t in ev if not is_card(t)]
    cards = [t for t in ev if is_card(t)]
    left = data.left_out
    cur = data.currency
    out: dict[str, str] = {}
    subj = "; ".join(who(s) for s in data.subjects)
    pay = counterparties(data, "payer")
    text = f"The case concerns {plural(len(data.subjects), 'subject')}: {subj}."
    if pay:
        text += (
            " Other payers: "
            + ", ".join(f"{n} ({plural(c, 'payment')})" for n, c in pay.most_common(limit))
            + "."
        )
    remit_benes = counterparties(data, "beneficiary", remit)
    if remit_benes:
        text += (
            " Beneficiaries: "
            + ", ".join(f"{n} ({plural(c, 'payment')})" for n, c in remit_benes.most_common(limit))
            + "."
        )
    merchants = Counter(str(t.get("merchant_name") or "unknown merchant") for t in cards)
    if merchants:
        text += (
            " Merchants of the related card purchases: "
            + ", ".join(f"{n} ({plural(c, 'purchase')})" for n, c in merchants.most_common(limit))
            + "."
        )
    out["WHO"] = text
    what = (
        f"{plural(len(ev), 'payment')} are reported as evidence, totalling {money(total(ev), cur)}: "
        f"{plural(len(remit), 'remittance')} ({money(total(remit), cur)})"
    )
    if cards:
        what += f" and {plural(len(cards), 'related card purchase')} ({money(total(cards), cur)})"
    what += "."
    if data.payments == "evidence" and left:
        left_cards = sum(1 for t in left if is_card(t))
        what += (
            f" The members' other {plural(len(left), 'payment')} ({left_cards} of them card "
            "spending such as groceries) are not evidence of the indicators and are left out."
        )
    if described:
        what += (
            f" {plural(len(described), 'card purchase')} at merchants whose country is not "
            "recorded are described here rather than itemised: "
            + ", ".join(
                f"{t['ts_utc']:%Y-%m-%d} {money(t.get('amount'), t.get('currency'))} at "
                f"{t.get('merchant_name')}"
                for t in described[:limit]
            )
            + ("" if len(described) <= limit else f" and {len(described) - limit} more")
            + "."
        )
    out["WHAT"] = what
    if ev:
        first, last = min(t["ts_utc"] for t in ev), max(t["ts_utc"] for t in ev)
        out["WHEN"] = f"Between {first:%Y-%m-%d} and {last:%Y-%m-%d} (UTC)."
    countries = Counter(str(t.get("beneficiary_country") or "not recorded") for t in remit)
    institutions = Counter(str(t["institution"]) for t in ev)
    out["WHERE"] = (
        "Remittances to "
        + (", ".join(f"{k} ({v})" for k, v in countries.most_common()) or "none")
        + "; through "
        + ", ".join(f"{k} ({v})" for k, v in institutions.most_common())
        + "."
    )
    out["WHY"] = (
        "The activity matches payment-pattern indicators that published sources associate with "
        "paying for livestreamed child sexual abuse; each is a lead for review, not a finding:\n"
        + "\n".join(_why(data, limit))
        + "\n"
        + _decision(data)
    )
    channels = Counter(channel_words(str(t["channel"])) for t in ev)
    out["HOW"] = "By " + ", ".join(f"{k} ({v})" for k, v in channels.most_common()) + "."
    cited = []
    for v in data.views:
        for i in ((v.detail or {}).get("reasons") or {}).get("indicators", []):
            cited += [str(s["id"]) if isinstance(s, dict) else str(s) for s in i.get("sources", [])]
    known = sources()
    out["SOURCES"] = "\n".join(
        f"{sid}: {known[sid].citation}" for sid in dict.fromkeys(cited) if sid in known
    )
    return out


def goaml_reason(data: CaseData, described: list[dict[str, Any]] | None = None) -> str:
    """The narrative within goAML's 4,000 characters (fewer indicators per member if need be)."""
    for limit in (8, 5, 3, 1):
        p = parts(data, described, limit)
        sources_line = "SOURCES: " + " | ".join(p.pop("SOURCES").splitlines())
        text = f"Bantay case {data.case_id} ({data.title}). " + " ".join(
            f"{k}: {v}" for k, v in p.items()
        )
        if len(text) + len(sources_line) + 1 <= 4000:
            return text + " " + sources_line
        if len(text) <= 4000:
            return text
    return text[:3997] + "..."


def draft(data: CaseData) -> str:
    """A narrative for the analyst to edit: the generated paragraphs, one per heading, within
    goAML's 4,000 characters (fewer indicators per member if need be)."""
    for limit in (8, 5, 3, 1):
        p = parts(data, limit=limit)
        text = "\n\n".join(f"{k}: {v}" for k, v in p.items() if v)
        if len(text) <= 4000:
            return text
    return text[:3997] + "..."


def reason(data: CaseData, described: list[dict[str, Any]] | None = None) -> str:
    """goAML's ``<reason>``: the analysts' narrative when one was written, else the generated."""
    return data.narrative if data.narrative else goaml_reason(data, described)
