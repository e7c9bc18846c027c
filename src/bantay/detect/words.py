"""Reasons in words: what every model feature means, each reason as a sentence, and the sources.

An alert's reasons are stored as data (``alerts.reasons``: indicators with value and threshold,
network evidence, model contributions, family-link evidence). This module says them as an analyst
would read them, with the published source of each indicator cited by id and listed in the
bibliography (``sources.yaml`` -> ``docs/sources.md``), so that an STR can cite them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from bantay.detect.scoring import FEATURE_NOTES, MODEL_FEATURES

#: Where the bibliography is published (reasons link to ``SOURCES_DOC#s8``).
SOURCES_DOC = "docs/sources.md"


class Source(BaseModel):
    """One published source: the bibliography entry behind an id such as S8."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    publisher: str
    date: str
    urls: tuple[str, ...]
    access: str

    @property
    def citation(self) -> str:
        """``Publisher (date), Title. URL``: one line an STR can quote."""
        url = self.urls[0] if self.urls else ""
        return f"{self.publisher} ({self.date}), {self.title}." + (f" {url}" if url else "")


@cache
def sources() -> dict[str, Source]:
    """The bibliography, by source id."""
    text = (resources.files("bantay.detect") / "sources.yaml").read_text(encoding="utf-8")
    return {s["id"]: Source(**s) for s in yaml.safe_load(text)["sources"]}


def anchor(source_id: str) -> str:
    """The link to a source's entry in the bibliography."""
    return f"{SOURCES_DOC}#{source_id.lower()}"


#: Plain words for the model features that are not an indicator's own feature nor in
#: :data:`bantay.detect.scoring.FEATURE_NOTES`, per side (some names mean different things on
#: each side). "High-risk" means a receiving country on settings.high_risk_countries.
_WORDS: dict[str, dict[str, str]] = {
    "payer": {
        "n_hr_tx": "payments to high-risk countries",
        "n_lowval_sea": "low-value payments (A$10-A$100) to South-East Asia",
        "n_small_hr": "small payments (under A$500) to high-risk countries",
        "n_small55_hr": "very small payments (under A$55) to high-risk countries",
        "n_night_hr": "payments to high-risk countries sent at night, payer-local time",
        "n_cover_hr": "small payments to high-risk countries with a cover description (family "
        "support, school fees, ...)",
        "n_related_purchases": "card purchases of privacy tools, screen capture, livestream tokens "
        "or travel",
        "n_routed": "payments routed to a high-risk country through another one (the "
        "beneficiary's phone or bank is in a high-risk country)",
        "n_payment_sources": "distinct accounts and institutions the payer pays high-risk "
        "countries from",
        "n_unrel_hr_benefs": "beneficiaries in high-risk countries with no family link, paid "
        "small sums",
        "n_hr_benefs": "beneficiaries in high-risk countries",
        "n_rel_benefs": "beneficiaries in high-risk countries with a family link (shared surname, "
        "name origin, payday or long stable relationship)",
        "share_hr_related": "share of the high-risk payments that go to family-linked "
        "beneficiaries (weighed by the number of payments)",
        "share_small_hr": "share of the high-risk payments that are small (weighed by the number "
        "of payments)",
        "share_p2p_hr": "share of the high-risk payments sent person to person (remittance, "
        "wallet) rather than by bank transfer",
        "share_even_hr": "share of the high-risk payments in even amounts (P09)",
        "mean_amount_hr": "average high-risk payment (weighed by the number of payments)",
        "span_hr_days": "days between the first and the last high-risk payment",
        "mean_interval_days": "average days between two high-risk payments",
        "rate_30d": "high-risk payments per 30 days",
        "max_pair_span_days": "longest time, in days, the payer has paid one high-risk beneficiary",
        "escalation_ratio": "amount × count paid in the later half of the payer's high-risk "
        "payments ÷ the earlier half (P05)",
        "payer_male": "1 when the payer's KYC says male",
        "rel_surname": "high-risk beneficiaries sharing the payer's surname (F01)",
        "rel_origin": "high-risk beneficiaries whose names and the payer's come from the "
        "beneficiary country (F02)",
        "rel_payday": "high-risk beneficiaries paid about the same day each month (F03)",
        "rel_stable": "high-risk beneficiaries paid steadily over a long time (F04)",
        "n_copayers": "other unrelated payers of the same beneficiaries (N03)",
        "den_size": "size of the largest den among the payer's beneficiaries (N04)",
        "n_den_benefs": "of the payer's unrelated beneficiaries, how many belong to a den",
        "seed_rank": "closeness to known facilitators in the payment network (N05), 1 = as close "
        "as a direct payer of one",
        "rule_score": "the indicators' summed band scores, less the family-link reduction",
    },
    "beneficiary": {
        "n_in": "payments received",
        "n_payers": "distinct payers",
        "n_sending_institutions": "distinct institutions the payments came through (B04)",
        "hr": "1 when the beneficiary is in a high-risk country",
        "n_unrel_foreign_payers": "unrelated payers abroad sending small sums (B01)",
        "n_small_inbound_nonrel": "small payments from unrelated payers abroad (B02)",
        "n_unrel_payments": "payments from unrelated payers abroad (B03)",
        "n_payer_surnames": "distinct surnames among the unrelated payers abroad (N01)",
        "n_payer_countries": "distinct countries of the unrelated payers abroad",
        "n_rel_payers": "payers with a family link to the beneficiary",
        "share_unrel_payers": "share of the payers that are unrelated and abroad",
        "share_night_in": "share of the payments sent at night, payer-local time",
        "share_cover_in": "share of the payments with a cover description",
        "share_small_in": "share of the payments that are small (under A$500)",
        "mean_amount_in": "average payment received",
        "span_in_days": "days between the first and the last payment received",
        "rate_in_30d": "payments received per 30 days",
        "max_payer_span_days": "longest time, in days, one payer has paid the beneficiary",
        "n_cobenefs": "other beneficiaries the same unrelated payers pay",
        "den_size": "beneficiaries in the den (linked by shared phones, accounts, locations and "
        "payers; N04)",
        "den_payers": "unrelated payers of the den's beneficiaries",
        "seed_rank": "closeness to known facilitators in the payment network (N05), 1 = as close "
        "as a direct payer of one",
        "mean_payer_rule": "average rule score of the beneficiary's unrelated payers",
        "rule_score": "the indicators' summed band scores",
    },
}


