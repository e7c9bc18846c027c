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
