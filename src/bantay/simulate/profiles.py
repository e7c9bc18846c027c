"""Simulation profiles: editable YAML files whose every parameter cites where its value comes from.

A profile file (``profiles/NAME.yaml``) looks like::

    name: evasive
    extends: baseline            # optional: start from another profile, override some parameters
    description: ...
    parameters:
      osec:
        amount_median_aud:
          value: 45
          source: S5             # a source id of ../shared/domain/osec-financial-indicators.md
          note: median A$51 per payment in the chat-log study
        first_gap_days:
          value: 25
          source: assumption     # allowed, but then `reason` is required
          reason: no published inter-payment interval for first payments

Every leaf is a mapping with ``value`` and ``source``; a bare number, an unknown parameter, a missing
source, an unknown source id, or an assumption without a reason is rejected with its path.

Where the sources only bound a number, give it as a range, ``value: [low, high]``::

    population:
      name_pool_density:
        value: [0.2, 0.4]        # drawn once per world, uniformly, from the world's seed
        source: assumption
        reason: ...

A weight of a mapping of weights (``role_shares``, ``channel_weights``, country weights) may be a
range too, ``value: {wallet: [0.2, 0.4], bank: 0.2}``: each is drawn on its own, and weights are
relative (every use normalises them), so the drawn weights need not sum to 1. A list of weights
(``hour_weights``, ``topup_month_weights``) takes its list as it is, and may add

- ``jitter: j`` (0 <= j < 1): each weight is multiplied by a factor drawn from ``[1 - j, 1 + j]``;
- ``shift: [low, high]`` (a list of 24 hourly weights only): the whole day is moved by a whole
  number of hours drawn from the range (``1``: what was paid at 20:00 is paid at 21:00).

Each world draws every range, jitter and shift once from its seed (:func:`draw_ranges`; a whole
number range draws whole numbers, both ends included), so the same seed gives the same value; each
parameter draws from its own stream, so adding or changing one never moves another's draw. The
world's ``truth/parameters.csv`` records the drawn value beside its range. Until drawn, ``value``
is the middle of the range (a list: its weights as written) and ``bounds`` holds ``(low, high)``
(a mapping of weights: the mapping of lows and the mapping of highs).

``without: [role, ...]`` (or :func:`leave_out`, or ``bantay simulate --without ROLE``) leaves a
population out of the world: its share of ``population.role_shares`` is set to 0 and the others,
relative weights, share what it held. The world's manifest and parameters record it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bantay.errors import BantayError

T = TypeVar("T")

#: Roles of the people in payer countries (persons 0..senders-1 of a world), in the order a world
#: draws them; ``population.role_shares`` gives each a share.
SENDER_ROLES = (
    "ordinary",
    "family_sender",
    "partner_sender",
    "client_business",
    "fraud_victim",
    "offender",
    "one_off_sender",
    "traveller",
    "sponsor",
    "romance_victim",
)
#: Countries a world knows (``reference.COUNTRIES``): keys of the country weights.
_COUNTRY_CODES = frozenset({"AU", "US", "GB", "CA", "DE", "PH", "TH", "VN", "ID", "MY"})

#: Source ids of the domain notes (S1..S38, plus S1a for the press coverage of S1).
KNOWN_SOURCES = frozenset({f"S{i}" for i in range(1, 39)} | {"S1a"})
_SOURCE_RE = re.compile(r"^S\d+[a-z]?$")


class ProfileError(BantayError):
    """A profile file is missing or invalid."""


class P(BaseModel, Generic[T]):
    """One parameter: its value and where the value comes from. A number given as ``[low, high]``
    is a range: ``bounds`` holds it and ``value`` is its middle until a world draws it; so is a
    mapping of weights with a weight given as a range (``bounds``: the lows and the highs). A list
    of weights may carry a ``jitter`` and (24 hourly weights) a ``shift``, drawn per world."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: T
    source: str
    reason: str = ""
    note: str = ""
    bounds: tuple[T, T] | None = None
    jitter: float | None = None
    shift: tuple[int, int] | None = None

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(
                f"every parameter must be a mapping with `value` and `source`, got {data!r}"
            )
        if "bounds" in data:
            raise ValueError("write a range as `value: [low, high]`, not as `bounds`")
        kind = cls.model_fields["value"].annotation
        value = data.get("value")
        if (kind is int or kind is float) and isinstance(value, list):
            return {**data, **_range(value, whole=kind is int)}
        if (
            kind == Weights
            and isinstance(value, dict)
            and any(isinstance(v, list) for v in value.values())
        ):
            return {**data, **_weight_ranges(value)}
        return data

    @field_validator("source")
    @classmethod
    def _cited(cls, v: str) -> str:
        ids = [s.strip() for s in v.split(",")]
        for s in ids:
            if s == "assumption":
                continue
            if not _SOURCE_RE.match(s):
                raise ValueError(f"source {s!r} is neither a source id (S1..S38) nor 'assumption'")
            if s not in KNOWN_SOURCES:
                raise ValueError(f"unknown source id {s!r} (known: S1..S38, S1a)")
        return v

    @model_validator(mode="after")
    def _reasoned(self) -> P[T]:
        if "assumption" in [s.strip() for s in self.source.split(",")] and not self.reason.strip():
            raise ValueError("a parameter with `source: assumption` needs a `reason`")
        weights = type(self).model_fields["value"].annotation == list[float]
        if self.jitter is not None:
            if not weights:
                raise ValueError("`jitter` is for a list of weights only")
            if not 0 <= self.jitter < 1:
                raise ValueError(f"`jitter` is at least 0 and below 1, got {self.jitter}")
        if self.shift is not None:
            if not weights:
                raise ValueError("`shift` is for a list of 24 hourly weights only")
            if self.shift[0] > self.shift[1]:
                raise ValueError(f"shift {list(self.shift)}: low is above high")
        return self


