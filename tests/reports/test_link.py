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


# --- entity resolution: report parties scored with the saved model ------------------------------

GIVEN_NAMES = ["Arlo", "Beatriz", "Cyrus", "Delphine", "Emeka", "Freya", "Goran", "Hiroko",
               "Imani", "Jonas", "Kalani", "Leontyne", "Mateus", "Noor", "Osric", "Priya",
               "Quillon", "Rosalind", "Sefton", "Tamsin"]  # fmt: skip
FAMILY_NAMES = ["Abernethy", "Bellweather", "Castellanos", "Dunmore", "Ekwueme", "Fairclough",
                "Galloway", "Hartigan", "Ingersoll", "Jablonski", "Kowalczyk", "Lindqvist",
                "Marchetti", "Nakamura", "Oyelaran"]  # fmt: skip
#: the payer a report names, with a phone one digit off, and two people sharing one name
TARGET = ("BANK:P1", "Marisol Quintero", "+61412345678", "ACC-T1", "AU", "1981-04-12")
NAMESAKES = [
    ("BANK:P2", "Daniel Okafor", "+61400000002", "ACC-T2", "AU", "1980-02-02"),
    ("WALLET:P3", "Daniel Okafor", "+447700900003", "ACC-T3", "GB", "1992-09-30"),
]


def _resolved_ws(path: Path) -> Path:
    """A resolved workspace (saved model and features): 300 people with one record each, the
    target payer and two namesakes, all paying one beneficiary."""
    import pandas as pd

    from bantay.resolve.run import resolve
    from bantay.workspace import init_workspace

    people = [
        (f"BANK:F{i}", f"{GIVEN_NAMES[i % 20]} {FAMILY_NAMES[i // 20]}", f"+6140{i:07d}",
         f"ACC-F{i}", "AU", f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}")
        for i in range(300)
    ] + [TARGET, *NAMESAKES, ("REMIT:B1", "Beneficiary One", "+639170000001", "PH-1", "PH",
                              None)]  # fmt: skip
    df = pd.DataFrame(
        people,
        columns=["party_record_id", "name", "phone", "account_id", "residence_country", "dob"],
    )
    df["institution"] = df["party_record_id"].str.split(":").str[0]
    df["kind"] = "customer"
    ws = init_workspace(path)
    ws.con.register("people", df)
    ws.con.execute(
        """INSERT INTO party_records (party_record_id, kind, institution, customer_ref, name,
               date_of_birth, residence_country, phone, account_id, ingest_id, source, file, line)
           SELECT party_record_id, kind, institution, party_record_id, name, dob::DATE,
                  residence_country, phone, account_id, 'I-t', 't', 't.csv', row_number() OVER ()
           FROM people"""
    )
    ws.con.execute(
        """INSERT INTO transactions (transaction_id, institution, ts_utc, amount, currency,
               amount_reporting, channel, payer_record_id, beneficiary_record_id, ingest_id,
               source, file, line)
           SELECT 'T' || row_number() OVER (), 'BANK', TIMESTAMP '2024-01-01', 20, 'AUD', 13,
                  'transfer', party_record_id, 'REMIT:B1', 'I-t', 't', 't.csv', 2
           FROM people WHERE party_record_id <> 'REMIT:B1'"""
    )
    ws.con.unregister("people")
    resolve(ws)
    ws.close()
    return path


def _entity(w: Any, record: str) -> str:
    row = w.con.execute(
        "SELECT entity_id FROM entity_members WHERE party_record_id = ?", [record]
    ).fetchone()
    assert row is not None
    return str(row[0])


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = _resolved_ws(tmp_path_factory.mktemp("link-er") / "ws")
    with open_workflow(path) as wf, wf.session() as db:
        p, _ = add_platform(db, SECRET, "cli:t", "ExampleCall")
        for b in (
            # the payer's name and a phone with one digit wrong: only entity resolution links it
            body("S-typo", payer_name="Marisol Quintero", phone="+61 412 345 679"),
            # a name two people bear, and nothing else: links to neither
            body("S-namesake", payer_name="Daniel Okafor"),
            # a namesake's name with the other namesake's... nothing: a wallet no one has
            body("S-namesake-wallet", payer_name="Daniel Okafor", wallet_id="W-UNKNOWN"),
            # an exact account: links, with its score kept beside it
            body("S-exact", card_token="acc t1"),
        ):
            receive(db, p, parse_report(b))
    return path


