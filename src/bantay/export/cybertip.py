"""CyberTipline report XML (NCMEC ISP web services, ``POST /submit``) from a case's platform reports.

The ``<report>`` document a platform submits to NCMEC, built from the case's platform reports
(:mod:`bantay.reports`) and, where the case has members, the payment evidence beside them. Bantay
never sends it: the platform's own connector submits it (test endpoint first), uploads nothing
Bantay has (Bantay holds no media, hashes at most) and finishes the report (docs/exports.md).

Element order follows the XSD's ``xs:sequence`` (NCMEC answers out-of-order XML with 4100,
"validation failed"): :data:`ORDER` lists each element's children as the ISP web service
documentation orders them (read from ROOST Coop's ``ncmecReporting.ts`` and the Cybertipline-Tools
typings; ``platform`` as in the 2026 schema), and the writer emits children only through it.

Mapping: the report's ``incidentType`` from the reports' categories (trafficking and livestreamed
abuse are *Child Sex Trafficking*, enticement *Online Enticement of Children for Sexual Acts*);
``escalateToHighPriority`` when a report says the abuse may be ongoing; one ``chatImIncident`` per
call or chat session; the most-reported account as ``personOrUserReported`` with its IP capture
events (a payment with a time becomes a *Purchase* event where the platform captured the address at
purchase); the payments the platforms saw and the case's payment evidence in ``additionalInfo``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from bantay.cases.analytics import Analytics
from bantay.cases.db import open_workflow
from bantay.export.case import (
    CaseData,
    EmptyCase,
    ExportError,
    UnknownCase,
    load_case,
    read_case,
    record_export,
    reporting_currency,
    write_atomic,
)
from bantay.reports.cases import case_reports
from bantay.reports.store import platform_names, report_body

#: children of each element, in the XSD's sequence order (only those Bantay writes are needed,
#: but each list is the full sequence so that the order of what is written is checked against it)
ORDER: dict[str, tuple[str, ...]] = {
    "report": (
        "incidentSummary",
        "internetDetails",
        "lawEnforcement",
        "reporter",
        "personOrUserReported",
        "intendedRecipient",
        "victim",
        "additionalInfo",
    ),
    "incidentSummary": (
        "incidentType",
        "platform",
        "escalateToHighPriority",
        "reportAnnotations",
        "incidentDateTime",
        "incidentDateTimeDescription",
    ),
    "internetDetails": (
        "webPageIncident",
        "emailIncident",
        "newsgroupIncident",
        "chatImIncident",
        "onlineGamingIncident",
        "cellPhoneIncident",
        "nonInternetIncident",
        "peer2peerIncident",
    ),
    "chatImIncident": ("chatClient", "chatRoomName", "content", "additionalInfo"),
    "reporter": (
        "reportingPerson",
        "contactPerson",
        "companyTemplate",
        "termsOfService",
        "legalURL",
    ),
    "reportingPerson": ("firstName", "lastName", "phone", "email", "address"),
    "personOrUserReported": (
        "personOrUserReportedPerson",
        "vehicleDescription",
        "espIdentifier",
        "espService",
        "compromisedAccount",
        "screenName",
        "displayName",
        "profileUrl",
        "profileBio",
        "ipCaptureEvent",
        "deviceId",
        "thirdPartyUserReported",
        "priorCTReports",
        "groupIdentifier",
        "accountTemporarilyDisabled",
        "accountPermanentlyDisabled",
        "estimatedLocation",
        "allEmailsReported",
        "associatedAccount",
        "additionalInfo",
    ),
    "ipCaptureEvent": ("ipAddress", "eventName", "dateTime", "possibleProxy", "port"),
    "estimatedLocation": ("city", "region", "countryCode", "verified", "timestamp"),
}

INCIDENT_TYPES = {
    "child_sex_trafficking": "Child Sex Trafficking",
    "livestreamed_abuse": "Child Sex Trafficking",
    "online_enticement": "Online Enticement of Children for Sexual Acts",
    "other": "Child Sex Trafficking",
}
#: the report's IP event types as NCMEC names them
EVENT_NAMES = {
    "login": "Login",
    "registration": "Registration",
    "purchase": "Purchase",
    "upload": "Upload",
    "other": "Other",
    "unknown": "Unknown",
}
#: NCMEC's bound on free-text elements (Coop checks the same)
MAX_TEXT = 3000


class NoReports(EmptyCase):
    """A CyberTipline report needs at least one platform report in the case."""


def _el(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    """Append ``tag`` to ``parent``, refusing a child the parent's sequence does not place after
    the children already written (the XSD order, checked as the document is built)."""
    order = ORDER.get(str(parent.tag))
    if order is not None:
        if tag not in order:
            raise ExportError(f"<{tag}> is not a child of <{parent.tag}> in the CyberTipline XSD")
        if len(parent):
            last = str(parent[len(parent) - 1].tag)
            if order.index(last) > order.index(tag):
                raise ExportError(f"<{tag}> cannot follow <{last}> in <{parent.tag}>")
    e = etree.SubElement(parent, tag)
    if text is not None:
        e.text = text
    return e


def _when(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.UTC)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 40] + " ... (more in the case file)"


def _payment_line(p: dict[str, Any]) -> str:
    ids = ", ".join(
        f"{k.replace('_', ' ')} {p[k]}"
        for k in ("card_token", "wallet_id", "phone", "account", "payout_account", "payer_name")
        if p.get(k)
    )
    money = (
        f"{p['amount']} {p.get('currency', '')}".strip() if p.get("amount") else "amount unknown"
    )
    return f"{p.get('at', 'time unknown')}: {money} ({ids})"


def _evidence_line(t: dict[str, Any]) -> str:
    when = t.get("ts_utc")
    when_s = when.strftime("%Y-%m-%d %H:%M") if isinstance(when, dt.datetime) else str(when)
    return (
        f"{when_s} UTC: {t.get('amount')} {t.get('currency')} from {t.get('payer_name') or '?'} "
        f"({t.get('payer_country') or '?'}) to {t.get('beneficiary_name') or '?'} "
        f"({t.get('beneficiary_country') or '?'}), {t.get('institution')} {t.get('transaction_id')}"
    )


def build_report(
    reports: list[tuple[str, dict[str, Any]]],
    reporter_email: str,
    *,
    case_id: int,
    evidence: list[dict[str, Any]] | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The ``<report>`` XML of platform ``reports`` (``(platform name, report JSON)``, oldest
    first) with the case's payment ``evidence``."""
    if not reports:
        raise NoReports(f"case {case_id} has no platform reports: add one from the report queue")
    if "@" not in reporter_email:
        raise ExportError(
            "the reporting person's email is needed (--reporter-email; in the web app, "
            "BANTAY_WEB_CYBERTIP_REPORTER_EMAIL)"
        )
    now = now or dt.datetime.now(dt.UTC)
    bodies = [b for _, b in reports]
    platforms = list(dict.fromkeys(p for p, _ in reports))
    cats = Counter(INCIDENT_TYPES[b["category"]] for b in bodies)
    root = etree.Element("report")
    summary = _el(root, "incidentSummary")
    _el(summary, "incidentType", sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))[0][0])
    _el(summary, "platform", ", ".join(platforms)[:256])
    ongoing = [b for b in bodies if b.get("ongoing")]
    if ongoing:
        _el(
            summary,
            "escalateToHighPriority",
            _clip(
                f"{len(ongoing)} report(s) say the abuse may still be going on in a live session "
                f"(platform report {', '.join(b['platform_report_id'] for b in ongoing)})."
            ),
        )
    times = [
        t
        for b in bodies
        for t in (_when(b.get("incident_at")) or _when(b.get("received_at")),)
        if t is not None
    ]
    # NCMEC refuses an incident time in the future
    incident = min(min(times), now) if times else now
    _el(summary, "incidentDateTime", _iso(incident))
    _el(
        summary,
        "incidentDateTimeDescription",
        "Earliest incident time the platform reports give"
        if times
        else "No incident time in the reports: the time of this export",
    )
    sessions: dict[tuple[str, str], dict[str, Any]] = {}
    for platform, b in reports:
        s = b.get("session") or {}
        k = (s.get("client") or platform, s.get("session_id") or "")
        sessions.setdefault(k, s)
    for (client, room), s in sessions.items():
        chat = _el(_el(root, "internetDetails"), "chatImIncident")
        _el(chat, "chatClient", client[:255])
        if room:
            _el(chat, "chatRoomName", room[:255])
        about = [f"Live video or chat session reported by {client}."]
        if s.get("start"):
            about.append(
                f"Started {s['start']}" + (f", ended {s['end']}." if s.get("end") else ".")
            )
        if s.get("participants"):
            about.append(f"Participants (platform ids): {', '.join(s['participants'])}.")
        _el(chat, "additionalInfo", _clip(" ".join(about)))
    reporter = _el(root, "reporter")
    _el(_el(reporter, "reportingPerson"), "email", reporter_email)
    accounts = Counter(b["reported_account"]["platform_user_id"] for b in bodies)
    main_id = sorted(accounts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    mine = [(p, b) for p, b in reports if b["reported_account"]["platform_user_id"] == main_id]
    acct: dict[str, Any] = {}
    for _, b in mine:
        for k, v in b["reported_account"].items():
            acct.setdefault(k, v)
    person = _el(root, "personOrUserReported")
    _el(person, "espIdentifier", main_id[:255])
    _el(person, "espService", mine[0][0][:100])
    if acct.get("screen_name"):
        _el(person, "screenName", str(acct["screen_name"])[:256])
    if acct.get("profile_url"):
        _el(person, "profileUrl", str(acct["profile_url"]))
    events: dict[tuple[str, str, str], None] = {}
    for _, b in mine:
        for ev in b["reported_account"].get("ip_events", []):
            when = _when(ev.get("at"))
            events[(ev["ip"], EVENT_NAMES[ev["type"]], _iso(when) if when else "")] = None
    for ip, name, stamp in events:
        ice = _el(person, "ipCaptureEvent")
        _el(ice, "ipAddress", ip)
        _el(ice, "eventName", name)
        if stamp:
            _el(ice, "dateTime", stamp)
    if acct.get("country"):
        _el(_el(person, "estimatedLocation"), "countryCode", str(acct["country"]))
    others = sorted(set(accounts) - {main_id})
    lines = [
        f"Platform report {b['platform_report_id']} ({p}, {b['category'].replace('_', ' ')}, "
        f"by {b.get('reporter_type', 'user')}): {b.get('text', '(no text)')}"
        for p, b in mine
    ]
    if others:
        lines.append(f"Other accounts reported in this case: {', '.join(others)}.")
    _el(person, "additionalInfo", _clip("\n".join(lines)))
    info = [f"Bantay case {case_id}. Payments the platform saw around the reported account(s):"]
    seen = [_payment_line(p) for b in bodies for p in b.get("payments", [])]
    info += seen or ["none"]
    hashes = [f"{h['type'].upper()} {h['value']}" for b in bodies for h in b.get("hashes", [])]
    if hashes:
        info.append(
            "Hashes of material the platform preserved (the platform uploads the files itself): "
            + ", ".join(hashes)
        )
    if evidence:
        info.append(
            f"Payment evidence from the financial side ({len(evidence)} payment(s) of the case's "
            "payers and beneficiaries):"
        )
        budget = MAX_TEXT - 60 - sum(len(x) + 1 for x in info)
        for i, t in enumerate(evidence):
            line = _evidence_line(t)
            if len(line) + 1 > budget:
                info.append(f"... and {len(evidence) - i} more payment(s) in the case file")
                break
            info.append(line)
            budget -= len(line) + 1
    _el(root, "additionalInfo", _clip("\n".join(info)))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def case_report_bodies(db: Session, case_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(platform name, report JSON) of the case's reports, oldest first."""
    names = platform_names(db)
    return [(names.get(r.platform_id, "?"), report_body(r)) for r in case_reports(db, case_id)]


def render_case(
    db: Session, an: Analytics, case_id: int, reporter_email: str, payments: str = "evidence"
) -> bytes:
    """The case's CyberTipline XML from an open workflow session and analytics (the web app)."""
    from bantay.cases.models import Case

    if db.get(Case, case_id) is None:
        raise UnknownCase(f"no case {case_id}")
    reports = case_report_bodies(db, case_id)
    evidence: list[dict[str, Any]] = []
    if reports:
        try:
            evidence = read_case(db, an, case_id, reporting_currency(an), payments).evidence
        except EmptyCase:
            evidence = []
    return build_report(reports, reporter_email, case_id=case_id, evidence=evidence)


def read_reports(
    workspace: Path, case_id: int, db_url: str | None
) -> list[tuple[str, dict[str, Any]]]:
    from bantay.cases.models import Case

    with open_workflow(Path(workspace), db_url) as wf, wf.session() as db:
        if db.get(Case, case_id) is None:
            raise UnknownCase(f"no case {case_id}")
        return case_report_bodies(db, case_id)


def export_cybertip(
    workspace: Path,
    case_id: int,
    out: Path,
    reporter_email: str,
    username: str = "cli",
    db_url: str | None = None,
    payments: str = "evidence",
) -> int:
    """Write the case's CyberTipline ``<report>`` XML to ``out`` (audited); how many reports it
    carries."""
    reports = read_reports(workspace, case_id, db_url)
    evidence: list[dict[str, Any]] = []
    if reports:
        try:
            data: CaseData = load_case(workspace, case_id, db_url, payments)
            evidence = data.evidence
        except EmptyCase:
            evidence = []  # a report not linked to any payment is still reported on its own
    body = build_report(reports, reporter_email, case_id=case_id, evidence=evidence)
    write_atomic(out, body)
    record_export(workspace, case_id, "cybertip", out, body, username, db_url)
    return len(reports)
