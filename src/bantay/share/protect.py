"""Protected identifiers: what a bundle holds instead of a phone, an account or a name.

Two encodings, both keyed by the consortium key (:mod:`bantay.share.keys`), both applied after the
normalisation entity resolution uses (:mod:`bantay.resolve.normalize`), so that two institutions
that wrote one phone as ``0917 123 4567`` and ``+63 917 123 4567`` compute the same token:

- **exact identifiers** (phone in E.164, account / IBAN / wallet id, e-mail, identity document):
  ``HMAC-SHA-256(k_exact, type || 0x1f || normalised value)``. Equal values give equal tokens;
  without the key a token cannot be computed, so a dictionary of all phone numbers (cheap: a
  country's mobile numbers are ~10⁹) cannot be run against a stolen bundle.
- **names** as cryptographic long-term keys (CLKs, Schnell, Bachteler & Reiher 2011; the schema
  ``clkhash`` implements): the padded bigrams of the name's order-free key (:func:`name_key`:
  folded, titles dropped, tokens sorted) are each set into a 1,024-bit Bloom filter at ``k``
  positions by double hashing, ``(h1 + i·h2) mod 1024`` with ``h1``, ``h2`` from
  ``HMAC-SHA-256(k_clk, country || 0x1f || bigram)``. A misspelt name shares most bigrams, so its
  filter stays close by the Dice coefficient; the country salts the filter, so "Juan Dela Cruz" in
  PH and in AU give unrelated filters (a frequency attack sees one country's names at a time).
  The country and year of birth travel as keyed tokens beside the filter: matching compares
  filters only within one country and, where both sides know it, one year of birth.

Why not ``clkhash`` itself: its latest release (0.18.3) pins ``cryptography<41``, ``bitarray<3``
and ``mypy_extensions<0.5``, which conflict with this project's lock (mypy needs
``mypy_extensions>=1``) and with a maintained ``cryptography``; the encoding is 40 lines here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from bantay.resolve.normalize import (
    name_key,
    normalize_country,
    normalize_email,
    normalize_identifier,
    normalize_phone,
)

#: Exact identifier types a bundle carries (the signals table's types they become on import).
EXACT_TYPES: Final = ("phone", "account", "email", "id_document")
#: Bits in one name filter, and bits each bigram sets.
CLK_BITS: Final = 1024
CLK_K: Final = 20
CLK_Q: Final = 2
#: The Dice coefficient at or above which two name filters are taken as one name: the lowest
#: threshold with precision >= 0.99 that ``bench/bench_share.py`` measured (0.877-0.888 over three
#: keys) on the simulator's name variants and typos, 5,000 persons among 25,000 (docs/sharing.md).
DEFAULT_DICE: Final = 0.89
_SEP: Final = b"\x1f"


@dataclass(frozen=True)
class DerivedKeys:
    """The consortium key's sub-keys, one per use, so that no token of one kind is another's."""

    exact: bytes
    clk: bytes
    entry: bytes

    @classmethod
    def of(cls, key: bytes) -> DerivedKeys:
        def sub(label: bytes) -> bytes:
            return hmac.new(key, b"bantay-share/1 " + label, hashlib.sha256).digest()

        return cls(exact=sub(b"exact"), clk=sub(b"clk"), entry=sub(b"entry"))


def key_id(key: bytes) -> str:
    """A public name of a consortium key (so a bundle says which key made it, never the key)."""
    return "k-" + hmac.new(key, b"bantay-share/1 key-id", hashlib.sha256).hexdigest()[:16]


def normalise(kind: str, raw: str | None, region: str | None = None) -> str | None:
    """The value of an exact identifier as entity resolution normalises it; None if unusable."""
    if raw is None:
        return None
    if kind == "phone":
        return normalize_phone(raw, region)
    if kind == "email":
        return normalize_email(raw)
    if kind in ("account", "id_document"):
        return normalize_identifier(raw)
    raise ValueError(f"unknown identifier type {kind!r}")


class ExactHasher:
    """Keyed tokens of normalised exact identifiers (hex HMAC-SHA-256)."""

    def __init__(self, keys: DerivedKeys) -> None:
        self._base = hmac.new(keys.exact, digestmod=hashlib.sha256)

    def token(self, kind: str, value: str) -> str:
        h = self._base.copy()
        h.update(kind.encode() + _SEP + value.encode("utf-8"))
        return h.hexdigest()

    def prefixed(self, kind: str) -> Any:
        """The HMAC state after ``kind`` and the separator: ``copy()``, ``update(value)`` and
        ``digest()`` give the token's bytes (the fast path of matching)."""
        base = self._base.copy()
        base.update(kind.encode() + _SEP)
        return base

    def tokens(self, kind: str, values: Iterable[str]) -> list[str]:
        """:meth:`token` of many values of one kind (the prefix hashed once)."""
        base = self._base.copy()
        base.update(kind.encode() + _SEP)
        out = []
        for v in values:
            h = base.copy()
            h.update(v.encode("utf-8"))
            out.append(h.hexdigest())
        return out


