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

from bantay.detect.scoring import FEATURE_NOTES, FEATURE_WORDS, MODEL_FEATURES

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


#: Plain words for the model features that are not an indicator's own feature, per side (some
#: names mean different things on each side; ``feature_words.yaml``).
_WORDS: dict[str, dict[str, str]] = {
    side: FEATURE_WORDS.get(side, {}) for side in ("payer", "beneficiary")
}


def feature_description(side: str, feature: str) -> str:
    """What a model feature means, in words ('' when nothing describes it)."""
    return _WORDS.get(side, {}).get(feature) or FEATURE_NOTES.get(feature, "")


def undescribed() -> list[tuple[str, str]]:
    """(side, feature) of every model feature without a description (the tests want none)."""
    return [(s, f) for s, fs in MODEL_FEATURES.items() for f in fs if not feature_description(s, f)]


def number(v: Any) -> str:
    """A count as a whole number, anything else with three significant digits; an empty value
    (evidence the data does not hold) as "not known"."""
    if v is None:
        return "not known"
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if x != x:
        return "not known"
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


#: A beneficiary's unrelated payer scored at least this is named in its summary line.
LIKELY_PAYER = 0.5


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
    likely = [p for p in net.get("scored_payers") or [] if float(p["score"]) >= LIKELY_PAYER]
    if likely:
        out.append(
            f"paid by {plural(len(likely), 'unrelated payer')} scored {number(LIKELY_PAYER)} or "
            f"more (highest {likely[0]['payer_entity']}, {float(likely[0]['score']):.2f})"
        )
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
