"""The referral pack: one self-contained HTML file for investigators.

Case summary, the reasons each member was flagged (indicators with values, thresholds and sources,
network evidence, model contributions, family-link evidence), the charts and network picture of the
entity pages (inline SVG from :mod:`bantay.export.charts`, without links), every payment, and the trail
of decisions and audit entries. Inline CSS only: no script, no stylesheet, image or font is fetched,
so the file opens offline and prints to PDF from any browser. Every value is escaped (Jinja
autoescape).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bantay import __version__
from bantay.detect.evidence import is_card
from bantay.detect.words import anchor, contribution_sentence, indicator_sentence, lowered
from bantay.export import charts
from bantay.export.case import CaseData, load_case, record_export, write_atomic
from bantay.export.narrative import channel_words, money, total, who

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    )
    env.filters["detail"] = lambda d: "; ".join(
        f"{k}={json.dumps(v, ensure_ascii=False, default=str)}" for k, v in sorted(d.items())
    )
    env.filters["money"] = money
    env.filters["channel"] = channel_words
    env.globals.update(
        is_card=is_card,
        who=who,
        indicator_sentence=indicator_sentence,
        contribution_sentence=contribution_sentence,
        lowered=lowered,
        anchor=anchor,
    )
    return env


def _party_key(data: CaseData, t: dict[str, Any], side: str) -> str:
    """One key per party: its resolved entity, else its record, else its name."""
    rec = t.get(f"{side}_record_id")
    if rec and str(rec) in data.entity_of:
        return "e:" + data.entity_of[str(rec)]
    return "r:" + str(rec or t.get(f"{side}_name") or t.get("merchant_name") or "")


def summary(data: CaseData) -> dict[str, Any]:
    """The evidence's figures (the members' card spending is not evidence: see ``left_out``)."""
    txs = data.evidence or data.transactions
    remit = [t for t in txs if not is_card(t)]
    cards = [t for t in txs if is_card(t)]
    left = data.left_out
    return {
        "n": len(txs),
        "total": total(txs),
        "n_remittances": len(remit),
        "total_remittances": total(remit),
        "n_cards": len(cards),
        "total_cards": total(cards),
        "n_left_out": len(left),
        "total_left_out": total(left),
        "n_left_out_cards": sum(1 for t in left if is_card(t)),
        "first": min(t["ts_utc"] for t in txs),
        "last": max(t["ts_utc"] for t in txs),
        "payers": len({_party_key(data, t, "payer") for t in remit}),
        "beneficiaries": len({_party_key(data, t, "beneficiary") for t in remit}),
        "merchants": Counter(str(t.get("merchant_name") or "unknown") for t in cards).most_common(),
        "countries": Counter(
            str(t["beneficiary_country"] or "not recorded") for t in remit
        ).most_common(),
        "channels": Counter(channel_words(str(t["channel"])) for t in txs).most_common(),
    }


def render(data: CaseData, username: str = "cli", generated: dt.datetime | None = None) -> bytes:
    """The pack as UTF-8 HTML."""
    members = []
    for v in data.views:
        members.append(
            {
                "v": v,
                "d": v.detail or {},
                "money_svg": Markup(charts.money_chart(v.money["weeks"], data.currency)),
                "heat_svg": Markup(
                    charts.heatmap(
                        v.money["heatmap"], v.money["weekdays"], v.money["local_time_known"]
                    )
                ),
                "net_svg": Markup(charts.network(v.network, v.entity_id, links=False)),
            }
        )
    html = (
        _env()
        .get_template("pack.html")
        .render(
            c=data,
            s=summary(data),
            members=members,
            username=username,
            version=__version__,
            generated=(generated or dt.datetime.now(dt.UTC)).replace(microsecond=0, tzinfo=None),
        )
    )
    return html.encode()


def export_pack(
    workspace: Path,
    case_id: int,
    out: Path,
    username: str = "cli",
    db_url: str | None = None,
    payments: str = "evidence",
) -> Path:
    """Render, write and audit the pack."""
    body = render(load_case(workspace, case_id, db_url, payments), username)
    write_atomic(out, body)
    record_export(workspace, case_id, "pack", out, body, username, db_url)
    return Path(out)
