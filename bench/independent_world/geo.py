"""Countries, time zones, cities, currencies and exchange rates of the independent world.

Everything here is either public reference data (ISO codes, IANA zones, city names) or a stated
assumption. Base exchange rates are rounded 2024-2025 market levels (USD per unit); each world
draws its own daily random walk around them (see :func:`daily_rates`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np


@dataclass(frozen=True)
class Country:
    """A country where people of the world live.

    ``zones`` pairs an IANA zone with its weight among residents and the cities in that zone.
    ``pool`` is the name pool of residents who are not diaspora (see ``names.py``).
    """

    code: str
    name: str
    currency: str
    pool: str
    zones: tuple[tuple[str, float, tuple[str, ...]], ...]


COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in [
        Country(
            "AU",
            "Australia",
            "AUD",
            "EN",
            (
                ("Australia/Sydney", 0.34, ("Sydney", "Parramatta", "Newcastle", "Wollongong")),
                ("Australia/Melbourne", 0.30, ("Melbourne", "Geelong", "Ballarat")),
                ("Australia/Brisbane", 0.18, ("Brisbane", "Gold Coast", "Cairns", "Townsville")),
                ("Australia/Perth", 0.11, ("Perth", "Fremantle", "Mandurah")),
                ("Australia/Adelaide", 0.07, ("Adelaide", "Darwin")),
            ),
        ),
        Country(
            "NZ",
            "New Zealand",
            "NZD",
            "EN",
            (("Pacific/Auckland", 1.0, ("Auckland", "Wellington", "Christchurch", "Hamilton")),),
        ),
        Country(
            "US",
            "United States",
            "USD",
            "EN",
            (
                (
                    "America/New_York",
                    0.45,
                    ("New York", "Boston", "Philadelphia", "Atlanta", "Miami", "Jersey City"),
                ),
                (
                    "America/Chicago",
                    0.26,
                    ("Chicago", "Houston", "Dallas", "San Antonio", "Minneapolis"),
                ),
                ("America/Denver", 0.05, ("Denver", "Salt Lake City")),
                ("America/Phoenix", 0.03, ("Phoenix", "Tucson")),
                (
                    "America/Los_Angeles",
                    0.18,
                    (
                        "Los Angeles",
                        "San Diego",
                        "San Francisco",
                        "Seattle",
                        "Las Vegas",
                        "Daly City",
                    ),
                ),
                ("Pacific/Honolulu", 0.03, ("Honolulu", "Waipahu")),
            ),
        ),
        Country(
            "CA",
            "Canada",
            "CAD",
            "EN",
            (
                ("America/Toronto", 0.55, ("Toronto", "Mississauga", "Ottawa", "Montreal")),
                ("America/Winnipeg", 0.12, ("Winnipeg",)),
                ("America/Edmonton", 0.13, ("Calgary", "Edmonton")),
                ("America/Vancouver", 0.20, ("Vancouver", "Surrey", "Burnaby")),
            ),
        ),
        Country(
            "GB",
            "United Kingdom",
            "GBP",
            "EN",
            (
                (
                    "Europe/London",
                    1.0,
                    (
                        "London",
                        "Manchester",
                        "Birmingham",
                        "Leeds",
                        "Glasgow",
                        "Bristol",
                        "Cardiff",
                    ),
                ),
            ),
        ),
        Country(
            "DE",
            "Germany",
            "EUR",
            "DE",
            (
                (
                    "Europe/Berlin",
                    1.0,
                    ("Berlin", "München", "Hamburg", "Frankfurt am Main", "Köln"),
                ),
            ),
        ),
        Country(
            "NL",
            "Netherlands",
            "EUR",
            "NL",
            (("Europe/Amsterdam", 1.0, ("Amsterdam", "Rotterdam", "Utrecht", "Den Haag")),),
        ),
        Country(
            "FR",
            "France",
            "EUR",
            "FR",
            (("Europe/Paris", 1.0, ("Paris", "Lyon", "Marseille", "Toulouse")),),
        ),
        Country(
            "SE",
            "Sweden",
            "SEK",
            "SE",
            (("Europe/Stockholm", 1.0, ("Stockholm", "Göteborg", "Malmö", "Uppsala")),),
        ),
        Country("IT", "Italy", "EUR", "EN", (("Europe/Rome", 1.0, ("Roma", "Milano", "Firenze")),)),
        Country(
            "SA",
            "Saudi Arabia",
            "SAR",
            "EN",
            (("Asia/Riyadh", 1.0, ("Riyadh", "Jeddah", "Dammam", "Al Khobar")),),
        ),
        Country(
            "AE",
            "United Arab Emirates",
            "AED",
            "EN",
            (("Asia/Dubai", 1.0, ("Dubai", "Abu Dhabi", "Sharjah")),),
        ),
        Country(
            "JP",
            "Japan",
            "JPY",
            "JP",
            (("Asia/Tokyo", 1.0, ("Tokyo", "Osaka", "Nagoya", "Yokohama")),),
        ),
        Country("SG", "Singapore", "SGD", "EN", (("Asia/Singapore", 1.0, ("Singapore",)),)),
        Country(
            "HK", "Hong Kong", "HKD", "EN", (("Asia/Hong_Kong", 1.0, ("Hong Kong", "Kowloon")),)
        ),
        # receiving countries
        Country("PH", "Philippines", "PHP", "PH", (("Asia/Manila", 1.0, ()),)),
        Country(
            "TH",
            "Thailand",
            "THB",
            "TH",
            (
                (
                    "Asia/Bangkok",
                    1.0,
                    ("Bangkok", "Pattaya", "Chiang Mai", "Udon Thani", "Khon Kaen", "Phuket"),
                ),
            ),
        ),
        Country(
            "VN",
            "Vietnam",
            "VND",
            "VN",
            (("Asia/Ho_Chi_Minh", 1.0, ("Ho Chi Minh City", "Hanoi", "Da Nang", "Can Tho")),),
        ),
        Country(
            "MY",
            "Malaysia",
            "MYR",
            "MY",
            (("Asia/Kuala_Lumpur", 1.0, ("Kuala Lumpur", "Johor Bahru", "Penang")),),
        ),
        Country(
            "NG",
            "Nigeria",
            "NGN",
            "WA",
            (("Africa/Lagos", 1.0, ("Lagos", "Abuja", "Port Harcourt")),),
        ),
        Country("GH", "Ghana", "GHS", "WA", (("Africa/Accra", 1.0, ("Accra", "Kumasi")),)),
    ]
}

#: Philippine cities with a population-like weight and the spellings senders type for them.
#: Several names recur across provinces (San Fernando, San Jose), as in reality.
PH_CITIES: list[tuple[str, float, tuple[str, ...]]] = [
    (
        "Quezon City",
        10.0,
        ("Quezon City", "QUEZON CITY", "QC", "Q.C.", "Quezon City, Metro Manila"),
    ),
    ("Manila", 8.0, ("Manila", "MANILA", "City of Manila", "Manila City")),
    ("Caloocan", 5.0, ("Caloocan", "Caloocan City", "CALOOCAN")),
    ("Davao City", 6.0, ("Davao City", "Davao", "DAVAO CITY")),
    ("Cebu City", 6.0, ("Cebu City", "Cebu", "CEBU")),
    ("Taguig", 3.0, ("Taguig", "Taguig City")),
    ("Pasig", 3.0, ("Pasig", "Pasig City")),
    ("Makati", 2.5, ("Makati", "Makati City")),
    ("Antipolo", 3.0, ("Antipolo", "Antipolo City", "Antipolo, Rizal")),
    ("Zamboanga City", 3.0, ("Zamboanga City", "Zamboanga")),
    ("Cagayan de Oro", 3.0, ("Cagayan de Oro", "CDO", "Cagayan De Oro City")),
    ("Lapu-Lapu City", 2.0, ("Lapu-Lapu City", "Lapu Lapu", "Lapulapu", "LAPU-LAPU")),
    ("Mandaue", 1.5, ("Mandaue", "Mandaue City")),
    ("General Santos", 2.0, ("General Santos", "Gensan", "General Santos City")),
    ("Bacolod", 2.0, ("Bacolod", "Bacolod City")),
    ("Iloilo City", 2.0, ("Iloilo City", "Iloilo")),
    ("Angeles City", 1.5, ("Angeles City", "Angeles", "Angeles, Pampanga")),
    ("San Fernando", 1.5, ("San Fernando", "San Fernando City", "City of San Fernando")),
    ("San Jose del Monte", 2.0, ("San Jose del Monte", "SJDM", "San Jose Del Monte City")),
    ("Olongapo", 1.0, ("Olongapo", "Olongapo City")),
    ("Baguio", 1.2, ("Baguio", "Baguio City")),
    ("Tacloban", 1.0, ("Tacloban", "Tacloban City")),
    ("Dumaguete", 0.6, ("Dumaguete", "Dumaguete City")),
    ("Legazpi", 0.8, ("Legazpi", "Legaspi", "Legazpi City")),
    ("Naga", 0.8, ("Naga", "Naga City")),
    ("Batangas City", 1.2, ("Batangas City", "Batangas")),
    ("Lucena", 0.8, ("Lucena", "Lucena City")),
    ("Tagbilaran", 0.4, ("Tagbilaran", "Tagbilaran City")),
    ("Butuan", 1.0, ("Butuan", "Butuan City")),
    ("Ormoc", 0.6, ("Ormoc", "Ormoc City")),
    ("Puerto Princesa", 0.8, ("Puerto Princesa", "Puerto Princesa City")),
    ("Las Piñas", 2.0, ("Las Piñas", "Las Pinas", "Las Piñas City")),
    ("Parañaque", 2.2, ("Parañaque", "Paranaque", "Parañaque City")),
    ("Valenzuela", 2.0, ("Valenzuela", "Valenzuela City")),
    ("Dasmariñas", 2.2, ("Dasmariñas", "Dasmarinas", "Dasmariñas, Cavite")),
    ("Bacoor", 2.0, ("Bacoor", "Bacoor City")),
    ("Calamba", 1.7, ("Calamba", "Calamba City")),
    ("Iligan", 1.0, ("Iligan", "Iligan City")),
    ("Cotabato City", 0.8, ("Cotabato City", "Cotabato")),
    ("Tarlac City", 1.0, ("Tarlac City", "Tarlac")),
]

#: Philippine banks (public SWIFT codes) and e-wallets used as payout partners.
PH_BANKS: list[tuple[str, str]] = [
    ("BDO Unibank", "BNORPHMM"),
    ("Bank of the Philippine Islands", "BOPIPHMM"),
    ("Metrobank", "MBTCPHMM"),
    ("Land Bank of the Philippines", "TLBPPHMM"),
    ("Philippine National Bank", "PNBMPHMM"),
    ("UnionBank", "UBPHPHMM"),
    ("Security Bank", "SETCPHMM"),
    ("RCBC", "RCBCPHMM"),
]
PH_WALLETS: list[str] = ["GCash", "Maya"]
OTHER_BANKS: dict[str, list[tuple[str, str]]] = {
    "TH": [
        ("Kasikornbank", "KASITHBK"),
        ("Bangkok Bank", "BKKBTHBK"),
        ("Siam Commercial Bank", "SICOTHBK"),
    ],
    "VN": [("Vietcombank", "BFTVVNVX"), ("Techcombank", "VTCBVNVX")],
    "MY": [("Maybank", "MBBEMYKL"), ("CIMB Bank", "CIBBMYKL")],
    "NG": [("Zenith Bank", "ZEIBNGLA"), ("Access Bank", "ABNGNGLA")],
    "GH": [("GCB Bank", "GHCBGHAC"), ("Ecobank Ghana", "ECOCGHAC")],
    "SG": [("DBS Bank", "DBSSSGSG"), ("OCBC Bank", "OCBCSGSG")],
    "HK": [("HSBC Hong Kong", "HSBCHKHH"), ("Bank of China (Hong Kong)", "BKCHHKHH")],
}

#: USD per one unit of each currency: rounded 2024-2025 levels (public market data).
BASE_RATES_USD: dict[str, float] = {
    "USD": 1.0,
    "AUD": 0.655,
    "NZD": 0.595,
    "CAD": 0.730,
    "GBP": 1.270,
    "EUR": 1.080,
    "SEK": 0.0950,
    "SAR": 0.2666,
    "AED": 0.2723,
    "JPY": 0.00665,
    "SGD": 0.745,
    "HKD": 0.1280,
    "PHP": 0.01740,
    "THB": 0.0285,
    "VND": 0.0000395,
    "MYR": 0.218,
    "NGN": 0.00065,
    "GHS": 0.066,
}
#: Currencies pegged to the USD: no random walk.
PEGGED = {"USD", "SAR", "AED", "HKD"}


def zone_weights(code: str) -> tuple[list[str], np.ndarray]:
    """Zones of a country and their normalised weights among residents."""
    zones = COUNTRIES[code].zones
    w = np.array([z[1] for z in zones], dtype=float)
    return [z[0] for z in zones], w / w.sum()


def all_zones() -> list[str]:
    """Every IANA zone used in the world, in a fixed order."""
    out: list[str] = []
    for c in COUNTRIES.values():
        for z in c.zones:
            if z[0] not in out:
                out.append(z[0])
    return out


def offset_table(zones: list[str], start: dt.date, n_days: int, pad: int = 3) -> np.ndarray:
    """UTC offsets in seconds of each zone at local noon of each day, shape (zones, n_days + 2*pad).

    Day ``d`` of the window sits at column ``d + pad``. Local noon avoids the hour a clock change
    skips or repeats; a payment within that hour is off by at most one hour, which is harmless.
    """
    out = np.zeros((len(zones), n_days + 2 * pad), dtype=np.int64)
    for i, z in enumerate(zones):
        tz = ZoneInfo(z)
        for j in range(n_days + 2 * pad):
            day = start + dt.timedelta(days=j - pad)
            off = dt.datetime(day.year, day.month, day.day, 12, tzinfo=tz).utcoffset()
            out[i, j] = int(off.total_seconds()) if off is not None else 0
    return out


def daily_rates(
    rng: np.random.Generator, start: dt.date, n_days: int, vol: float, pad: int = 10
) -> dict[str, np.ndarray]:
    """A daily random walk of USD rates per currency around the base rates (log volatility ``vol``).

    Column ``d + pad`` holds day ``d`` of the window; the padding covers transactions whose UTC date
    falls before the first local day and gives a week of rates before the window.
    """
    out: dict[str, np.ndarray] = {}
    for ccy, base in BASE_RATES_USD.items():
        if ccy in PEGGED:
            out[ccy] = np.full(n_days + 2 * pad, base)
            continue
        steps = rng.normal(0.0, vol, n_days + 2 * pad)
        walk = np.cumsum(steps)
        walk -= walk.mean()
        out[ccy] = base * np.exp(walk)
    return out
