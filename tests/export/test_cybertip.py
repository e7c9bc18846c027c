"""The CyberTipline export read back: every element where the ISP web service's XSD sequence puts
it (NCMEC answers 4100 otherwise), the reports' facts in the right fields, the payment evidence in
additionalInfo, no media anywhere.

The expected orders below are written out here from the ISP web service documentation as ROOST
Coop and the Cybertipline-Tools typings give it, independently of ``bantay.export.cybertip.ORDER``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from typer.testing import CliRunner

from bantay.cases import services
from bantay.cases.db import open_workflow
from bantay.cli import app
from bantay.export.case import ExportError
from bantay.export.cybertip import build_report
from bantay.reports.cases import add_reports
from bantay.reports.model import parse_report
from bantay.reports.store import add_platform, receive

SEQUENCES = {
    "report": [
        "incidentSummary",
        "internetDetails",
        "lawEnforcement",
        "reporter",
        "personOrUserReported",
        "intendedRecipient",
        "victim",
        "additionalInfo",
    ],
    "incidentSummary": [
        "incidentType",
        "platform",
        "escalateToHighPriority",
        "reportAnnotations",
        "incidentDateTime",
        "incidentDateTimeDescription",
    ],
    "chatImIncident": ["chatClient", "chatRoomName", "content", "additionalInfo"],
    "reporter": [
        "reportingPerson",
        "contactPerson",
        "companyTemplate",
        "termsOfService",
        "legalURL",
    ],
    "personOrUserReported": [
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
    ],
    "ipCaptureEvent": ["ipAddress", "eventName", "dateTime", "possibleProxy", "port"],
}

REPORT: dict[str, Any] = {
    "platform_report_id": "R-2",
    "category": "livestreamed_abuse",
    "reporter_type": "moderator",
    "incident_at": "2026-01-05T13:02:11+00:00",
    "ongoing": True,
    "reported_account": {
        "platform_user_id": "u123",
        "screen_name": "viewer9",
        "profile_url": "https://call.example/u/u123",
        "country": "AU",
        "ip_events": [
            {"ip": "192.0.2.1", "type": "login", "at": "2026-01-05T12:40:00Z"},
            {"ip": "192.0.2.7", "type": "purchase", "at": "2026-01-05T12:58:00Z"},
        ],
    },
    "session": {"session_id": "session-8f3a", "client": "ExampleCall", "participants": ["u123"]},
    "payments": [{"card_token": "tok_4242", "amount": "40.00", "currency": "AUD"}],
    "hashes": [{"type": "md5", "value": "0" * 32}],
    "text": "moderator escalated the call",
}
EARLIER = {
    **REPORT,
    "platform_report_id": "R-1",
    "ongoing": False,
    "incident_at": "2026-01-04T09:00:00+00:00",
    "session": {"session_id": "session-11", "client": "ExampleCall"},
    "text": "user report from the call",
}


def assert_in_sequence(el: etree._Element) -> None:
    """Every element's children appear in its XSD sequence's order, recursively."""
    seq = SEQUENCES.get(str(el.tag))
    if seq is not None:
        tags = [str(c.tag) for c in el]
        assert all(t in seq for t in tags), (el.tag, tags)
        positions = [seq.index(t) for t in tags]
        assert positions == sorted(positions), (el.tag, tags)
    for c in el:
        assert_in_sequence(c)


@pytest.fixture
def ws(case_ws: Path, tmp_path: Path) -> Path:
    """The exports' workspace, copied (its case 1 gets platform reports here)."""
    dst = tmp_path / "ws"
    shutil.copytree(case_ws, dst)
    secret = "test-secret-0123456789-abcdefghijklmnop"
    with open_workflow(dst) as wf, wf.session() as db:
        p, _ = add_platform(db, secret, "cli:t", "ExampleCall")
        ids = [receive(db, p, parse_report(b)).report_id for b in (EARLIER, REPORT)]
        add_reports(db, services.Actor.operator(), 1, ids)
        add_reports(db, services.Actor.operator(), 2, ids[:1])
    return dst


