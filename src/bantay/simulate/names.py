"""Identity noise that entity resolution must undo: name variants, typos, initials, reordered names,
Filipino and Spanish naming conventions, phone-format differences; and how concentrated names are
(``pool_cdf``: common full names recur across different people).

These run once per *person* or *record* (a KYC customer, or a beneficiary as one sender types it),
never per transaction, so plain Python is fast enough.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from bantay import namenoise
from bantay.namenoise import (
    double_letter,
    drop_letter,
    family_first,
    next_vowel,
    swap_neighbours,
    with_middle,
)
from bantay.simulate.reference import COUNTRIES

_COMPOUND_VARIANTS: dict[str, tuple[str, ...]] = {
    "Dela Cruz": ("Delacruz", "De la Cruz", "dela Cruz", "De La Cruz", "Dela-Cruz"),
    "De los Santos": ("Delos Santos", "De Los Santos", "Delossantos", "de los Santos"),
    "De Guzman": ("DeGuzman", "de Guzman", "Guzman"),
    "Del Rosario": ("Delrosario", "del Rosario", "Rosario"),
    "De Leon": ("DeLeon", "de Leon"),
    "Dela Paz": ("Delapaz", "De la Paz", "dela Paz"),
    "San Juan": ("Sanjuan", "San-Juan"),
    "De Vera": ("DeVera", "de Vera"),
    "Dela Rosa": ("Delarosa", "De la Rosa"),
}
_GIVEN_VARIANTS: dict[str, tuple[str, ...]] = {
    "Maria": ("Ma.", "Ma", "Mria"),
    "Ma. Luisa": ("Maria Luisa", "Ma Luisa", "Luisa"),
    "Maria Cristina": ("Ma. Cristina", "Cristina", "Ma Cristina", "Maria C."),
    "Maria Theresa": ("Ma. Theresa", "Maritess", "Ma. Teresa", "Theresa"),
    "Mary Grace": ("Marygrace", "Grace", "Mary G."),
    "Mark Anthony": ("Mark", "Mark A.", "Markanthony"),
    "John Paul": ("JP", "John", "Johnpaul"),
    "Jose": ("José", "Joey", "J."),
    "Francisco": ("Frank", "Kiko", "Fco."),
    "Emmanuel": ("Manny", "Emman"),
    "Corazon": ("Cora", "Cory"),
    "Teresita": ("Tess", "Tessie"),
    "Jürgen": ("Juergen", "Jurgen"),
    "Michael": ("Mike", "Micheal"),
    "Robert": ("Rob", "Bob"),
    "William": ("Bill", "Will"),
    "Christopher": ("Chris",),
    "Matthew": ("Matt",),
    "Andrew": ("Andy",),
    "Stephen": ("Steve", "Steven"),
    "Steven": ("Steve", "Stephen"),
    "Anthony": ("Tony",),
    "Patricia": ("Pat", "Trish"),
    "Rebecca": ("Becky",),
}
_UMLAUTS = (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"))
_UMLAUTS_PLAIN = (("ä", "a"), ("ö", "o"), ("ü", "u"), ("ß", "ss"))


def pool_cdf(size: int, density: float) -> list[float]:
    """Cumulative weights of a name pool listed most frequent first (as ``reference.NAME_POOLS``
    are): the k-th name weighs ``k ** -density`` (Zipf). At 0 every name is equally likely; at 1
    the first of 330 surnames is borne by about 1 person in 6, and common full names ("Maria Dela
    Cruz") recur across unrelated people."""
    w = np.arange(1, size + 1, dtype=np.float64) ** -density
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    return [float(x) for x in cdf]


def pick(rng: np.random.Generator, pool: Sequence[str], cdf: list[float]) -> str:
    """One name of ``pool`` drawn with the cumulative weights ``cdf`` (from :func:`pool_cdf`)."""
    return pool[bisect.bisect_right(cdf, float(rng.random()))]


def typo(rng: np.random.Generator, s: str) -> str:
    """One keying error: swap two neighbours, drop, double or replace a letter."""
    if len(s) < 4:
        return s
    i = int(rng.integers(1, len(s) - 1))
    kind = int(rng.integers(0, 4))
    if kind == 0 and s[i] != " " and s[i + 1] != " ":
        return swap_neighbours(s, i)
    if kind == 1 and s[i] != " ":
        return drop_letter(s, i)
    if kind == 2 and s[i] != " ":
        return double_letter(s, i)
    return next_vowel(s, i)


def _given_variant(rng: np.random.Generator, given: str) -> str:
    alts = _GIVEN_VARIANTS.get(given)
    r = rng.random()
    if alts and r < 0.6:
        return alts[int(rng.integers(0, len(alts)))]
    if r < 0.75:
        parts = given.split()
        return " ".join([parts[0][0] + ".", *parts[1:]]) if parts else given
    if " " in given and r < 0.9:
        return given.split()[0]
    return given


def _family_variant(rng: np.random.Generator, family: str) -> str:
    alts = _COMPOUND_VARIANTS.get(family)
    if alts and rng.random() < 0.7:
        return alts[int(rng.integers(0, len(alts)))]
    if any(u in family for u, _ in _UMLAUTS):
        table = _UMLAUTS if rng.random() < 0.5 else _UMLAUTS_PLAIN
        out = family
        for u, r in table:
            out = out.replace(u, r)
        return out
    return family


def name_variant(
    rng: np.random.Generator,
    given: str,
    middle: str,
    family: str,
    variant_prob: float,
    typo_prob: float,
) -> tuple[str, str]:
    """The (given, family) pair as one record writes it. ``middle`` is a Filipino middle name
    (the mother's maiden surname) or a second Spanish surname; it may be kept, shortened to an
    initial, or dropped."""
    g, f = given, family
    if middle:
        g = with_middle(g, middle, rng.random(), 0.35, 0.7)
    if rng.random() < variant_prob:
        which = rng.random()
        if which < 0.5:
            g = _given_variant(rng, given) + g[len(given) :]
        elif which < 0.85:
            f = _family_variant(rng, family)
        else:
            g = _given_variant(rng, given) + g[len(given) :]
            f = _family_variant(rng, family)
    if rng.random() < typo_prob:
        if rng.random() < 0.5:
            g = typo(rng, g)
        else:
            f = typo(rng, f)
    return g, f


def joined_name(rng: np.random.Generator, given: str, family: str, reorder_prob: float) -> str:
    """A free-text full name: ``Given Family``, sometimes ``FAMILY, Given`` or upper case."""
    if not given:
        return family
    r = rng.random()
    if r < reorder_prob:
        return family_first(given, family, upper=rng.random() < 0.5)
    if r < reorder_prob + 0.1:
        return f"{given} {family}".upper()
    return f"{given} {family}"


def national_number(rng: np.random.Generator, country: str) -> str:
    """A random mobile national significant number (digits, no trunk prefix)."""
    c = COUNTRIES[country]
    prefix = c.mobile_prefixes[int(rng.integers(0, len(c.mobile_prefixes)))]
    rest = c.nsn_length - len(prefix)
    digits = "".join(str(d) for d in rng.integers(0, 10, size=rest))
    return prefix + digits


def e164(country: str, nsn: str) -> str:
    return f"+{COUNTRIES[country].calling_code}{nsn}"


def phone_format(country: str, nsn: str, style: int) -> str:
    """The same number as different systems record it (style 0..5)."""
    c = COUNTRIES[country]
    return namenoise.phone_format(c.calling_code, c.trunk, nsn, style)
