"""Each report read back and checked field by field against the case it was built from.

The case (tests/export/conftest.py): payer E000000000000, whose KYC record says Anna Reyes, born
1971-03-04, passport PA1234567, of 12 Harbour Road, Sydney; P01 fired for it. Its ten payments
and three card purchases: the reports carry the payments behind P01 (the evidence), never the
card purchases, and name the payer once, with its KYC in the right fields.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from bantay.cli import app
from bantay.export import fincen, ftm, goaml, pack
from bantay.export.case import CaseData, load_case
from bantay.export.settings import SettingError, set_reporting, shipped_codes

from .conftest import PAYER


@pytest.fixture(scope="module")
def data(case_ws: Path) -> CaseData:
    return load_case(case_ws, 1)


def _ids(rows: list[dict[str, object]]) -> list[str]:
    return sorted(str(t["transaction_id"]) for t in rows)


def test_the_evidence_is_the_payments_behind_the_indicators(data: CaseData) -> None:
    assert data.fired == ["P01_low_value_sea"]
    assert data.evidence and len(data.evidence) < len(data.transactions)
    # eleven of the payer's twelve remittances are behind P01 (a payer indicator: it counts the
    # payer's side only); T0, 6.50 USD, is under the band's A$10 converted to USD. The
    # beneficiary member, with no indicator of its side, adds the remittances it received.
    assert sorted(t for _, t in data.behind) == sorted(f"T{k}" for k in range(1, 12))
    assert all(v == ["P01_low_value_sea"] for v in data.behind.values())
    assert {(str(t["institution"]), str(t["transaction_id"])) for t in data.evidence} >= set(
        data.behind
    )
    assert all(t["channel"] != "card" for t in data.evidence)
    cards = [t for t in data.left_out if t["channel"] == "card"]
    assert _ids(cards) == ["C0", "C1", "C2"]


def test_one_subject_per_member_with_its_kyc(data: CaseData) -> None:
    s = data.subject("payer", PAYER)
    assert s is not None and s.kyc
    assert (s.given_name, s.family_name) == ("Anna", "Reyes")
    assert str(s.date_of_birth) == "1971-03-04"
    assert s.documents == [("passport", "PA1234567")]
    assert (s.address, s.city, s.residence_country) == ("12 Harbour Road", "Sydney", "AU")
    assert [x.entity_id for x in data.subjects] == [e for _, e in data.members]


def test_goaml_read_back(data: CaseData) -> None:
    ent = goaml.ReportingEntity(rentity_id=101, reporting_user_code="USER1")
    ent.institutions = {"harbour_bank": {"swift": "HRBBAU2S", "name": "Harbour Bank"}}
    xml = goaml.build_goaml(data, ent)
    goaml.validate(xml)
    root = ET.fromstring(xml)
    txs = root.findall("transaction")
    # only the evidence, each once, with its amount; totals agree
    assert sorted(t.findtext("transactionnumber") or "" for t in txs) == _ids(data.evidence)
    by_id = {str(t["transaction_id"]): t for t in data.evidence}
    total = Decimal(0)
    codes = shipped_codes()["transmode"]
    mine = 0
    for t in txs:
        src = by_id[t.findtext("transactionnumber") or ""]
        amount = Decimal(t.findtext("amount_local") or "0")
        assert amount == Decimal(str(src["amount_reporting"])).quantize(Decimal("0.01"))
        total += amount
        assert t.findtext("transmode_code") == codes[str(src["channel"])]
        if data.member_of(src, "payer") is None:
            continue  # paid to the beneficiary member by someone else
        if data.indicators_of(src):
            mine += 1
            assert "evidence for P01_low_value_sea" in (t.findtext("transaction_description") or "")
        # the payer is the member: its KYC, given and family names in their fields
        frm = t.find("t_from")
        assert frm is not None
        person = frm.find("from_account/signatory/t_person")
        if person is None:
            person = frm.find("from_person")
        assert person is not None
        assert person.findtext("first_name") == "Anna"
        assert person.findtext("last_name") == "Reyes"
        assert person.findtext("birthdate") == "1971-03-04T00:00:00"
        assert person.findtext("passport_number") == "PA1234567"
        assert person.findtext("passport_country") == "AU"
        assert person.findtext("addresses/address/address") == "12 Harbour Road"
        assert person.findtext("addresses/address/city") == "Sydney"
        assert person.findtext("email") == "anna.reyes@example.com"
        # the institution's code from the settings, never a placeholder
        assert frm.findtext("from_account/swift") == "HRBBAU2S"
        assert frm.findtext("from_country") == "AU"
        assert t.find("t_to/to_country") is not None
    assert mine == len(data.behind) > 0
    assert total == sum(
        Decimal(str(t["amount_reporting"])).quantize(Decimal("0.01")) for t in data.evidence
    )
    assert "UNKNOWN" not in xml.decode() and "<transmode_code>-<" not in xml.decode()
    reason = root.findtext("reason") or ""
    assert "Anna Reyes, born 1971-03-04" in reason
    assert f"{len(data.evidence)} payments are reported as evidence" in reason
    assert "card spending" in reason  # what was left out is said
    assert "C0" not in {t.findtext("transactionnumber") for t in txs}


def test_goaml_without_an_institution_code_reports_the_person(data: CaseData) -> None:
    ent = goaml.ReportingEntity(rentity_id=101, reporting_user_code="USER1")
    root = ET.fromstring(goaml.build_goaml(data, ent))
    for t in root.findall("transaction"):
        if "evidence for" not in (t.findtext("transaction_description") or ""):
            continue
        assert t.find("t_from/from_account") is None
        assert t.findtext("t_from/from_person/last_name") == "Reyes"
        assert "from account AU-0001 2345 at harbour_bank" in (
            t.findtext("transaction_description") or ""
        )


def test_fincen_read_back(data: CaseData) -> None:
    text = fincen.narrative(data)
    rows = list(csv.DictReader(io.StringIO(fincen.transactions_csv(data))))
    assert _ids(rows) == _ids(data.evidence)  # type: ignore[arg-type]
    assert sum(r["indicators"] == "P01_low_value_sea" for r in rows) == len(data.behind)
    total = sum(float(t["amount_reporting"]) for t in data.evidence)
    assert (
        f"{len(data.evidence)} payments are reported as evidence, totalling {total:,.2f} USD"
        in (text)
    )
    who = text[text.index("WHO:") : text.index("WHAT:")]
    assert who.count("Anna Reyes") == 1  # one payer, not one per spelling
    assert "Screen Tools" not in text  # card spending is not evidence


def test_ftm_and_pack_carry_the_same_evidence(data: CaseData) -> None:
    lines = [json.loads(x) for x in ftm.render(data).decode().splitlines()]
    pays = [d for d in lines if d["schema"] == "Payment"]
    assert _ids([{"transaction_id": p["properties"]["transactionNumber"][0]} for p in pays]) == (
        _ids(data.evidence)
    )
    person = [d for d in lines if d["schema"] == "Person" and PAYER in str(d["properties"])]
    assert len(person) == 1
    assert person[0]["properties"]["firstName"] == ["Anna"]
    html = pack.render(data).decode()
    assert f"{len(data.evidence)} payments, totalling" in html
    assert "Anna Reyes, born 1971-03-04" in html
    assert "Screen Tools" not in html.split('id="transactions"')[1]


def test_all_payments_on_request(case_ws: Path) -> None:
    every = load_case(case_ws, 1, payments="all")
    assert _ids(every.evidence) == _ids(every.transactions)
    with pytest.raises(goaml.ExportError, match="payments must be one of"):
        load_case(case_ws, 1, payments="some")


def test_settings_in_the_workspace(case_ws: Path, tmp_path: Path) -> None:
    with pytest.raises(goaml.ExportError, match=r"bantay config goaml\.rentity_id"):
        goaml.ReportingEntity.from_workspace(tmp_path)
    with pytest.raises(SettingError, match="not a goAML transmode code"):
        set_reporting(tmp_path, "goaml.transmode.card", "XX")
    with pytest.raises(SettingError, match="a BIC has 8 or 11"):
        set_reporting(tmp_path, "institution.harbour_bank.swift", "nope")
    with pytest.raises(SettingError, match="unknown reporting setting"):
        set_reporting(tmp_path, "goaml.nope", "1")
    runner = CliRunner()
    for key, value in (
        ("goaml.rentity_id", "42"),
        ("goaml.reporting_user_code", "ANA01"),
        ("goaml.transmode.online_remittance", "ELCFT"),
        ("institution.harbour_bank.swift", "hrbbau2s"),
    ):
        r = runner.invoke(app, ["config", key, value, "-w", str(tmp_path)])
        assert r.exit_code == 0, r.output
    ent = goaml.ReportingEntity.from_workspace(tmp_path)
    assert ent.rentity_id == 42 and ent.reporting_user_code == "ANA01"
    assert ent.transmode_code("online_remittance") == "ELCFT"
    assert ent.transmode_code("card") == "DBCD"  # shipped default
    assert ent.institution("HARBOUR_BANK") == {"swift": "HRBBAU2S"}
    r = runner.invoke(app, ["config", "institution.harbour_bank.swift", "-w", str(tmp_path)])
    assert "institution.harbour_bank.swift = HRBBAU2S" in r.output
    r = runner.invoke(app, ["config", "institution.harbour_bank.swift", "", "-w", str(tmp_path)])
    assert goaml.ReportingEntity.from_workspace(tmp_path).institutions == {"harbour_bank": {}}
    # the export reads them when no --settings is given
    (tmp_path / "reporting.toml").replace(case_ws / "reporting.toml")
    out = tmp_path / "str.xml"
    r = runner.invoke(app, ["export", "case", "1", "-w", str(case_ws), "--out", str(out)])
    (case_ws / "reporting.toml").unlink()
    assert r.exit_code == 0, (r.output, r.exception)
    assert b"<rentity_id>42</rentity_id>" in out.read_bytes()