def _range(value: list[Any], whole: bool) -> dict[str, Any]:
    """``value`` and ``bounds`` of a range ``[low, high]`` of a number parameter."""
    ok = len(value) == 2 and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in value
    )
    if not ok:
        raise ValueError(f"a range is two numbers [low, high], got {value!r}")
    lo, hi = value
    if whole and not (isinstance(lo, int) and isinstance(hi, int)):
        raise ValueError(f"a whole-number parameter takes a range of whole numbers, got {value!r}")
    if lo > hi:
        raise ValueError(f"range [{lo}, {hi}]: low is above high")
    middle = (lo + hi) // 2 if whole else float(f"{(lo + hi) / 2:.12g}")
    return {"value": middle, "bounds": (lo, hi)}


def _weight_ranges(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` (the middles) and ``bounds`` (lows, highs) of a mapping of weights, some of them
    ranges ``[low, high]``."""
    mid: dict[str, float] = {}
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    for k, v in value.items():
        if isinstance(v, list):
            r = _range(v, whole=False)
            mid[k], (lows[k], highs[k]) = r["value"], r["bounds"]
        else:
            mid[k] = lows[k] = highs[k] = v
    return {"value": mid, "bounds": (lows, highs)}


Weights = dict[str, float]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Population(_Section):
    role_shares: P[Weights]
    payer_country_weights: P[Weights]
    recipient_country_weights: P[Weights]
    extra_account_prob: P[float]
    name_variant_prob: P[float]
    typo_prob: P[float]
    name_pool_density: P[float]
    cash_pickup_name_only_share: P[float]
    phone_per_institution_share: P[float]
    kyc_sex_recorded_share: P[float]


class Family(_Section):
    recipients_per_sender_mean: P[float]
    same_surname_share: P[float]
    same_name_relative_share: P[float]
    same_name_same_payer_share: P[float]
    diaspora_share: P[float]
    inlaw_share: P[float]
    amount_median_usd: P[float]
    amount_sigma: P[float]
    skip_month_prob: P[float]
    payday_days: P[list[int]]
    payday_jitter_days: P[int]
    topups_per_month: P[float]
    topup_amount_median_usd: P[float]
    topup_month_weights: P[list[float]]
    hour_weights: P[list[float]]
    night_worker_share: P[float]
    night_worker_hour_weights: P[list[float]]
    channel_weights: P[Weights]


class Freelancer(_Section):
    freelancers_per_business_mean: P[float]
    amount_median_usd: P[float]
    twice_monthly_share: P[float]
    channel_weights: P[Weights]


class Partner(_Section):
    payments_per_month: P[float]
    amount_median_usd: P[float]
    amount_sigma: P[float]
    visit_prob: P[float]
    shared_share: P[float]
    supporters_max: P[int]
    hour_weights: P[list[float]]
    channel_weights: P[Weights]


class Fraud(_Section):
    payments_mean: P[float]
    first_amount_median_usd: P[float]
    escalation_per_payment: P[float]
    victims_per_mule: P[float]
    duration_days_mean: P[float]
    channel_weights: P[Weights]


class Card(_Section):
    purchases_per_month: P[float]
    vpn_subscriber_share: P[float]
    token_buyer_share: P[float]
    travel_trips_per_year: P[float]
    abroad_purchases_per_day: P[float]
    hour_weights: P[list[float]]


class Osec(_Section):
    offender_country_weights: P[Weights]
    male_share: P[float]
    age_mean: P[float]
    age_sd: P[float]
    age_min: P[int]
    age_max: P[int]
    session_count_mu: P[float]
    session_count_sigma: P[float]
    session_count_max: P[int]
    amount_median_aud: P[float]
    amount_sigma: P[float]
    amount_min_aud: P[float]
    amount_max_aud: P[float]
    amount_escalation_exponent: P[float]
    even_amount_share: P[float]
    first_gap_days: P[float]
    gap_shrink_exponent: P[float]
    hour_weights: P[list[float]]
    extra_dens_mean: P[float]
    main_beneficiary_share: P[float]
    channel_weights: P[Weights]
    memo_share: P[float]
    memos: P[list[str]]
    vpn_prob: P[float]
    capture_prob: P[float]
    tokens_prob: P[float]
    travel_prob: P[float]
    extra_identity_prob: P[float]
    account_closure_prob: P[float]
    closure_after_payments: P[int]
    mule_share: P[float]
    rotate_every: P[int]


class OneOff(_Section):
    transfers_weights: P[Weights]
    same_recipient_share: P[float]
    shared_recipient_share: P[float]
    payers_per_shared_recipient: P[float]
    recipient_country_weights: P[Weights]
    amount_median_usd: P[float]
    amount_sigma: P[float]
    hour_weights: P[list[float]]
    channel_weights: P[Weights]
    memo_share: P[float]


class Traveller(_Section):
    destination_weights: P[Weights]
    stay_days_median: P[float]
    recipients_mean: P[float]
    repeat_share: P[float]
    travellers_per_recipient: P[float]
    deposit_share: P[float]
    deposit_amount_median_usd: P[float]
    amount_median_usd: P[float]
    amount_sigma: P[float]
    hour_weights: P[list[float]]
    channel_weights: P[Weights]
    memo_share: P[float]


class Sponsor(_Section):
    charity_share: P[float]
    sponsors_per_charity: P[float]
    charity_country_weights: P[Weights]
    amount_usd: P[float]
    standing_order_share: P[float]
    standing_order_hour_weights: P[list[float]]
    charity_channel_weights: P[Weights]
    lapse_per_year: P[float]
    direct_amount_median_usd: P[float]
    direct_amount_sigma: P[float]
    direct_skip_month_prob: P[float]
    direct_channel_weights: P[Weights]
    hour_weights: P[list[float]]
    memo_share: P[float]


class Romance(_Section):
    male_share: P[float]
    age_mean: P[float]
    victims_per_mule: P[float]
    mule_country_weights: P[Weights]
    payments_mean: P[float]
    first_amount_median_usd: P[float]
    escalation_per_payment: P[float]
    duration_days_mean: P[float]
    hour_weights: P[list[float]]
    channel_weights: P[Weights]
    memo_share: P[float]


class Facilitators(_Section):
    payers_per_den: P[float]
    private_den_share: P[float]
    den_popularity_exponent: P[float]
    identities_per_den_weights: P[Weights]
    shared_phone_share: P[float]
    family_recipient_share: P[float]
    den_country_weights: P[Weights]
    mules_per_den: P[int]
    signal_den_share: P[float]


class Parameters(_Section):
    population: Population
    family: Family
    freelancer: Freelancer
    partner: Partner
    fraud: Fraud
    card: Card
    osec: Osec
    facilitators: Facilitators
    one_off: OneOff
    traveller: Traveller
    sponsor: Sponsor
    romance: Romance

    @model_validator(mode="after")
    def _consistent(self) -> Parameters:
        _check(self)
        return self


def _check(p: Parameters) -> None:
    """Rules that tie parameters together (checked on load, and again on a world's drawn values)."""
    for path, weights in (
        ("family.hour_weights", p.family.hour_weights.value),
        ("partner.hour_weights", p.partner.hour_weights.value),
        ("card.hour_weights", p.card.hour_weights.value),
        ("osec.hour_weights", p.osec.hour_weights.value),
        ("one_off.hour_weights", p.one_off.hour_weights.value),
        ("traveller.hour_weights", p.traveller.hour_weights.value),
        ("sponsor.hour_weights", p.sponsor.hour_weights.value),
        ("sponsor.standing_order_hour_weights", p.sponsor.standing_order_hour_weights.value),
        ("romance.hour_weights", p.romance.hour_weights.value),
    ):
        if len(weights) != 24 or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"{path}: needs 24 non-negative weights, one per local hour")
    if len(p.family.topup_month_weights.value) != 12:
        raise ValueError("family.topup_month_weights: needs 12 weights, one per month")
    if p.osec.amount_min_aud.value >= p.osec.amount_max_aud.value:
        raise ValueError("osec.amount_min_aud must be below osec.amount_max_aud")
    roles = set(p.population.role_shares.value)
    if roles != set(SENDER_ROLES):
        raise ValueError(
            f"population.role_shares: needs exactly the roles {sorted(SENDER_ROLES)}, "
            f"got {sorted(roles)}"
        )
    if sum(p.population.role_shares.value.values()) <= 0:
        raise ValueError("population.role_shares: every share is 0 (no one left in the world)")
    for path, countries in (
        ("one_off.recipient_country_weights", p.one_off.recipient_country_weights.value),
        ("traveller.destination_weights", p.traveller.destination_weights.value),
        ("sponsor.charity_country_weights", p.sponsor.charity_country_weights.value),
        ("romance.mule_country_weights", p.romance.mule_country_weights.value),
    ):
        unknown = sorted(set(countries) - _COUNTRY_CODES)
        if unknown:
            raise ValueError(
                f"{path}: unknown countries {unknown} (known: {sorted(_COUNTRY_CODES)})"
            )
    if not set(p.one_off.transfers_weights.value) <= {"1", "2", "3"}:
        raise ValueError('one_off.transfers_weights: weights of "1", "2" and "3" transfers')
    for path, prm in _all_params(p):
        w = prm.value
        if isinstance(w, dict) and min(w.values(), default=0) < 0:
            raise ValueError(f"{path}: weights are not negative")
        if prm.shift is not None and len(w) != 24:
            raise ValueError(f"{path}: `shift` is for a list of 24 hourly weights only")


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    extends: str | None = None
    #: sender roles left out of the world (their share set to 0): see :func:`leave_out`
    without: tuple[str, ...] = ()
    parameters: Parameters
    origin: str = Field(default="<string>", exclude=True)

    @field_validator("without")
    @classmethod
    def _roles(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _sender_roles(v)


def _sender_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """``roles``, each a sender role, once each, in order."""
    roles = tuple(roles)
    unknown = [r for r in roles if r not in SENDER_ROLES]
    if unknown:
        raise ValueError(
            f"unknown role {unknown[0]!r} to leave out (sender roles: {', '.join(SENDER_ROLES)})"
        )
    return tuple(sorted(set(roles), key=SENDER_ROLES.index))


def _written(profile: Profile) -> dict[str, Any]:
    """The profile's parameters as a profile file writes them (a range as ``value: [low, high]``)."""
    out: dict[str, Any] = {}
    for section_name, section in _sections(profile.parameters):
        out[section_name] = {}
        for pname, p in _params(section):
            d = p.model_dump(mode="python", exclude={"bounds"}, exclude_none=True)
            if p.bounds is not None:
                d["value"] = _written_range(p)
            if p.shift is not None:
                d["shift"] = list(p.shift)
            out[section_name][pname] = d
    return out


def _written_range(p: P[Any]) -> Any:
    """A range as a profile file writes it: ``[low, high]``, or a mapping of weights whose ranged
    weights are ``[low, high]``."""
    assert p.bounds is not None
    lo, hi = p.bounds
    if isinstance(p.value, dict):
        return {k: ([lo[k], hi[k]] if lo[k] != hi[k] else v) for k, v in p.value.items()}
    return [lo, hi]


def _sections(params: Parameters) -> list[tuple[str, _Section]]:
    return [(name, getattr(params, name)) for name in type(params).model_fields]


def _params(section: _Section) -> list[tuple[str, P[Any]]]:
    return [(name, getattr(section, name)) for name in type(section).model_fields]


def _all_params(params: Parameters) -> list[tuple[str, P[Any]]]:
    return [
        (f"{section_name}.{pname}", p)
        for section_name, section in _sections(params)
        for pname, p in _params(section)
    ]


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``over`` into ``base``; a parameter (a mapping with `value`) is replaced whole."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and "value" not in v:
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _read(name_or_path: str) -> tuple[dict[str, Any], str]:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise ProfileError(f"profile file {path} does not exist")
        text, origin = path.read_text(encoding="utf-8"), str(path)
    else:
        res = resources.files("bantay.simulate").joinpath("profiles", f"{name_or_path}.yaml")
        if not res.is_file():
            raise ProfileError(
                f"no profile named {name_or_path!r} (built-in: {', '.join(profile_names())})"
            )
        text, origin = res.read_text(encoding="utf-8"), f"built-in profile {name_or_path}"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"{origin}: a profile is a mapping with name and parameters")
    return data, origin


def parse_profile(data: dict[str, Any], origin: str = "<string>", _depth: int = 0) -> Profile:
    """Validate a profile given as parsed YAML (resolving ``extends``)."""
    if _depth > 5:
        raise ProfileError(f"{origin}: `extends` chain too deep (a cycle?)")
    parent = data.get("extends")
    if parent:
        base_data, base_origin = _read(str(parent))
        base = parse_profile(base_data, base_origin, _depth + 1)
        merged_params = _merge(_written(base), data.get("parameters") or {})
        without = [*base.without, *(data.get("without") or [])]
        data = {**data, "parameters": merged_params, "without": without}
    try:
        profile = Profile.model_validate({**data, "origin": origin})
    except ValidationError as exc:
        errs = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if not str(p).startswith('P['))}: {e['msg']}"
            for e in exc.errors()
        )
        raise ProfileError(f"{origin}: {errs}") from exc
    return leave_out(profile, profile.without) if profile.without else profile


def leave_out(profile: Profile, roles: Iterable[str]) -> Profile:
    """``profile`` with the sender ``roles`` left out of its worlds (leave-one-population-out
    evaluation): each role's share of ``population.role_shares`` becomes 0, with no range, so the
    other roles (relative weights) share what it held; ``without`` and the parameter's reason
    record it."""
    roles = tuple(roles)
    try:
        out = profile.model_copy(update={"without": _sender_roles((*profile.without, *roles))})
    except ValueError as exc:
        raise ProfileError(f"{profile.origin}: {exc}") from exc
    pop = out.parameters.population
    shares = pop.role_shares
    value = {k: (0.0 if k in out.without else v) for k, v in shares.value.items()}
    bounds = shares.bounds
    if bounds is not None:
        lo, hi = bounds
        bounds = (
            {k: (0.0 if k in out.without else v) for k, v in lo.items()},
            {k: (0.0 if k in out.without else v) for k, v in hi.items()},
        )
    if sum(value.values()) <= 0:
        raise ProfileError(f"{profile.origin}: leaving out {', '.join(out.without)} leaves no one")
    reason = shares.reason.split(" Left out of this world:")[0].rstrip()
    reason += f" Left out of this world: {', '.join(out.without)} (share 0)."
    new = shares.model_copy(update={"value": value, "bounds": bounds, "reason": reason})
    params = out.parameters.model_copy(
        update={"population": pop.model_copy(update={"role_shares": new})}
    )
    return out.model_copy(update={"parameters": params})


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name (``baseline``, ``evasive``, ``namesakes``) or a profile file by
    path."""
    data, origin = _read(name_or_path)
    return parse_profile(data, origin)


def profile_names() -> list[str]:
    folder = resources.files("bantay.simulate").joinpath("profiles")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def parameter_sources(profile: Profile) -> list[tuple[str, Any, str, str]]:
    """(path, value, source, reason and note) for every parameter: the profile's bibliography."""
    return [
        (path, p.value, p.source, " | ".join(t for t in (p.note, p.reason) if t))
        for path, p in _all_params(profile.parameters)
    ]


def parameter_ranges(profile: Profile) -> dict[str, tuple[Any, Any]]:
    """The range ``(low, high)`` of every parameter given as one, by path (a mapping of weights:
    ``(lows, highs)``)."""
    return {path: p.bounds for path, p in _all_params(profile.parameters) if p.bounds is not None}


def parameter_spreads(profile: Profile) -> dict[str, Any]:
    """What each world draws of each parameter, by path, as ``truth/parameters.csv`` records it:
    ``[low, high]`` for a number, the mapping of weights with ``[low, high]`` for each ranged
    weight, ``{"jitter": j, "shift": [low, high]}`` for a list of weights."""
    out: dict[str, Any] = {}
    for path, p in _all_params(profile.parameters):
        if p.bounds is not None:
            out[path] = _written_range(p)
        elif p.jitter is not None or p.shift is not None:
            out[path] = {
                k: v
                for k, v in (
                    ("jitter", p.jitter),
                    ("shift", list(p.shift) if p.shift is not None else None),
                )
                if v is not None
            }
    return out


def _g4(x: float) -> float:
    """A drawn number as the world records it: 4 significant digits."""
    return float(f"{float(x):.4g}")


def _drawn(p: P[Any], rng: np.random.Generator) -> Any:
    """One world's value of ``p``."""
    value = p.value
    if p.bounds is not None:
        lo, hi = p.bounds
        if isinstance(value, dict):
            # one draw per weight, fixed or not: a weight left out (leave_out) moves no other
            u = rng.random(len(value))
            return {
                k: (v if lo[k] == hi[k] else _g4(lo[k] + x * (hi[k] - lo[k])))
                for (k, v), x in zip(value.items(), u, strict=True)
            }
        if type(p).model_fields["value"].annotation is int:
            return int(rng.integers(lo, hi + 1))
        return _g4(rng.uniform(lo, hi))
    weights = [float(w) for w in value]
    if p.shift is not None:
        weights = np.roll(weights, int(rng.integers(p.shift[0], p.shift[1] + 1))).tolist()
    if p.jitter is not None:
        factor = rng.uniform(1 - p.jitter, 1 + p.jitter, len(weights))
        weights = [_g4(w * f) for w, f in zip(weights, factor, strict=True)]
    return weights


def draw_ranges(profile: Profile, seed: int) -> Profile:
    """The profile as one world uses it: every range, jitter and shift drawn once from ``seed`` (a
    number uniformly in its range, a whole-number range in whole numbers with both ends included; a
    drawn number keeps 4 significant digits). Each parameter draws from its own stream, named by
    its path, so a parameter draws the same value whatever else the profile or the world changes;
    ``bounds`` still holds each range. A profile with nothing to draw is returned as it is."""
    if not parameter_spreads(profile):
        return profile
    sections: dict[str, _Section] = {}
    for section_name, section in _sections(profile.parameters):
        drawn: dict[str, P[Any]] = {}
        for pname, p in _params(section):
            if p.bounds is None and p.jitter is None and p.shift is None:
                continue
            path = f"{section_name}.{pname}"
            rng = np.random.default_rng([seed, 5, zlib.crc32(path.encode())])
            drawn[pname] = p.model_copy(update={"value": _drawn(p, rng)})
        sections[section_name] = section.model_copy(update=drawn)
    params = profile.parameters.model_copy(update=sections)
    try:
        _check(params)
    except ValueError as exc:
        raise ProfileError(f"{profile.origin}: values drawn for seed {seed}: {exc}") from exc
    return profile.model_copy(update={"parameters": params})
