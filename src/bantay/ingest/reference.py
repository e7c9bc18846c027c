"""Reference data used to validate values: ISO 4217 currencies and ISO 3166 countries with aliases.

Country values are normalised to ISO 3166-1 alpha-2 when they are unambiguous (``Philippines``,
``PHL``, ``ph``, ``United Kingdom``, ``UK``); an ambiguous name (``Korea``, ``Congo``) is quarantined
with its candidates, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pycountry

#: Crypto-asset tickers accepted as currencies on the crypto channel.
CRYPTO_CURRENCIES = (
    "BTC",
    "ETH",
    "USDT",
    "USDC",
    "XMR",
    "LTC",
    "BCH",
    "TRX",
    "BNB",
    "SOL",
    "XRP",
    "DAI",
)

#: Unambiguous currency symbols; "$" and "¥" are ambiguous and quarantined.
CURRENCY_SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "₱": "PHP",
    "₹": "INR",
    "₩": "KRW",
    "₫": "VND",
    "฿": "THB",
}

#: Names in common use that are not in ISO 3166 (or differ from it).
COUNTRY_ALIASES: dict[str, str] = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "us": "US",
    "america": "US",
    "united states of america": "US",
    "u s a": "US",
    "u s": "US",
    "holland": "NL",
    "pilipinas": "PH",
    "republic of the philippines": "PH",
    "south korea": "KR",
    "north korea": "KP",
    "vietnam": "VN",
    "viet nam": "VN",
    "russia": "RU",
    "laos": "LA",
    "iran": "IR",
    "syria": "SY",
    "taiwan": "TW",
    "czech republic": "CZ",
    "ivory coast": "CI",
    "uae": "AE",
    "burma": "MM",
    "hong kong": "HK",
    "macau": "MO",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "turkey": "TR",
}

#: Names that fit several countries: quarantined with the candidates listed.
AMBIGUOUS_COUNTRIES: dict[str, tuple[str, ...]] = {
    "korea": ("KR", "KP"),
    "congo": ("CG", "CD"),
    "virgin islands": ("VG", "VI"),
}


def country_key(value: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces, no leading 'the'."""
    v = unicodedata.normalize("NFKD", value)
    v = "".join(c for c in v if not unicodedata.combining(c)).lower()
    v = re.sub(r"[^a-z0-9]+", " ", v).strip()
    return v[4:] if v.startswith("the ") else v


@cache
def country_table() -> list[tuple[str, str | None, str]]:
    """(key, alpha-2 or None when ambiguous, candidates) for every accepted way to write a country."""
    keys: dict[str, set[str]] = {}

    def add(name: str | None, code: str) -> None:
        if name:
            keys.setdefault(country_key(name), set()).add(code)

    for c in pycountry.countries:
        code = c.alpha_2
        add(c.alpha_2, code)
        add(c.alpha_3, code)
        add(c.name, code)
        add(getattr(c, "official_name", None), code)
        add(getattr(c, "common_name", None), code)
        # "Korea, Republic of" -> "republic of korea"
        if "," in c.name:
            head, _, tail = c.name.partition(",")
            add(f"{tail.strip()} {head.strip()}", code)
    for alias, code in COUNTRY_ALIASES.items():
        keys[country_key(alias)] = {code}
    for name, cands in AMBIGUOUS_COUNTRIES.items():
        keys[country_key(name)] = set(cands)
    out: list[tuple[str, str | None, str]] = []
    for key, codes in sorted(keys.items()):
        out.append((key, next(iter(codes)) if len(codes) == 1 else None, ",".join(sorted(codes))))
    return out


@cache
def currency_codes() -> tuple[str, ...]:
    return tuple(sorted({c.alpha_3 for c in pycountry.currencies} | set(CRYPTO_CURRENCIES)))
