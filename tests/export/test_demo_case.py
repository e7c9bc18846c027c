"""A case from `bantay demo` (simulated world, full pipeline) exports to all four formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from followthemoney import model
from typer.testing import CliRunner

from bantay.cli import app
from bantay.export import fincen, ftm, goaml
from bantay.web import services
from bantay.web.db import open_db, session_scope
from bantay.workspace import SQLITE_FILE, open_workspace

XSD = Path(__file__).resolve().parents[2].parent / "shared/reference/goaml/goAMLSchema-5.0.2.xsd"


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "demo"
    args = ["demo", "--out", str(out), "--senders", "400", "--months", "3", "--seed", "3"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    ws = out / "workspace"
    with open_workspace(ws, read_only=True) as w:
        # the top-scored payer and beneficiary of the scan
        top = w.con.execute(
            """SELECT side, entity_id, NULL FROM (
                   SELECT *, row_number() OVER (PARTITION BY side ORDER BY score DESC) AS k
                   FROM scores) WHERE k = 1 ORDER BY side DESC"""
        ).fetchall()
    assert [s for s, _, _ in top] == ["payer", "beneficiary"]
    _e, factory = open_db(f"sqlite:///{ws / SQLITE_FILE}")
    with session_scope(factory) as db:
        user = services.get_user(db, "demo")
        services.create_case(db, user, "top alerts", [(s, e, a) for s, e, a in top])
    _e.dispose()
    return ws


def _export(ws: Path, fmt: str, out: Path, *extra: str) -> None:
    args = ["export", "case", "1", "-w", str(ws), "--format", fmt, "--out", str(out), *extra]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, (r.output, r.exception)


@pytest.mark.slow
@pytest.mark.skipif(not XSD.exists(), reason="no ../shared goAML reference XSD")
def test_demo_case_exports_to_all_four_formats(demo_case: Path, tmp_path: Path) -> None:
    entity = ["--rentity-id", "7", "--reporting-user-code", "ANA01", "--xsd", str(XSD)]
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
