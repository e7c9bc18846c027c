"""goAML STR XML from a case, validated against the FIU's XSD before anything is written.

The reporting entity and the codes come from the workspace's reporting settings (``bantay config
goaml.rentity_id 7``; :mod:`bantay.export.settings`), or a TOML file, or arguments. The report
carries the case's evidence (:attr:`CaseData.evidence`: the payments behind the indicators, not
the members' card spending), each member once as a subject with its KYC (given and family names,
birth date, residence, address, phone, e-mail, identity document where the records hold them),
real transmode codes per channel and institution codes (BIC or the FIU's code) per institution,
and a narrative ``<reason>`` (:mod:`bantay.export.narrative`). goAML names allow only
``[a-zA-Z0-9 .'-]``, so names are transliterated to ASCII. Nothing is invented: a value the data
lacks is left out, or written ``-`` where the schema requires an element and goAML's lookups use
``-`` for "not known" (an address's state, a phone's kind).
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
    Subject,
    load_case,
    record_export,
    split_name,
    write_atomic,
)
from bantay.export.narrative import reason

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
    #: ISO country used where the source data lacks a counterparty's country, declared in each
    #: transaction's description; None (the default): such a payment is described in the
    #: reason instead of itemised (card purchases at merchants without a country)
    default_country: str | None = None
    #: channel -> goAML transmode_code (goaml_codes.toml, overridden by the settings)
    transmode: dict[str, str] = field(default_factory=dict)
    #: institution (source id or recorded name) -> {swift | code, name}
    institutions: dict[str, dict[str, str]] = field(default_factory=dict)

    def transmode_code(self, channel: str) -> str | None:
        from bantay.export.settings import shipped_codes

        return self.transmode.get(channel) or shipped_codes()["transmode"].get(channel)

    def funds_code(self, channel: str, side: str) -> str:
        from bantay.export.settings import shipped_codes

        table = shipped_codes()["funds_from" if side == "payer" else "funds_to"]
        return table.get(channel, "ELCFT")

    def institution(self, name: str | None) -> dict[str, str]:
        """The settings of an institution (matched by id or recorded name, case-insensitively)."""
        if not name:
            return {}
        want = str(name).casefold()
        for k, v in self.institutions.items():
            if k.casefold() == want:
                return v
        return {}

    @classmethod
    def from_workspace(cls, workspace: Path) -> ReportingEntity:
        """The workspace's reporting settings (``bantay config goaml.*``, ``institution.*``)."""
        from bantay.export.settings import SettingError, read_reporting

        try:
            data = read_reporting(workspace)
        except SettingError as exc:
            raise ExportError(str(exc)) from exc
        if "rentity_id" not in data.get("reporting_entity", {}):
            raise ExportError(
                f"no goAML reporting entity in {workspace}: set it with "
                "`bantay config goaml.rentity_id ID` and `bantay config goaml.reporting_user_code "
                "CODE` (the FIU's registration), or give --settings FILE.toml (the web app: "
                "BANTAY_WEB_GOAML_SETTINGS=FILE.toml)"
            )
        return cls._from_tables(data, str(workspace))

    @classmethod
    def _from_tables(cls, data: dict[str, Any], where: str) -> ReportingEntity:
        data = dict(data)
        overrides = _check_map(data.pop("goaml_indicators", {}), where)
        transmode = dict(data.pop("transmode", {}))
        institutions = {str(k): dict(v) for k, v in data.pop("institutions", {}).items()}
        section = data.get("reporting_entity", data)
        try:
            ent = cls(**section)
        except TypeError as exc:
            raise ExportError(f"{where}: reporting_entity table: {exc}") from exc
        ent.indicator_map.update(overrides)
        ent.transmode.update(transmode)
        ent.institutions.update(institutions)
        return ent

    @classmethod
    def from_toml(cls, path: Path) -> ReportingEntity:
        """Read ``[reporting_entity]`` (or the top level) and ``[goaml_indicators]`` of a TOML file.

        ``[goaml_indicators]`` replaces the shipped codes of the indicators it names.
        """
        try:
            data: dict[str, Any] = tomllib.loads(Path(path).read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ExportError(f"cannot read reporting entity settings {path}: {exc}") from exc
        return cls._from_tables(data, str(path))


def _ascii(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_NAME_OK.sub(" ", norm).split())


def _names(name: str | None) -> tuple[str, str] | None:
    got = split_name(name)
    if got is None:
        return None
    given, family = _ascii(got[0])[:100], _ascii(got[1])[:100]
    return (given, family) if given and family else None


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


_GENDER = {"male": "M", "m": "M", "female": "F", "f": "F"}


def _country(v: Any) -> str | None:
    text = str(v or "").strip().upper()
    return text if len(text) == 2 and text.isalpha() else None


def _person(parent: ET.Element, tag: str, s: Subject | None, name: str | None) -> bool:
    """``t_person`` from a subject's KYC (or, for a counterparty, its recorded name alone).
    False when no given and family name can be told apart."""
    names = (
        (_ascii(s.given_name)[:100], _ascii(s.family_name)[:100])
        if s is not None and s.given_name and s.family_name
        else _names(s.name if s is not None else name)
    )
    if not names or not all(names):
        return False
    p = _sub(parent, tag)
    if s is not None and _GENDER.get(str(s.sex or "").lower()):
        _sub(p, "gender", _GENDER[str(s.sex).lower()])
    _sub(p, "first_name", names[0])
    _sub(p, "last_name", names[1])
    if s is None:
        return True
    if s.date_of_birth:
        _sub(p, "birthdate", _date(s.date_of_birth))
    aliases = [_ascii(a) for a in s.aliases if _ascii(a)]
    if aliases:
        _sub(p, "alias", "; ".join(aliases)[:255])
    passport = next((n for k, n in s.documents if k.lower() == "passport"), None)
    if passport and _country(s.nationality):
        _sub(p, "passport_number", passport[:255])
        _sub(p, "passport_country", _country(s.nationality))
    other = [f"{k} {n}".strip() for k, n in s.documents if not (passport and n == passport)]
    if passport and not _country(s.nationality):
        other.insert(0, f"passport {passport}")
    if other:
        _sub(p, "id_number", "; ".join(other)[:255])
    if _country(s.nationality):
        _sub(p, "nationality1", _country(s.nationality))
    if _country(s.residence_country):
        _sub(p, "residence", _country(s.residence_country))
    phones = [re.sub(r"[^0-9]", "", ph) for ph in s.phones]
    phones = list(dict.fromkeys(ph for ph in phones if ph))
    if phones:
        ph_el = _sub(p, "phones")
        for ph in phones[:5]:
            one = _sub(ph_el, "phone")
            _sub(one, "tph_contact_type", "PRIVT")
            _sub(one, "tph_communication_type", "-")  # landline or mobile: not recorded
            _sub(one, "tph_number", ph[:50])
    if s.address and s.city and _country(s.residence_country):
        addrs = _sub(p, "addresses")
        a = _sub(addrs, "address")
        _sub(a, "address_type", "PRIVT")
        _sub(a, "address", str(s.address)[:100])
        _sub(a, "city", str(s.city)[:255])
        _sub(a, "country_code", _country(s.residence_country))
        _sub(a, "state", "-")  # required by the schema, not recorded in KYC
    for e in s.emails[:5]:
        _sub(p, "email", e[:255])
    refs = ", ".join(f"{i} {r}" for i, r in s.customer_refs)
    comment = f"Bantay {s.side} entity {s.entity_id}" + (f"; customer refs {refs}" if refs else "")
    _sub(p, "comments", comment[:4000])
    return True


def _party(
    tr: ET.Element,
    r: dict[str, Any],
    side: str,
    data: CaseData,
    ent: ReportingEntity,
    problems: list[str],
) -> None:
    """``t_from`` (payer) or ``t_to`` (beneficiary): the account and its holder, the person, or
    the merchant; a member of the case with its KYC."""
    pre = "from" if side == "payer" else "to"
    ref = f"transaction {r['institution']}/{r['transaction_id']}"
    merchant = r.get("merchant_name") if side == "beneficiary" else None
    subject = data.member_of(r, side)
    name = r[f"{side}_name"]
    country = _country(r[f"{side}_country"]) or (
        subject.residence_country if subject and side == "payer" else None
    )
    country = _country(country) or _country(ent.default_country)
    account = r[f"{side}_account"]
    inst = r["institution"] if side == "payer" else r.get("beneficiary_institution")
    code = ent.institution(inst)
    has_name = subject is not None or _names(name) is not None
    missing = []
    if not has_name and not merchant and not (account and (code.get("swift") or code.get("code"))):
        missing.append("name (first_name and last_name)")
    if not country:
        missing.append("country")
    if missing:
        problems.append(f"{ref}: {side} lacks required goAML field(s): {', '.join(missing)}")
        return
    t = _sub(tr, "t_from" if side == "payer" else "t_to")
    _sub(t, f"{pre}_funds_code", ent.funds_code(str(r["channel"]), side))
    cur = str(r.get("currency") or "")
    if cur and cur != data.currency and r.get("amount") is not None:
        fc = _sub(t, f"{pre}_foreign_currency")
        _sub(fc, "foreign_currency_code", cur)
        _sub(fc, "foreign_amount", f"{float(r['amount']):.2f}")
        if r.get("amount_reporting") and float(r["amount"]):
            rate = float(r["amount_reporting"]) / float(r["amount"])
            _sub(fc, "foreign_exchange_rate", f"{rate:.6f}")
    if account and (code.get("swift") or code.get("code")):
        acc = _sub(t, f"{pre}_account")
        label = code.get("name") or (str(inst) if inst else "")
        if label:
            _sub(acc, "institution_name", _ascii(label)[:255] or "-")
        if code.get("swift"):
            _sub(acc, "swift", code["swift"][:11])
        else:
            _sub(acc, "institution_code", code["code"][:50])
        _sub(acc, "account", str(account)[:50])
        holder = subject.display if subject else (name or merchant or str(account))
        _sub(acc, "account_name", (_ascii(str(holder)) or str(account))[:255])
        sig = _sub(acc, "signatory")
        if not _person(sig, "t_person", subject, name):
            tr_el = list(acc)
            acc.remove(tr_el[-1])
    elif merchant and subject is None:
        e = _sub(t, f"{pre}_entity")
        _sub(e, "name", _ascii(str(merchant))[:255] or "-")
        if account:
            _sub(e, "comments", f"account {account}" + (f" at {inst}" if inst else ""))
    else:
        if not _person(t, f"{pre}_person", subject, name):
            e = _sub(t, f"{pre}_entity")
            _sub(e, "name", (_ascii(str(name or account or "")) or "-")[:255])
    _sub(t, f"{pre}_country", country)


def _description(r: dict[str, Any], data: CaseData, ent: ReportingEntity) -> str:
    from bantay.export.narrative import channel_words, money

    amount = money(r.get("amount"), r.get("currency"))
    desc = f"{channel_words(str(r['channel']))} of {amount}"
    if r.get("merchant_name"):
        desc += f" at {r['merchant_name']}"
    acct = r.get("payer_account")
    if acct and not (
        ent.institution(r["institution"]).get("swift")
        or ent.institution(r["institution"]).get("code")
    ):
        desc += f"; from account {acct} at {r['institution']}"
    bacct = r.get("beneficiary_account")
    binst = r.get("beneficiary_institution")
    if bacct and not (ent.institution(binst).get("swift") or ent.institution(binst).get("code")):
        desc += f"; to account {bacct}" + (f" at {binst}" if binst else "")
    if r.get("beneficiary_phone"):
        desc += f"; beneficiary phone {r['beneficiary_phone']}"
    if r.get("memo"):
        desc += f"; memo: {r['memo']}"
    inds = data.indicators_of(r)
    if inds:
        desc += "; evidence for " + ", ".join(inds)
    for side in ("payer", "beneficiary"):
        if (
            not r[f"{side}_country"]
            and ent.default_country
            and not (side == "payer" and data.member_of(r, side))
        ):
            desc += (
                f"; {side} country not recorded at source, reported as "
                f"{ent.default_country.upper()} (reporting entity default)"
            )
    return desc


def itemised(
    data: CaseData, ent: ReportingEntity
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the evidence itemised as transactions, the evidence described in the reason instead):
    card purchases at a merchant whose country is not recorded cannot be itemised without
    inventing one."""
    items, described = [], []
    for r in data.evidence:
        if (
            r.get("merchant_name")
            and not _country(r.get("beneficiary_country"))
            and not ent.default_country
        ):
            described.append(r)
        else:
            items.append(r)
    return items, described


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
    items, described = itemised(data, ent)
    _sub(rep, "reason", reason(data, described)[:4000])
    problems: list[str] = []
    for r in items:
        code = ent.transmode_code(str(r["channel"]))
        if not code:
            problems.append(
                f"transaction {r['institution']}/{r['transaction_id']}: no transmode code for "
                f"channel {r['channel']!r}: set one with `bantay config "
                f"goaml.transmode.{r['channel']} CODE`"
            )
            continue
        tr = _sub(rep, "transaction")
        _sub(tr, "transactionnumber", str(r["transaction_id"])[:50])
        label = ent.institution(r["institution"]).get("name") or str(r["institution"])
        _sub(tr, "transaction_location", _ascii(label)[:255] or "-")
        _sub(tr, "transaction_description", _description(r, data, ent)[:4000])
        _sub(tr, "date_transaction", _date(r["ts_utc"]))
        _sub(tr, "transmode_code", code)
        # one character in 5.0.2: E(lectronic) or C(ash)
        _sub(tr, "transmode_comment", "C" if r["channel"] == "cash_pickup" else "E")
        amount = r["amount_reporting"] if r["amount_reporting"] is not None else r["amount"]
        _sub(tr, "amount_local", f"{float(amount):.2f}")
        _party(tr, r, "payer", data, ent, problems)
        _party(tr, r, "beneficiary", data, ent, problems)
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
    payments: str = "evidence",
) -> int:
    """Build, validate, write and audit; returns the number of transactions reported."""
    data = load_case(workspace, case_id, db_url, payments)
    body = build_goaml(data, entity)
    validate(body, xsd)
    write_atomic(out, body)
    record_export(workspace, case_id, "goaml", out, body, username, db_url)
    return body.count(b"<transaction>")