def export(ws: Path, case_id: int, out: Path) -> etree._Element:
    r = CliRunner().invoke(
        app,
        [
            "export",
            "case",
            str(case_id),
            "--format",
            "cybertip",
            "--out",
            str(out),
            "--reporter-email",
            "tips@esp.example",
            "-w",
            str(ws),
        ],
    )
    assert r.exit_code == 0, r.output
    return etree.fromstring(out.read_bytes())


def test_case_export_reads_back_in_xsd_order(ws: Path, tmp_path: Path) -> None:
    root = export(ws, 1, tmp_path / "tip.xml")
    assert root.tag == "report"
    assert_in_sequence(root)
    assert [c.tag for c in root] == [
        "incidentSummary",
        "internetDetails",
        "internetDetails",
        "reporter",
        "personOrUserReported",
        "additionalInfo",
    ]
    s = root.find("incidentSummary")
    assert s is not None
    assert s.findtext("incidentType") == "Child Sex Trafficking"
    assert s.findtext("platform") == "ExampleCall"
    assert "R-2" in (s.findtext("escalateToHighPriority") or "")
    assert s.findtext("incidentDateTime") == "2026-01-04T09:00:00Z"
    rooms = [e.findtext("chatImIncident/chatRoomName") for e in root.findall("internetDetails")]
    assert rooms == ["session-11", "session-8f3a"]
    assert root.findtext("reporter/reportingPerson/email") == "tips@esp.example"
    person = root.find("personOrUserReported")
    assert person is not None
    assert person.findtext("espIdentifier") == "u123"
    assert person.findtext("screenName") == "viewer9"
    assert person.findtext("estimatedLocation/countryCode") == "AU"
    events = [
        (e.findtext("ipAddress"), e.findtext("eventName"), e.findtext("dateTime"))
        for e in person.findall("ipCaptureEvent")
    ]
    assert events == [
        ("192.0.2.1", "Login", "2026-01-05T12:40:00Z"),
        ("192.0.2.7", "Purchase", "2026-01-05T12:58:00Z"),
    ]
    info = root.findtext("additionalInfo") or ""
    assert "card token tok_4242" in info
    # the case's payment evidence from the financial side: its payer is a member
    assert "Payment evidence from the financial side" in info
    assert "Anna Reyes" in info
    assert "MD5 " + "0" * 32 in info
    # nothing but text: no element carries bytes, no file element exists
    assert not root.xpath("//fileDetails|//file|//originalFileHash")


def test_a_case_with_reports_and_no_members_exports_the_reports_alone(
    ws: Path, tmp_path: Path
) -> None:
    root = export(ws, 2, tmp_path / "tip.xml")
    assert_in_sequence(root)
    assert root.find("incidentSummary/escalateToHighPriority") is None
    assert "Payment evidence" not in (root.findtext("additionalInfo") or "")


def test_a_case_without_reports_is_refused(ws: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app,
        [
            "export",
            "case",
            "3",
            "--format",
            "cybertip",
            "--out",
            str(tmp_path / "x.xml"),
            "--reporter-email",
            "tips@esp.example",
            "-w",
            str(ws),
        ],
    )
    assert r.exit_code != 0
    assert "no platform reports" in str(r.exception or r.output)


def test_order_is_checked_while_building() -> None:
    from bantay.export.cybertip import _el

    root = etree.Element("report")
    _el(root, "reporter")
    with pytest.raises(ExportError, match="cannot follow"):
        _el(root, "incidentSummary")
    with pytest.raises(ExportError, match="not a child"):
        _el(root, "file")


def test_enticement_and_the_reporter_email() -> None:
    body = {**REPORT, "category": "online_enticement", "ongoing": False}
    xml = build_report([("ExampleCall", body)], "tips@esp.example", case_id=9)
    root = etree.fromstring(xml)
    assert root.findtext("incidentSummary/incidentType") == (
        "Online Enticement of Children for Sexual Acts"
    )
    with pytest.raises(ExportError, match="email"):
        build_report([("ExampleCall", body)], "", case_id=9)