def _link(path: Path) -> Any:
    with open_workflow(path) as wf, wf.session() as db:
        parties = report_parties(db)
    with open_workspace(path) as w:
        return link(w, parties)


def test_a_phone_typo_beside_the_name_links_through_entity_resolution(resolved: Path) -> None:
    r = _link(resolved)
    assert r.scored and "fell back" not in r.scoring
    assert "threshold" in r.scoring
    with open_workspace(resolved) as w:
        target = _entity(w, "BANK:P1")
        got = {x["platform_report_id"]: x for x in linked_reports(w, "payer", target)}
        assert set(got) == {"S-typo", "S-exact"}
        assert got["S-typo"]["via"].startswith("resolved payer Marisol Quintero, phone +61 412")
        assert "phone=phone one digit apart" in got["S-typo"]["via"]
        assert got["S-exact"]["via"] == "account acc t1"
        rows = w.con.execute(
            "SELECT platform_report_id, identifier_type, match_probability, agreed_fields "
            "FROM report_links WHERE entity_id = ? ORDER BY 1",
            [target],
        ).fetchall()
        typo = next(x for x in rows if x[0] == "S-typo")
        assert typo[1] == "resolved" and typo[2] >= 0.9
        assert "name=same name (any order)" in typo[3]
        exact = next(x for x in rows if x[0] == "S-exact")
        assert exact[1] == "account" and exact[2] is not None and exact[2] >= 0.9
        # the report parties stay out of the institutions' party records
        assert w.con.execute("SELECT count(*) FROM party_records").fetchone() == (304,)
    assert r.resolved_reports == 1


def test_a_common_name_alone_links_to_no_one(resolved: Path) -> None:
    _link(resolved)
    with open_workspace(resolved) as w:
        linked = {
            str(x)
            for (x,) in w.con.execute(
                "SELECT DISTINCT platform_report_id FROM report_links"
            ).fetchall()
        }
        assert "S-namesake" not in linked and "S-namesake-wallet" not in linked
        for rec in ("BANK:P2", "WALLET:P3"):
            assert linked_reports(w, "payer", _entity(w, rec)) == []


def test_a_name_alone_never_links_whatever_the_threshold(resolved: Path, tmp_path: Path) -> None:
    """Even where the model's threshold would let a name alone through, a scored link needs an
    identifier that agrees."""
    import shutil

    from bantay.resolve import model as mdl
    from bantay.resolve.run import model_path

    copy = tmp_path / "ws"
    shutil.copytree(resolved, copy)
    with open_workspace(copy) as w:
        saved = mdl.SavedModel.load(model_path(w))
        saved.threshold = 1e-3
        saved.save(model_path(w))
    _link(copy)
    with open_workspace(copy) as w:
        kinds = w.con.execute(
            "SELECT DISTINCT platform_report_id, identifier_type FROM report_links "
            "WHERE platform_report_id LIKE 'S-namesake%'"
        ).fetchall()
        assert kinds == []
        # the pair was scored (and reached that threshold): it is the rule that kept it out
        import polars as pl

        from bantay.resolve.against import score_against_entities

        pairs = score_against_entities(
            w, pl.DataFrame({"party_record_id": ["x"], "name": ["Daniel Okafor"]})
        ).pairs
        assert set(pairs["party_record_id"]) == {"BANK:P2", "WALLET:P3"}
        assert pairs["match_probability"].min() >= 1e-3


def test_without_a_saved_model_linking_says_it_fell_back(ws: Path) -> None:
    with open_workflow(ws) as wf, wf.session() as db:
        parties = report_parties(db)
    with open_workspace(ws) as w:
        r = link(w, parties)
    assert not r.scored and r.resolved_links == 0
    assert "fell back to exact identifiers" in r.scoring and "bantay resolve" in r.scoring
    out = CliRunner().invoke(app, ["reports", "link", "-w", str(ws)])
    assert out.exit_code == 0, out.output
    assert "fell back to exact identifiers" in " ".join(out.output.split())
