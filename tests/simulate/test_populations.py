# polars types scalar results (item(), means, sums) as a broad union; they are numbers here.
# mypy: disable-error-code="operator,arg-type"
"""The populations that send abroad now and then (issue 21 part 3): one-off senders, travellers,
child sponsors and romance-scam victims, each with its role and flows at its drawn share; ranges
drawn per world; a population left out with ``without``."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zoneinfo
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from bantay.simulate import simulate, write_world
from bantay.simulate.profiles import (
    SENDER_ROLES,
    ProfileError,
    draw_ranges,
    leave_out,
    load_profile,
    parameter_spreads,
    parse_profile,
)
from bantay.simulate.world import Config, World, build_world

#: each new population: its role, its flows, and the role of the people it pays
POPULATIONS = {
    "one_off_sender": ({"one_off_transfer"}, {"one_off_recipient"}),
    "traveller": ({"travel_payment"}, {"travel_vendor"}),
    "sponsor": ({"sponsorship", "direct_sponsorship"}, {"charity", "sponsored_family"}),
    "romance_victim": ({"romance_scam"}, {"mule"}),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    world = build_world(Config(senders=6000, months=6, seed=11), load_profile("baseline"))
    out = tmp_path_factory.mktemp("populations") / "w"
    write_world(world, out)
    return world, out


def _truth(out: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(out / "truth" / f"{name}.csv", infer_schema_length=0)


def _tx(out: Path) -> pl.DataFrame:
    roles = _truth(out, "persons").select("person_id", "role", "den_id", "family", "zone")
    return (
        _truth(out, "transactions")
        .with_columns(
            pl.col("amount").cast(pl.Float64),
            pl.col("amount_usd").cast(pl.Float64),
            pl.col("local_hour").cast(pl.Int32),
            pl.col("ts_utc").str.to_datetime("%Y-%m-%dT%H:%M:%S"),
        )
        .join(
            roles.rename(lambda c: f"payer_{c}"),
            left_on="payer_person_id",
            right_on="payer_person_id",
        )
        .join(
            roles.rename(lambda c: f"bene_{c}"),
            left_on="beneficiary_person_id",
            right_on="bene_person_id",
            how="left",
        )
    )


# -- roles, flows and shares -----------------------------------------------------------------------


def test_each_population_at_its_drawn_share_with_its_flows(built: tuple[World, Path]) -> None:
    world, out = built
    persons = _truth(out, "persons")
    senders = persons.head(world.config.senders)
    shares = world.profile.parameters.population.role_shares.value
    total = sum(shares.values())
    n = senders.height
    tx = _tx(out)
    for role, (flows, bene_roles) in POPULATIONS.items():
        p = shares[role] / total
        got = (senders["role"] == role).sum()
        assert abs(got - n * p) < 4 * (n * p * (1 - p)) ** 0.5 + 2, role
        paid = tx.filter(pl.col("flow").is_in(list(flows)))
        assert set(paid["flow"]) == flows, role
        assert set(paid["payer_role"]) == {role}, role  # these flows are theirs alone
        assert set(paid["bene_role"]) == bene_roles, role
        # nearly every member of the population pays in the period
        assert paid["payer_person_id"].n_unique() >= 0.9 * got, role
    # and no sender of another role was moved: every sender role is drawn
    assert set(senders["role"]) == set(SENDER_ROLES)


def test_every_population_has_kyc_records(built: tuple[World, Path]) -> None:
    _, out = built
    persons = _truth(out, "persons").filter(pl.col("role").is_in(list(POPULATIONS)))
    kyc = _truth(out, "customers")
    assert persons["person_id"].is_in(kyc["person_id"].implode()).all()
    # charities are organisations: no given name, no sex, no birth date in their KYC records
    charities = _truth(out, "persons").filter(pl.col("role") == "charity")
    assert charities.height > 0
    assert charities["given"].is_null().all() and (charities["sex"] == "unknown").all()


# -- one-off senders -------------------------------------------------------------------------------


def test_one_off_senders_make_one_to_three_payments_to_unrelated_people(
    built: tuple[World, Path],
) -> None:
    _, out = built
    tx = _tx(out).filter(pl.col("flow") == "one_off_transfer")
    per = tx.group_by("payer_person_id").len()
    assert per["len"].min() >= 1 and per["len"].max() <= 3
    assert (per["len"] == 1).mean() > 0.4  # most make a single transfer
    # abroad, to people with no family tie, mostly in South-East Asia
    assert (tx["payer_family"] != tx["bene_family"]).mean() > 0.95
    persons = _truth(out, "persons").select("person_id", "country")
    dest = tx.join(persons, left_on="beneficiary_person_id", right_on="person_id")
    assert dest["country"].is_in(["PH", "TH", "VN", "ID", "MY"]).mean() > 0.6
    payer = dest.join(persons, left_on="payer_person_id", right_on="person_id", suffix="_payer")
    assert (payer["country"] != payer["country_payer"]).all()
    # small to medium amounts at any hour, some at night, some with a memo
    assert 20 < tx["amount_usd"].median() < 250
    night = ((tx["local_hour"] >= 22) | (tx["local_hour"] < 6)).mean()
    assert 0.03 < night < 0.4
    assert 0.1 < tx["memo"].is_not_null().mean() < 0.9


# -- travellers ------------------------------------------------------------------------------------


def _local_hour(ts: dt.datetime, zone: str) -> int:
    return ts.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(zone)).hour


def test_travellers_payments_cluster_in_a_few_days(built: tuple[World, Path]) -> None:
    _, out = built
    tx = _tx(out).filter(pl.col("flow") == "travel_payment").sort("payer_person_id", "ts_utc")
    spans = []
    recipients = []
    for (_,), g in tx.group_by("payer_person_id"):
        days = g["ts_utc"].dt.date().to_list()
        # a deposit from home comes a week or more before the stay: leave it aside
        stay = days[1:] if len(days) > 1 and (days[1] - days[0]).days >= 6 else days
        spans.append((max(stay) - min(stay)).days)
        recipients.append(g["beneficiary_person_id"].n_unique())
    assert max(spans) <= 21  # a short stay
    assert np.median(spans) <= 10
    assert np.mean(recipients) > 2  # several local people
    # one destination per traveller
    persons = _truth(out, "persons").select("person_id", "country")
    dest = tx.join(persons, left_on="beneficiary_person_id", right_on="person_id")
    assert (
        dest.group_by("payer_person_id").agg(pl.col("country").n_unique())["country"] == 1
    ).all()
    # during the stay they pay in daytime where they are, which may be night at home
    at_dest = [_local_hour(t, z) for t, z in tx.select("ts_utc", "bene_zone").iter_rows()]
    assert np.mean([7 <= h < 22 for h in at_dest]) > 0.85
    far = tx.filter(pl.col("payer_zone").str.starts_with("America/"))
    assert ((far["local_hour"] >= 22) | (far["local_hour"] < 6)).mean() > 0.3
    # local people paid by travellers from several countries
    fan_in = tx.group_by("beneficiary_person_id").agg(pl.col("payer_person_id").n_unique())
    assert fan_in["payer_person_id"].max() >= 3


# -- sponsors --------------------------------------------------------------------------------------


def test_sponsors_pay_a_charity_that_many_sponsors_pay(built: tuple[World, Path]) -> None:
    world, out = built
    tx = _tx(out)
    charity = tx.filter(pl.col("flow") == "sponsorship")
    assert set(charity["bene_role"]) == {"charity"}
    fan_in = charity.group_by("beneficiary_person_id").agg(pl.col("payer_person_id").n_unique())
    assert fan_in["payer_person_id"].mean() >= 5
    # monthly, and a standing order pays the same whole amount on the same day every month
    per = charity.group_by("payer_person_id").agg(
        pl.len(),
        pl.col("amount").n_unique().alias("amounts"),
        pl.col("ts_utc").dt.day().n_unique().alias("days"),
        (pl.col("amount") == pl.col("amount").round(0)).all().alias("whole"),
    )
    regular = per.filter(pl.col("len") >= 3)
    assert regular["len"].max() <= world.config.months
    assert regular["whole"].all()
    same = ((regular["amounts"] == 1) & (regular["days"] <= 2)).mean()
    share = world.profile.parameters.sponsor.standing_order_share.value
    assert same >= 0.8 * share
    # the minority sponsor a family directly: one payer each, a small monthly amount
    direct = tx.filter(pl.col("flow") == "direct_sponsorship")
    assert set(direct["bene_role"]) == {"sponsored_family"}
    assert (
        direct.group_by("beneficiary_person_id")
        .agg(pl.col("payer_person_id").n_unique())["payer_person_id"]
        .max()
        == 1
    )
    assert direct["amount_usd"].median() < 100
    assert direct.height < charity.height


# -- romance-scam victims --------------------------------------------------------------------------


def test_romance_mules_are_paid_by_several_victims(built: tuple[World, Path]) -> None:
    _, out = built
    tx = _tx(out).filter(pl.col("flow") == "romance_scam")
    assert set(tx["bene_role"]) == {"mule"} and tx["bene_den_id"].is_null().all()
    fan_in = tx.group_by("beneficiary_person_id").agg(pl.col("payer_person_id").n_unique())
    assert fan_in["payer_person_id"].mean() >= 2 and fan_in["payer_person_id"].max() >= 3
    # irregular, growing amounts, often at night
    ranked = tx.sort("payer_person_id", "ts_utc").with_columns(
        pl.col("ts_utc").rank("ordinal").over("payer_person_id").alias("k"),
        (
            pl.col("amount_usd").log() - pl.col("amount_usd").log().mean().over("payer_person_id")
        ).alias("rel"),
    )
    assert ranked.select(pl.corr("k", "rel", method="spearman")).item() > 0.2
    night = ((tx["local_hour"] >= 21) | (tx["local_hour"] < 3)).mean()
    assert night > 0.3


# -- partners supported by several men -----------------------------------------------------------


def test_some_partners_abroad_are_supported_by_several_unrelated_men(
    built: tuple[World, Path],
) -> None:
    # the fan-in of a den from legitimate money (S31): a partner paid by two men or more, each
    # with his own partner_support relationship
    world, out = built
    tx = _tx(out).filter(pl.col("flow") == "partner_support")
    assert set(tx["payer_role"]) == {"partner_sender"} and set(tx["bene_role"]) == {"partner"}
    fan_in = tx.group_by("beneficiary_person_id").agg(
        pl.col("payer_person_id").n_unique().alias("men")
    )
    shared = fan_in.filter(pl.col("men") > 1)
    assert shared.height > 0 and fan_in.filter(pl.col("men") == 1).height > 0
    assert shared["men"].max() <= world.profile.parameters.partner.supporters_max.value


# -- ranges ----------------------------------------------------------------------------------------


def _within(value: Any, spread: Any, base: Any) -> bool:
    if isinstance(spread, list):
        return bool(spread[0] <= value <= spread[1])
    if isinstance(base, dict):
        return all(
            (s[0] <= value[k] <= s[1]) if isinstance(s, list) else value[k] == s
            for k, s in spread.items()
        )
    jitter = spread.get("jitter", 0.0)
    lo, hi = spread.get("shift", [0, 0])
    # some whole shift of the list, every weight scaled by a factor within the jitter (4 digits)
    return any(
        all(
            (1 - jitter) * b * 0.9995 <= v <= (1 + jitter) * b * 1.0005
            for v, b in zip(value, np.roll(base, s), strict=True)
        )
        for s in range(lo, hi + 1)
    )


@pytest.mark.parametrize("name", ["baseline", "evasive"])
def test_ranges_draw_different_values_per_seed_within_bounds(name: str) -> None:
    profile = load_profile(name)
    spreads = parameter_spreads(profile)
    assert len(spreads) > 100 if name == "baseline" else len(spreads) > 110
    given = {
        f"{s}.{p}": getattr(getattr(profile.parameters, s), p).value
        for s in type(profile.parameters).model_fields
        for p in type(getattr(profile.parameters, s)).model_fields
    }
    drawn: dict[str, list[str]] = {path: [] for path in spreads}
    for seed in range(12):
        params = draw_ranges(profile, seed).parameters
        for path, spread in spreads.items():
            section, pname = path.split(".")
            value = getattr(getattr(params, section), pname).value
            assert _within(value, spread, given[path]), (path, seed, value)
            drawn[path].append(json.dumps(value))
        assert draw_ranges(profile, seed) == draw_ranges(profile, seed)  # same seed, same world
    for path, values in drawn.items():
        assert len(set(values)) > 1, path  # different seeds, different values


def test_offenders_and_every_population_are_randomised() -> None:
    spreads = parameter_spreads(load_profile("baseline"))
    for path in (
        "population.role_shares",
        "osec.session_count_mu",
        "osec.amount_median_aud",
        "osec.hour_weights",
        "osec.memo_share",
        "osec.amount_escalation_exponent",
        "osec.gap_shrink_exponent",
        "facilitators.identities_per_den_weights",
        "family.amount_median_usd",
        "family.hour_weights",
        "partner.payments_per_month",
        "partner.shared_share",
        "one_off.amount_median_usd",
        "traveller.stay_days_median",
        "sponsor.amount_usd",
        "romance.escalation_per_payment",
    ):
        assert path in spreads, path
    shares = spreads["population.role_shares"]
    assert all(isinstance(v, list) for v in shares.values())


def test_each_parameter_draws_from_its_own_stream() -> None:
    """Changing one parameter, or leaving a role out, moves no other parameter's draw."""
    base = load_profile("baseline")
    a = draw_ranges(base, 4).parameters
    b = draw_ranges(leave_out(base, ["traveller"]), 4).parameters
    assert b.population.role_shares.value["traveller"] == 0
    for role, v in a.population.role_shares.value.items():
        if role != "traveller":
            assert b.population.role_shares.value[role] == v, role
    assert a.osec == b.osec and a.family == b.family


