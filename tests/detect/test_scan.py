from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from detect_data import load, tx
from typer.testing import CliRunner

from bantay.detect.model import PayerEvidence, default_model
from bantay.detect.network import Seed
from bantay.detect.scan import ScanResult, read_seeds_file, scan
from bantay.workspace import Workspace, open_workspace

EVENING = dt.datetime(2024, 3, 1, 13, 0)  # 23:00 in Sydney (UTC+10)


def offender_rows() -> list[dict[str, object]]:
    """A payer with 10 evening A$30 payments to 3 unrelated Philippine beneficiaries."""
    rows = []
    for k, (b, n) in enumerate((("Maria_Lopez", 4), ("Ana_Reyes", 3), ("Joy_Bautista", 3))):
        rows += tx(
            n,
            "REMIT1:John_Smith",
            f"h:{b}",
            amount=30,
            start=EVENING + dt.timedelta(hours=k),
            every=dt.timedelta(days=2),
            beneficiary_phone=f"+63 917 555 01{k}",
        )
    return rows


def family_rows(payer_name: str = "Jose Cruz") -> list[dict[str, object]]:
    """Twelve monthly A$200 payments on the 15th to the same beneficiary."""
    return [
        r
        for m in range(12)
        for r in tx(
            1,
            "REMIT1:Jose",
            "h:Ana_Cruz",
            amount=200,
            start=dt.datetime(2023, m + 1, 15, 3, 0),
            payer_name=payer_name,
            beneficiary_name="Ana Cruz",
            memo="family support",
            beneficiary_phone="+63 918 222 0000",
        )
    ]


def hits_of(r: ScanResult, entity: str) -> dict[str, float]:
    h = r.hits[r.hits.entity_id == entity]
    return dict(zip(h.indicator_id, h.value, strict=True))


def test_offender_fires_published_indicators(ws: Workspace) -> None:
    load(ws, offender_rows())
    r = scan(ws, model=None)
    hits = hits_of(r, "REMIT1:John_Smith")
    assert hits["P01_low_value_sea"] == 10  # A$30 to PH, ten times
    assert hits["P07_night_timing"] == 10  # 23:00-01:00 payer-local
    assert hits["P03_westpac_typology"] == 3  # three unrelated PH beneficiaries, ~5 a month
    assert hits["N02_fan_out_unrelated"] == 3
    assert hits["P09_even_amounts"] == 1.0
    assert "P06_prolific_signature" not in hits  # fewer than 20 payments
    row = r.payer.set_index("payer_entity").loc["REMIT1:John_Smith"]
    # P01 10 (weak 1), P02 10 (weak 0.5), P03 3 (moderate 1.5), P07 10 (moderate 1), P09 (0.5), N02 (0.5)
    assert row["rule_score"] == pytest.approx(1 + 0.5 + 1.5 + 1 + 0.5 + 0.5)
    assert row["family_reduction"] == 0


def test_threshold_in_the_payment_currency(ws: Workspace) -> None:
    # SEK 150 is within the Swedish 90–300 band (S27) though ~US$14 is outside A$10–100? no: inside.
    # SEK 1,000 (~US$95, ~A$144) is outside both.
    load(ws, tx(6, "BANK:SE1", "h:x", amount=150, currency="SEK", payer_country="SE"))
    rows = tx(6, "BANK:SE2", "h:y", amount=1000, currency="SEK", payer_country="SE")
    for row in rows:
        row["amount_reporting"] = 95.0
    load(ws, rows)
    r = scan(ws, model=None, write=False)
    p = r.payer.set_index("payer_entity")["n_lowval_sea"]
    assert (p["BANK:SE1"], p["BANK:SE2"]) == (6, 0)


