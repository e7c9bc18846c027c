"""The synthetic population: people, their accounts at institutions, and who pays whom.

``build_world`` draws everything that exists once per person or per relationship (names, KYC records,
beneficiaries as each sender records them, offenders' session plans). The per-transaction work is
vectorised in ``behaviours.py`` and runs chunk by chunk over payers.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from bantay.simulate import names as nm
from bantay.simulate.profiles import SENDER_ROLES, Profile, draw_ranges
from bantay.simulate.reference import (
    BASE_USD_RATES,
    BUSINESS_SUFFIX,
    BUSINESS_WORDS_A,
    BUSINESS_WORDS_B,
    CHARITY_SUFFIX,
    CHARITY_WORDS_A,
    CHARITY_WORDS_B,
    COUNTRIES,
    DESTINATIONS,
    DIRECT_SPONSOR_MEMOS,
    FAMILY_MEMOS,
    FRAUD_MEMOS,
    FREELANCE_MEMOS,
    HOME_AIRPORT,
    INLAW_MEMOS,
    KIND_CHANNEL,
    NAME_POOLS,
    ONE_OFF_MEMOS,
    PARTNER_MEMOS,
    PAYER_COUNTRIES,
    ROMANCE_MEMOS,
    SPONSOR_MEMOS,
    TOPUP_MEMOS,
    TRAVEL_MEMOS,
)

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

ROLES = (
    *SENDER_ROLES,
    "family_recipient",
    "partner",
    "freelancer",
    "mule",
    "facilitator",
    "one_off_recipient",
    "travel_vendor",
    "charity",
    "sponsored_family",
)
#: people paid from abroad: the identity hazards of ``population`` (name only, a phone per
#: institution) are theirs
RECIPIENT_ROLES = frozenset(ROLES[len(SENDER_ROLES) :])
#: roles that are organisations, not people (no given name, no sex, no date of birth)
ORGANISATION_ROLES = frozenset({"client_business", "charity"})
FLOWS = (
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
)
FLOW = {f: i for i, f in enumerate(FLOWS)}
ROLE = {r: i for i, r in enumerate(ROLES)}


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    kind: str
    countries: tuple[str, ...]
    ref_prefix: str

    @property
    def channel(self) -> str:
        return KIND_CHANNEL[self.kind]


INSTITUTIONS: tuple[Institution, ...] = (
    Institution("harbour_bank", "Harbour Bank", "bank", ("AU", "GB"), "HB"),
    Institution("maple_bank", "Maple Trust Bank", "bank", ("US", "CA"), "MT"),
    Institution("rhein_bank", "Rheinufer Bank", "bank", ("DE",), "RB"),
    Institution("quicksend", "QuickSend", "online_remitter", PAYER_COUNTRIES, "QS"),
    Institution("cashbridge", "CashBridge", "cash_pickup_remitter", PAYER_COUNTRIES, "CB"),
    Institution(
        "pesopal", "PesoPal", "wallet", (*PAYER_COUNTRIES, "PH", "TH", "VN", "ID", "MY"), "PP"
    ),
)
INST = {i.id: k for k, i in enumerate(INSTITUTIONS)}
#: Banks abroad that hold beneficiaries' accounts (fictional).
FOREIGN_BANKS = {
    "PH": ("Banco Lungsod", "Pinoy Savings Bank", "Bayanihan Rural Bank"),
    "TH": ("Chao Phraya Bank",),
    "VN": ("Mekong Commercial Bank",),
    "ID": ("Bank Nusantara Jaya",),
    "MY": ("Selat Bank",),
}
ZONES: tuple[str, ...] = tuple(sorted({z for c in COUNTRIES.values() for z in c.zones}))
ZONE = {z: i for i, z in enumerate(ZONES)}
CURRENCIES: tuple[str, ...] = tuple(sorted(BASE_USD_RATES))
CURRENCY = {c: i for i, c in enumerate(CURRENCIES)}
COUNTRY_CODES: tuple[str, ...] = tuple(sorted(COUNTRIES))
COUNTRY = {c: i for i, c in enumerate(COUNTRY_CODES)}


@dataclass(frozen=True)
class Config:
    senders: int = 2000
    months: int = 12
    seed: int = 0
    start: dt.date = dt.date(2024, 1, 1)
    chunk_persons: int = 5000

    @property
    def end(self) -> dt.date:
        y, m = divmod(self.start.month - 1 + self.months, 12)
        return (
            dt.date(self.start.year + y, m + 1, 1)
            if self.start.day == 1
            else (self.start + dt.timedelta(days=round(30.44 * self.months)))
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days


class Clock:
    """Local calendar ↔ UTC, vectorised: hourly UTC offsets per zone over the whole period."""

    def __init__(self, start: dt.date, days: int) -> None:
        self.t0 = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp())
        self.pad_h = 48
        hours = (days + 4) * 24
        self.offsets = np.zeros((len(ZONES), hours), dtype=np.int32)
        for zi, zname in enumerate(ZONES):
            tz = zoneinfo.ZoneInfo(zname)
            # offsets only change on the hour in these zones: sample each hour
            base = dt.datetime.fromtimestamp(self.t0 - self.pad_h * 3600, tz=dt.UTC)
            prev: int | None = None
            for h in range(hours):
                if h % 6 and prev is not None:
                    self.offsets[zi, h] = prev
                    continue
                off = (base + dt.timedelta(hours=h)).astimezone(tz).utcoffset()
                prev = int(off.total_seconds()) if off is not None else 0
                self.offsets[zi, h] = prev
        self.n_hours = hours

    def offset_at(self, zone: I32 | npt.NDArray[np.int8], ts_utc: I64) -> I64:
        h = (ts_utc - self.t0) // 3600 + self.pad_h
        h = np.clip(h, 0, self.n_hours - 1)
        return self.offsets[zone, h].astype(np.int64)

    def to_utc(self, zone: Any, day: I64, sec: I64) -> I64:
        """UTC seconds of local ``day`` (days since start) at local second-of-day ``sec``."""
        naive = self.t0 + day * 86400 + sec
        approx = naive - self.offset_at(zone, naive)
        return naive - self.offset_at(zone, approx)


@dataclass
class World:
    """Everything drawn once. Tables are polars frames; hot columns are also numpy arrays."""

    config: Config
    profile: Profile
    clock: Clock
    persons: pl.DataFrame
    customers: pl.DataFrame
    beneficiaries: pl.DataFrame
    rels: dict[str, npt.NDArray[Any]]
    offenders: dict[str, npt.NDArray[Any]]
    purchases: dict[str, npt.NDArray[Any]]
    month_start: I64
    p_zone: I32
    p_currency: I32
    c_inst: I32
    c_person: I32
    roles: I32
    p_country: I32
    signals: list[dict[str, str]] = field(default_factory=list)
    memos: tuple[list[str], dict[str, tuple[int, int]]] = field(default_factory=lambda: ([], {}))

    @property
    def n_senders(self) -> int:
        return self.config.senders


def memo_table(profile: Profile) -> tuple[list[str], dict[str, tuple[int, int]]]:
    """All memo strings, and the index range of each flow's memos in it."""
    groups: dict[str, tuple[str, ...]] = {
        "family_remittance": FAMILY_MEMOS,
        "family_topup": TOPUP_MEMOS,
        "inlaw_remittance": INLAW_MEMOS,
        "freelancer_payment": FREELANCE_MEMOS,
        "partner_support": PARTNER_MEMOS,
        "fraud_mule_payment": FRAUD_MEMOS,
        "one_off_transfer": ONE_OFF_MEMOS,
        "travel_payment": TRAVEL_MEMOS,
        "sponsorship": SPONSOR_MEMOS,
        "direct_sponsorship": DIRECT_SPONSOR_MEMOS,
        "romance_scam": ROMANCE_MEMOS,
        "osec_payment": tuple(profile.parameters.osec.memos.value),
        "route": tuple(f"{HOME_AIRPORT[h]}-{d}" for h in PAYER_COUNTRIES for d, _ in DESTINATIONS),
    }
    table: list[str] = [""]
    ranges: dict[str, tuple[int, int]] = {}
    for name, memos in groups.items():
        ranges[name] = (len(table), len(table) + len(memos))
        table.extend(memos)
    return table, ranges


