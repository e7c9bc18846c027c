# polars types scalar results (item(), sums, means) as a broad union; they are numbers here.
# mypy: disable-error-code="operator,arg-type"
"""Identity hazards (issue 15 part 5): recipients who share common names, recipients known only by
name and city, a phone per provider, relatives who carry one name. The ``namesakes`` profile has
them dense; the truth still says which person every record belongs to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bantay.simulate import simulate, write_world
from bantay.simulate.calibration import identity_shares
from bantay.simulate.layouts import LAYOUTS
from bantay.simulate.names import pool_cdf
from bantay.simulate.profiles import load_profile
from bantay.simulate.reference import NAME_POOLS
from bantay.simulate.world import Config, World, build_world

HAZARDS = (
    ("population", "name_pool_density"),
    ("population", "cash_pickup_name_only_share"),
    ("population", "phone_per_institution_share"),
    ("family", "same_name_relative_share"),
)


@pytest.fixture(scope="module")
def namesakes(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Path]:
    """The world the issue's figures are given for: 2,000 senders, 3 months, seed 1."""
    world = build_world(Config(senders=2000, months=3, seed=1), load_profile("namesakes"))
    out = tmp_path_factory.mktemp("namesakes") / "w"
    write_world(world, out)
    return world, out


def _truth(world: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(world / "truth" / f"{name}.csv", infer_schema_length=0)


def _recipients(out: Path) -> pl.DataFrame:
    """Persons paid at least once, with their truth columns."""
    paid = _truth(out, "transactions")["beneficiary_person_id"].drop_nulls().unique()
    return _truth(out, "persons").filter(pl.col("person_id").is_in(paid.implode()))


def _expected_same_name(density: float, n_by_sex: dict[str, int]) -> float:
    """Share of Philippine recipients expected to share given + family name with another one of
    their sex if every name were drawn independently from the weighted pools: each name with
    probability q is shared with probability 1 - (1 - q) ** (n - 1)."""
    male, female, family = NAME_POOLS["ph"]
    pf = np.diff([0.0, *pool_cdf(len(family), density)])
    total = 0.0
    for sex, pool in (("male", male), ("female", female)):
        n = n_by_sex.get(sex, 0)
        q = np.outer(np.diff([0.0, *pool_cdf(len(pool), density)]), pf)
        total += n * float((q * (1 - (1 - q) ** max(n - 1, 0))).sum())
    return total / max(1, sum(n_by_sex.values()))


# -- profiles --------------------------------------------------------------------------------------


def test_every_profile_holds_the_hazards_namesakes_densely() -> None:
    """Real data holds these populations, so baseline and evasive have them too, modestly; the
    namesakes profile's lowest value is above the baseline's highest."""
    base, eva, dense = (load_profile(p).parameters for p in ("baseline", "evasive", "namesakes"))
    for section, name in HAZARDS:
        b = getattr(getattr(base, section), name)
        d = getattr(getattr(dense, section), name)
        assert getattr(getattr(eva, section), name) == b, name
        b_lo, b_hi = b.bounds or (b.value, b.value)
        d_lo = (d.bounds or (d.value, d.value))[0]
        assert 0 < b_lo <= b_hi < d_lo, name
    # the namesakes world differs from the baseline in identity only
    same = {"population", "family"}
    for section in type(base).model_fields:
        if section not in same:
            assert getattr(base, section) == getattr(dense, section), section


def test_identity_hazards_never_change_a_payment(tmp_path: Path) -> None:
    """Names and identifiers come from their own stream: a namesakes world pays the same people
    the same amounts at the same times as the baseline world of its seed, so every offender
    figure of the calibration report is the baseline's."""
    a, b = tmp_path / "baseline", tmp_path / "namesakes"
    simulate(a, senders=600, months=2, seed=5)
    simulate(b, senders=600, months=2, seed=5, profile="namesakes")
    tx = "truth/transactions.csv"
    assert (a / tx).read_bytes() == (b / tx).read_bytes()
    keep = ["person_id", "role", "den_id", "country", "zone"]
    pa, pb = _truth(a, "persons"), _truth(b, "persons")
    assert pa.select(keep).equals(pb.select(keep))
    assert not pa.select("given", "family").equals(pb.select("given", "family"))


# -- shared names ------------------------------------------------------------------------------------


def test_many_recipients_share_a_full_name(namesakes: tuple[World, Path]) -> None:
    world, out = namesakes
    rec = _recipients(out).with_columns(pl.len().over("given", "family").alias("n"))
    ph = rec.filter(pl.col("country") == "PH").with_columns(
        pl.len().over("given", "family").alias("n_ph")
    )
    density = world.profile.parameters.population.name_pool_density.value
    n_by_sex = dict(ph.group_by("sex").len().iter_rows())
    expected = _expected_same_name(density, n_by_sex)
    shared = (ph["n_ph"] > 1).mean()
    # independent draws alone give `expected`; relatives named after one another and a household's
    # shared surname only add to it
    assert shared >= expected > 0.2
    shares = identity_shares(world)
    assert shares["same_name"] >= expected
    assert shares["largest_same_name"] >= 8
    # the truth counts namesakes among all persons, recipients or not
    assert (rec["namesakes"].cast(pl.Int32) >= rec["n"] - 1).all()


def test_relatives_with_one_name_are_different_persons(namesakes: tuple[World, Path]) -> None:
    world, out = namesakes
    persons = _truth(out, "persons")
    after = persons.filter(pl.col("namesake_of").is_not_null())
    pair = after.join(
        persons.select(
            pl.col("person_id").alias("namesake_of"),
            *[pl.col(c).alias(f"{c}_r") for c in ("given", "family", "city", "sex", "role")],
        ),
        on="namesake_of",
    )
    assert pair.height == after.height > 0
    assert (pair["person_id"] != pair["namesake_of"]).all()
    for c in ("given", "family", "city", "sex"):
        assert (pair[c] == pair[f"{c}_r"]).all(), c
    assert set(pair["role"]) == set(pair["role_r"]) == {"family_recipient"}
    assert (pair["namesakes"].cast(pl.Int32) >= 1).all()
    # both are paid, each in their own name: some by the same sender, some by two senders
    tx = _truth(out, "transactions").filter(pl.col("flow") == "family_remittance")
    payers = tx.group_by("beneficiary_person_id").agg(pl.col("payer_person_id").unique())
    by = dict(
        zip(payers["beneficiary_person_id"], payers["payer_person_id"].to_list(), strict=True)
    )
    paid = pair.filter(pl.col("person_id").is_in(list(by)) & pl.col("namesake_of").is_in(list(by)))
    same = [
        bool(set(by[a]) & set(by[b])) for a, b in paid.select("person_id", "namesake_of").rows()
    ]
    assert 0 < sum(same) < len(same)
    # as many as the profile says, give or take the relatives that did not fit
    share = world.profile.parameters.family.same_name_relative_share.value
    fam = persons.filter(pl.col("role") == "family_recipient")
    assert after.height / fam.height >= 0.6 * share


# -- name only, a phone per provider ---------------------------------------------------------------


def test_name_only_recipients_have_no_phone_or_account(namesakes: tuple[World, Path]) -> None:
    world, out = namesakes
    lay = LAYOUTS["cashbridge"]
    assert "beneficiary_account" not in lay.tx  # cash pickup carries no account at all
    export = pl.read_csv(out / "cashbridge_transactions.csv", separator="|", infer_schema_length=0)
    truth = _truth(out, "transactions").filter(pl.col("institution") == "cashbridge")
    rows = export.join(
        truth.select(
            pl.col("transaction_id").alias(lay.tx["transaction_id"]), "beneficiary_person_id"
        ),
        on=lay.tx["transaction_id"],
    ).join(
        _truth(out, "persons").select(
            pl.col("person_id").alias("beneficiary_person_id"), "name_only", "given", "city"
        ),
        on="beneficiary_person_id",
    )
    name_only = rows.filter(pl.col("name_only") == "true")
    assert name_only.height > 0
    assert name_only[lay.tx["beneficiary_phone"]].is_null().all()
    assert name_only[lay.tx["beneficiary_name"]].is_not_null().all()
    assert name_only[lay.tx["beneficiary_city"]].is_not_null().all()
    # recipients paid only in cash and marked name-only are known by name and city alone; the
    # profile's share of them is a lower bound on how many recipients are (chance, small samples)
    tx = _truth(out, "transactions").filter(pl.col("beneficiary_person_id").is_not_null())
    cash_only = tx.group_by("beneficiary_person_id").agg(
        (pl.col("channel") == "cash_pickup").all().alias("cash")
    )
    rec = _recipients(out).join(
        cash_only.rename({"beneficiary_person_id": "person_id"}), on="person_id"
    )
    share = world.profile.parameters.population.cash_pickup_name_only_share.value
    cash = rec.filter(pl.col("cash"))
    assert (cash["name_only"] == "true").mean() >= 0.8 * share
    known_by_name = identity_shares(world)["name_only"]
    assert known_by_name >= 0.8 * share * rec["cash"].mean()


def _number(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())[-9:]


def test_a_phone_per_provider(namesakes: tuple[World, Path]) -> None:
    """A recipient who gives each provider another number: a different number at each institution
    that records one (beneficiary records and their own wallet account); the others: one number."""
    world, _ = namesakes
    inst = world.c_inst
    records: dict[int, dict[int, set[str]]] = {}
    ben = world.beneficiaries
    for cust, person, phone in ben.select("cust", "person", "phone").iter_rows():
        if phone:
            records.setdefault(person, {}).setdefault(int(inst[cust]), set()).add(_number(phone))
    cust = world.customers
    for k, (person, phone) in enumerate(cust.select("person", "phone").iter_rows()):
        records.setdefault(person, {}).setdefault(int(inst[k]), set()).add(_number(phone))
    flagged = world.persons["phone_per_institution"].to_list()
    compared = {"flagged": 0, "others": 0}
    for person, by_inst in records.items():
        assert all(len(numbers) == 1 for numbers in by_inst.values()), person  # one per provider
        if len(by_inst) < 2:
            continue
        numbers = [next(iter(n)) for n in by_inst.values()]
        if flagged[person]:
            compared["flagged"] += 1
            assert len(set(numbers)) == len(numbers), person
        else:
            compared["others"] += 1
            assert len(set(numbers)) == 1, person
    assert compared["flagged"] > 0 and compared["others"] > 0