def test_family_link_lowers_risk_and_is_explained(ws: Workspace) -> None:
    load(ws, family_rows())
    rows = family_rows(payer_name="Peter Novak")
    for row in rows:
        row.update(payer_record_id="REMIT1:Peter", transaction_id="n" + str(row["transaction_id"]))
    load(ws, rows)
    r = scan(ws, model=None, threshold=0.0)
    p = r.payer.set_index("payer_entity")
    fam, other = p.loc["REMIT1:Jose"], p.loc["REMIT1:Peter"]
    assert (fam["rel_surname"], fam["rel_payday"], fam["rel_stable"]) == (1, 1, 1)
    assert (other["rel_surname"], other["rel_payday"]) == (0, 1)  # payday pattern, no name link
    assert fam["n_unrel_hr_benefs"] == 0
    assert fam["rule_score"] < other["rule_score"] or fam["rule_score"] == 0
    assert fam["family_reduction"] > 0
    alert = r.alerts[(r.alerts.side == "payer") & (r.alerts.entity_id == "REMIT1:Jose")].iloc[0]
    reasons = json.loads(alert.reasons)
    assert [e["id"] for e in reasons["family"]["evidence"]] == [
        "F01_shared_surname",
        "F02_name_origin",  # Cruz is a common Philippine surname
        "F03_payday_pattern",
        "F04_long_stable",
    ]
    assert "family-link evidence lowered it" in alert.summary


def test_dens_seeds_and_paths(ws: Workspace) -> None:
    rows = offender_rows()
    # two more payers share Maria's phone-keyed account, a den forms through Joy's shared phone
    for p in ("Bob_Jones", "Tim_Brown"):
        rows += tx(
            5, f"REMIT1:{p}", "h:Maria_Lopez", amount=40, beneficiary_phone="+63 917 555 010"
        )
    rows += tx(3, "REMIT1:Bob_Jones", "h:Lyn", amount=40, beneficiary_phone="+63 917 555 012")
    load(ws, rows)
    r = scan(ws, model=None, seeds=[Seed("phone", "09175550 10")])
    b = r.beneficiary.set_index("beneficiary_entity")
    assert b.loc["tel:639175550 10".replace(" ", ""), "is_seed"] == 1
    assert b.loc["tel:639175550 12".replace(" ", ""), "den_size"] >= 2
    p = r.payer.set_index("payer_entity")
    assert p.loc["REMIT1:Bob_Jones", "seed_hops"] == 1
    assert p.loc["REMIT1:Tim_Brown", "n_copayers"] == 2  # John and Bob also pay Maria
    assert r.network.paths["p:REMIT1:Tim_Brown"] == ["p:REMIT1:Tim_Brown", "b:tel:63917555010"]
    assert p.loc["REMIT1:Tim_Brown", "seed_rank"] > 0


def test_seeds_file(tmp_path: Path) -> None:
    f = tmp_path / "seeds.csv"
    f.write_text("identifier_type,value\nphone,+63 917 555 010\nname_city,Ana Reyes|Cebu\n")
    seeds = read_seeds_file(f)
    assert [s.identifier_type for s in seeds] == ["phone", "name_city"]
    f.write_text("identifier_type,value\nshoe_size,42\n")
    with pytest.raises(Exception, match="shoe_size"):
        read_seeds_file(f)