def _weights(d: dict[str, float], keys: tuple[str, ...] | None = None) -> tuple[list[str], F64]:
    ks = list(keys) if keys is not None else list(d)
    w = np.array([d.get(k, 0.0) for k in ks], dtype=np.float64)
    return ks, w / w.sum()


class _Builder:
    def __init__(self, cfg: Config, profile: Profile, rng: np.random.Generator) -> None:
        self.cfg, self.pr, self.rng = cfg, profile.parameters, rng
        #: identity draws (names, places, numbers, how each record writes them) come from their own
        #: stream: how people are called never moves who pays whom, how much or when
        self.ids = np.random.default_rng([cfg.seed, 4])
        self.pop = self.pr.population
        # persons
        self.p: dict[str, list[Any]] = {
            k: []
            for k in (
                "role",
                "den",
                "country",
                "culture",
                "sex",
                "birth",
                "given",
                "middle",
                "family",
                "city",
                "address",
                "nsn",
                "zone",
                "email",
                "namesake_of",
                "name_only",
                "phone_per_institution",
            )
        }
        # customers (KYC records)
        self.c: dict[str, list[Any]] = {
            k: []
            for k in (
                "inst",
                "person",
                "given",
                "family",
                "phone",
                "account",
                "email",
                "opened",
                "closed",
                "address",
                "city",
            )
        }
        self.cust_of: dict[tuple[int, int], int] = {}  # (person, inst) -> first customer
        # beneficiary records: one beneficiary as one payer customer records it
        self.b: dict[str, list[Any]] = {
            k: []
            for k in (
                "cust",
                "person",
                "name",
                "phone",
                "account",
                "bank",
                "city",
                "country",
                "ref",
            )
        }
        self.brec_of: dict[tuple[int, int], int] = {}
        self.r: dict[str, list[Any]] = {
            k: []
            for k in (
                "payer",
                "cust",
                "bene",
                "brec",
                "flow",
                "median",
                "payday",
                "rate",
                "start",
                "end",
                "mode",
            )
        }
        self.local_acct: dict[int, str] = {}
        self.local_acct_bank: dict[int, str] = {}
        self.cdf: dict[int, list[float]] = {}  # pool size -> cumulative name weights
        self.nsn_at: dict[tuple[int, int], str] = {}  # (person, inst) -> number given there
        self.nsn_insts: dict[int, int] = {}  # person -> institutions that recorded a number
        # family recipients by country, and by (country, family name): relatives to name after
        self.kin: dict[str, list[int]] = {}
        self.kin_by_name: dict[tuple[str, str], list[int]] = {}

    # -- persons ---------------------------------------------------------------------------------
    def _name(self, pool: tuple[str, ...]) -> str:
        """A name of ``pool`` as dense as ``population.name_pool_density`` makes names."""
        cdf = self.cdf.get(len(pool))
        if cdf is None:
            cdf = self.cdf[len(pool)] = nm.pool_cdf(len(pool), self.pop.name_pool_density.value)
        return nm.pick(self.ids, pool, cdf)

    def person(
        self,
        role: str,
        country: str,
        culture: str | None = None,
        sex: str | None = None,
        age: float | None = None,
        family: str | None = None,
        den: int = -1,
        namesake_of: int = -1,
    ) -> int:
        """A new person. ``namesake_of``: a relative whose sex, given and family name and city
        this person shares (the middle name, the mother's maiden name, stays their own)."""
        ids = self.ids
        c = COUNTRIES[country]
        culture = culture or c.culture
        if namesake_of >= 0:
            sex = self.p["sex"][namesake_of]
        sex = sex or ("male" if ids.random() < 0.5 else "female")
        gm, gf, fam = NAME_POOLS[culture]
        middle = self._name(fam) if culture == "ph" else ""
        if namesake_of >= 0:
            given, family = self.p["given"][namesake_of], self.p["family"][namesake_of]
            city = self.p["city"][namesake_of]
        else:
            given = self._name(gm if sex == "male" else gf)
            family = family or self._name(fam)
            city = c.cities[int(ids.integers(0, len(c.cities)))]
        if age is None:
            age = float(np.clip(ids.normal(42, 13), 19, 85))
        birth = self.cfg.start - dt.timedelta(days=int(age * 365.25) + int(ids.integers(0, 365)))
        recipient = role in RECIPIENT_ROLES
        name_only = recipient and ids.random() < self.pop.cash_pickup_name_only_share.value
        per_inst = recipient and ids.random() < self.pop.phone_per_institution_share.value
        i = len(self.p["role"])
        self.p["namesake_of"].append(namesake_of)
        self.p["name_only"].append(name_only)
        self.p["phone_per_institution"].append(per_inst)
        self.p["role"].append(role)
        self.p["den"].append(den)
        self.p["country"].append(country)
        self.p["culture"].append(culture)
        self.p["sex"].append(sex)
        self.p["birth"].append(birth)
        self.p["given"].append(given)
        self.p["middle"].append(middle)
        self.p["family"].append(family)
        self.p["city"].append(city)
        self.p["address"].append(f"{int(ids.integers(1, 400))} {self._street()}")
        self.p["nsn"].append(nm.national_number(ids, country))
        # the zone sets the payer's local time: a behaviour draw
        self.p["zone"].append(ZONE[c.zones[int(self.rng.integers(0, len(c.zones)))]])
        local = given.split()[0].lower().replace(".", "") + "." + family.replace(" ", "").lower()
        self.p["email"].append(
            f"{local}{int(ids.integers(1, 99))}@example.{'com' if ids.random() < 0.6 else 'net'}"
        )
        return i

    def relative_to_name_after(
        self, sender: int, household: list[int], country: str, surname: str | None
    ) -> int:
        """A family recipient already in the world whose name a new recipient of ``sender`` carries
        (a junior and his father, cousins named after one grandparent), or -1: a share
        ``family.same_name_relative_share`` of family recipients are named after a relative.

        Of those, ``family.same_name_same_payer_share`` are paid by ``sender`` too (the relative is
        in ``household``); the others' relative is paid by another sender in ``country``. Only a
        household's second and later recipients can have a relative in it, so they take that
        share alone (at ``(mean - 1) / mean`` of recipients); where one side has no relative who
        fits, the other side's is taken. ``surname``: the family name the new recipient must carry
        (the sender's), or None for an in-law, whose relative must not carry the sender's, so that
        every flow keeps its kind."""
        fam, ids = self.pr.family, self.ids
        if ids.random() >= fam.same_name_relative_share.value:
            return -1
        own = self.p["family"][sender]

        def fits(j: int) -> bool:
            f = str(self.p["family"][j])
            return f == surname if surname is not None else f != own

        same_payer = [j for j in household if fits(j)]
        if surname is not None:
            others = [j for j in self.kin_by_name.get((country, surname), []) if j not in household]
        else:
            pool = self.kin.get(country, [])
            others = []
            for _ in range(8 if pool else 0):  # a few tries: nearly every relative fits
                j = pool[int(ids.integers(0, len(pool)))]
                if fits(j) and j not in household:
                    others = [j]
                    break
        mean = fam.recipients_per_sender_mean.value
        later = max(mean - 1.0, 0.0) / mean
        prefer = fam.same_name_same_payer_share.value / later if later > 0 else 0.0
        first, second = (same_payer, others) if ids.random() < prefer else (others, same_payer)
        cands = first or second
        return cands[int(ids.integers(0, len(cands)))] if cands else -1

    def add_kin(self, person: int) -> None:
        """Record a family recipient as a relative later recipients may be named after."""
        country, family = self.p["country"][person], self.p["family"][person]
        self.kin.setdefault(country, []).append(person)
        self.kin_by_name.setdefault((country, family), []).append(person)

    def _street(self) -> str:
        words = (
            "Mabini",
            "Rizal",
            "Bonifacio",
            "Oak",
            "Station",
            "Church",
            "Harbour",
            "Park",
            "Hill",
            "Luna",
            "Del Pilar",
            "Linden",
            "Market",
        )
        kinds = ("St", "Street", "Road", "Ave", "Lane")
        return (
            f"{words[int(self.ids.integers(0, len(words)))]} {kinds[int(self.ids.integers(0, 5))]}"
        )

    def business(self, country: str) -> int:
        i = self.person("client_business", country)
        a = BUSINESS_WORDS_A[int(self.ids.integers(0, len(BUSINESS_WORDS_A)))]
        b = BUSINESS_WORDS_B[int(self.ids.integers(0, len(BUSINESS_WORDS_B)))]
        self.organisation(i, f"{a} {b} {BUSINESS_SUFFIX.get(country, 'Ltd')}")
        return i

    def charity(self, country: str) -> int:
        """A registered charity abroad that child sponsors pay."""
        i = self.person("charity", country)
        a = CHARITY_WORDS_A[int(self.ids.integers(0, len(CHARITY_WORDS_A)))]
        b = CHARITY_WORDS_B[int(self.ids.integers(0, len(CHARITY_WORDS_B)))]
        self.organisation(i, f"{a} {b}{CHARITY_SUFFIX.get(country, '')}")
        return i

    def organisation(self, i: int, name: str) -> None:
        """Make person ``i`` an organisation called ``name`` (no given name, sex or birth)."""
        self.p["given"][i] = ""
        self.p["middle"][i] = ""
        self.p["family"][i] = name
        self.p["sex"][i] = "unknown"
        words = name.replace("'", "").replace("-", "").lower().split()
        self.p["email"][i] = f"accounts@{words[0]}{words[1]}.example.com"

    # -- accounts --------------------------------------------------------------------------------
    def institution_for(self, kind: str, country: str, exclude: set[int] | None = None) -> int:
        cands = [
            k
            for k, inst in enumerate(INSTITUTIONS)
            if inst.kind == kind
            and country in inst.countries
            and (exclude is None or k not in exclude)
        ]
        if not cands:
            cands = [
                k
                for k, inst in enumerate(INSTITUTIONS)
                if country in inst.countries and (exclude is None or k not in exclude)
            ]
        return cands[int(self.rng.integers(0, len(cands)))]

    def customer(
        self,
        person: int,
        inst: int,
        new: bool = False,
        variant_prob: float | None = None,
        opened: int | None = None,
    ) -> int:
        """The person's customer record at ``inst`` (a new one when ``new``: another identity)."""
        key = (person, inst)
        if not new and key in self.cust_of:
            return self.cust_of[key]
        ids = self.ids
        vp = self.pop.name_variant_prob.value if variant_prob is None else variant_prob
        g, f = nm.name_variant(
            ids,
            self.p["given"][person],
            self.p["middle"][person],
            self.p["family"][person],
            vp,
            self.pop.typo_prob.value * 0.3,
        )
        country = self.p["country"][person]
        j = len(self.c["inst"])
        self.c["inst"].append(inst)
        self.c["person"].append(person)
        self.c["given"].append(g)
        self.c["family"].append(f)
        self.c["phone"].append(
            nm.phone_format(country, self._nsn(person, inst), int(ids.integers(0, 6)))
        )
        digits = "".join(str(d) for d in ids.integers(0, 10, size=10))
        self.c["account"].append(f"{INSTITUTIONS[inst].ref_prefix}{digits}")
        self.c["email"].append(self.p["email"][person] if ids.random() < 0.85 else "")
        self.c["opened"].append(int(ids.integers(-3000, -30)) if opened is None else opened)
        self.c["closed"].append(-1)
        self.c["address"].append(self.p["address"][person])
        self.c["city"].append(self.p["city"][person])
        if key not in self.cust_of:
            self.cust_of[key] = j
        return j

    def account_by_kind(self, person: int, kind: str) -> int:
        country = self.p["country"][person]
        existing = [
            j
            for k, inst in enumerate(INSTITUTIONS)
            if inst.kind == kind and (j := self.cust_of.get((person, k))) is not None
        ]
        if existing:
            return existing[0]
        return self.customer(person, self.institution_for(kind, country))

    def beneficiary(self, cust: int, bene: int) -> int:
        key = (cust, bene)
        if key in self.brec_of:
            return self.brec_of[key]
        ids = self.ids
        inst = INSTITUTIONS[self.c["inst"][cust]]
        g, f = nm.name_variant(
            ids,
            self.p["given"][bene],
            self.p["middle"][bene],
            self.p["family"][bene],
            self.pop.name_variant_prob.value,
            self.pop.typo_prob.value,
        )
        country = self.p["country"][bene]
        name = nm.joined_name(ids, g, f, 0.15)
        phone = nm.phone_format(
            country, self._nsn(bene, self.c["inst"][cust]), int(ids.integers(0, 6))
        )
        account, bank = "", ""
        if inst.kind == "bank":
            account = self._local_account(bene)
            banks = FOREIGN_BANKS.get(country, ("Local Bank",))
            bank = (
                banks[int(ids.integers(0, len(banks)))]
                if bene not in self.local_acct_bank
                else self.local_acct_bank[bene]
            )
            self.local_acct_bank[bene] = bank
        elif inst.kind == "wallet":
            wc = self.customer(bene, INST["pesopal"])
            account = self.c["account"][wc]
        elif inst.kind == "online_remitter" and ids.random() < 0.5:
            # delivered to a bank account abroad (else to a mobile wallet: the phone)
            account = self._local_account(bene)
        if ids.random() < 0.3 and inst.kind != "bank":
            phone = ""  # remitters often do not capture the beneficiary phone
        if inst.kind == "cash_pickup_remitter" and self.p["name_only"][bene]:
            phone, account = "", ""  # collects with an ID: known by name and city only
        k = len(self.b["cust"])
        self.b["cust"].append(cust)
        self.b["person"].append(bene)
        self.b["name"].append(name)
        self.b["phone"].append(phone)
        self.b["account"].append(account)
        self.b["bank"].append(bank)
        self.b["city"].append(self.p["city"][bene])
        self.b["country"].append(country)
        self.b["ref"].append("")
        self.brec_of[key] = k
        return k

    def _nsn(self, person: int, inst: int) -> str:
        """The number ``person`` gives institution ``inst``: their own, or for one who gives each
        provider another number (``population.phone_per_institution_share``), their own to the
        first institution that asks and a new one to each next (a record may still leave it out)."""
        if not self.p["phone_per_institution"][person]:
            return str(self.p["nsn"][person])
        key = (person, inst)
        if key not in self.nsn_at:
            seen = self.nsn_insts.get(person, 0)
            self.nsn_insts[person] = seen + 1
            self.nsn_at[key] = (
                self.p["nsn"][person]
                if seen == 0
                else nm.national_number(self.ids, self.p["country"][person])
            )
        return self.nsn_at[key]

    def _local_account(self, person: int) -> str:
        if person not in self.local_acct:
            self.local_acct[person] = "".join(str(d) for d in self.ids.integers(0, 10, size=12))
        return self.local_acct[person]

    def rel(
        self,
        payer: int,
        cust: int,
        bene: int,
        flow: str,
        median: float,
        payday: int = 0,
        rate: float = 0.0,
        start: int = 0,
        end: int = -1,
        mode: int = 0,
    ) -> None:
        """A relationship: ``payer`` pays ``bene`` from customer record ``cust`` in ``flow``.
        ``mode`` is flow-specific: a sponsorship paid by standing order, a traveller's payment made
        at the destination (1), or not (0)."""
        self.r["payer"].append(payer)
        self.r["cust"].append(cust)
        self.r["bene"].append(bene)
        self.r["brec"].append(self.beneficiary(cust, bene))
        self.r["flow"].append(FLOW[flow])
        self.r["median"].append(median)
        self.r["payday"].append(payday)
        self.r["rate"].append(rate)
        self.r["start"].append(start)
        self.r["end"].append(self.cfg.days if end < 0 else end)
        self.r["mode"].append(mode)

    def pick_kind(self, weights: dict[str, float]) -> str:
        ks, w = _weights(weights)
        return ks[int(self.rng.choice(len(ks), p=w))]