def bigrams(key: str) -> list[str]:
    """Padded q-grams (q = 2) of a name key: ``"ana"`` → ``_a, an, na, a_``."""
    s = f"_{key}_"
    return [s[i : i + CLK_Q] for i in range(len(s) - CLK_Q + 1)]


class NameEncoder:
    """CLKs of names, salted by country, and keyed tokens of country and year of birth."""

    def __init__(self, keys: DerivedKeys, bits: int = CLK_BITS, k: int = CLK_K) -> None:
        self.bits = bits
        self.k = k
        self._clk = hmac.new(keys.clk, digestmod=hashlib.sha256)
        self._exact = ExactHasher(keys)
        self._positions: dict[tuple[str, str], npt.NDArray[np.int64]] = {}

    def _bits_of(self, country: str, gram: str) -> npt.NDArray[np.int64]:
        got = self._positions.get((country, gram))
        if got is None:
            h = self._clk.copy()
            h.update(country.encode() + _SEP + gram.encode("utf-8"))
            d = h.digest()
            h1 = int.from_bytes(d[:8], "big")
            h2 = int.from_bytes(d[8:16], "big") | 1
            got = np.array([(h1 + i * h2) % self.bits for i in range(self.k)], dtype=np.int64)
            if len(self._positions) < 1 << 18:
                self._positions[(country, gram)] = got
        return got

    def clk(self, key: str, country: str) -> npt.NDArray[np.uint8]:
        """The filter of a name key (see :func:`name_key`) in ``country``, as packed bytes."""
        bits = np.zeros(self.bits, dtype=np.uint8)
        for g in bigrams(key):
            bits[self._bits_of(country, g)] = 1
        return np.packbits(bits)

    def country_token(self, country: str) -> str:
        return self._exact.token("country", country)

    def yob_token(self, country: str, year: int) -> str:
        return self._exact.token("yob", f"{country}|{year}")


@dataclass(frozen=True)
class NameRecord:
    """A name ready to encode: its order-free key, country and (optional) year of birth."""

    key: str
    country: str
    yob: int | None


def name_record(
    name: str | None,
    country: str | None,
    date_of_birth: object = None,
    given_name: str | None = None,
    family_name: str | None = None,
) -> NameRecord | None:
    """A party's name as :func:`name_key` reads it, with its country; None without either."""
    key = name_key(name, given_name, family_name)
    c = normalize_country(country)
    if not key or not c:
        return None
    yob: int | None = None
    year = getattr(date_of_birth, "year", None)
    if isinstance(year, int):
        yob = year
    elif isinstance(date_of_birth, str) and date_of_birth[:4].isdigit():
        yob = int(date_of_birth[:4])
    return NameRecord(key, c, yob)


def b64(data: bytes | npt.NDArray[np.uint8]) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def popcount(packed: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Bits set in each row of packed filters (rows × bytes)."""
    return np.asarray(np.bitwise_count(packed).sum(axis=-1, dtype=np.int64), dtype=np.int64)


#: filter pairs compared at once by :func:`dice_matrix` (bounds its memory to ~100 MB)
_PAIRS_AT_ONCE: Final = 1 << 20


def dice_matrix(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """Dice coefficients ``2|A∩B| / (|A| + |B|)`` of every row of ``a`` against every row of
    ``b`` (packed filters of equal length), in blocks of rows of ``b``."""
    out = np.zeros((len(a), len(b)))
    if len(a) == 0 or len(b) == 0:
        return out
    a64 = np.ascontiguousarray(a).view(np.uint64)
    b64_ = np.ascontiguousarray(b).view(np.uint64)
    pa = popcount(a)
    pb = popcount(b)
    step = max(1, _PAIRS_AT_ONCE // len(a))
    for lo in range(0, len(b), step):
        blk = b64_[lo : lo + step]
        inter = np.bitwise_count(a64[:, None, :] & blk[None, :, :]).sum(axis=-1, dtype=np.int64)
        total = pa[:, None] + pb[None, lo : lo + step]
        out[:, lo : lo + step] = np.where(total > 0, 2.0 * inter / np.maximum(total, 1), 0.0)
    return out


def dice(
    a: Sequence[int] | npt.NDArray[np.uint8], b: Sequence[int] | npt.NDArray[np.uint8]
) -> float:
    """Dice coefficient of two packed filters."""
    x = np.asarray(a, dtype=np.uint8)[None, :]
    y = np.asarray(b, dtype=np.uint8)[None, :]
    return float(dice_matrix(x, y)[0, 0])