# -- leaving a population out ----------------------------------------------------------------------


def test_without_leaves_a_role_out_and_says_so(tmp_path: Path) -> None:
    full, out = tmp_path / "full", tmp_path / "without"
    simulate(full, senders=1500, months=2, seed=6)
    manifest = simulate(out, senders=1500, months=2, seed=6, without=["one_off_sender"])
    assert manifest["without"] == ["one_off_sender"]
    assert json.loads((full / "manifest.json").read_text())["without"] == []
    persons = _truth(out, "persons")
    assert "one_off_sender" not in set(persons["role"])
    assert "one_off_transfer" not in set(_truth(out, "transactions")["flow"])
    assert "one_off_sender" in set(_truth(full, "persons")["role"])
    # the parameters record a share of 0 and why; the other roles keep their drawn weights, so
    # they share what the role held
    rows = {r["parameter"]: r for r in _truth(out, "parameters").iter_rows(named=True)}
    shares = json.loads(rows["population.role_shares"]["value"])
    full_rows = {r["parameter"]: r for r in _truth(full, "parameters").iter_rows(named=True)}
    full_shares = json.loads(full_rows["population.role_shares"]["value"])
    assert shares["one_off_sender"] == 0 < full_shares["one_off_sender"]
    assert {k: v for k, v in shares.items() if k != "one_off_sender"} == {
        k: v for k, v in full_shares.items() if k != "one_off_sender"
    }
    assert (
        "Left out of this world: one_off_sender" in rows["population.role_shares"]["reason_or_note"]
    )
    senders = persons.head(1500)
    family = (senders["role"] == "family_sender").mean()
    expected = shares["family_sender"] / sum(shares.values())
    assert abs(family - expected) < 0.05


