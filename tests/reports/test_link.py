"""Reports linked to the money: identifiers matched (normalised) to party records and their
entities, the links read by the scan (indicator, seed, the alert's reasons), no link still fine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bantay.cases.db import open_workflow
from bantay.cases.synthetic import build
from bantay.cli import app
from bantay.detect.scan import scan
from bantay.reports.link import link, linked_reports, report_parties
from bantay.reports.model import parse_report
from bantay.reports.store import add_platform, receive
from bantay.workspace import open_workspace

SECRET = "test-secret-0123456789-abcdefghijklmnop"
PAYER, BENEF = "E000000000000", "E000000000001"  # accounts ACC0 and ACC1 in the synthetic ws


def body(rid: str, **payment: Any) -> dict[str, Any]:
    return {
        "platform_report_id": rid,
        "category": "livestreamed_abuse",
        "reported_account": {"platform_user_id": "u-" + rid},
        "payments": [{**payment, "amount": "20.00", "currency": "AUD"}],
    }


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build(tmp_path_factory.mktemp("link") / "ws", n_alerts=10, big_entity_tx=12)
    with open_workflow(path) as wf, wf.session() as db:
        p, _ = add_platform(db, SECRET, "cli:t", "ExampleCall")
        for b in (
            body("R-1", wallet_id="acc-0"),  # the payer's account, written otherwise
            body("R-2", card_token="ACC0"),  # the same payer again
            body("R-3", payout_account="ACC 1"),  # the beneficiary's account
            body("R-4", wallet_id="W-NOWHERE", phone="+63 917 000 0000"),  # matches nothing
        ):
            receive(db, p, parse_report(b))
    return path


def test_link_writes_links_by_normalised_identifier(ws: Path) -> None:
    with open_workflow(ws) as wf, wf.session() as db:
        parties = report_parties(db)
    assert sorted(parties["field"]) == [
        "card_token",
        "payout_account",
        "phone",
        "wallet_id",
        "wallet_id",
    ]
    with open_workspace(ws) as w:
        r = link(w, parties)
        assert (r.reports, r.linked_reports, r.payer_entities, r.beneficiary_entities) == (
            4,
            3,
            1,
            1,
        )
        payer = linked_reports(w, "payer", PAYER)
        assert [x["platform_report_id"] for x in payer] == ["R-2", "R-1"]
        assert payer[1]["via"] == "account acc-0"
        assert [x["platform_report_id"] for x in linked_reports(w, "beneficiary", BENEF)] == ["R-3"]
        # the report parties are kept beside the institutions' party records, never in them
        n = w.con.execute("SELECT count(*) FROM party_records WHERE institution LIKE 'platform:%'")
        assert n.fetchone() == (0,)


def test_scan_reads_the_links(ws: Path) -> None:
    with open_workflow(ws) as wf, wf.session() as db:
        parties = report_parties(db)
    with open_workspace(ws) as w:
        link(w, parties)
        res = scan(w, write=False, model=None, budget=200)
        without = scan(w, write=False, model=None, budget=200, use_reports=False)
    p = res.payer.set_index("payer_entity")
    assert p.loc[PAYER, "n_platform_reports"] == 2
    hits = res.hits[(res.hits.entity_id == PAYER) & (res.hits.entity_side == "payer")]
    assert "P_R01_platform_report" in set(hits.indicator_id)
    assert p.loc[PAYER, "score"] > without.payer.set_index("payer_entity").loc[PAYER, "score"]
    b = res.beneficiary.set_index("beneficiary_entity")
    assert b.loc[BENEF, "n_platform_reports"] == 1
    assert BENEF in res.network.seeds
    alert = res.alerts[(res.alerts.side == "payer") & (res.alerts.entity_id == PAYER)]
    import json

    reasons = json.loads(alert["reasons"].iloc[0])
    assert [x["platform_report_id"] for x in reasons["reports"]] == ["R-1", "R-2"]


def test_cli_link(ws: Path) -> None:
    out = CliRunner().invoke(app, ["reports", "link", "-w", str(ws)])
    assert out.exit_code == 0, out.output
    assert "3 linked to 1 payer and 1 beneficiary" in " ".join(out.output.split())


def test_report_odds_multiply_the_calibrated_odds_and_rerank() -> None:
    import pandas as pd

    from bantay.detect.catalogue import default_catalogue
    from bantay.detect.scan import with_report_odds

    df = pd.DataFrame(
        {
            "payer_entity": ["a", "b", "c"],
            "score": [0.5, 0.2, 0.1],
            "rank": [1, 2, 3],
            "n_platform_reports": [0, 0, 5],
        }
    )
    out = with_report_odds("payer", df, default_catalogue()).set_index("payer_entity")
    # 0.1 is odds 1/9; three reports count (at most), each x20: odds 8000/9
    assert out.loc["c", "score"] == pytest.approx(8000 / 9 / (1 + 8000 / 9), abs=1e-6)
    assert list(out.sort_values("rank").index) == ["c", "a", "b"]
    assert out.loc["a", "score"] == 0.5


def test_phones_ending_alike_in_two_countries_do_not_link(tmp_path: Path) -> None:
    """Phones meet on their last nine digits, then must agree in E.164: a Philippine number that
    ends like an Australian customer's is another number."""
    path = build(tmp_path / "ws", n_alerts=10, big_entity_tx=12)
    with open_workspace(path) as w:
        rec = w.con.execute(
            "SELECT party_record_id FROM entity_members WHERE entity_id = ? LIMIT 1", [PAYER]
        ).fetchone()
        assert rec is not None
        w.con.execute(
            "UPDATE party_records SET phone = '0412 345 678', residence_country = 'AU' "
            "WHERE party_record_id = ?",
            [rec[0]],
        )
    with open_workflow(path) as wf, wf.session() as db:
        p, _ = add_platform(db, SECRET, "cli:t", "ExampleCall")
        for rid, phone in (("R-AU", "+61 412 345 678"), ("R-PH", "+63 412 345 678")):
            receive(db, p, parse_report(body(rid, phone=phone)))
        # a national number, read in the reported account's country
        local = body("R-AU-national", phone="0412 345 678")
        local["reported_account"]["country"] = "AU"
        receive(db, p, parse_report(local))
        parties = report_parties(db)
    with open_workspace(path) as w:
        link(w, parties)
        got = sorted(x["platform_report_id"] for x in linked_reports(w, "payer", PAYER))
    assert got == ["R-AU", "R-AU-national"]