def _usd_to(cur: str, usd: float) -> float:
    return usd / BASE_USD_RATES[cur]


def _cur(b: _Builder, person: int) -> str:
    return COUNTRIES[b.p["country"][person]].currency


def _pick(rng: np.random.Generator, weights: dict[str, float], drop: str = "") -> str:
    """A key of ``weights`` drawn by weight (``drop``: a key left out, such as the payer's own
    country)."""
    ks, w = _weights({k: v for k, v in weights.items() if k != drop})
    return ks[int(rng.choice(len(ks), p=w))]


def _one_off_senders(b: _Builder, senders: list[int]) -> None:
    """One to three transfers abroad in the whole period, each on its own day, to people the
    sender has no tie to: someone new, the person paid before, or one whom other one-off senders
    pay too (a small seller)."""
    oo, rng, days = b.pr.one_off, b.rng, b.cfg.days
    ks, kw = _weights(oo.transfers_weights.value)
    per_sender = sum(int(k) * w for k, w in zip(ks, kw, strict=True))
    expected_shared = len(senders) * per_sender * oo.shared_recipient_share.value
    n_shared = round(expected_shared / oo.payers_per_shared_recipient.value) if senders else 0
    countries = oo.recipient_country_weights.value
    # shared recipients (small sellers, fundraisers) are in South-East Asia, never at home
    sea = {k: v for k, v in countries.items() if k not in PAYER_COUNTRIES} or {"PH": 1.0}
    shared = [
        b.person("one_off_recipient", _pick(rng, sea), age=float(rng.uniform(20, 60)))
        for _ in range(max(1, n_shared) if senders else 0)
    ]
    for i in senders:
        k = int(ks[int(rng.choice(len(ks), p=kw))])
        cust = b.account_by_kind(i, b.pick_kind(oo.channel_weights.value))
        median = _usd_to(_cur(b, i), oo.amount_median_usd.value)
        prev = -1
        for _ in range(k):
            if prev >= 0 and rng.random() < oo.same_recipient_share.value:
                r = prev
            elif rng.random() < oo.shared_recipient_share.value:
                r = shared[int(rng.integers(0, len(shared)))]
            else:
                country = _pick(rng, countries, drop=b.p["country"][i])
                r = b.person("one_off_recipient", country, age=float(rng.uniform(18, 70)))
            day = int(rng.integers(0, days))
            b.rel(i, cust, r, "one_off_transfer", median, rate=1, start=day, end=day + 1)
            prev = r


