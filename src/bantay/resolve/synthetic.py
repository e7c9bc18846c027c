"""Synthetic party records with a known person behind each, for testing and benchmarking entity
resolution on its own (the simulator, ``bantay simulate``, makes whole worlds with transactions).

Each person gets one to four records, as a KYC file, a payer side or a beneficiary side would write
them: names reordered (``FAMILY, Given``), upper-cased, abbreviated (``Ma.``), with a middle name
kept, initialled or dropped, a compound surname spaced differently, a typo; phones in national or
international format or missing; beneficiary sides without date of birth. All neutral, all made up.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import polars as pl

from bantay.namenoise import family_first, phone_format, swap_neighbours, with_middle

_GIVEN = {
    "PH": ["Juan", "Maria", "Jose", "Ma. Luisa", "Maricel", "Rodrigo", "Cristina", "Mark Anthony",
           "Jocelyn", "Ramon", "Rosalie", "Emmanuel", "Teresita", "Analyn", "Jericho", "Lorna"],
    "AU": ["John", "Michael", "David", "Sarah", "Jessica", "Matthew", "Emily", "Andrew", "Rebecca",
           "Daniel", "Laura", "James"],
    "US": ["Robert", "William", "Jennifer", "Linda", "Christopher", "Patricia", "Joseph", "Karen"],
    "GB": ["Oliver", "George", "Amelia", "Harry", "Isla", "Thomas", "Charlotte"],
    "TH": ["Somchai", "Niran", "Sunisa", "Kanya", "Prasert", "Malee", "Anong"],
    "VN": ["Anh", "Minh", "Thi Lan", "Van Hung", "Thi Mai", "Duc", "Thu"],
    "CN": ["Wei", "Fang", "Xiu Ying", "Jun", "Li Na", "Hao", "Min"],
    "MX": ["María José", "José Luis", "Juan Carlos", "Guadalupe", "Alejandro", "Fernanda"],
}  # fmt: skip
_FAMILY = {
    "PH": ["Dela Cruz", "Santos", "Reyes", "Garcia", "Mendoza", "De los Santos", "Bautista",
           "Villanueva", "Del Rosario", "Ramos", "Aquino", "Castillo", "San Juan", "Navarro"],
    "AU": ["Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "O'Brien",
           "Anderson", "Martin", "Kelly"],
    "US": ["Johnson", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez"],
    "GB": ["Walker", "Wright", "Robinson", "Thompson", "White", "Hughes"],
    "TH": ["Jaidee", "Srisuk", "Wongsawat", "Chaiyaporn", "Rattanakosin", "Boonmee"],
    "VN": ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng"],
    "CN": ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang"],
    "MX": ["García López", "Hernández", "Martínez", "González", "Pérez", "Sánchez"],
}  # fmt: skip
_MIDDLE = ["Santos", "Reyes", "Cruz", "Lim", "Tan", "Ramos", "Flores"]
_CITIES = {
    "PH": ["Manila", "Quezon City", "Cebu City", "Davao City", "Angeles", "Pasay", "Taguig",
           "Cagayan de Oro", "Iloilo City", "Bacolod", "Makati", "Caloocan"],
    "AU": ["Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"],
    "US": ["New York", "Houston", "Chicago", "Los Angeles"],
    "GB": ["London", "Manchester", "Birmingham"],
    "TH": ["Bangkok", "Chiang Mai", "Pattaya"],
    "VN": ["Hà Nội", "Hồ Chí Minh", "Đà Nẵng"],
    "CN": ["Shanghai", "Beijing", "Shenzhen"],
    "MX": ["Ciudad de México", "Guadalajara", "Monterrey"],
}  # fmt: skip
_PHONE = {"PH": ("63", "9", 10), "AU": ("61", "4", 9), "US": ("1", "2", 10), "GB": ("44", "7", 10),
          "TH": ("66", "8", 9), "VN": ("84", "9", 9), "CN": ("86", "13", 11),
          "MX": ("52", "55", 10)}  # fmt: skip
_COUNTRY_WEIGHTS = {"PH": 45, "AU": 15, "US": 10, "GB": 5, "TH": 8, "VN": 7, "CN": 5, "MX": 5}


@dataclass(frozen=True)
class Person:
    person_id: str
    given: str
    middle: str
    family: str
    dob: str
    country: str
    city: str
    nsn: str
    account: str
    email: str | None


_SYLLABLES = ("ba", "ka", "la", "ma", "na", "pa", "ra", "sa", "ta", "an", "ang", "ong", "ing",
              "lo", "ri", "su", "to", "ve", "ho", "ngu", "chi", "mon", "dar", "vil", "gon", "tan")  # fmt: skip


def _rare_family(rng: random.Random) -> str:
    """A made-up surname from syllables: the long tail that real populations have."""
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _person(rng: random.Random, i: int, rare_names: float = 0.0) -> Person:
    country = rng.choices(list(_COUNTRY_WEIGHTS), weights=list(_COUNTRY_WEIGHTS.values()))[0]
    _cc, lead, length = _PHONE[country]
    nsn = lead + "".join(rng.choice("0123456789") for _ in range(length - len(lead)))
    given = rng.choice(_GIVEN[country])
    family = _rare_family(rng) if rng.random() < rare_names else rng.choice(_FAMILY[country])
    year = rng.randint(1950, 2004)
    dob = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    email = (
        f"{given.split()[0].lower().replace('.', '')}{i}@example.org"
        if rng.random() < 0.5
        else None
    )
    return Person(
        person_id=f"P{i:08d}",
        given=given,
        middle=rng.choice(_MIDDLE) if country == "PH" and rng.random() < 0.6 else "",
        family=family,
        dob=dob,
        country=country,
        city=rng.choice(_CITIES[country]),
        nsn=nsn,
        account=f"{country}{rng.randint(10**9, 10**10 - 1)}",
        email=email,
    )


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 4:
        return s
    return swap_neighbours(s, rng.randint(1, len(s) - 2))


def _written_name(rng: random.Random, p: Person, noise: float) -> str:
    given, family = p.given, p.family
    if p.middle:
        given = with_middle(given, p.middle, rng.random(), 0.4, 0.7)
    if rng.random() < noise:
        r = rng.random()
        if given.startswith("Ma. ") and r < 0.5:
            given = "Maria " + given[4:]
        elif given.startswith("Maria ") and r < 0.5:
            given = "Ma. " + given[6:]
        elif r < 0.3:
            given = given[0] + "."
        elif family.startswith(("De", "Del", "San")) and r < 0.8:
            family = family.replace(" ", "", 1) if " " in family else family
        elif rng.random() < 0.5:
            given = _typo(rng, given)
        else:
            family = _typo(rng, family)
    r = rng.random()
    if r < 0.25:
        return family_first(given, family)
    if r < 0.35:
        return f"{given} {family}".upper()
    if r < 0.4 and p.country == "CN":
        return f"{family} {given}"
    return f"{given} {family}"


def _written_phone(rng: random.Random, p: Person) -> str | None:
    cc = _PHONE[p.country][0]
    r = rng.random()
    if r < 0.15:
        return None
    # international, spaced international, then the local form: (NPA) NXX-XXXX or 0 + trunk
    style = 0 if r < 0.5 else 1 if r < 0.7 else 2 if cc == "1" else 3
    return phone_format(cc, "0", p.nsn, style)


def party_records(
    n_persons: int,
    seed: int = 7,
    noise: float = 0.3,
    max_records: int = 4,
    rare_names: float = 0.0,
) -> pl.DataFrame:
    """Party records (PartyRecord columns, plus ``person_id``, the truth) for ``n_persons``.

    ``rare_names`` is the share of persons with a made-up surname from the long tail (the built-in
    lists alone are far too few names for large worlds).
    """
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n_persons):
        p = _person(rng, i, rare_names)
        k = rng.randint(1, max_records)
        for j in range(k):
            kind = rng.choices(["customer", "payer_side", "beneficiary_side"], [3, 4, 3])[0]
            beneficiary = kind == "beneficiary_side"
            inst = rng.choice(["BANKAU", "REMITX", "WALLETPH", "BANKPH"])
            rows.append(
                {
                    "party_record_id": f"{inst}:{p.person_id}-{j}",
                    "person_id": p.person_id,
                    "kind": kind,
                    "institution": inst,
                    "customer_ref": f"{p.person_id}-{j}" if kind == "customer" else None,
                    "name": _written_name(rng, p, noise),
                    "date_of_birth": None if beneficiary or rng.random() < 0.2 else p.dob,
                    "residence_country": p.country,
                    "city": None
                    if rng.random() < 0.2
                    else (p.city.upper() if rng.random() < 0.2 else p.city),
                    "phone": _written_phone(rng, p),
                    "email": p.email if rng.random() < 0.5 else None,
                    "account_id": p.account if rng.random() < 0.4 else None,
                    "ingest_id": "synthetic",
                    "source": "synthetic",
                    "file": f"{inst.lower()}.csv",
                    "line": len(rows) + 2,
                }
            )
    return pl.DataFrame(rows).with_columns(pl.col("date_of_birth").str.to_date())
