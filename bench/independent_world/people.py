"""People of the world (payers, recipients, organisations, merchants) and the institutions.

:class:`People` is a growable column store; populations add people in vectorised batches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geo
import names
import numpy as np


@dataclass(frozen=True)
class Institution:
    """One reporting institution: who can be its customer and what kind of business it is."""

    code: int
    name: str
    kind: str  # remitter, bank, wallet
    countries: frozenset[str]


PAYER_COUNTRIES = [
    "AU",
    "NZ",
    "US",
    "CA",
    "GB",
    "DE",
    "NL",
    "FR",
    "SE",
    "IT",
    "SA",
    "AE",
    "JP",
    "SG",
    "HK",
]
TRADEWIND, LUMEN, CORAL, PRAIRIE, NORTHGATE, POCKETPAY = range(6)
INSTITUTIONS: list[Institution] = [
    Institution(TRADEWIND, "Tradewind Remit", "remitter", frozenset({"AU", "NZ"})),
    Institution(LUMEN, "Lumen Transfer", "remitter", frozenset(PAYER_COUNTRIES)),
    Institution(CORAL, "Coral Coast Bank", "bank", frozenset({"AU"})),
    Institution(PRAIRIE, "Prairie State Bank", "bank", frozenset({"US"})),
    Institution(NORTHGATE, "Northgate Bank", "bank", frozenset({"GB"})),
    Institution(
        POCKETPAY,
        "Pocketpay",
        "wallet",
        frozenset({"AU", "NZ", "US", "CA", "GB", "DE", "NL", "FR", "SE", "IT", "SG", "HK"}),
    ),
]
BANK_OF = {"AU": CORAL, "US": PRAIRIE, "GB": NORTHGATE}

OBJ_FIELDS = (
    "role",
    "population",
    "country",
    "zone",
    "city",
    "pool",
    "given",
    "middle",
    "surname",
    "suffix",
    "sex",
    "phone",
    "phone2",
    "email",
    "passport",
    "org",
    "mcc",
    "notes",
    "den",
)
INT_FIELDS = ("dob", "household", "bank_customer")


class People:
    """A growable column store of people; index = person number."""

    def __init__(
        self, rng: np.random.Generator, sampler: names.NameSampler, start: dt.date
    ) -> None:
        self.rng = rng
        self.sampler = sampler
        self.start = start
        self.n = 0
        self.n_households = 0
        self.cap = 1024
        self.obj = {f: np.full(self.cap, "", dtype=object) for f in OBJ_FIELDS}
        self.int = {f: np.full(self.cap, -1, dtype=np.int64) for f in INT_FIELDS}
        self.zones = geo.all_zones()
        self.zone_index = {z: i for i, z in enumerate(self.zones)}

    def _grow(self, need: int) -> None:
        """Make room for ``need`` people."""
        while self.cap < need:
            self.cap *= 2
        for f, a in self.obj.items():
            b = np.full(self.cap, "", dtype=object)
            b[: len(a)] = a
            self.obj[f] = b
        for f, a in self.int.items():
            b = np.full(self.cap, -1, dtype=np.int64)
            b[: len(a)] = a
            self.int[f] = b

    def __getitem__(self, field: str) -> np.ndarray:
        if field in self.obj:
            return self.obj[field][: self.n]
        return self.int[field][: self.n]

    def set(self, idx: np.ndarray, field: str, value: object) -> None:
        """Set one field of some people."""
        if field in self.obj:
            self.obj[field][idx] = value
        else:
            self.int[field][idx] = value

    def add(
        self,
        n: int,
        *,
        role: str,
        population: str,
        country: str | np.ndarray,
        pool: str | np.ndarray | None = None,
        male: float | np.ndarray = 0.5,
        age: tuple[float, float, float, float] = (40.0, 12.0, 20.0, 80.0),
        surname: np.ndarray | None = None,
        city: np.ndarray | None = None,
        with_email: bool = True,
    ) -> np.ndarray:
        """Add ``n`` people and return their indices.

        ``age`` is (mean, sd, min, max) in years at the start of the window; ``pool`` defaults to
        the name pool of the country; ``male`` is the probability of being male (or an array of
        'M'/'F' is not accepted: pass probabilities of 0 or 1).
        """
        rng = self.rng
        if n <= 0:
            return np.zeros(0, dtype=np.int64)
        idx = np.arange(self.n, self.n + n)
        self._grow(self.n + n)
        self.n += n
        ctry = (
            np.full(n, country, dtype=object)
            if isinstance(country, str)
            else np.asarray(country, dtype=object)
        )
        if pool is None:
            pl = np.array([geo.COUNTRIES[c].pool for c in ctry], dtype=object)
        elif isinstance(pool, str):
            pl = np.full(n, pool, dtype=object)
        else:
            pl = np.asarray(pool, dtype=object)
        sex = np.where(rng.random(n) < male, "M", "F").astype(object)
        given = np.empty(n, dtype=object)
        sur = np.empty(n, dtype=object)
        middle = np.full(n, "", dtype=object)
        for key in np.unique(pl):
            sel = np.flatnonzero(pl == key)
            given[sel] = self.sampler.given(key, sex[sel])
            sur[sel] = self.sampler.surname(key, len(sel))
            if key == "PH":
                # a Filipino middle name is the mother's maiden surname
                has = rng.random(len(sel)) < 0.9
                middle[sel[has]] = self.sampler.surname("PH", int(has.sum()))
            elif key in ("EN", "DE", "SE", "NL", "FR"):
                has = rng.random(len(sel)) < 0.4
                middle[sel[has]] = self.sampler.given(key, sex[sel[has]])
                middle[sel[middle[sel] == given[sel]]] = ""
        if surname is not None:
            keep = np.asarray([s is not None and s != "" for s in surname])
            sur[keep] = np.asarray(surname, dtype=object)[keep]
        zone = np.empty(n, dtype=object)
        cty = np.empty(n, dtype=object)
        for c in np.unique(ctry):
            sel = np.flatnonzero(ctry == c)
            zones, w = geo.zone_weights(c)
            zi = rng.choice(len(zones), size=len(sel), p=w)
            zone[sel] = np.array(zones, dtype=object)[zi]
            if c == "PH":
                cw = np.array([x[1] for x in geo.PH_CITIES])
                ci = rng.choice(len(cw), size=len(sel), p=cw / cw.sum())
                cty[sel] = np.array([x[0] for x in geo.PH_CITIES], dtype=object)[ci]
            else:
                for j, _z in enumerate(zones):
                    s2 = sel[zi == j]
                    cities = geo.COUNTRIES[c].zones[j][2]
                    cty[s2] = np.array(cities, dtype=object)[
                        rng.integers(len(cities), size=len(s2))
                    ]
        if city is not None:
            keep = np.asarray([s is not None and s != "" for s in city])
            cty[keep] = np.asarray(city, dtype=object)[keep]
        mean, sd, lo, hi = age
        years = np.clip(rng.normal(mean, sd, n), lo, hi)
        start_days = (self.start - dt.date(1970, 1, 1)).days
        dob = start_days - np.floor(years * 365.25).astype(np.int64) - rng.integers(0, 365, size=n)
        o = self.obj
        o["role"][idx] = role
        o["population"][idx] = population
        o["country"][idx] = ctry
        o["zone"][idx] = zone
        o["city"][idx] = cty
        o["pool"][idx] = pl
        o["given"][idx] = given
        o["middle"][idx] = middle
        o["surname"][idx] = sur
        o["sex"][idx] = sex
        o["phone"][idx] = [names.mobile(c, rng) for c in ctry]
        if with_email:
            o["email"][idx] = [names.email(g, s, rng) for g, s in zip(given, sur, strict=True)]
        o["passport"][idx] = [
            f"{c}{int(x):07d}"
            for c, x in zip(ctry, rng.integers(0, 10_000_000, size=n), strict=True)
        ]
        self.int["dob"][idx] = dob
        self.int["bank_customer"][idx] = 0
        return idx

    def add_households(
        self,
        sizes: np.ndarray,
        *,
        country: np.ndarray,
        role: str,
        population: str,
        same_surname: float,
        junior_share: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Add households of adults living together; returns (member indices, household start
        offsets into them). Members share the surname with probability ``same_surname`` (others
        married in) and the city; some fathers and sons share a given name (Sr./Jr.).
        """
        rng = self.rng
        h = len(sizes)
        total = int(sizes.sum())
        hh = np.repeat(np.arange(h), sizes)
        ctry = np.asarray(country, dtype=object)[hh]
        pools = np.array(
            [geo.COUNTRIES[c].pool for c in np.asarray(country, dtype=object)], dtype=object
        )
        hh_surname = np.empty(h, dtype=object)
        for key in np.unique(pools):
            sel = np.flatnonzero(pools == key)
            hh_surname[sel] = self.sampler.surname(key, len(sel))
        sur = hh_surname[hh].copy()
        married_in = rng.random(total) >= same_surname
        first = np.r_[0, np.cumsum(sizes)[:-1]]
        married_in[first] = False
        sur[married_in] = None
        # one city per household: the first member's draw
        idx = self.add(
            total,
            role=role,
            population=population,
            country=ctry,
            male=0.45,
            age=(38.0, 13.0, 18.0, 80.0),
            surname=sur,
            with_email=False,
        )
        city = self.obj["city"][idx[first]]
        self.obj["city"][idx] = city[hh]
        self.int["household"][idx] = self.n_households + hh
        self.n_households += h
        # fathers and sons of the same name
        cand = np.flatnonzero((sizes >= 2) & (rng.random(h) < junior_share))
        for j in cand:
            a, b = idx[first[j]], idx[first[j] + 1]
            if pools[j] != "PH":
                continue
            self.obj["sex"][[a, b]] = "M"
            self.obj["given"][b] = self.obj["given"][a]
            self.obj["surname"][b] = self.obj["surname"][a]
            self.obj["suffix"][b] = "Jr."
            if rng.random() < 0.5:
                self.obj["suffix"][a] = "Sr."
            self.int["dob"][b] = self.int["dob"][a] + int(rng.integers(20, 35) * 365.25)
        return idx, first

    def add_orgs(
        self,
        n: int,
        *,
        role: str,
        population: str,
        country: str,
        org_names: list[str],
        mcc: list[str] | None = None,
        city: list[str] | None = None,
    ) -> np.ndarray:
        """Add organisations (charities, merchants, utilities): a name instead of a person's."""
        idx = np.arange(self.n, self.n + n)
        self._grow(self.n + n)
        self.n += n
        o = self.obj
        o["role"][idx] = role
        o["population"][idx] = population
        o["country"][idx] = country
        zones, _w = geo.zone_weights(country)
        o["zone"][idx] = zones[0]
        o["org"][idx] = org_names
        if mcc is not None:
            o["mcc"][idx] = mcc
        if city is not None:
            o["city"][idx] = city
        elif country == "PH":
            o["city"][idx] = "Quezon City"
        else:
            o["city"][idx] = geo.COUNTRIES[country].zones[0][2][0]
        o["pool"][idx] = "ORG"
        self.int["dob"][idx] = -1
        return idx

    def full_name(self, i: int) -> str:
        """Canonical full name of person ``i`` (given middle surname suffix) or the org name."""
        if self.obj["org"][i]:
            return str(self.obj["org"][i])
        parts = [
            self.obj["given"][i],
            self.obj["middle"][i],
            self.obj["surname"][i],
            self.obj["suffix"][i],
        ]
        return " ".join(str(p) for p in parts if p)