def feature_description(side: str, feature: str) -> str:
    """What a model feature means, in words ('' when nothing describes it)."""
    return _WORDS.get(side, {}).get(feature) or FEATURE_NOTES.get(feature, "")


def undescribed() -> list[tuple[str, str]]:
    """(side, feature) of every model feature without a description (the tests want none)."""
    return [(s, f) for s, fs in MODEL_FEATURES.items() for f in fs if not feature_description(s, f)]


def number(v: Any) -> str:
    """A count as a whole number, anything else with three significant digits."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if x == int(x) and abs(x) < 1e12:
        return f"{int(x):,}"
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def plural(n: int | float, one: str, many: str | None = None) -> str:
    """``1 hop``, ``0 hops``, ``2 beneficiaries``."""
    many = many or (
        one[:-1] + "ies" if one.endswith("y") and one[-2:-1] not in "aeiou" else one + "s"
    )
    return f"{number(n)} {one if n == 1 else many}"


def cite(ids: list[str]) -> str:
    """``S8, S14`` as the bibliography names them."""
    return ", ".join(ids)


def indicator_sentence(i: dict[str, Any], n_payments: int | None = None) -> str:
    """``Frequent low-value remittances ...: 16 payments, where it fires from 5 (moderate);
    sources S8, S14`` (``n_payments``: the payments behind it, where known)."""
    ids = [str(s["id"]) if isinstance(s, dict) else str(s) for s in i.get("sources", [])]
    text = (
        f"{i.get('title') or i.get('id')}: {number(i['value'])} {i.get('unit') or ''}".rstrip()
        + f", where it fires from {number(i['threshold'])}"
        + (f" ({i['band']})" if i.get("band") else "")
    )
    if n_payments is not None:
        text += f"; {plural(n_payments, 'payment')} behind it"
    return text + (f"; sources {cite(ids)}" if ids else "")


def contribution_sentence(side: str, m: dict[str, Any]) -> str:
    """One model contribution as words: what the feature is, its value, which way it pushed."""
    what = feature_description(side, str(m["feature"])) or str(m["feature"])
    c = float(m["contribution"])
    way = "raised" if c > 0 else "lowered"
    return f"{what}: {number(m['value'])}, {way} the score ({c:+.2f} log-odds)"


def network_sentences(net: dict[str, Any]) -> list[str]:
    out = []
    hops = net.get("seed_hops", -1)
    if isinstance(hops, int) and hops >= 0:
        out.append(
            "is itself a known facilitator (seed)"
            if hops == 0
            else f"{plural(hops, 'payment link')} from a known facilitator"
        )
    if int(net.get("den_size", 0) or 0) >= 2:
        out.append(f"linked to a den of {plural(int(net['den_size']), 'beneficiary')}")
    if int(net.get("n_copayers", 0) or 0) > 0:
        out.append(f"shares beneficiaries with {plural(int(net['n_copayers']), 'other payer')}")
    return out


def summary_line(reasons: Mapping[str, Any]) -> str:
    """The alert's one-line reason, in words: its strongest indicators, its network, what
    lowered it."""
    parts = [
        f"{i.get('title') or i['id']} ({number(i['value'])})"
        for i in reasons.get("indicators", [])[:3]
    ]
    parts += network_sentences(reasons.get("network") or {})
    fam = reasons.get("family") or {}
    if fam.get("evidence"):
        parts.append(
            "family-link evidence lowered it ("
            + ", ".join(str(e.get("title") or e["id"]) for e in fam["evidence"])
            + ")"
        )
    if not reasons.get("indicators"):
        raised = [m for m in reasons.get("model", []) if float(m.get("contribution", 0)) > 0]
        if raised:
            parts.insert(0, "model: " + str(raised[0]["feature"]).replace("_", " "))
    return "; ".join(parts) or "model score, no indicator fired"


def lowered(side: str, reasons: Mapping[str, Any]) -> list[str]:
    """What lowered the score, as sentences: negative model contributions and family evidence."""
    out = [
        contribution_sentence(side, m)
        for m in reasons.get("model", [])
        if float(m.get("contribution", 0)) < 0
    ]
    fam = reasons.get("family") or {}
    for e in fam.get("evidence", []):
        out.append(
            f"{e.get('title') or e['id']}: {plural(int(e.get('beneficiaries', 0)), 'beneficiary')}"
            f" of {number(e.get('of_high_risk_beneficiaries', 0))} in high-risk countries"
        )
    if float(fam.get("rule_score_reduction", 0) or 0) > 0:
        out.append(
            f"family-link evidence took {number(fam['rule_score_reduction'])} off the rule score"
        )
    return out


def render_sources() -> str:
    """``docs/sources.md``: every source any indicator or protection cites, and the rest."""
    from bantay.detect.catalogue import default_catalogue

    cat = default_catalogue()
    cited: dict[str, list[str]] = {}
    for i in cat.indicators:
        for s in i.sources:
            cited.setdefault(s.id, []).append(i.id)
    for p in cat.protections:
        for s in p.sources:
            cited.setdefault(s.id, []).append(p.id)
    out = [
        "<!-- Generated by `bantay indicators --sources` from src/bantay/detect/sources.yaml. "
        "Do not edit. -->",
        "# Sources",
        "",
        "The published sources Bantay's indicators cite (S1, S8, ...), as reasons and reports "
        "name them. *Read* says what of the source was read when the indicator was written: "
        "P the primary text or abstract, S secondary reporting only, T the title only.",
        "",
    ]
    for src in sources().values():
        out.append(f'<a id="{src.id.lower()}"></a>\n### {src.id}\n')
        out.append(f"**{src.title}**. {src.publisher}, {src.date}. Read: {src.access}.\n")
        for u in src.urls:
            out.append(f"- <{u}>")
        if src.id in cited:
            out.append(f"\nCited by {', '.join(cited[src.id])}.")
        out.append("")
    return "\n".join(out)