def _travellers(b: _Builder, travellers: list[int], trip_day: I32, dest: dict[int, str]) -> None:
    """One short stay abroad in the period: several payments in a few days to local people
    (a guesthouse, guides, drivers, a cash-in agent), some of them paid by other travellers too,
    and for some a deposit paid from home a few weeks before; then nothing."""
    tv, rng, days = b.pr.traveller, b.rng, b.cfg.days
    reuse = max(0.0, 1.0 - 1.0 / max(tv.travellers_per_recipient.value, 1.0))
    local: dict[tuple[str, str], list[int]] = {}  # (country, city) -> people travellers paid
    for i in travellers:
        country = _pick(rng, tv.destination_weights.value)
        cities = COUNTRIES[country].cities
        city = cities[int(rng.integers(0, len(cities)))]
        stay = int(np.clip(round(tv.stay_days_median.value * rng.lognormal(0, 0.35)), 2, 21))
        start = int(rng.integers(0, max(1, days - stay)))
        trip_day[i], dest[i] = start, country
        pool = local.setdefault((country, city), [])
        median = _usd_to(_cur(b, i), tv.amount_median_usd.value)
        paid: list[int] = []
        for _ in range(1 + int(rng.poisson(max(tv.recipients_mean.value - 1, 0)))):
            fresh = [j for j in pool if j not in paid]
            if fresh and rng.random() < reuse:
                r = fresh[int(rng.integers(0, len(fresh)))]
            else:
                r = b.person("travel_vendor", country, age=float(rng.uniform(20, 60)))
                b.p["city"][r] = city  # where the traveller stays
                pool.append(r)
            cust = b.account_by_kind(i, b.pick_kind(tv.channel_weights.value))
            times = 1 + int(rng.random() < tv.repeat_share.value)
            b.rel(
                i,
                cust,
                r,
                "travel_payment",
                median,
                rate=times,
                start=start,
                end=start + stay,
                mode=1,  # paid at the destination
            )
            paid.append(r)
        if rng.random() < tv.deposit_share.value:
            day = start - int(rng.integers(7, 57))
            if day >= 0:
                cust = b.account_by_kind(i, "bank")
                deposit = _usd_to(_cur(b, i), tv.deposit_amount_median_usd.value)
                b.rel(i, cust, paid[0], "travel_payment", deposit, rate=1, start=day, end=day + 1)


