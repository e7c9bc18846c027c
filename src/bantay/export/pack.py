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
from bantay.export import charts
from bantay.export.case import CaseData, load_case, record_export, write_atomic

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    )
    env.filters["detail"] = lambda d: "; ".join(
        f"{k}={json.dumps(v, ensure_ascii=False, default=str)}" for k, v in sorted(d.items())
    )
    return env


def summary(data: CaseData) -> dict[str, Any]:
    txs = data.transactions
    amounts = [float(t["amount_reporting"] or 0) for t in txs]
    return {
        "n": len(txs),
        "total": sum(amounts),
        "first": min(t["ts_utc"] for t in txs),
        "last": max(t["ts_utc"] for t in txs),
        "payers": len({t["payer_record_id"] or t["payer_name"] for t in txs}),
        "beneficiaries": len({t["beneficiary_record_id"] or t["beneficiary_name"] for t in txs}),
        "countries": Counter(str(t["beneficiary_country"] or "unknown") for t in txs).most_common(),
        "channels": Counter(str(t["channel"]) for t in txs).most_common(),
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
) -> Path:
    """Render, write and audit the pack."""
    body = render(load_case(workspace, case_id, db_url), username)
    write_atomic(out, body)
    record_export(workspace, case_id, "pack", out, body, username, db_url)
    return Path(out)
