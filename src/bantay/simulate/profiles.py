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
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bantay.errors import BantayError

T = TypeVar("T")

#: Source ids of the domain notes (S1..S38, plus S1a for the press coverage of S1).
KNOWN_SOURCES = frozenset({f"S{i}" for i in range(1, 39)} | {"S1a"})
_SOURCE_RE = re.compile(r"^S\d+[a-z]?$")


class ProfileError(BantayError):
    """A profile file is missing or invalid."""


class P(BaseModel, Generic[T]):
    """One parameter: its value and where the value comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: T
    source: str
    reason: str = ""
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(
                f"every parameter must be a mapping with `value` and `source`, got {data!r}"
            )
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
        return self


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


class Family(_Section):
    recipients_per_sender_mean: P[float]
    same_surname_share: P[float]
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


class Facilitators(_Section):
    payers_per_den: P[float]
    identities_per_den_weights: P[Weights]
    shared_phone_share: P[float]
    family_recipient_share: P[float]
    den_country_weights: P[Weights]
    mules_per_den: P[int]


class Parameters(_Section):
    population: Population
    family: Family
    freelancer: Freelancer
    partner: Partner
    fraud: Fraud
    card: Card
    osec: Osec
    facilitators: Facilitators

    @model_validator(mode="after")
    def _consistent(self) -> Parameters:
        for path, weights in (
            ("family.hour_weights", self.family.hour_weights.value),
            ("partner.hour_weights", self.partner.hour_weights.value),
            ("card.hour_weights", self.card.hour_weights.value),
            ("osec.hour_weights", self.osec.hour_weights.value),
        ):
            if len(weights) != 24 or min(weights) < 0 or sum(weights) <= 0:
                raise ValueError(f"{path}: needs 24 non-negative weights, one per local hour")
        if len(self.family.topup_month_weights.value) != 12:
            raise ValueError("family.topup_month_weights: needs 12 weights, one per month")
        if self.osec.amount_min_aud.value >= self.osec.amount_max_aud.value:
            raise ValueError("osec.amount_min_aud must be below osec.amount_max_aud")
        roles = set(self.population.role_shares.value)
        expected = {
            "ordinary",
            "family_sender",
            "partner_sender",
            "client_business",
            "fraud_victim",
            "offender",
        }
        if roles != expected:
            raise ValueError(
                f"population.role_shares: needs exactly the roles {sorted(expected)}, "
                f"got {sorted(roles)}"
            )
        return self


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    extends: str | None = None
    parameters: Parameters
    origin: str = Field(default="<string>", exclude=True)


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
        merged_params = _merge(
            base.model_dump(mode="python")["parameters"], data.get("parameters") or {}
        )
        data = {**data, "parameters": merged_params}
    try:
        return Profile.model_validate({**data, "origin": origin})
    except ValidationError as exc:
        errs = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if not str(p).startswith('P['))}: {e['msg']}"
            for e in exc.errors()
        )
        raise ProfileError(f"{origin}: {errs}") from exc


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name (``baseline``, ``evasive``) or a profile file by path."""
    data, origin = _read(name_or_path)
    return parse_profile(data, origin)


def profile_names() -> list[str]:
    folder = resources.files("bantay.simulate").joinpath("profiles")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def parameter_sources(profile: Profile) -> list[tuple[str, Any, str, str]]:
    """(path, value, source, reason or note) for every parameter: the profile's bibliography."""
    rows: list[tuple[str, Any, str, str]] = []
    params = profile.parameters
    for section_name in type(params).model_fields:
        section = getattr(params, section_name)
        for pname in type(section).model_fields:
            p = getattr(section, pname)
            rows.append((f"{section_name}.{pname}", p.value, p.source, p.reason or p.note))
    return rows
