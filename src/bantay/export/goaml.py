"""goAML STR XML from a case, validated against the FIU's XSD before anything is written.

The reporting entity comes from a TOML file (or arguments); the case's payments are the
transactions of its member entities on their side (payers: what they paid; beneficiaries: what
they received). goAML names allow only ``[a-zA-Z0-9 .'-]``, so names are transliterated to ASCII.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from bantay.export.case import (
    CaseData,
    ExportError,
    load_case,
    record_export,
    write_atomic,
)

__all__ = [
    "DEFAULT_XSD",
    "CaseData",
    "ExportError",
    "ReportingEntity",
    "build_goaml",
    "default_indicator_map",
    "export_goaml",
    "load_case",
    "record_export",
    "report_indicators",
    "validate",
]

#: The reference schema (UNODC goAML 5.0.2), shipped with the package: see schemas/README.md.
DEFAULT_XSD = Path(__file__).resolve().parent / "schemas" / "goAMLSchema-5.0.2.xsd"

_TRANSMODE = {"bank_transfer": "ELCFT", "card": "DBCD", "mobile_money": "MB", "wallet": "MB"}
_FUNDS = {"card": "POS", "cash": "CASH"}
_NAME_OK = re.compile(r"[^a-zA-Z0-9 .'\-]")


@cache
def _shipped_map() -> dict[str, tuple[str, ...]]:
    text = (resources.files("bantay.export") / "goaml_indicators.toml").read_text()
    table = tomllib.loads(text)["goaml_indicators"]
    return {k: tuple(v) for k, v in table.items()}


def default_indicator_map() -> dict[str, list[str]]:
    """Bantay indicator id -> goAML report indicator codes, as shipped (goaml_indicators.toml)."""
    return {k: list(v) for k, v in _shipped_map().items()}


def _check_map(table: Any, where: str) -> dict[str, list[str]]:
    from bantay.detect.catalogue import default_catalogue

    if not isinstance(table, dict):
        raise ExportError(
            f"{where}: goaml_indicators must be a table of indicator id = list of codes"
        )
    known = {i.id for i in default_catalogue().indicators}
    out: dict[str, list[str]] = {}
    for k, v in table.items():
        if k not in known:
            raise ExportError(
                f"{where}: goaml_indicators names {k!r}, which is no Bantay indicator "
                f"(known: {', '.join(sorted(known))})"
            )
        if not isinstance(v, list) or not all(isinstance(c, str) and c for c in v):
            raise ExportError(f"{where}: goaml_indicators.{k} must be a list of codes")
        out[k] = list(v)
    return out


@dataclass
class ReportingEntity:
    """Who files the report: from the FIU registration of the reporting institution."""

    rentity_id: int
    #: either the FIU's code for the reporting user, or the reporting person's name
    reporting_user_code: str | None = None
    person_first_name: str | None = None
    person_last_name: str | None = None
    rentity_branch: str | None = None
    #: report indicator codes every report carries, besides those of the fired indicators
    indicators: list[str] = field(default_factory=list)
    #: Bantay indicator id -> the FIU's report indicator codes (goaml_indicators.toml, overridable)
    indicator_map: dict[str, list[str]] = field(default_factory=default_indicator_map)
    submission_code: str = "E"
    report_code: str = "STR"
    institution_code: str = "UNKNOWN"
    #: ISO country used where the source data lacks a counterparty's country (domestic card
    #: payments to merchants); None: such a party is an error.
    default_country: str | None = None

    @classmethod
    def from_toml(cls, path: Path) -> ReportingEntity:
        """Read ``[reporting_entity]`` (or the top level) and ``[goaml_indicators]`` of a TOML file.

        ``[goaml_indicators]`` replaces the shipped codes of the indicators it names.
        """
        try:
            data: dict[str, Any] = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ExportError(f"cannot read reporting entity settings {path}: {exc}") from exc
        overrides = _check_map(data.pop("goaml_indicators", {}), str(path))
        section = data.get("reporting_entity", data)
        try:
            ent = cls(**section)
        except TypeError as exc:
            raise ExportError(f"{path}: reporting_entity table: {exc}") from exc
        ent.indicator_map.update(overrides)
        return ent


def _ascii(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_NAME_OK.sub(" ", norm).split())


def _split_name(name: str | None) -> tuple[str, str] | None:
    parts = _ascii(name or "").split()
    if len(parts) < 2:
        return None
    return " ".join(parts[:-1])[:100], parts[-1][:100]


def _date(v: Any) -> str:
    if isinstance(v, dt.datetime):
        return v.replace(microsecond=0, tzinfo=None).isoformat()
    if isinstance(v, dt.date):
        return f"{v.isoformat()}T00:00:00"
    return str(v)


def _sub(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = str(text)
    return el


def _party(
    tr: ET.Element, r: dict[str, Any], side: str, ent: ReportingEntity, problems: list[str]
) -> None:
    """``t_from`` (payer) or ``t_to`` (beneficiary) with the account and its holder."""
    pre = "from" if side == "payer" else "to"
    ref = f"transaction {r['institution']}/{r['transaction_id']}"
    merchant = r.get("merchant_name") if side == "beneficiary" else None
    name = r[f"{side}_name"]
    country = r[f"{side}_country"] or ent.default_country
    names = _split_name(name)
    account = r[f"{side}_account"]
    missing = []
    if names is None and not merchant and not (side == "beneficiary" and account):
        missing.append("name (first_name and last_name)")
    if not country:
        missing.append("country (or default_country in the reporting entity settings)")
    if missing:
        problems.append(f"{ref}: {side} lacks required goAML field(s): {', '.join(missing)}")
        return
    t = _sub(tr, "t_from" if side == "payer" else "t_to")
    _sub(t, f"{pre}_funds_code", _FUNDS.get(str(r["channel"]), "ELCFT"))
    if account:
        acc = _sub(t, f"{pre}_account")
        inst = r["institution"] if side == "payer" else r.get("beneficiary_institution")
        if inst:
            _sub(acc, "institution_name", _ascii(str(inst))[:255] or "unknown")
        _sub(acc, "institution_code", ent.institution_code)
        _sub(acc, "account", str(account)[:50])
        _sub(acc, "account_name", " ".join(names) if names else _ascii(str(name or account)))
        if names is not None:
            sig = _sub(_sub(acc, "signatory"), "t_person")
            _sub(sig, "first_name", names[0])
            _sub(sig, "last_name", names[1])
    elif names is None:
        e = _sub(t, f"{pre}_entity")
        _sub(e, "name", _ascii(str(merchant))[:255] or "unknown")
    else:
        p = _sub(t, f"{pre}_person")
        _sub(p, "first_name", names[0])
        _sub(p, "last_name", names[1])
    _sub(t, f"{pre}_country", str(country).upper())


def report_indicators(data: CaseData, ent: ReportingEntity) -> list[str]:
    """The codes of the indicators that fired for the case's members, then the entity's own."""
    codes: list[str] = []
    for ind in data.fired:
        codes += ent.indicator_map.get(ind, [])
    codes += ent.indicators
    codes = list(dict.fromkeys(codes))
    if not codes:
        fired = ", ".join(data.fired) or "none"
        raise ExportError(
            f"case {data.case_id}: no goAML report indicator (Bantay indicators fired: {fired}; "
            "none maps to a code): map them in the goaml_indicators table of the settings file, "
            "or give the codes with indicators = in the reporting_entity table (--indicator CODE)"
        )
    return codes


def build_goaml(
    data: CaseData, ent: ReportingEntity, submitted: dt.datetime | None = None
) -> bytes:
    """The STR as bytes; raises :class:`ExportError` listing every party missing a field."""
    now = (submitted or dt.datetime.now(dt.UTC)).replace(microsecond=0, tzinfo=None)
    rep = ET.Element("report")
    _sub(rep, "schema_version", "5.0.2")
    _sub(rep, "rentity_id", ent.rentity_id)
    if ent.rentity_branch:
        _sub(rep, "rentity_branch", ent.rentity_branch)
    _sub(rep, "submission_code", ent.submission_code)
    _sub(rep, "report_code", ent.report_code)
    _sub(rep, "entity_reference", f"BANTAY-CASE-{data.case_id}")
    _sub(rep, "submission_date", now.isoformat())
    _sub(rep, "currency_code_local", data.currency)
    if ent.reporting_user_code:
        _sub(rep, "reporting_user_code", ent.reporting_user_code)
    elif ent.person_first_name and ent.person_last_name:
        rp = _sub(rep, "reporting_person")
        _sub(rp, "first_name", _ascii(ent.person_first_name))
        _sub(rp, "last_name", _ascii(ent.person_last_name))
    else:
        raise ExportError(
            "the reporting entity needs reporting_user_code or "
            "person_first_name and person_last_name"
        )
    members = "; ".join(f"{s} {e}" for s, e in data.members)
    fired = ", ".join(data.fired) or "none recorded"
    _sub(
        rep,
        "reason",
        f"Case {data.case_id} ({data.title}); members: {members}; Bantay indicators: {fired}"[
            :4000
        ],
    )
    problems: list[str] = []
    for r in data.transactions:
        tr = _sub(rep, "transaction")
        _sub(tr, "transactionnumber", str(r["transaction_id"])[:50])
        _sub(tr, "transaction_location", _ascii(str(r["institution"]))[:255])
        desc = f"{r['channel']} payment"
        if r.get("memo"):
            desc += f"; memo: {r['memo']}"
        # a filled-in country is said in the report, never passed off as recorded
        for side in ("payer", "beneficiary"):
            if not r[f"{side}_country"] and ent.default_country:
                desc += (
                    f"; {side} country not recorded at source, reported as "
                    f"{ent.default_country.upper()} (reporting entity default)"
                )
        _sub(tr, "transaction_description", desc[:4000])
        _sub(tr, "date_transaction", _date(r["ts_utc"]))
        _sub(tr, "transmode_code", _TRANSMODE.get(str(r["channel"]), "-"))
        # one character in 5.0.2: E(lectronic) or C(ash)
        _sub(tr, "transmode_comment", "C" if r["channel"] == "cash_pickup" else "E")
        amount = r["amount_reporting"] if r["amount_reporting"] is not None else r["amount"]
        _sub(tr, "amount_local", f"{float(amount):.2f}")
        _party(tr, r, "payer", ent, problems)
        _party(tr, r, "beneficiary", ent, problems)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise ExportError(
            f"case {data.case_id}: {len(problems)} part(ies) lack required goAML fields:\n"
            f"  {shown}{more}"
        )
    ind = _sub(rep, "report_indicators")
    for code in report_indicators(data, ent):
        _sub(ind, "indicator", code)
    ET.indent(rep)
    body: bytes = ET.tostring(rep, encoding="utf-8", xml_declaration=True)
    return body


def validate(xml: bytes, xsd: Path | None = None) -> None:
    """Raise :class:`ExportError` listing each validation error with its element path."""
    import xmlschema

    path = Path(xsd) if xsd else DEFAULT_XSD
    if not path.exists():
        raise ExportError(f"goAML schema not found: {path} (pass --xsd with your FIU's XSD)")
    schema = xmlschema.XMLSchema11(str(path))
    errors = list(schema.iter_errors(xml.decode()))
    if errors:
        lines = [f"{e.path}: {e.reason}" for e in errors[:50]]
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        raise ExportError(
            f"the goAML report does not validate against {path} ({len(errors)} error(s)):\n  "
            + "\n  ".join(lines)
            + more
        )


def export_goaml(
    workspace: Path,
    case_id: int,
    out: Path,
    entity: ReportingEntity,
    xsd: Path | None = None,
    username: str = "cli",
    db_url: str | None = None,
) -> int:
    """Build, validate, write and audit; returns the number of transactions reported."""
    data = load_case(workspace, case_id, db_url)
    body = build_goaml(data, entity)
    validate(body, xsd)
    write_atomic(out, body)
    record_export(workspace, case_id, "goaml", out, body, username, db_url)
    return len(data.transactions)