def test_without_as_a_profile_field(tmp_path: Path) -> None:
    prof = parse_profile(
        {"name": "no-sponsors", "extends": "baseline", "without": ["sponsor"], "parameters": {}},
        "no-sponsors.yaml",
    )
    assert prof.without == ("sponsor",)
    assert prof.parameters.population.role_shares.value["sponsor"] == 0
    # a profile extending it keeps the role out and may leave out another
    child = tmp_path / "child.yaml"
    parent = tmp_path / "parent.yaml"
    parent.write_text(
        "name: parent\nextends: baseline\nwithout: [sponsor]\nparameters: {}\n", encoding="utf-8"
    )
    child.write_text(
        f"name: child\nextends: {parent}\nwithout: [traveller]\nparameters: {{}}\n",
        encoding="utf-8",
    )
    both = load_profile(str(child))
    assert both.without == ("traveller", "sponsor")
    shares = both.parameters.population.role_shares.value
    assert shares["traveller"] == shares["sponsor"] == 0 < shares["one_off_sender"]
    with pytest.raises(ProfileError, match="unknown role 'tourist' to leave out"):
        leave_out(load_profile("baseline"), ["tourist"])
    with pytest.raises(ProfileError, match="leaves no one"):
        leave_out(load_profile("baseline"), SENDER_ROLES)


