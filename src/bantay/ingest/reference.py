"""Reference data used to validate values: ISO 4217 currencies and ISO 3166 countries with aliases.

The tables beside ISO's (crypto tickers, currency symbols, country aliases and ambiguous names)
are data: ``reference.toml``, shipped with the package, with their sources.

Country values are normalised to ISO 3166-1 alpha-2 when they are unambiguous (``Philippines``,
``PHL``, ``ph``, ``United Kingdom``, ``UK``); an ambiguous name (``Korea``, ``Congo``) is quarantined
with its candidates, never guessed.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from pathlib import Path

import pycountry

from bantay.errors import BantayError

#: The tables' data file (package data), with their sources.
REFERENCE_FILE = Path(__file__).with_name("reference.toml")


def _load(
    path: Path = REFERENCE_FILE,
) -> tuple[tuple[str, ...], dict[str, str], dict[str, str], dict[str, tuple[str, ...]]]:
    """(crypto tickers, currency symbols, country aliases, ambiguous country names) from
    ``path``, checked: the codes they name are ISO 3166 alpha-2 and ISO 4217 codes."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        crypto = tuple(str(c) for c in doc["crypto_currencies"])
        symbols = {str(k): str(v) for k, v in doc["currency_symbols"].items()}
        aliases = {str(k): str(v) for k, v in doc["country_aliases"].items()}
        ambiguous = {
            str(k): tuple(str(c) for c in v) for k, v in doc["ambiguous_countries"].items()
        }
    except (OSError, tomllib.TOMLDecodeError, KeyError, AttributeError, TypeError) as exc:
        raise BantayError(f"{path}: cannot read the reference tables: {exc!r}") from exc
    countries = {c.alpha_2 for c in pycountry.countries}
    currencies = {c.alpha_3 for c in pycountry.currencies}
    bad = [v for v in aliases.values() if v not in countries]
    bad += [c for v in ambiguous.values() for c in v if c not in countries]
    bad += [v for v in symbols.values() if v not in currencies]
    if bad:
        raise BantayError(f"{path}: unknown country or currency code(s): {', '.join(bad)}")
    return crypto, symbols, aliases, ambiguous


# crypto-asset tickers accepted as currencies on the crypto channel; unambiguous currency symbols
# ("$" and "¥" are ambiguous and quarantined); names in common use that are not in ISO 3166 (or
# differ from it); names that fit several countries (quarantined with the candidates listed)
CRYPTO_CURRENCIES, CURRENCY_SYMBOLS, COUNTRY_ALIASES, AMBIGUOUS_COUNTRIES = _load()


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
