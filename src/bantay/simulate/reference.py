"""Static reference tables of the synthetic world: countries, zones, currencies, names, merchants.

The tables are data (``reference.yaml``, shipped with the package, with its sources), loaded once
and checked by :func:`load_reference`; this module exposes them under the names the simulator
uses. All names are invented or very common; merchants are fictional. Nothing here is calibrated
on a source: the calibrated parameters live in ``profiles/*.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from bantay.errors import BantayError

#: The reference tables' data file (package data).
REFERENCE_FILE = Path(__file__).with_name("reference.yaml")

#: Institution kinds and the channel their outgoing payments use (code, not data: the simulator
#: branches on them).
INSTITUTION_KINDS = ("bank", "online_remitter", "cash_pickup_remitter", "wallet")
CHANNELS = ("bank_transfer", "online_remittance", "cash_pickup", "wallet", "card", "crypto")
KIND_CHANNEL = {
    "bank": "bank_transfer",
    "online_remitter": "online_remittance",
    "cash_pickup_remitter": "cash_pickup",
    "wallet": "wallet",
}
MERCHANT_KINDS = ("everyday", "vpn", "capture", "tokens", "airline", "hotel")


class ReferenceError(BantayError):
    """A reference file that does not hold the tables the simulator needs."""


@dataclass(frozen=True)
class Country:
    """A country people live in: currency, IANA zones, phone calling code, mobile prefix digits
    (the national significant number starts with one of them), its length, trunk prefix, cities,
    name culture."""

    code: str
    currency: str
    zones: tuple[str, ...]
    calling_code: str
    mobile_prefixes: tuple[str, ...]
    nsn_length: int
    trunk: str
    cities: tuple[str, ...]
    culture: str


@dataclass(frozen=True)
class Merchant:
    name: str
    mcc: str
    kind: str  # one of MERCHANT_KINDS
    median_usd: float


# -- the file's shape (checked on load) ------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Country(_Strict):
    currency: str
    zones: tuple[str, ...]
    calling_code: str
    mobile_prefixes: tuple[str, ...]
    nsn_length: int
    trunk: str
    cities: tuple[str, ...]
    culture: str


class _Compounds(_Strict):
    heads: tuple[str, ...]
    tails: tuple[str, ...]


class _Names(_Strict):
    given_male: tuple[str, ...] = ()
    given_female: tuple[str, ...] = ()
    family: tuple[str, ...] = ()
    family_compounds: _Compounds | None = None
    same_as: str | None = None

    @model_validator(mode="after")
    def _pools_or_alias(self) -> _Names:
        if self.same_as is None and not (self.given_male and self.given_female and self.family):
            raise ValueError("give given_male, given_female and family, or same_as")
        return self

    def family_names(self) -> tuple[str, ...]:
        c = self.family_compounds
        extra = () if c is None else (h + t for h in c.heads for t in c.tails if h.lower() != t)
        return (*self.family, *extra)


class _Words(_Strict):
    words_a: tuple[str, ...]
    words_b: tuple[str, ...]
    suffix: dict[str, str]


class _Merchant(_Strict):
    name: str
    mcc: str
    kind: str
    median_usd: float

    @model_validator(mode="after")
    def _known_kind(self) -> _Merchant:
        if self.kind not in MERCHANT_KINDS:
            raise ValueError(f"kind {self.kind!r} not one of {MERCHANT_KINDS}")
        return self


class _Memos(_Strict):
    family: tuple[str, ...]
    topup: tuple[str, ...]
    inlaw: tuple[str, ...]
    freelance: tuple[str, ...]
    partner: tuple[str, ...]
    fraud: tuple[str, ...]
    one_off: tuple[str, ...]
    travel: tuple[str, ...]
    sponsor: tuple[str, ...]
    direct_sponsor: tuple[str, ...]
    romance: tuple[str, ...]


class Reference(_Strict):
    """The reference tables as the file gives them (see ``reference.yaml``)."""

    countries: dict[str, _Country]
    payer_countries: tuple[str, ...]
    base_usd_rates: dict[str, float]
    names: dict[str, _Names]
    business: _Words
    merchants: tuple[_Merchant, ...]
    destinations: tuple[tuple[str, str], ...]
    home_airport: dict[str, str]
    memos: _Memos
    charities: _Words

    @model_validator(mode="after")
    def _consistent(self) -> Reference:
        for code, c in self.countries.items():
            if c.currency not in self.base_usd_rates:
                raise ValueError(f"country {code}: currency {c.currency} has no base_usd_rates")
            if c.culture not in self.names:
                raise ValueError(f"country {code}: culture {c.culture} has no names")
        for culture, n in self.names.items():
            if n.same_as is not None and self.names.get(n.same_as, n).same_as is not None:
                raise ValueError(f"names {culture}: same_as must name a culture with pools")
        unknown = set(self.payer_countries) - set(self.countries)
        unknown |= {c for _, c in self.destinations} - set(self.countries)
        if unknown:
            raise ValueError(f"unknown countries: {', '.join(sorted(unknown))}")
        return self

    def name_pools(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
        """culture: (given male, given female, family)."""
        out = {}
        for culture, n in self.names.items():
            src = self.names[n.same_as] if n.same_as is not None else n
            out[culture] = (src.given_male, src.given_female, src.family_names())
        return out


def load_reference(path: Path = REFERENCE_FILE) -> Reference:
    """The reference tables from ``path``, checked (shape, and that they refer to each other)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Reference.model_validate(doc)
    except (OSError, yaml.YAMLError) as exc:
        raise ReferenceError(f"{path}: cannot read the reference tables: {exc}") from exc
    except ValidationError as exc:
        raise ReferenceError(f"{path}: {exc}") from exc


_REF = load_reference()

COUNTRIES: dict[str, Country] = {
    code: Country(code, **c.model_dump()) for code, c in _REF.countries.items()
}
#: Payer (demand-side) countries.
PAYER_COUNTRIES = _REF.payer_countries
#: Approximate USD value of one unit, the level the daily rate series wanders around.
BASE_USD_RATES: dict[str, float] = dict(_REF.base_usd_rates)
#: culture: (given male, given female, family), each most frequent first.
NAME_POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = _REF.name_pools()
BUSINESS_WORDS_A = _REF.business.words_a
BUSINESS_WORDS_B = _REF.business.words_b
BUSINESS_SUFFIX = dict(_REF.business.suffix)
MERCHANTS: tuple[Merchant, ...] = tuple(Merchant(**m.model_dump()) for m in _REF.merchants)
#: Travel destinations: (airport code of destination, country).
DESTINATIONS = _REF.destinations
HOME_AIRPORT = dict(_REF.home_airport)
FAMILY_MEMOS = _REF.memos.family
TOPUP_MEMOS = _REF.memos.topup
INLAW_MEMOS = _REF.memos.inlaw
FREELANCE_MEMOS = _REF.memos.freelance
PARTNER_MEMOS = _REF.memos.partner
FRAUD_MEMOS = _REF.memos.fraud
ONE_OFF_MEMOS = _REF.memos.one_off
TRAVEL_MEMOS = _REF.memos.travel
SPONSOR_MEMOS = _REF.memos.sponsor
DIRECT_SPONSOR_MEMOS = _REF.memos.direct_sponsor
ROMANCE_MEMOS = _REF.memos.romance
#: Charities that receive child sponsorships (fictional): "{A} {B}{suffix}".
CHARITY_WORDS_A = _REF.charities.words_a
CHARITY_WORDS_B = _REF.charities.words_b
CHARITY_SUFFIX = dict(_REF.charities.suffix)