def test_scan_writes_tables_and_cli(ws: Workspace) -> None:
    from bantay.cli import app

    load(ws, offender_rows() + family_rows())
    path = ws.path
    ws.close()
    runner = CliRunner()
    res = runner.invoke(app, ["scan", "-w", str(path), "--model", "rules", "--threshold", "0.3"])
    assert res.exit_code == 0, res.output
    # the scan says how many of its alerts its scores expect to be true
    with open_workspace(path, read_only=True) as ro:
        alerted = ro.con.execute(
            "SELECT count(*), sum(score) FROM scores WHERE side = 'payer' AND alerted = 1 "
            "AND scan_id = (SELECT max(scan_id) FROM scores)"
        ).fetchone()
    assert alerted is not None and alerted[0] >= 1
    assert f"payer alerts: {alerted[1]:,.1f} expected true of {alerted[0]:,}" in res.output
    res = runner.invoke(app, ["alerts", "-w", str(path), "--top", "3"])
    assert res.exit_code == 0 and "P01_low_value_sea" in res.output
    # a beneficiary's alert names the payers whose scores weigh on it
    res = runner.invoke(app, ["scan", "-w", str(path), "--model", "rules", "--threshold", "0"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["alerts", "-w", str(path), "--side", "beneficiary"])
    assert res.exit_code == 0 and "unrelated high-risk payers by score: REMIT1:John_Smith" in (
        res.output
    )
    res = runner.invoke(app, ["export", "scores", "-w", str(path), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines()]
    john = next(r for r in rows if r["entity_id"] == "REMIT1:John_Smith")
    assert john["customer_refs"] == ["REMIT1:John_Smith"]
    assert len(john["transaction_ids"]) == 10
    assert {r["side"] for r in rows} == {"payer", "beneficiary"}


def test_scan_keeps_duckdb_within_the_workspace_memory_setting(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bantay.detect.scan as scan_module
    from bantay.detect.scan import ScanError

    def limit() -> str:
        return str(ws.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])

    load(ws, offender_rows() + family_rows())
    ws.set_setting("scan_memory_limit", "300MB")
    seen: list[str] = []
    real = scan_module.compute_features

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(limit())
        return real(*args, **kwargs)

    monkeypatch.setattr(scan_module, "compute_features", spy)
    r = scan(ws, model=None, write=False)
    assert "REMIT1:John_Smith" in set(r.payer.payer_entity)
    assert seen and seen[0].replace(" ", "").upper().startswith(("286", "300"))  # MiB or MB
    assert limit() != seen[0]  # reset afterwards
    ws.settings["scan_memory_limit"] = "lots"  # as if written into the database by hand
    with pytest.raises(ScanError, match="scan_memory_limit = 'lots'"):
        scan(ws, model=None, write=False)


def test_out_of_memory_names_the_setting(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    import bantay.detect.scan as scan_module
    from bantay.detect.scan import ScanError

    load(ws, offender_rows())
    assert ws.settings["scan_memory_limit"] == "2GB"  # keeps 100M transactions under 8 GB

    def no_memory(*args: Any, **kwargs: Any) -> Any:
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate 32.0 MiB")

    monkeypatch.setattr(scan_module, "compute_features", no_memory)
    with pytest.raises(ScanError, match="bantay config scan_memory_limit"):
        scan(ws, model=None, write=False)


def test_intermediate_tables_change_nothing_and_are_removed(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The payments and pairs computed once in a scratch database give the same features as the
    expressions inlined, and the scratch database is gone after the scan."""
    from bantay.engine import DuckDBEngine

    load(ws, offender_rows() + family_rows())
    created: list[str] = []
    real = DuckDBEngine.materialize

    def spy(self: DuckDBEngine, expr: Any, name: str) -> Any:
        created.append(name)
        out = real(self, expr, name)
        assert list((ws.path / "tmp").glob("scan-*.duckdb"))
        return out

    monkeypatch.setattr(DuckDBEngine, "materialize", spy)
    once = scan(ws, model=None, write=False)
    assert created == [
        "payments",
        "payer_kyc",
        "pairs",
        "payer_base",
        "payer_window",
        "payer_escalation",
    ]
    assert not list((ws.path / "tmp").glob("scan-*"))
    assert ws.con.execute(
        "SELECT count(*) FROM duckdb_databases() WHERE database_name = ?", [DuckDBEngine.SCRATCH]
    ).fetchall() == [(0,)]
    monkeypatch.setattr(DuckDBEngine, "materialize", lambda self, expr, name: expr)
    inlined = scan(ws, model=None, write=False)
    for side in ("payer", "beneficiary", "pairs"):
        a, b = getattr(once, side), getattr(inlined, side)
        pd.testing.assert_frame_equal(a, b)


def test_a_killed_scans_scratch_database_is_removed_by_the_next(ws: Workspace) -> None:
    import subprocess
    import sys

    load(ws, offender_rows())
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    (ws.path / "tmp").mkdir(exist_ok=True)
    abandoned = ws.path / "tmp" / f"scan-{gone.stdout.strip()}-0badc0de.duckdb"
    abandoned.write_bytes(b"left by a killed scan")
    alive = ws.path / "tmp" / f"scan-{os.getppid()}-0goodc0d.duckdb"
    alive.write_bytes(b"a scan still running")
    scan(ws, model=None, write=False)
    assert not abandoned.exists()
    assert alive.exists()


def _kyc(ref: str, country: str) -> dict[str, object]:
    return {
        "party_record_id": f"REMIT1:customer:{ref}",
        "kind": "customer",
        "institution": "REMIT1",
        "customer_ref": ref,
        "name": ref.replace("_", " "),
        "residence_country": country,
        "ingest_id": "test",
        "source": "test",
        "file": "kyc.csv",
    }


def test_payer_local_time_comes_from_residence_when_the_export_writes_utc(ws: Workspace) -> None:
    """Issue 21: an export written in UTC (offset 0) says nothing of the payer's clock. 13:00 UTC
    is 23:00 or midnight in Sydney: night for an Australian resident whose country is only in
    the KYC file; for a US resident (several zones) the hour is unknown and counts nowhere; for
    a British resident UTC may be the local time, and 13:00 is not night."""
    rows = []
    for payer in ("AU_Payer", "US_Payer", "GB_Payer"):
        rows += tx(
            6,
            f"REMIT1:{payer}",
            f"h:Benef_{payer}",
            start=EVENING,
            utc_offset_minutes=0,
            payer_country=None,
        )
    load(ws, rows)
    load(
        ws,
        [_kyc("AU_Payer", "AU"), _kyc("US_Payer", "US"), _kyc("GB_Payer", "GB")],
        table="party_records",
    )
    r = scan(ws, model=None, budget=3)
    payer = r.payer.set_index("payer_entity")
    au, us, gb = (payer.loc[f"REMIT1:{p}"] for p in ("AU_Payer", "US_Payer", "GB_Payer"))
    assert hits_of(r, "REMIT1:AU_Payer")["P07_night_timing"] == 6
    assert au["n_residence_timed_hr"] == 6 and au["n_timed_hr"] == 6
    assert "P07_night_timing" not in hits_of(r, "REMIT1:US_Payer")
    assert us["n_timed_hr"] == 0 and us["n_night_hr"] == 0
    assert "P07_night_timing" not in hits_of(r, "REMIT1:GB_Payer")
    assert gb["n_timed_hr"] == 6 and gb["n_residence_timed_hr"] == 0
    # the payer's country came from KYC, so the payments are foreign (AU -> PH)
    assert au["home_country"] == "AU"
    # every alert says where its hours came from
    notes = {
        a.entity_id: json.loads(a.reasons)["local_time"]
        for a in r.alerts.itertuples()
        if a.side == "payer"
    }
    assert notes["REMIT1:AU_Payer"] == {
        "high_risk_payments": 6,
        "as_written": 0,
        "from_residence": 6,
        "unknown": 0,
    }
    assert notes["REMIT1:US_Payer"]["unknown"] == 6
    assert notes["REMIT1:GB_Payer"]["as_written"] == 6


def test_a_payment_made_where_the_payers_card_is_used_is_made_abroad(ws: Workspace) -> None:
    """Issue 21: a traveller pays a driver in the Philippines on a day their card buys a meal
    there. The payment is made abroad (a feature of its own), and its hour is not read in the
    payer's home zone, which would put a Manila afternoon in a Sydney night."""
    there = dt.datetime(2024, 3, 1, 13, 0)  # 21:00 in Manila, 00:00 in Sydney
    rows = tx(2, "REMIT1:Traveller", "h:Driver", start=there, utc_offset_minutes=0)
    rows += tx(
        1,
        "REMIT1:Traveller",
        None,
        start=there - dt.timedelta(hours=5),
        channel="card",
        utc_offset_minutes=0,
        beneficiary_country="PH",
        merchant_name="Riverside Kitchen",
    )
    rows += tx(2, "REMIT1:Stay_At_Home", "h:Someone", start=there, utc_offset_minutes=0)
    load(ws, rows)
    r = scan(ws, model=None)
    payer = r.payer.set_index("payer_entity")
    away, home = payer.loc["REMIT1:Traveller"], payer.loc["REMIT1:Stay_At_Home"]
    # the first payment is on the card's day, the second three days later (not within a day)
    assert away["n_hr_abroad"] == 1 and home["n_hr_abroad"] == 0
    assert away["n_timed_hr"] == 1 and away["n_night_hr"] == 1  # only the payment from home
    assert home["n_timed_hr"] == 2 and home["n_night_hr"] == 2


def test_the_payers_sex_is_empty_where_the_kyc_does_not_say(ws: Workspace) -> None:
    """Issue 21: most remitters' exports carry no sex. Read as "not male", every such payer
    looked like a woman to the model; the feature is 1 for male, 0 for female and empty where
    the KYC does not say, stored as no row, and an alert's reasons show it as not known."""
    rows = []
    for payer in ("Known_Man", "Known_Woman", "Not_Said"):
        rows += tx(6, f"REMIT1:{payer}", f"h:Benef_{payer}", start=EVENING)
    load(ws, rows)
    sexes = {"Known_Man": "male", "Known_Woman": "female", "Not_Said": None}
    load(
        ws,
        [_kyc(p, "AU") | {"sex": s} for p, s in sexes.items()],
        table="party_records",
    )
    r = scan(ws, model=None)
    male = r.payer.set_index("payer_entity")["payer_male"]
    assert male["REMIT1:Known_Man"] == 1.0
    assert male["REMIT1:Known_Woman"] == 0.0
    assert pd.isna(male["REMIT1:Not_Said"])
    stored = ws.con.execute(
        "SELECT entity_id, value FROM entity_features WHERE feature = 'payer_male'"
    ).fetchall()
    assert dict(stored) == {"REMIT1:Known_Man": 1.0, "REMIT1:Known_Woman": 0.0}


def test_an_empty_feature_reads_as_not_known() -> None:
    from bantay.detect.words import contribution_sentence, number

    assert number(float("nan")) == "not known"
    assert number(None) == "not known"
    sentence = contribution_sentence(
        "payer", {"feature": "payer_male", "value": None, "contribution": -0.4}
    )
    assert "not known, lowered the score (-0.40 log-odds)" in sentence


def test_beneficiaries_carry_their_unrelated_payers_scores(ws: Workspace) -> None:
    """A beneficiary paid by a likely offender is a likely facilitator: each beneficiary carries
    its unrelated payers' scores, a model that weighs them raises its score by them, and its alert
    names the payers behind them."""
    load(ws, offender_rows() + family_rows())
    r = scan(ws, model=None, threshold=0.0)  # rules only: the payer scores 0.88
    john = float(r.payer.set_index("payer_entity").loc["REMIT1:John_Smith", "score"])
    assert john > 0.5
    b = r.beneficiary.set_index("beneficiary_entity")
    for k in range(3):
        row = b.loc[f"tel:6391755501{k}"]
        # one unrelated payer: its score is both the highest and the chance that one is an offender
        assert row["max_payer_score"] == pytest.approx(john, abs=1e-6)
        assert row["payers_score_or"] == pytest.approx(john, abs=1e-6)
    # paid only by a relative: no unrelated payer's score counts
    assert b.loc["tel:639182220000", "max_payer_score"] == 0.0
    alerts = r.alerts[r.alerts.side == "beneficiary"].set_index("entity_id")
    reasons = json.loads(alerts.loc["tel:63917555010", "reasons"])
    assert reasons["network"]["scored_payers"] == [
        {"payer_entity": "REMIT1:John_Smith", "score": round(john, 4)}
    ]
    assert (
        "paid by 1 unrelated payer scored 0.5 or more (highest REMIT1:John_Smith"
        in (alerts.loc["tel:63917555010", "summary"])
    )
    assert json.loads(alerts.loc["tel:639182220000", "reasons"])["network"]["scored_payers"] == []
    # a model that weighs payers: the beneficiary's score is its own with its payer's noisy-OR'd in
    model = default_model()
    assert model is not None
    model.sides["beneficiary"].payer_evidence = PayerEvidence(q=1.0)
    r2 = scan(ws, model=model, threshold=0.0, write=False)
    john2 = float(r2.payer.set_index("payer_entity").loc["REMIT1:John_Smith", "score"])
    b2 = r2.beneficiary.set_index("beneficiary_entity")
    paid, own = b2.loc["tel:63917555010", ["score", "score_without_payers"]]
    assert paid == pytest.approx(1 - (1 - own) * (1 - john2), rel=1e-4) and paid > own
    family = b2.loc["tel:639182220000"]
    assert family["score"] == family["score_without_payers"]
    alert = r2.alerts[
        (r2.alerts.side == "beneficiary") & (r2.alerts.entity_id == "tel:63917555010")
    ]
    assert json.loads(alert.iloc[0]["reasons"])["network"]["score_without_payers"] == own
