"""Seed matching across phone writings, signal expiry, and the analyst features added in round 2."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from detect_data import load, tx

from bantay.detect.network import Seed, match_seeds, phone_e164
from bantay.detect.scan import scan, signal_seeds
from bantay.workspace import Workspace


def _ids(phones: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "beneficiary_entity": [f"b{i}" for i in range(len(phones))],
            "phone": [p for p, _ in phones],
            "account": [""] * len(phones),
            "name": [""] * len(phones),
            "city": [""] * len(phones),
            "country": [c for _, c in phones],
        }
    )


def test_phone_seeds_match_every_writing_in_e164() -> None:
    ids = _ids(
        [
            ("+63 917 123 4567", "PH"),
            ("09171234567", "PH"),
            ("639171234567", "PH"),
            ("0917-123-4567", "PH"),
            ("+66 91 712 3456", "TH"),  # another number with the same last digits pattern
            ("0917 765 4321", "PH"),
        ]
    )
    hits = match_seeds(ids, [Seed("phone", "+639171234567", "test")])
    assert sorted(hits) == ["b0", "b1", "b2", "b3"]
    # a seed written nationally (no country) still matches on its last nine digits
    hits = match_seeds(ids, [Seed("phone", "0917 123 4567", "test")])
    assert sorted(hits) == ["b0", "b1", "b2", "b3"]
    assert phone_e164("0917 123 4567", "PH") == "+639171234567"
    assert phone_e164("not a phone", "PH") == ""


def test_signals_valid_during_the_payments_seed_the_scan(ws: Workspace) -> None:
    # payments in 2024; one signal expired in 2025 (after them: valid), one in 2023 (before: not)
    load(ws, tx(3, "REMIT1:A", "h:B", beneficiary_phone="0917 123 4567"))
    cols = [r[0] for r in ws.con.execute("DESCRIBE signals").fetchall()]
    for i, (value, expires) in enumerate(
        (("+639171234567", dt.date(2025, 7, 1)), ("+639998887777", dt.date(2023, 1, 1)))
    ):
        row = {c: None for c in cols}
        row.update(
            signal_id=f"s{i}",
            identifier_type="phone",
            value=value,
            role="facilitator",
            signal_source="test",
            confidence=0.9,
            expires=expires,
            ingest_id="t",
            source="t",
            file="t.csv",
            line=i + 2,
        )
        ws.con.execute(
            f"INSERT INTO signals VALUES ({', '.join('?' * len(cols))})", list(row.values())
        )
    assert [s.value for s in signal_seeds(ws)] == ["+639171234567"]
    r = scan(ws, model=None, write=False)
    assert len(r.network.seeds) == 1


def test_a_shared_payer_signal_seeds_the_walk_from_that_payer(ws: Workspace) -> None:
    """Issue 20: a payer another institution confirmed (a shared payer signal, matched to this
    workspace's own record of the payer) seeds the network: its beneficiary is one hop away, the
    beneficiary's other payer two, and the payer's alert reasons name the signal."""
    load(ws, tx(3, "REMIT1:A", "h:B") + tx(3, "REMIT1:C", "h:B") + tx(3, "REMIT1:D", "h:E"))
    pcols = [r[0] for r in ws.con.execute("DESCRIBE party_records").fetchall()]
    for i, (rid, phone) in enumerate((("REMIT1:A", "0412 345 678"), ("REMIT1:D", "0499 000 111"))):
        rec = {c: None for c in pcols}
        rec.update(
            party_record_id=rid, kind="customer", institution="REMIT1", customer_ref=rid[7:],
            name=rid[7:], phone=phone, residence_country="AU", ingest_id="t", source="t",
            file="t.csv", line=i + 2,
        )  # fmt: skip
        ws.con.execute(
            f"INSERT INTO party_records VALUES ({', '.join('?' * len(pcols))})", list(rec.values())
        )
    cols = [r[0] for r in ws.con.execute("DESCRIBE signals").fetchall()]
    row = {c: None for c in cols}
    row.update(
        signal_id="s0", identifier_type="phone", value="+61412345678", role="payer",
        signal_source="share:bank_a:b-1", confidence=0.9, ingest_id="t", source="t",
        file="t.csv", line=2,
    )  # fmt: skip
    ws.con.execute(f"INSERT INTO signals VALUES ({', '.join('?' * len(cols))})", list(row.values()))
    r = scan(ws, model=None, write=False)
    assert list(r.network.payer_seeds) == ["REMIT1:A"]
    payer = r.network.payer.set_index("payer_entity")
    benef = r.network.beneficiary.set_index("beneficiary_entity")
    assert payer.loc["REMIT1:A", "seed_hops"] == 0
    assert benef.loc["h:B", "seed_hops"] == 1 and payer.loc["REMIT1:C", "seed_hops"] == 2
    assert payer.loc["REMIT1:D", "seed_hops"] == -1  # not reached
    assert r.network.payer_seeds["REMIT1:A"] == ["phone:+61412345678 (share:bank_a:b-1)"]
    # without --signals nothing seeds
    assert scan(ws, model=None, write=False, use_signals=False).network.payer_seeds == {}


def test_purchase_kinds_and_monthly_fan_out(ws: Workspace) -> None:
    start = dt.datetime(2024, 3, 1, 13, 0)
    rows = []
    for k in range(4):  # four unrelated beneficiaries within one month
        rows += tx(2, "REMIT1:John_Smith", f"h:B{k}", start=start + dt.timedelta(days=k))
    card = {"channel": "card", "beneficiary_country": None}
    rows += tx(
        2, "BANK1:John_Smith", None, merchant_name="TunnelBox VPN", merchant_category="4816", **card
    )
    rows += tx(
        1,
        "BANK1:John_Smith",
        None,
        merchant_name="StreamStar Coins",
        merchant_category="5816",
        **card,
    )
    rows += tx(
        1,
        "BANK1:John_Smith",
        None,
        merchant_name="StreamBox Subscription",
        merchant_category="4899",
        **card,
    )
    for r in rows:
        r["payer_record_id"] = "REMIT1:John_Smith"  # one person (as entity resolution would say)
    load(ws, rows)
    r = scan(ws, model=None, write=False)
    p = r.payer.set_index("payer_entity").loc["REMIT1:John_Smith"]
    assert p["n_purchases_privacy"] == 2
    assert p["n_purchases_tokens"] == 1
    assert p["n_related_kinds"] == 2
    assert p["n_related_purchases"] == 3  # a video-streaming subscription is not related
    assert p["max_unrel_benefs_month"] == 4


def test_randomised_training_profiles_are_valid_and_differ() -> None:
    import random

    import yaml

    from bantay.pipeline import randomised_profile
    from bantay.simulate.profiles import parse_profile

    a = randomised_profile("baseline", random.Random(1))
    b = randomised_profile("baseline", random.Random(2))
    assert a != b
    prof = parse_profile(yaml.safe_load(a), "randomised")
    shares = prof.parameters.population.role_shares.value
    assert abs(sum(shares.values()) - 1.0) < 1e-6
    assert 0.01 <= shares["offender"] <= 0.03
