"""goAML STR export: validates against the reference XSD; clear errors; audited."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bantay.cases import audit, services
from bantay.cases.analytics import Analytics
from bantay.cases.db import open_workflow
from bantay.cases.security import use_cheap_hashing
from bantay.cases.synthetic import build
from bantay.cli import app
from bantay.export import goaml
from bantay.workspace import SQLITE_FILE, open_workspace

use_cheap_hashing()

#: a resolved entity without payments (as in conftest.py)
NO_PAYMENTS = (
    "INSERT INTO entities SELECT 'E-none', 1, 'Nobody Known', 'customer', 'harbour_bank', "
    "'harbour_bank:R-none', 'synthetic.csv:1', 'R-synthetic'"
)

#: The reference XSD shipped inside the package (src/bantay/export/schemas/README.md).
XSD = goaml.DEFAULT_XSD
ENTITY = goaml.ReportingEntity(rentity_id=101, reporting_user_code="USER1")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build(tmp_path_factory.mktemp("exp") / "ws", n_alerts=10, big_entity_tx=10)
    with open_workspace(path) as w:
        w.con.execute(NO_PAYMENTS)
    an = Analytics(path)
    with open_workflow(path) as wf, wf.session() as db:
        ana = services.add_user(
            db, services.Actor.operator(), "ana", "correct horse battery", "analyst"
        )
        services.create_case(db, ana, "small", [("payer", "E000000000000", None)], entities=an)
        services.create_case(db, ana, "no members", entities=an)
        services.create_case(db, ana, "no payments", [("payer", "E-none", None)], entities=an)
    an.close()
    return path


def test_small_case_validates_and_is_audited(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "str.xml"
    n = goaml.export_goaml(ws, 1, out, ENTITY, xsd=XSD, username="tester")
    data = goaml.load_case(ws, 1)
    # the payments behind P01 (low-value remittances to South-East Asia), not all ten
    assert n == len(data.evidence) == 9 < len(data.transactions) == 10
    body = out.read_bytes()
    goaml.validate(body, XSD)
    assert body.count(b"<transaction>") == 9
    assert b"<report_indicators>" in body
    con = sqlite3.connect(ws / SQLITE_FILE)
    row = con.execute(
        "SELECT action, username, object_id, detail FROM web_audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert row[:3] == ("case_exported", "tester", "1")
    assert json.loads(row[3])["format"] == "goaml"
    with open_workflow(ws) as wf, wf.session() as db:
        assert audit.verify(db).ok


def test_unknown_case(ws: Path, tmp_path: Path) -> None:
    with pytest.raises(goaml.ExportError, match="no case 999"):
        goaml.export_goaml(ws, 999, tmp_path / "x.xml", ENTITY, xsd=XSD)


def test_empty_cases(ws: Path, tmp_path: Path) -> None:
    with pytest.raises(goaml.ExportError, match="has no members"):
        goaml.export_goaml(ws, 2, tmp_path / "x.xml", ENTITY, xsd=XSD)
    with pytest.raises(goaml.ExportError, match="is empty"):
        goaml.export_goaml(ws, 3, tmp_path / "x.xml", ENTITY, xsd=XSD)
    assert not (tmp_path / "x.xml").exists()


def test_party_missing_required_fields(ws: Path) -> None:
    data = goaml.load_case(ws, 1)
    # a payer that is no member (no KYC) with a one-word name: no first and last name
    data.subjects[0].side = "none"
    data.evidence[0]["payer_name"] = "Madonna"
    data.evidence[1]["beneficiary_country"] = None
    with pytest.raises(goaml.ExportError) as exc:
        goaml.build_goaml(data, ENTITY)
    msg = str(exc.value)
    assert "2 part(ies)" in msg
    assert f"{data.evidence[0]['transaction_id']}: payer lacks" in msg
    assert "first_name and last_name" in msg
    assert "beneficiary lacks required goAML field(s): country" in msg


def test_a_default_country_is_declared_in_the_report(ws: Path) -> None:
    data = goaml.load_case(ws, 1)
    data.evidence[1]["beneficiary_country"] = None
    ent = goaml.ReportingEntity(rentity_id=101, reporting_user_code="USER1", default_country="au")
    xml = goaml.build_goaml(data, ent).decode()
    assert "beneficiary country not recorded at source, reported as AU" in xml
    assert xml.count("not recorded at source") == 1


def test_invalid_report_lists_paths_and_writes_nothing(ws: Path, tmp_path: Path) -> None:
    bad = goaml.ReportingEntity(rentity_id=101, reporting_user_code="U1")  # too short
    out = tmp_path / "bad.xml"
    with pytest.raises(goaml.ExportError, match="/report/reporting_user_code"):
        goaml.export_goaml(ws, 1, out, bad, xsd=XSD)
    assert not out.exists()


def test_missing_xsd(ws: Path, tmp_path: Path) -> None:
    with pytest.raises(goaml.ExportError, match="schema not found"):
        goaml.validate(b"<report/>", tmp_path / "nope.xsd")


def test_cli(ws: Path, tmp_path: Path) -> None:
    settings = tmp_path / "fiu.toml"
    settings.write_text('[reporting_entity]\nrentity_id = 7\nreporting_user_code = "ANA01"\n')
    out = tmp_path / "cli.xml"
    args = ["export", "case", "1", "-w", str(ws), "--format", "goaml", "--out", str(out)]
    r = CliRunner().invoke(app, [*args, "--settings", str(settings), "--xsd", str(XSD)])
    assert r.exit_code == 0, r.output
    assert b"<rentity_id>7</rentity_id>" in out.read_bytes()
    r = CliRunner().invoke(
        app, ["export", "case", "999", "-w", str(ws), "--out", str(out), "--rentity-id", "7"]
    )
    assert r.exit_code != 0
    assert "no case 999" in str(r.exception)


def test_fincen(ws: Path, tmp_path: Path) -> None:
    from bantay.export import fincen

    text_path, csv_path = fincen.export_fincen(ws, 1, tmp_path / "sar.txt")
    text = text_path.read_text()
    assert fincen.KEY_TERM in text
    assert len(text) <= fincen.LIMIT
    for part in ("WHO:", "WHAT:", "WHEN:", "WHERE:", "WHY:", "HOW:"):
        assert part in text
    why = text[text.index("WHY:") : text.index("HOW:")]
    # the indicator in words (title, value, threshold), the payments behind it, its sources
    assert "Low-value payments to South-East Asia: 12 payments, where it fires from 5" in why
    assert "9 payments behind it; sources austrac-2019" in why
    assert "No analyst decision is recorded yet" in why  # never claims a review that did not happen
    assert len(csv_path.read_text().splitlines()) == 10  # the nine payments behind P01


def test_report_indicators_come_from_the_fired_indicators(ws: Path) -> None:
    data = goaml.load_case(ws, 1)
    assert data.fired == ["P01_low_value_sea"]
    xml = goaml.build_goaml(data, ENTITY).decode()
    assert "<indicator>FOWNB</indicator>" in xml
    assert "Low-value payments to South-East Asia: 12 payments" in xml


def test_fiu_overrides_the_indicator_map(ws: Path, tmp_path: Path) -> None:
    settings = tmp_path / "fiu.toml"
    settings.write_text(
        '[reporting_entity]\nrentity_id = 7\nreporting_user_code = "ANA01"\n'
        'indicators = ["CSAM1"]\n[goaml_indicators]\nP01_low_value_sea = ["HRCTR"]\n'
    )
    ent = goaml.ReportingEntity.from_toml(settings)
    xml = goaml.build_goaml(goaml.load_case(ws, 1), ent).decode()
    assert "<indicator>HRCTR</indicator>\n    <indicator>CSAM1</indicator>" in xml
    assert "FOWNB" not in xml
    settings.write_text('rentity_id = 7\n[goaml_indicators]\nP99_made_up = ["HRCTR"]\n')
    with pytest.raises(goaml.ExportError, match="'P99_made_up', which is no Bantay indicator"):
        goaml.ReportingEntity.from_toml(settings)


def test_no_mapped_indicator_is_a_clear_error(ws: Path) -> None:
    ent = goaml.ReportingEntity(rentity_id=1, reporting_user_code="USER1")
    ent.indicator_map["P01_low_value_sea"] = []
    with pytest.raises(goaml.ExportError, match=r"no goAML report indicator .*P01_low_value_sea"):
        goaml.build_goaml(goaml.load_case(ws, 1), ent)


def test_shipped_map_covers_the_catalogue_with_reference_codes() -> None:
    import re

    from bantay.detect.catalogue import default_catalogue

    xsd = XSD.read_text()
    enum = xsd[xsd.index('name="report_indicator_type"') :]
    codes = set(
        re.findall(r'<xs:enumeration value="([^"]+)"', enum[: enum.index("</xs:simpleType>")])
    )
    shipped = goaml.default_indicator_map()
    assert set(shipped) == {i.id for i in default_catalogue().indicators}
    for ind, mapped in shipped.items():
        assert set(mapped) <= codes, ind