def _sponsors(b: _Builder, sponsors: list[int]) -> None:
    """Child sponsors: most pay a registered charity that many sponsors pay (a fixed, whole
    monthly amount in their currency, by standing order or by hand), the others a family
    directly (a small monthly amount, by hand)."""
    sp, rng, days = b.pr.sponsor, b.rng, b.cfg.days
    countries = sp.charity_country_weights.value
    expected = len(sponsors) * sp.charity_share.value
    n_charities = max(1, math.ceil(expected / sp.sponsors_per_charity.value)) if sponsors else 0
    charities = [b.charity(_pick(rng, countries)) for _ in range(n_charities)]
    price = [float(np.clip(rng.lognormal(0, 0.05), 0.9, 1.1)) for _ in charities]
    yrs = days / 365.25
    for i in sponsors:
        start = 0 if rng.random() < 0.85 else int(rng.integers(0, max(1, days // 2)))
        end = days
        if rng.random() < sp.lapse_per_year.value * yrs:
            end = int(rng.integers(min(start + 30, days - 1), days))
        payday = int(rng.integers(1, 29))
        if rng.random() < sp.charity_share.value:
            c = int(rng.integers(0, len(charities)))
            standing = rng.random() < sp.standing_order_share.value
            kind = "bank" if standing else b.pick_kind(sp.charity_channel_weights.value)
            cust = b.account_by_kind(i, kind)
            amount = float(max(1, round(_usd_to(_cur(b, i), sp.amount_usd.value * price[c]))))
            b.rel(
                i,
                cust,
                charities[c],
                "sponsorship",
                amount,
                payday=payday,
                rate=1.0,
                start=start,
                end=end,
                mode=int(standing),
            )
        else:
            country = _pick(rng, countries)
            r = b.person("sponsored_family", country, age=float(rng.uniform(25, 55)))
            cust = b.account_by_kind(i, b.pick_kind(sp.direct_channel_weights.value))
            median = _usd_to(_cur(b, i), sp.direct_amount_median_usd.value)
            b.rel(
                i,
                cust,
                r,
                "direct_sponsorship",
                median,
                payday=payday,
                rate=1.0,
                start=start,
                end=end,
            )


def _romance_victims(b: _Builder, victims: list[int]) -> None:
    """Victims of romance scams pay a 'partner' whose account is a mule that other victims pay
    too: irregular payments, growing, over a few months."""
    rm, rng, days = b.pr.romance, b.rng, b.cfg.days
    n_mules = max(1, math.ceil(len(victims) / rm.victims_per_mule.value)) if victims else 0
    mules = [
        b.person(
            "mule",
            _pick(rng, rm.mule_country_weights.value),
            sex="female" if rng.random() < 0.8 else "male",
            age=float(rng.uniform(19, 40)),
        )
        for _ in range(n_mules)
    ]
    for i in victims:
        cust = b.account_by_kind(i, b.pick_kind(rm.channel_weights.value))
        dur = max(14.0, float(rng.exponential(rm.duration_days_mean.value)))
        start = int(rng.integers(0, max(1, days - int(dur))))
        first = _usd_to(_cur(b, i), rm.first_amount_median_usd.value * float(rng.lognormal(0, 0.4)))
        b.rel(
            i,
            cust,
            mules[int(rng.integers(0, len(mules)))],
            "romance_scam",
            first,
            rate=float(rm.payments_mean.value),
            start=start,
            end=min(days, start + int(dur)),
        )


def build_world(cfg: Config, profile: Profile) -> World:
    """Draw the population, accounts and relationships of one world (deterministic in the seed).
    A parameter given as a range is drawn first, once, from the seed (``World.profile`` holds the
    drawn values).

    The steps below run in this order and share one random stream (``b.rng``): reordering them
    changes every world.
    """
    profile = draw_ranges(profile, cfg.seed)
    rng = np.random.default_rng([cfg.seed, 0])
    b = _Builder(cfg, profile, rng)
    heritage = _senders(b)
    bank_cust = _bank_accounts(b)
    diaspora_senders = _family_remittances(b, heritage)
    partner_country = _partners(b)
    _freelancer_clients(b)
    _fraud_victims(b)
    trip_day, traveller_dest = _occasional_senders(b)
    dens = _dens(b, heritage, diaspora_senders)
    offenders = _offender_plans(b, dens)
    purchases = {
        "bank_cust": bank_cust,
        **_purchases(b, heritage, partner_country, traveller_dest, trip_day),
    }
    persons, customers, beneficiaries, c_inst = _tables(b)
    # relationships sorted by payer (chunks select payer ranges)
    rels = {k: np.asarray(v) for k, v in b.r.items()}
    order = np.argsort(rels["payer"], kind="stable")
    rels = {k: v[order] for k, v in rels.items()}
    months = [cfg.start]
    for _ in range(cfg.months):
        y, m = divmod(months[-1].month, 12)
        months.append(dt.date(months[-1].year + y, m + 1, 1))
    month_start = np.array([(m - cfg.start).days for m in months], dtype=np.int64)
    p_currency = np.array([CURRENCY[COUNTRIES[c].currency] for c in b.p["country"]], dtype=np.int32)

    world = World(
        config=cfg,
        profile=profile,
        clock=Clock(cfg.start, cfg.days),
        persons=persons,
        customers=customers,
        beneficiaries=beneficiaries,
        rels=rels,
        offenders=offenders,
        purchases=purchases,
        month_start=month_start,
        p_zone=np.asarray(b.p["zone"], dtype=np.int32),
        p_currency=p_currency,
        c_inst=c_inst,
        c_person=np.asarray(b.c["person"], dtype=np.int32),
        roles=np.array([ROLE[r] for r in b.p["role"]], dtype=np.int32),
        p_country=np.array([COUNTRY[c] for c in b.p["country"]], dtype=np.int32),
        memos=memo_table(profile),
    )
    world.signals = _signals(world, dens.idents, rng)
    return world


def _senders(b: _Builder) -> dict[int, str]:
    """The payer-side population: persons 0..n-1 are the senders, each drawn a role, a country
    and (offenders, romance-scam victims) a sex and an age. Returns the diaspora family senders'
    heritage countries."""
    rng, pr, n = b.rng, b.pr, b.cfg.senders
    roles, rw = _weights(pr.population.role_shares.value, SENDER_ROLES)
    role_draw = rng.choice(len(roles), size=n, p=rw)
    pc, pw = _weights(pr.population.payer_country_weights.value, PAYER_COUNTRIES)
    oc, ow = _weights(pr.osec.offender_country_weights.value, PAYER_COUNTRIES)
    rc, rcw = _weights(pr.population.recipient_country_weights.value)
    heritage: dict[int, str] = {}
    for i in range(n):
        role = roles[int(role_draw[i])]
        if role == "offender":
            country = oc[int(rng.choice(len(oc), p=ow))]
            sex = "male" if rng.random() < pr.osec.male_share.value else "female"
            age = float(
                np.clip(
                    rng.normal(pr.osec.age_mean.value, pr.osec.age_sd.value),
                    pr.osec.age_min.value,
                    pr.osec.age_max.value,
                )
            )
            b.person("offender", country, sex=sex, age=age)
        elif role == "client_business":
            b.business(pc[int(rng.choice(len(pc), p=pw))])
        elif role == "romance_victim":
            rm = pr.romance
            country = pc[int(rng.choice(len(pc), p=pw))]
            sex = "male" if rng.random() < rm.male_share.value else "female"
            age = float(np.clip(rng.normal(rm.age_mean.value, 10.0), 25, 85))
            b.person(role, country, sex=sex, age=age)
        else:
            country = pc[int(rng.choice(len(pc), p=pw))]
            culture: str | None = None
            if role == "family_sender" and rng.random() < pr.family.diaspora_share.value:
                h = rc[int(rng.choice(len(rc), p=rcw))]
                heritage[i] = h
                culture = COUNTRIES[h].culture
            psex = "male" if role == "partner_sender" and rng.random() < 0.9 else None
            b.person(role, country, culture=culture, sex=psex)
    return heritage


def _bank_accounts(b: _Builder) -> I32:
    """Every sender's bank account (cards, wires); some ordinary senders also open a wallet or an
    online remitter account. Returns each sender's bank customer."""
    rng, pr, n = b.rng, b.pr, b.cfg.senders
    bank_cust = np.zeros(n, dtype=np.int32)
    for i in range(n):
        bank_cust[i] = b.customer(i, b.institution_for("bank", b.p["country"][i]))
        if b.p["role"][i] == "ordinary" and rng.random() < pr.population.extra_account_prob.value:
            kind = ("wallet", "online_remitter")[int(rng.integers(0, 2))]
            b.account_by_kind(i, kind)
    return bank_cust


def _family_remittances(b: _Builder, heritage: dict[int, str]) -> list[int]:
    """Family senders' households abroad, paid on payday, with top-ups. Returns the diaspora
    senders."""
    rng, pr, n, days = b.rng, b.pr, b.cfg.senders, b.cfg.days
    rc, rcw = _weights(pr.population.recipient_country_weights.value)
    fam = pr.family
    paydays = fam.payday_days.value
    diaspora_senders: list[int] = []
    for i in range(n):
        if b.p["role"][i] != "family_sender":
            continue
        k = 1 + int(rng.poisson(max(fam.recipients_per_sender_mean.value - 1, 0)))
        is_diaspora = i in heritage
        if is_diaspora:
            diaspora_senders.append(i)
        kind = b.pick_kind(fam.channel_weights.value)
        cust = b.account_by_kind(i, kind)
        payday = paydays[int(rng.integers(0, len(paydays)))]
        household: list[int] = []
        for _ in range(k):
            inlaw = (not is_diaspora) or rng.random() < fam.inlaw_share.value
            country = heritage.get(i) or rc[int(rng.choice(len(rc), p=rcw))]
            same = (not inlaw) and rng.random() < fam.same_surname_share.value
            surname = b.p["family"][i] if same else None
            r = b.person(
                "family_recipient",
                country,
                family=surname,
                age=float(rng.uniform(18, 80)),
                namesake_of=b.relative_to_name_after(i, household, country, surname),
            )
            household.append(r)
            b.add_kin(r)
            median = _usd_to(
                _cur(b, i),
                fam.amount_median_usd.value
                * float(rng.lognormal(0, 0.4))
                / (1.6 if inlaw else 1.0),
            )
            start = 0 if rng.random() < 0.85 else int(rng.integers(0, days // 2))
            b.rel(
                i,
                cust,
                r,
                "inlaw_remittance" if inlaw else "family_remittance",
                median,
                payday=payday,
                start=start,
            )
            b.rel(
                i,
                cust,
                r,
                "family_topup",
                _usd_to(_cur(b, i), fam.topup_amount_median_usd.value),
                rate=fam.topups_per_month.value,
                start=start,
            )
    return diaspora_senders


def _partners(b: _Builder) -> dict[int, str]:
    """Partners abroad and the support their partner sends. Returns each partner sender's partner
    country."""
    rng, pr, n, days = b.rng, b.pr, b.cfg.senders, b.cfg.days
    par = pr.partner
    partner_country: dict[int, str] = {}
    # partners supported by several unrelated men (S31): (recipient, country, supporters still to
    # come); a partner sender joins an open one before a new partner is drawn
    shared: list[tuple[int, str, int]] = []
    for i in range(n):
        if b.p["role"][i] != "partner_sender":
            continue
        if shared:
            r, country, left = shared.pop()
            if left > 1:
                shared.append((r, country, left - 1))
        else:
            country = ("PH", "TH", "VN")[int(rng.choice(3, p=[0.75, 0.2, 0.05]))]
            r = b.person(
                "partner",
                country,
                sex="female" if rng.random() < 0.9 else "male",
                age=float(rng.uniform(22, 45)),
            )
            if rng.random() < par.shared_share.value:
                shared.append((r, country, int(rng.integers(1, par.supporters_max.value))))
        partner_country[i] = country
        cust = b.account_by_kind(i, b.pick_kind(par.channel_weights.value))
        start = 0 if rng.random() < 0.7 else int(rng.integers(0, days // 2))
        b.rel(
            i,
            cust,
            r,
            "partner_support",
            _usd_to(_cur(b, i), par.amount_median_usd.value * float(rng.lognormal(0, 0.3))),
            rate=par.payments_per_month.value * float(rng.lognormal(0, 0.4)),
            start=start,
        )
    return partner_country


def _freelancer_clients(b: _Builder) -> None:
    """Businesses paying their freelancers abroad, monthly or twice a month."""
    rng, pr, n, days = b.rng, b.pr, b.cfg.senders, b.cfg.days
    fr = pr.freelancer
    for i in range(n):
        if b.p["role"][i] != "client_business":
            continue
        cust = b.account_by_kind(i, b.pick_kind(fr.channel_weights.value))
        twice = rng.random() < fr.twice_monthly_share.value
        for _ in range(1 + int(rng.poisson(max(fr.freelancers_per_business_mean.value - 1, 0)))):
            country = ("PH", "VN", "ID", "TH")[int(rng.choice(4, p=[0.8, 0.08, 0.07, 0.05]))]
            r = b.person("freelancer", country, age=float(rng.uniform(21, 45)))
            median = _usd_to(_cur(b, i), fr.amount_median_usd.value * float(rng.lognormal(0, 0.35)))
            start = 0 if rng.random() < 0.7 else int(rng.integers(0, days // 2))
            b.rel(
                i,
                cust,
                r,
                "freelancer_payment",
                median / (2 if twice else 1),
                payday=15 if twice else 28,
                rate=2.0 if twice else 1.0,
                start=start,
            )


def _fraud_victims(b: _Builder) -> None:
    """Fraud victims paying mules for a while."""
    rng, pr, n, days = b.rng, b.pr, b.cfg.senders, b.cfg.days
    fd = pr.fraud
    victims = [i for i in range(n) if b.p["role"][i] == "fraud_victim"]
    n_mules = max(1, math.ceil(len(victims) / fd.victims_per_mule.value)) if victims else 0
    fraud_mules = [
        b.person(
            "mule",
            ("PH", "MY", "TH", "ID")[int(rng.choice(4, p=[0.5, 0.2, 0.15, 0.15]))],
            age=float(rng.uniform(19, 40)),
        )
        for _ in range(n_mules)
    ]
    for i in victims:
        cust = b.account_by_kind(i, b.pick_kind(fd.channel_weights.value))
        dur = max(7.0, float(rng.exponential(fd.duration_days_mean.value)))
        start = int(rng.integers(0, max(1, days - int(dur))))
        for m in rng.choice(
            len(fraud_mules), size=min(len(fraud_mules), 1 + int(rng.random() < 0.4)), replace=False
        ):
            b.rel(
                i,
                cust,
                fraud_mules[int(m)],
                "fraud_mule_payment",
                _usd_to(
                    _cur(b, i), fd.first_amount_median_usd.value * float(rng.lognormal(0, 0.5))
                ),
                rate=float(fd.payments_mean.value),
                start=start,
                end=min(days, start + int(dur)),
            )


def _occasional_senders(b: _Builder) -> tuple[I32, dict[int, str]]:
    """People who send abroad now and then (issue 21): one-off senders, travellers, sponsors and
    romance-scam victims. Returns each sender's trip day (-1: none) and the travellers'
    destinations."""
    n = b.cfg.senders
    trip_day = np.full(n, -1, dtype=np.int32)
    traveller_dest: dict[int, str] = {}
    _one_off_senders(b, [i for i in range(n) if b.p["role"][i] == "one_off_sender"])
    _travellers(
        b,
        [i for i in range(n) if b.p["role"][i] == "traveller"],
        trip_day,
        traveller_dest,
    )
    _sponsors(b, [i for i in range(n) if b.p["role"][i] == "sponsor"])
    _romance_victims(b, [i for i in range(n) if b.p["role"][i] == "romance_victim"])
    return trip_day, traveller_dest


@dataclass
class _Dens:
    """The facilitator dens drawn for a world's offenders."""

    offenders: list[int]
    #: per offender: its private dens and how many links go to shared dens
    links: dict[int, tuple[list[int], int]]
    n_shared: int
    popularity: F64  # of the shared dens (Zipf)
    idents: list[list[int]]  # per den: its receiving identities
    mules: list[list[int]]  # per den: its mules


def _dens(b: _Builder, heritage: dict[int, str], diaspora_senders: list[int]) -> _Dens:
    """Facilitator dens, their identities and mules; some identities also receive genuine family
    remittances."""
    rng, pr, n = b.rng, b.pr, b.cfg.senders
    fam = pr.family
    paydays = fam.payday_days.value
    fa, os_ = pr.facilitators, pr.osec
    offenders = [i for i in range(n) if b.p["role"][i] == "offender"]
    # one-to-one dens (S20): each den an offender pays is, with `private_den_share`, one that no
    # other offender pays; the other links go to dens shared by several offenders, whose
    # popularity falls off as a Zipf law
    n_links = 1 + rng.poisson(os_.extra_dens_mean.value, size=len(offenders))
    private = [rng.random(int(k)) < fa.private_den_share.value for k in n_links]
    n_shared_links = sum(int((~p).sum()) for p in private)
    n_shared = max(1, round(n_shared_links / fa.payers_per_den.value)) if offenders else 0
    n_dens = n_shared + sum(int(p.sum()) for p in private)
    popularity = np.arange(1, n_shared + 1, dtype=float) ** -fa.den_popularity_exponent.value
    popularity /= popularity.sum() if n_shared else 1.0
    private_dens = np.split(np.arange(n_shared, n_dens), np.cumsum([int(p.sum()) for p in private]))
    den_links = {
        i: (private_dens[j].tolist(), int((~private[j]).sum())) for j, i in enumerate(offenders)
    }
    dc, dw = _weights(fa.den_country_weights.value)
    ik, iw = _weights(fa.identities_per_den_weights.value)
    den_idents: list[list[int]] = []
    den_mules: list[list[int]] = []
    for d in range(n_dens):
        country = dc[int(rng.choice(len(dc), p=dw))]
        k = int(ik[int(rng.choice(len(ik), p=iw))])
        shared = rng.random() < fa.shared_phone_share.value
        ids: list[int] = []
        for j in range(k):
            same_family = j > 0 and rng.random() < 0.5
            f = b.person(
                "facilitator",
                country,
                den=d,
                age=float(rng.uniform(22, 60)),
                family=b.p["family"][ids[0]] if same_family else None,
            )
            if ids:
                if shared:
                    b.p["nsn"][f] = b.p["nsn"][ids[0]]
                else:
                    b.p["city"][f] = b.p["city"][ids[0]]
                    b.p["address"][f] = b.p["address"][ids[0]]
            ids.append(f)
        den_idents.append(ids)
        mules = [
            b.person(
                "mule",
                country if rng.random() < 0.7 else "MY",
                den=d,
                age=float(rng.uniform(19, 35)),
            )
            for _ in range(fa.mules_per_den.value)
        ]
        den_mules.append(mules)
    # some receiving identities also receive genuine family remittances
    ph_senders = [i for i in diaspora_senders if heritage.get(i) == "PH"] or diaspora_senders
    for ids in den_idents:
        for f in ids:
            if ph_senders and rng.random() < fa.family_recipient_share.value:
                s = ph_senders[int(rng.integers(0, len(ph_senders)))]
                cust = b.account_by_kind(s, b.pick_kind(fam.channel_weights.value))
                b.rel(
                    s,
                    cust,
                    f,
                    "family_remittance",
                    _usd_to(_cur(b, s), fam.amount_median_usd.value * float(rng.lognormal(0, 0.4))),
                    payday=paydays[int(rng.integers(0, len(paydays)))],
                )
    return _Dens(offenders, den_links, n_shared, popularity, den_idents, den_mules)


def _offender_plans(b: _Builder, dens: _Dens) -> dict[str, npt.NDArray[Any]]:
    """Offenders' accounts (more identities, accounts that close), the dens' identities they pay,
    and their session plans: count, base amount, first gap, start. Flat arrays, one row per
    offender with offsets into ``acc_flat``, ``bene_flat`` and ``brec_flat``."""
    rng, os_ = b.rng, b.pr.osec
    o: dict[str, list[Any]] = {
        k: []
        for k in (
            "payer",
            "n",
            "base",
            "gap0",
            "start",
            "acc_off",
            "n_acc",
            "bene_off",
            "n_bene",
            "brec_off",
            "closure_after",
            "rotate",
        )
    }
    acc_flat: list[int] = []
    bene_flat: list[int] = []
    brec_flat: list[int] = []
    aud = BASE_USD_RATES["AUD"]
    for i in dens.offenders:
        country = b.p["country"][i]
        kind = b.pick_kind(os_.channel_weights.value)
        accs = [b.account_by_kind(i, kind)]
        used = {b.c["inst"][accs[0]]}
        extra = 0
        if rng.random() < os_.extra_identity_prob.value:
            extra = 1 + int(rng.random() < 0.4)
        closes = rng.random() < os_.account_closure_prob.value
        if closes:
            extra = max(extra, 1 + int(rng.random() < 0.5))
        for _ in range(extra):
            k2 = b.pick_kind(os_.channel_weights.value)
            inst = b.institution_for(k2, country, exclude=used)
            used.add(inst)
            accs.append(b.customer(i, inst, new=True, variant_prob=0.9))
        # beneficiaries: one main den plus extra dens, possibly mules
        own, n_sh = dens.links[i]
        shared_dens = rng.choice(
            dens.n_shared, size=min(n_sh, dens.n_shared), replace=False, p=dens.popularity
        )
        chosen = np.concatenate([own, shared_dens]).astype(np.int64)
        rng.shuffle(chosen)  # the main den (the first) is private or shared as drawn
        benes: list[int] = []
        rotate = False
        for d in chosen:
            ids = dens.idents[int(d)]
            benes.extend(ids[: 1 + int(rng.integers(0, len(ids)))])
        if dens.mules[int(chosen[0])] and rng.random() < os_.mule_share.value:
            benes = dens.mules[int(chosen[0])] + benes
            rotate = True
        count = int(
            np.clip(
                math.ceil(rng.lognormal(os_.session_count_mu.value, os_.session_count_sigma.value)),
                1,
                os_.session_count_max.value,
            )
        )
        o["payer"].append(i)
        o["n"].append(count)
        o["base"].append(
            os_.amount_median_aud.value
            * aud
            / BASE_USD_RATES[_cur(b, i)]
            * float(rng.lognormal(0, 0.3))
        )
        o["gap0"].append(os_.first_gap_days.value * float(rng.lognormal(0, 0.4)))
        o["start"].append(float(rng.random()))
        o["acc_off"].append(len(acc_flat))
        o["n_acc"].append(len(accs))
        o["bene_off"].append(len(bene_flat))
        o["n_bene"].append(len(benes))
        o["brec_off"].append(len(brec_flat))
        o["closure_after"].append(
            max(2, int(rng.poisson(os_.closure_after_payments.value))) if closes else 10**9
        )
        o["rotate"].append(os_.rotate_every.value if rotate else 0)
        acc_flat.extend(accs)
        bene_flat.extend(benes)
        for a in accs:
            for be in benes:
                brec_flat.append(b.beneficiary(a, be))
    offs = {k: np.asarray(v) for k, v in o.items()}
    offs["acc_flat"] = np.asarray(acc_flat, dtype=np.int32)
    offs["bene_flat"] = np.asarray(bene_flat, dtype=np.int32)
    offs["brec_flat"] = np.asarray(brec_flat, dtype=np.int32)
    return offs


def _purchases(
    b: _Builder,
    heritage: dict[int, str],
    partner_country: dict[int, str],
    traveller_dest: dict[int, str],
    trip_day: I32,
) -> dict[str, npt.NDArray[Any]]:
    """Related purchases, per sender: a VPN, tokens, capture software, trips and where to."""
    rng, pr, n, days = b.rng, b.pr, b.cfg.senders, b.cfg.days
    os_, par = pr.osec, pr.partner
    cd = pr.card
    vpn = np.zeros(n, dtype=bool)
    tokens = np.zeros(n, dtype=bool)
    capture = np.zeros(n, dtype=bool)
    trips = np.zeros(n, dtype=np.int32)
    trip_dest = np.full(n, COUNTRY["PH"], dtype=np.int32)
    yrs = days / 365.25
    for i in range(n):
        role = b.p["role"][i]
        if role == "client_business":
            continue
        if role == "offender":
            vpn[i] = rng.random() < os_.vpn_prob.value
            capture[i] = rng.random() < os_.capture_prob.value
            tokens[i] = rng.random() < os_.tokens_prob.value
            trips[i] = (1 + int(rng.random() < 0.4)) if rng.random() < os_.travel_prob.value else 0
            trip_dest[i] = COUNTRY["PH" if rng.random() < 0.8 else "TH"]
        else:
            vpn[i] = rng.random() < cd.vpn_subscriber_share.value
            tokens[i] = rng.random() < cd.token_buyer_share.value
            capture[i] = rng.random() < 0.01
            lam = cd.travel_trips_per_year.value * yrs
            if role == "partner_sender":
                lam = par.visit_prob.value * yrs * 1.5
            trips[i] = int(rng.poisson(lam))
            if role == "traveller" and i in traveller_dest:
                # the stay with local payments (its ticket and hotel are the first trip's)
                trips[i] += 1
                trip_dest[i] = COUNTRY[traveller_dest[i]]
            elif role == "family_sender" and i in heritage:
                trip_dest[i] = COUNTRY[heritage[i]]
            elif role == "partner_sender":
                trip_dest[i] = COUNTRY[partner_country.get(i, "PH")]
            else:
                dests = ("PH", "TH", "VN", "ID", "GB", "US", "AU", "CA", "DE")
                trip_dest[i] = COUNTRY[dests[int(rng.integers(0, len(dests)))]]
    # (offenders' accounts close at their last payment before switching: the exact day is set
    # after generation)
    return {
        "vpn": vpn,
        "tokens": tokens,
        "capture": capture,
        "trips": trips,
        "trip_dest": trip_dest,
        "trip_day": trip_day,
    }


def _tables(b: _Builder) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, I32]:
    """Customer references permuted within institutions (no ordering leak), then the persons,
    customers and beneficiaries tables, and each customer's institution."""
    rng = b.rng
    n_all = len(b.p["role"])
    n_c = len(b.c["inst"])
    c_inst = np.asarray(b.c["inst"], dtype=np.int32)
    refs = [""] * n_c
    for k, inst_ in enumerate(INSTITUTIONS):
        idx = np.flatnonzero(c_inst == k)
        nums = rng.permutation(len(idx)) + 1 + int(rng.integers(1000, 9000))
        for jj, num in zip(idx.tolist(), nums.tolist(), strict=True):
            refs[jj] = f"{inst_.ref_prefix}-{int(num):08d}"
    b_cust = np.asarray(b.b["cust"], dtype=np.int32)
    bref = [""] * len(b_cust)
    for k, inst_ in enumerate(INSTITUTIONS):
        if inst_.kind == "bank":
            continue
        idx = np.flatnonzero(c_inst[b_cust] == k)
        nums = rng.permutation(len(idx)) + 1
        for jj, num in zip(idx.tolist(), nums.tolist(), strict=True):
            bref[jj] = f"{inst_.ref_prefix}B{int(num):07d}"

    persons = pl.DataFrame(
        {
            "person_id": [f"P{i:07d}" for i in range(n_all)],
            "role": b.p["role"],
            "den_id": [f"D{d:04d}" if d >= 0 else "" for d in b.p["den"]],
            "country": b.p["country"],
            "sex": b.p["sex"],
            "birth_date": b.p["birth"],
            "given": b.p["given"],
            "middle": b.p["middle"],
            "family": b.p["family"],
            "city": b.p["city"],
            "address": b.p["address"],
            "phone_e164": [nm.e164(c, s) for c, s in zip(b.p["country"], b.p["nsn"], strict=True)],
            "zone": [ZONES[z] for z in b.p["zone"]],
            "namesake_of": [f"P{j:07d}" if j >= 0 else "" for j in b.p["namesake_of"]],
            "name_only": b.p["name_only"],
            "phone_per_institution": b.p["phone_per_institution"],
        }
    ).with_columns(
        # other persons with the same given and family name (a business has no given name)
        pl.when(pl.col("given") != "")
        .then(pl.len().over("given", "family") - 1)
        .otherwise(0)
        .cast(pl.Int32)
        .alias("namesakes")
    )
    customers = pl.DataFrame(
        {
            "institution": [INSTITUTIONS[k].id for k in b.c["inst"]],
            "customer_ref": refs,
            "person": pl.Series(b.c["person"], dtype=pl.Int32),
            "given": b.c["given"],
            "family": b.c["family"],
            "phone": b.c["phone"],
            "account": b.c["account"],
            "email": b.c["email"],
            "opened": pl.Series(b.c["opened"], dtype=pl.Int32),
            "address": b.c["address"],
            "city": b.c["city"],
        }
    )
    beneficiaries = pl.DataFrame(
        {
            "cust": pl.Series(b.b["cust"], dtype=pl.Int32),
            "person": pl.Series(b.b["person"], dtype=pl.Int32),
            "name": b.b["name"],
            "phone": b.b["phone"],
            "account": b.b["account"],
            "bank": b.b["bank"],
            "city": b.b["city"],
            "country": b.b["country"],
            "ref": bref,
        }
    )
    return persons, customers, beneficiaries, c_inst


def _signals(
    world: World, den_idents: list[list[int]], rng: np.random.Generator
) -> list[dict[str, str]]:
    """A partial list of facilitator identifiers, as police would share it: some dens only."""
    out: list[dict[str, str]] = []
    persons = world.persons
    phones = persons["phone_e164"].to_list()
    names = persons["given"].to_list()
    fams = persons["family"].to_list()
    cities = persons["city"].to_list()
    wallet_accts = dict(
        zip(
            world.customers.filter(pl.col("institution") == "pesopal")["person"].to_list(),
            world.customers.filter(pl.col("institution") == "pesopal")["account"].to_list(),
            strict=True,
        )
    )
    expires = (world.config.end + dt.timedelta(days=365)).isoformat()
    share = world.profile.parameters.facilitators.signal_den_share.value
    for ids in den_idents:
        if rng.random() >= share:
            continue
        f = ids[0]
        ph = phones[f]
        country = persons["country"][f]
        nsn = ph[len(COUNTRIES[country].calling_code) + 1 :]
        out.append(
            {
                "identifier_type": "phone",
                "value": nm.phone_format(country, nsn, int(rng.integers(0, 6))),
                "role": "facilitator",
                "signal_source": "ACCCE liaison",
                "confidence": f"{rng.uniform(0.6, 0.95):.2f}",
                "expires": expires if rng.random() < 0.7 else "",
            }
        )
        for g in ids:
            if g in wallet_accts and rng.random() < 0.7:
                out.append(
                    {
                        "identifier_type": "account",
                        "value": wallet_accts[g],
                        "role": "facilitator",
                        "signal_source": "PesoPal trust and safety",
                        "confidence": f"{rng.uniform(0.7, 0.99):.2f}",
                        "expires": "",
                    }
                )
            elif rng.random() < 0.3:
                out.append(
                    {
                        "identifier_type": "name_city",
                        "value": f"{names[g]} {fams[g]}|{cities[g]}",
                        "role": "facilitator",
                        "signal_source": "ACCCE liaison",
                        "confidence": f"{rng.uniform(0.4, 0.7):.2f}",
                        "expires": expires,
                    }
                )
    return out
