# polars types scalar results (item(), max(), means) as a broad union (incl. Decimal, date, arrays);
# they are numbers or timedeltas here.
# mypy: disable-error-code="operator,union-attr"
"""The simulator: determinism, the truth mapping, every behaviour present, profiles, ingestability."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import yaml

from bantay.simulate import simulate
from bantay.simulate.profiles import ProfileError, load_profile, parse_profile
from bantay.simulate.reference import MERCHANTS
from bantay.simulate.world import Config, build_world

SMALL: dict[str, Any] = {"senders": 3000, "months": 4}


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world") / "w"
    simulate(out, seed=7, **SMALL)
    return out


@pytest.fixture(scope="module")
def evasive_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world") / "e"
    simulate(out, seed=7, profile="evasive", **SMALL)
    return out


def _truth(world: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(world / "truth" / f"{name}.csv", infer_schema_length=0)


# -- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_bytes(world: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    simulate(again, seed=7, **SMALL)
    assert _digest(again) == _digest(world)


def test_different_seed_differs(world: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    simulate(other, seed=8, **SMALL)
    a, b = _digest(world), _digest(other)
    assert a.keys() == b.keys()
    assert a["truth/transactions.csv"] != b["truth/transactions.csv"]
    assert a["quicksend_customers.csv"] != b["quicksend_customers.csv"]


# -- layout and contract ---------------------------------------------------------------------------


def test_manifest_lists_every_file_in_ingest_order(world: Path) -> None:
    m = json.loads((world / "manifest.json").read_text())
    kinds = [f["kind"] for f in m["files"]]
    order = {"rates": 0, "parties": 1, "transactions": 2, "signals": 3}
    assert kinds == sorted(kinds, key=order.__getitem__)
    assert kinds[0] == "rates" and kinds[-1] == "signals"
    listed = {f["path"] for f in m["files"]} | {f["mapping"] for f in m["files"]}
    on_disk = {str(p.relative_to(world)) for p in world.rglob("*") if p.is_file()}
    analyst = {p for p in on_disk if not p.startswith("truth/") and p != "manifest.json"}
    assert analyst == listed
    institutions = {f["institution"] for f in m["files"] if f["kind"] == "transactions"}
    assert len(institutions) >= 4


def test_truth_only_in_truth_folder(world: Path) -> None:
    for p in world.glob("*.csv"):
        if p.name == "signals.csv":  # its `role` is what police ascribe, part of the contract
            continue
        header = p.read_text(encoding="utf-8").splitlines()[0].lower()
        for word in ("person_id", "role", "den_id", "flow", "offender"):
            assert word not in header, (p.name, word)


def test_truth_columns(world: Path) -> None:
    assert _truth(world, "persons").columns[:5] == [
        "person_id",
        "role",
        "den_id",
        "country",
        "profile",
    ]
    assert _truth(world, "customers").columns[:3] == ["institution", "customer_ref", "person_id"]
    assert _truth(world, "transactions").columns[:5] == [
        "institution",
        "transaction_id",
        "payer_person_id",
        "beneficiary_person_id",
        "flow",
    ]


def test_truth_mapping_complete(world: Path) -> None:
    m = json.loads((world / "manifest.json").read_text())
    persons = set(_truth(world, "persons")["person_id"])
    customers = _truth(world, "customers")
    assert customers["person_id"].is_in(list(persons)).all()
    refs = set(zip(customers["institution"], customers["customer_ref"], strict=True))
    truth_tx = _truth(world, "transactions")
    tx_keys = set(zip(truth_tx["institution"], truth_tx["transaction_id"], strict=True))
    assert len(tx_keys) == truth_tx.height
    n_tx = 0
    for f in m["files"]:
        if f["kind"] not in ("parties", "transactions"):
            continue
        sep = {"rhein_bank": ";", "cashbridge": "|"}.get(f["institution"], ",")
        df = pl.read_csv(world / f["path"], separator=sep, infer_schema_length=0)
        inst = f["institution"]
        if f["kind"] == "parties":
            ref_col = df.columns[0]
            assert all((inst, r) in refs for r in df[ref_col]), inst
        else:
            n_tx += df.height
            assert all((inst, t) in tx_keys for t in df[df.columns[0]]), inst
    assert n_tx == truth_tx.height
    # every transaction side maps to a person; only card purchases lack a beneficiary
    assert truth_tx["payer_person_id"].is_in(list(persons)).all()
    bene = truth_tx.filter(pl.col("flow") != "card_purchase")["beneficiary_person_id"]
    assert bene.is_in(list(persons)).all()
    card = truth_tx.filter(pl.col("flow") == "card_purchase")["beneficiary_person_id"]
    assert card.is_null().all()
    # every payer's customer ref is a KYC customer
    pairs = set(zip(truth_tx["institution"], truth_tx["payer_customer_ref"], strict=True))
    assert pairs <= refs


def test_rates_cover_period_and_currencies(world: Path) -> None:
    rates = pl.read_csv(world / "rates.csv", try_parse_dates=True)
    tx = _truth(world, "transactions")
    assert set(tx["currency"].unique()) <= set(rates["currency"].unique())
    days = tx["ts_utc"].str.slice(0, 10).str.to_date()
    for cur, g in rates.group_by("currency"):
        assert g["date"].min() <= days.min() and g["date"].max() >= days.max(), cur
        assert g.height == (g["date"].max() - g["date"].min()).days + 1  # daily


def test_signals_partial_and_about_facilitators(world: Path) -> None:
    sig = pl.read_csv(world / "signals.csv", infer_schema_length=0)
    assert sig.columns == [
        "identifier_type",
        "value",
        "role",
        "signal_source",
        "confidence",
        "expires",
    ]
    assert set(sig["role"]) <= {"facilitator"}


# -- behaviours ------------------------------------------------------------------------------------


def test_every_flow_and_role_present(world: Path) -> None:
    flows = set(_truth(world, "transactions")["flow"])
    assert flows == {
        "osec_payment",
        "family_remittance",
        "family_topup",
        "inlaw_remittance",
        "freelancer_payment",
        "partner_support",
        "fraud_mule_payment",
        "card_purchase",
        "one_off_transfer",
        "travel_payment",
        "sponsorship",
        "direct_sponsorship",
        "romance_scam",
    }
    roles = set(_truth(world, "persons")["role"])
    assert {
        "offender",
        "facilitator",
        "mule",
        "family_sender",
        "family_recipient",
        "freelancer",
        "client_business",
        "partner",
        "partner_sender",
        "fraud_victim",
        "ordinary",
        "one_off_sender",
        "one_off_recipient",
        "traveller",
        "travel_vendor",
        "sponsor",
        "charity",
        "sponsored_family",
        "romance_victim",
    } <= roles


def test_payer_countries_and_recipients(world: Path) -> None:
    p = _truth(world, "persons")
    senders = p.filter(pl.col("role").is_in(["ordinary", "family_sender", "offender"]))
    assert {"AU", "US", "GB", "CA", "DE"} <= set(senders["country"])
    # a small world has three or four dens, each in a country drawn by weight: count the dens of
    # a larger one (built, not written)
    big = build_world(Config(senders=12000, months=1, seed=7), load_profile("baseline")).persons
    dens = big.filter(pl.col("role") == "facilitator").unique("den_id")
    assert dens.height >= 10
    assert (dens["country"] == "PH").mean() > 0.5


def test_family_remittances_share_surnames_and_paydays(world: Path) -> None:
    tx = _truth(world, "transactions")
    p = _truth(world, "persons").select("person_id", "family")
    fam = (
        tx.filter(pl.col("flow") == "family_remittance")
        .join(p.rename({"person_id": "payer_person_id", "family": "pf"}), on="payer_person_id")
        .join(
            p.rename({"person_id": "beneficiary_person_id", "family": "bf"}),
            on="beneficiary_person_id",
        )
    )
    assert (fam["pf"] == fam["bf"]).mean() > 0.6
    inlaw = (
        tx.filter(pl.col("flow") == "inlaw_remittance")
        .join(p.rename({"person_id": "payer_person_id", "family": "pf"}), on="payer_person_id")
        .join(
            p.rename({"person_id": "beneficiary_person_id", "family": "bf"}),
            on="beneficiary_person_id",
        )
    )
    assert (inlaw["pf"] != inlaw["bf"]).mean() > 0.9
    # the largest cross-border flow
    counts = tx.filter(pl.col("flow") != "card_purchase")["flow"].value_counts()
    top = counts.sort("count", descending=True)["flow"][0]
    assert top in ("family_remittance", "inlaw_remittance")


def test_offenders_pay_with_a_heavy_tail_and_more_later_in_their_careers(tmp_path: Path) -> None:
    """Escalation (S1: amounts rise with tenure) is a small effect (amount ~ payment
    index^0.07-0.11) under per-payment noise; a world of a few dozen offenders can hide it, so
    this one has a few hundred payments from payers with careers."""
    simulate(tmp_path / "w", seed=11, senders=5000, months=6)
    tx = _truth(tmp_path / "w", "transactions").with_columns(
        pl.col("amount_usd").cast(pl.Float64), pl.col("session_index").cast(pl.Int32)
    )
    o = tx.filter(pl.col("flow") == "osec_payment")
    # a heavy tail: the top tenth of offenders make a third or more of the payments (judged on
    # this world's few hundred payments; a small world's couple of dozen offenders can hide it)
    per = o.group_by("payer_person_id").len().sort("len", descending=True)
    top = per["len"].head(max(1, per.height // 10)).sum()
    assert top / per["len"].sum() > 0.3
    rel = o.with_columns(
        (
            pl.col("amount_usd").log() - pl.col("amount_usd").log().mean().over("payer_person_id")
        ).alias("rel")
    ).filter(pl.len().over("payer_person_id") >= 5)
    assert rel.height >= 150
    assert rel.select(pl.corr("session_index", "rel", method="spearman")).item() > 0.05


def test_offenders_heavy_tail_escalation_night(world: Path) -> None:
    tx = _truth(world, "transactions").with_columns(
        pl.col("amount_usd").cast(pl.Float64),
        pl.col("local_hour").cast(pl.Int32),
        pl.col("session_index").cast(pl.Int32),
    )
    o = tx.filter(pl.col("flow") == "osec_payment")
    # escalation: within a payer, later payments are larger and closer together
    rel = (
        o.with_columns(
            (
                pl.col("amount_usd").log()
                - pl.col("amount_usd").log().mean().over("payer_person_id")
            ).alias("rel"),
            pl.col("ts_utc").str.to_datetime().alias("t"),
        )
        .sort("payer_person_id", "t")
        .with_columns(pl.col("t").diff().over("payer_person_id").dt.total_hours().alias("gap"))
    )
    assert rel.select(pl.corr("session_index", "gap", method="spearman")).item() < 0
    night = ((o["local_hour"] >= 20) | (o["local_hour"] < 3)).mean()
    assert night > 0.5
    # several unrelated beneficiaries, fan-in from several countries
    p = _truth(world, "persons")
    nb = o.group_by("payer_person_id").agg(pl.col("beneficiary_person_id").n_unique())
    assert nb["beneficiary_person_id"].max() > 1
    dens = o.join(
        p.select(pl.col("person_id").alias("beneficiary_person_id"), "den_id"),
        on="beneficiary_person_id",
    ).join(
        p.select(pl.col("person_id").alias("payer_person_id"), pl.col("country").alias("pc")),
        on="payer_person_id",
    )
    fan = dens.group_by("den_id").agg(pl.col("payer_person_id").n_unique(), pl.col("pc").n_unique())
    assert fan["payer_person_id"].max() > 3 and fan["pc"].max() > 1
    # benign memos and related purchases
    assert o["memo"].drop_nulls().len() > 0
    offenders = p.filter(pl.col("role") == "offender")["person_id"]
    cards = tx.filter(
        (pl.col("flow") == "card_purchase") & pl.col("payer_person_id").is_in(offenders.implode())
    )
    kind = {m.name: m.kind for m in MERCHANTS}
    kinds = {kind[name] for name in cards["merchant_name"].unique().to_list()}
    assert {"vpn", "capture", "tokens", "airline"} <= kinds


def test_dens_share_phones_or_places_and_some_get_family_money(
    world: Path, evasive_world: Path
) -> None:
    p = _truth(world, "persons").filter(pl.col("role") == "facilitator")
    multi = (
        p.group_by("den_id")
        .agg(pl.len(), pl.col("phone_e164").n_unique(), pl.col("city").n_unique())
        .filter(pl.col("len") > 1)
    )
    assert multi.height > 0
    shared = (multi["phone_e164"] < multi["len"]) | (multi["city"] == 1)
    assert shared.all()
    # each of a small world's 8-9 facilitators gets family money with probability 0.3: one world
    # may have none (~6%), two worlds almost never do
    fam_to_fac = 0
    for w in (world, evasive_world):
        fac = _truth(w, "persons").filter(pl.col("role") == "facilitator")
        fam_to_fac += (
            _truth(w, "transactions")
            .filter(
                (pl.col("flow") == "family_remittance")
                & pl.col("beneficiary_person_id").is_in(fac["person_id"].implode())
            )
            .height
        )
    assert fam_to_fac > 0


def test_identity_noise(world: Path) -> None:
    cust = _truth(world, "customers")
    per_person = cust.group_by("person_id").agg(pl.col("institution").n_unique())
    assert per_person["institution"].max() >= 2
    text = "\n".join(
        (world / f).read_text(encoding="utf-8")
        for f in (
            "quicksend_transactions.csv",
            "cashbridge_transactions.csv",
            "pesopal_customers.csv",
            "maple_bank_customers.csv",
        )
    )
    assert "Ma. " in text or "Ma " in text
    assert any(v in text for v in ("Delacruz", "De la Cruz", "Delos Santos", "Dela Cruz"))
    assert ", " in text  # reordered "SURNAME, Given"
    assert ("+63 9" in text and ",09" in text) or "|09" in text or ",639" in text


# -- profiles --------------------------------------------------------------------------------------


def test_profiles_load_and_evasive_differs() -> None:
    b = load_profile("baseline").parameters.osec
    e = load_profile("evasive").parameters.osec
    assert "family support" in e.memos.value and "family support" not in b.memos.value
    assert e.memo_share.value > b.memo_share.value
    assert e.amount_median_aud.value > b.amount_median_aud.value
    assert e.session_count_mu.value < b.session_count_mu.value
    day = sum(e.hour_weights.value[8:18]) / sum(e.hour_weights.value)
    assert day > sum(b.hour_weights.value[8:18]) / sum(b.hour_weights.value)
    assert e.mule_share.value > 0 == b.mule_share.value
    assert e.extra_identity_prob.value > b.extra_identity_prob.value
    assert e.account_closure_prob.value > b.account_closure_prob.value


def test_evasive_world_rotates_mules_and_switches_institution(evasive_world: Path) -> None:
    tx = _truth(evasive_world, "transactions")
    p = _truth(evasive_world, "persons")
    o = tx.filter(pl.col("flow") == "osec_payment")
    mules = p.filter((pl.col("role") == "mule") & (pl.col("den_id").is_not_null()))["person_id"]
    # by payer: a few prolific payers make most payments, so the share of payments that reach a
    # mule depends on whether those few rotate; the share of payers who rotate does not
    to_mule = o.group_by("payer_person_id").agg(
        pl.col("beneficiary_person_id").is_in(mules.implode()).any()
    )
    assert to_mule["beneficiary_person_id"].mean() > 0.3
    inst = o.group_by("payer_person_id").agg(pl.col("institution").n_unique())
    assert inst["institution"].max() >= 2
    closed = _truth(evasive_world, "customers")["closed_on"].drop_nulls()
    assert closed.len() > 0
    assert (o["local_hour"].cast(pl.Int32).is_between(8, 18)).mean() > 0.4


def _raw(name: str = "baseline") -> dict[str, object]:
    from importlib import resources

    text = resources.files("bantay.simulate").joinpath("profiles", f"{name}.yaml").read_text()
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["parameters"]["osec"]["amount_median_aud"].pop("source"),
            "osec.amount_median_aud.source: Field required",
        ),
        (
            lambda d: d["parameters"]["osec"].__setitem__("amount_median_aud", 45),
            "must be a mapping with `value` and `source`",
        ),
        (
            lambda d: d["parameters"]["osec"]["amount_median_aud"].__setitem__("source", "S99"),
            "unknown source id 'S99'",
        ),
        (
            lambda d: d["parameters"]["osec"]["amount_min_aud"].update(source="assumption"),
            "needs a `reason`",
        ),
        (
            lambda d: d["parameters"]["osec"].__setitem__("colour", {"value": 1, "source": "S1"}),
            "osec.colour: Extra inputs are not permitted",
        ),
        (
            lambda d: d["parameters"]["osec"]["hour_weights"].__setitem__("value", [1, 2]),
            "needs 24 non-negative weights",
        ),
    ],
)
def test_profile_errors_are_clear(edit: object, message: str) -> None:
    data = _raw()
    edit(data)
    with pytest.raises(ProfileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_profile(data, "test.yaml")


def test_unknown_profile_names_the_built_ins() -> None:
    with pytest.raises(ProfileError, match="built-in: baseline, evasive, namesakes"):
        load_profile("nope")


def test_every_parameter_cites_a_source() -> None:
    from bantay.simulate.profiles import parameter_sources

    for name in ("baseline", "evasive", "namesakes"):
        for path, _value, source, why in parameter_sources(load_profile(name)):
            assert source, path
            if "assumption" in source:
                assert why, path


# -- ranges ----------------------------------------------------------------------------------------


def _with_ranges() -> dict[str, Any]:
    data = _raw()
    osec = data["parameters"]["osec"]  # type: ignore[index]
    osec["amount_median_aud"]["value"] = [30, 60]
    osec["closure_after_payments"]["value"] = [20, 60]
    return data


def test_a_number_given_as_a_range_is_drawn_once_per_world(tmp_path: Path) -> None:
    from bantay.simulate.profiles import draw_ranges, parameter_ranges

    prof = parse_profile(_with_ranges(), "ranges.yaml")
    amount = prof.parameters.osec.amount_median_aud
    assert (amount.value, amount.bounds) == (45.0, (30.0, 60.0))  # the middle until drawn
    ranges = parameter_ranges(prof)
    assert ranges["osec.amount_median_aud"] == (30.0, 60.0)
    assert ranges["osec.closure_after_payments"] == (20, 60)
    assert "osec.amount_min_aud" not in ranges
    drawn = [draw_ranges(prof, seed).parameters.osec for seed in range(20)]
    assert all(30 <= d.amount_median_aud.value <= 60 for d in drawn)
    assert all(isinstance(d.closure_after_payments.value, int) for d in drawn)
    assert len({d.amount_median_aud.value for d in drawn}) > 10
    again = draw_ranges(prof, 3).parameters.osec
    assert again == drawn[3]
    assert again.amount_min_aud == prof.parameters.osec.amount_min_aud  # the rest as given
    # the world records the value it drew beside its range
    out = tmp_path / "w"
    simulate(out, senders=200, months=1, seed=3, profile=prof)
    rows = {r["parameter"]: r for r in _truth(out, "parameters").iter_rows(named=True)}
    assert float(rows["osec.amount_median_aud"]["value"]) == again.amount_median_aud.value
    assert json.loads(rows["osec.amount_median_aud"]["range"]) == [30.0, 60.0]
    assert rows["osec.amount_min_aud"]["range"] is None


def test_a_range_survives_extends(tmp_path: Path) -> None:
    base = tmp_path / "ranged.yaml"
    base.write_text(yaml.safe_dump(_with_ranges()), encoding="utf-8")
    child = parse_profile({"name": "child", "extends": str(base), "parameters": {}}, "child.yaml")
    assert child.parameters.osec.amount_median_aud.bounds == (30.0, 60.0)
    over = {"osec": {"amount_median_aud": {"value": 50, "source": "S5"}}}
    child = parse_profile({"name": "c2", "extends": str(base), "parameters": over}, "c2.yaml")
    assert child.parameters.osec.amount_median_aud.bounds is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([60, 30], r"range \[60, 30\]: low is above high"),
        ([1, 2, 3], "a range is two numbers"),
        (["a", "b"], "a range is two numbers"),
    ],
)
def test_bad_ranges_are_clear(value: object, message: str) -> None:
    data = _raw()
    data["parameters"]["osec"]["amount_median_aud"]["value"] = value  # type: ignore[index]
    with pytest.raises(ProfileError, match=message):
        parse_profile(data, "test.yaml")


def test_ranges_are_for_numbers_only() -> None:
    data = _raw()
    osec = data["parameters"]["osec"]  # type: ignore[index]
    osec["closure_after_payments"]["value"] = [2.5, 9]
    with pytest.raises(ProfileError, match="whole-number parameter takes a range of whole"):
        parse_profile(data, "test.yaml")
    osec["closure_after_payments"]["value"] = 40
    osec["memos"]["value"] = ["a", "b"]  # a list-valued parameter takes its list as it is
    assert parse_profile(data, "test.yaml").parameters.osec.memos.value == ["a", "b"]
    osec["amount_median_aud"]["bounds"] = [1, 2]
    with pytest.raises(ProfileError, match=r"write a range as `value: \[low, high\]`"):
        parse_profile(data, "test.yaml")


def test_drawn_values_that_break_a_rule_are_refused() -> None:
    from bantay.simulate.profiles import draw_ranges

    data = _raw()
    osec = data["parameters"]["osec"]  # type: ignore[index]
    osec["amount_min_aud"]["value"] = [5, 100]
    osec["amount_max_aud"]["value"] = [60, 500]  # middles 52.5 < 280: loads
    prof = parse_profile(data, "test.yaml")
    with pytest.raises(ProfileError, match="amount_min_aud must be below"):
        for seed in range(200):
            draw_ranges(prof, seed)


def test_a_weight_a_list_and_the_hours_may_vary_per_world(tmp_path: Path) -> None:
    """A weight of a mapping may be a range, a list of weights a jitter and (hours) a shift: each
    drawn once per world, each parameter from its own stream, and recorded by the world."""
    from bantay.simulate.profiles import draw_ranges, parameter_spreads

    data = _raw()
    osec = data["parameters"]["osec"]  # type: ignore[index]
    osec["channel_weights"]["value"] = {
        "online_remitter": [0.3, 0.6],
        "wallet": 0.25,
        "cash_pickup_remitter": 0.15,
        "bank": 0.15,
    }
    hours = [float(h) for h in osec["hour_weights"]["value"]]
    osec["hour_weights"].update(jitter=0.2, shift=[-2, 2])
    prof = parse_profile(data, "t.yaml")
    weights = prof.parameters.osec.channel_weights
    assert weights.value["online_remitter"] == pytest.approx(0.45)  # the middle until drawn
    assert weights.bounds is not None and weights.bounds[0]["online_remitter"] == 0.3
    spreads = parameter_spreads(prof)
    assert spreads["osec.channel_weights"]["online_remitter"] == [0.3, 0.6]
    assert spreads["osec.channel_weights"]["wallet"] == 0.25
    assert spreads["osec.hour_weights"] == {"jitter": 0.2, "shift": [-2, 2]}
    drawn = [draw_ranges(prof, seed).parameters.osec for seed in range(12)]
    remitter = {d.channel_weights.value["online_remitter"] for d in drawn}
    assert len(remitter) > 6 and all(0.3 <= v <= 0.6 for v in remitter)
    assert {d.channel_weights.value["wallet"] for d in drawn} == {0.25}
    for d in drawn:
        fits = [
            all(
                0.8 * b * 0.9995 <= v <= 1.2 * b * 1.0005
                for v, b in zip(d.hour_weights.value, np.roll(hours, s), strict=True)
            )
            for s in range(-2, 3)
        ]
        assert any(fits)
    assert len({tuple(d.hour_weights.value) for d in drawn}) == len(drawn)
    # each parameter draws from its own stream: a range added elsewhere moves no other draw
    osec["memo_share"]["value"] = [0.2, 0.5]
    other = draw_ranges(parse_profile(data, "t.yaml"), 3).parameters.osec
    assert other.channel_weights == drawn[3].channel_weights
    assert other.hour_weights == drawn[3].hour_weights
    # a profile extending it keeps them; the world records them
    base = tmp_path / "ranged.yaml"
    base.write_text(yaml.safe_dump(data), encoding="utf-8")
    child = parse_profile({"name": "c", "extends": str(base), "parameters": {}}, "c.yaml")
    assert child.parameters.osec == parse_profile(data, "t.yaml").parameters.osec
    out = tmp_path / "w"
    simulate(out, senders=200, months=1, seed=3, profile=child)
    rows = {r["parameter"]: r for r in _truth(out, "parameters").iter_rows(named=True)}
    assert json.loads(rows["osec.hour_weights"]["range"]) == {"jitter": 0.2, "shift": [-2, 2]}
    assert (
        json.loads(rows["osec.hour_weights"]["value"])
        == draw_ranges(child, 3).parameters.osec.hour_weights.value
    )


def test_a_weight_range_and_jitter_are_checked() -> None:
    data: dict[str, Any] = {
        "name": "x",
        "extends": "baseline",
        "parameters": {
            "osec": {
                "hour_weights": {"value": [1] * 24, "jitter": 1.5, "source": "S19"},
            }
        },
    }
    with pytest.raises(ProfileError, match="`jitter` is at least 0 and below 1"):
        parse_profile(data, "x.yaml")
    data["parameters"]["osec"] = {
        "memo_share": {"value": 0.3, "jitter": 0.1, "source": "S9"},
    }
    with pytest.raises(ProfileError, match="`jitter` is for a list of weights only"):
        parse_profile(data, "x.yaml")
    data["parameters"]["osec"] = {
        "channel_weights": {"value": {"wallet": [0.4, 0.2], "bank": 0.3}, "source": "S18"},
    }
    with pytest.raises(ProfileError, match=r"range \[0.4, 0.2\]: low is above high"):
        parse_profile(data, "x.yaml")
    data["parameters"]["family"] = {
        "topup_month_weights": {"value": [1] * 12, "shift": [0, 1], "source": "S16"},
    }
    data["parameters"]["osec"] = {}
    with pytest.raises(ProfileError, match="`shift` is for a list of 24 hourly weights only"):
        parse_profile(data, "x.yaml")
