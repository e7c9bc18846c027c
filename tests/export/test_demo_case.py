"""A case from `bantay demo` (simulated world, full pipeline) exports to all four formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from followthemoney import model
from sqlalchemy import select
from typer.testing import CliRunner

from bantay.cases.db import open_workflow
from bantay.cases.models import CaseMember
from bantay.cli import app
from bantay.export import fincen, ftm, goaml
from bantay.pipeline import DEMO_ANALYST_CODE, mapped_codes

XSD = goaml.DEFAULT_XSD  # the packaged reference schema


@pytest.fixture(scope="module")
def demo_case(demo_run: tuple[Path, str]) -> Path:
    """The demo's workspace, where `bantay demo` opened case 1 on its top alerts."""
    out, _ = demo_run
    ws = out / "workspace"
    with open_workflow(ws) as wf, wf.session() as db:
        sides = db.execute(select(CaseMember.side).where(CaseMember.case_id == 1)).scalars().all()
    assert sorted(sides) == ["beneficiary", "payer"]
    return ws


def _export(ws: Path, fmt: str, out: Path, *extra: str) -> None:
    args = ["export", "case", "1", "-w", str(ws), "--format", fmt, "--out", str(out), *extra]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, (r.output, r.exception)


@pytest.mark.slow
def test_demo_case_exports_to_all_four_formats(demo_case: Path, tmp_path: Path) -> None:
    entity = ["--rentity-id", "7", "--reporting-user-code", "ANA01", "--xsd", str(XSD)]
    # a case whose alerts are model scores alone maps to no goAML code: the analyst chooses one,
    # as the demo does
    if not mapped_codes(demo_case, 1):
        entity += ["--indicator", DEMO_ANALYST_CODE]
    # the demo's domestic card merchants have no country: the report says where it filled one in
    _export(demo_case, "goaml", tmp_path / "str.xml", *entity, "--default-country", "AU")
    xml = (tmp_path / "str.xml").read_bytes()
    goaml.validate(xml, XSD)
    n = xml.count(b"<transaction>")
    assert n > 0
    assert re.search(rb"<report_indicators>\s*<indicator>[A-Z0-9]+</indicator>", xml)

    _export(demo_case, "fincen", tmp_path / "sar.txt")
    text = (tmp_path / "sar.txt").read_text()
    assert fincen.KEY_TERM in text and len(text) <= fincen.LIMIT
    assert len((tmp_path / "sar.transactions.csv").read_text().splitlines()) == n + 1

    _export(demo_case, "ftm", tmp_path / "case.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "case.jsonl").read_text().splitlines()]
    ftm.check(lines)
    for d in lines:
        assert model.get_proxy(d, cleaned=False).to_dict() == d
    kinds = {d["schema"] for d in lines}
    assert {"Payment", "Person", "BankAccount", "Ownership"} <= kinds
    assert sum(d["schema"] == "Payment" for d in lines) == n

    _export(demo_case, "pack", tmp_path / "pack.html")
    html = (tmp_path / "pack.html").read_text()
    assert html.count('id="network-graph"') == 2
    assert not re.search(r"<script|<link|\bsrc=|\bhref=|https?://", html)


#: Indicators whose value is a count of the payer's payments: the payments behind each, found
#: again payment by payment (bantay.detect.evidence), must number exactly its value.
COUNTED = (
    "P01_low_value_sea",
    "P02_many_to_high_risk",
    "P07_night_timing",
    "P08_cover_memo",
    "P10_related_purchases",
)


@pytest.mark.slow
def test_the_payments_behind_each_indicator_number_its_value(demo_case: Path) -> None:
    from bantay.export.case import load_case

    data = load_case(demo_case, 1)
    checked = 0
    for v in data.views:
        reasons = (v.detail or {}).get("reasons") or {}
        subject = data.subject(v.side, v.entity_id)
        mine = [t for t in data.evidence if data.member_of(t, v.side) is subject]
        for i in reasons.get("indicators", []):
            if i["id"] in COUNTED:
                n = sum(i["id"] in data.indicators_of(t) for t in mine)
                assert n == int(i["value"]), (v.entity_id, i["id"])
                checked += 1
    assert checked > 0
    # card spending is never evidence unless P10 counted it
    for t in data.evidence:
        if t["channel"] == "card":
            assert "P10_related_purchases" in data.indicators_of(t)
    assert any(t["channel"] == "card" for t in data.left_out)