def _bantay(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("bantay")
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, check=False, env=env)


def test_cli_without(tmp_path: Path) -> None:
    out = tmp_path / "w"
    args = ("simulate", "-o", str(out), "--senders", "400", "--months", "1", "--seed", "2")
    done = _bantay(*args, "--without", "traveller", "--without", "sponsor")
    assert done.returncode == 0, done.stderr
    assert "without traveller" in " ".join(done.stdout.split())
    assert json.loads((out / "manifest.json").read_text())["without"] == ["traveller", "sponsor"]
    roles = set(_truth(out, "persons")["role"])
    assert not roles & {"traveller", "sponsor", "travel_vendor", "charity", "sponsored_family"}
    bad = _bantay(*args, "--without", "tourist")
    assert bad.returncode != 0 and "unknown role 'tourist'" in bad.stdout + bad.stderr


# -- what the institution does not know -----------------------------------------------------------


def _with(**params: dict[str, Any]) -> Any:
    return parse_profile(
        {"name": "t", "extends": "baseline", "parameters": params}, "what-is-known.yaml"
    )


def test_a_bank_records_the_sex_of_the_share_of_customers_its_world_draws(tmp_path: Path) -> None:
    # an empty sex must be something the model has seen (issue 21): most remitters' exports and
    # some banks' leave it out
    for share, expect in ((0.0, "none"), (1.0, "all"), (0.5, "some")):
        prof = _with(
            population={
                "kyc_sex_recorded_share": {"value": share, "source": "assumption", "reason": "test"}
            }
        )
        out = tmp_path / f"sex-{share}"
        write_world(build_world(Config(senders=600, months=2, seed=3), prof), out)
        col = pl.read_csv(out / "harbour_bank_customers.csv", infer_schema_length=0)["Gender"]
        filled = col.fill_null("").str.len_chars().gt(0).mean()
        if expect == "none":
            assert filled == 0
        elif expect == "all":
            assert filled > 0.97  # organisations have no sex
        else:
            assert 0.3 < filled < 0.7


def test_shared_signals_name_the_share_of_dens_the_world_draws() -> None:
    none = build_world(
        Config(senders=3000, months=3, seed=5),
        _with(
            facilitators={
                "signal_den_share": {"value": 0.0, "source": "assumption", "reason": "test"}
            }
        ),
    )
    assert none.signals == []
    every = build_world(
        Config(senders=3000, months=3, seed=5),
        _with(
            facilitators={
                "signal_den_share": {"value": 1.0, "source": "assumption", "reason": "test"}
            }
        ),
    )
    phones = [s for s in every.signals if s["identifier_type"] == "phone"]
    dens = every.persons.filter(pl.col("role") == "facilitator")["den_id"].n_unique()
    assert len(phones) == dens > 0
