"""The indicator catalogue: published indicators as data, loaded once from ``indicators/*.yaml``.

Each indicator names the published source it implements (id and words from
``domain/osec-financial-indicators.md``), the feature it reads, its parameters with defaults and
units,
and its scoring bands. Parameters can be overridden per currency (amount bands are compared in the
payment's own currency) and per corridor (``AU->PH``, ``*->PH``, ``AU->*``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bantay.errors import BantayError


class CatalogueError(BantayError):
    """An indicator file is invalid."""


Side = Literal["payer", "beneficiary", "network"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    wording: Literal["quote", "paraphrase"]
    text: str


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: Any
    unit: str
    description: str = ""


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at_least: float
    score: float
    label: str


class Override(BaseModel):
    """Parameters (and optionally bands) that replace the defaults for a currency or a corridor."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str | None = None
    corridor: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    bands: tuple[Band, ...] | None = None
    note: str = ""

    @model_validator(mode="after")
    def _one_key(self) -> Override:
        if (self.currency is None) == (self.corridor is None):
            raise ValueError("an override names exactly one of `currency` or `corridor`")
        if self.corridor is not None and "->" not in self.corridor:
            raise ValueError(f"corridor {self.corridor!r} must look like AU->PH (or *->PH, AU->*)")
        if self.corridor is not None and self.parameters:
            raise ValueError(
                "a corridor override sets `bands` (thresholds); parameters are overridden per "
                "`currency` (amounts are compared per payment)"
            )
        return self

    def matches_corridor(self, corridor: str | None) -> bool:
        if self.corridor is None or corridor is None:
            return False
        want_from, want_to = (p.strip() for p in self.corridor.split("->", 1))
        got_from, _, got_to = corridor.partition("->")
        return want_from in ("*", got_from) and want_to in ("*", got_to)


def _check_bands(bands: tuple[Band, ...]) -> None:
    if not bands:
        raise ValueError("needs at least one scoring band")
    cuts = [b.at_least for b in bands]
    if cuts != sorted(cuts) or len(set(cuts)) != len(cuts):
        raise ValueError(f"bands must rise strictly (at_least: {cuts})")


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    side: Side
    applies_to: Literal["payer", "beneficiary", "both"] | None = None
    feature: str
    unit: str
    sources: tuple[Source, ...] = Field(min_length=1)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    overrides: tuple[Override, ...] = ()
    bands: tuple[Band, ...]
    notes: str = ""

    @model_validator(mode="after")
    def _check(self) -> Indicator:
        _check_bands(self.bands)
        if self.side == "network" and self.applies_to is None:
            raise ValueError("a network indicator says whose score it enters (`applies_to`)")
        if self.side != "network" and self.applies_to not in (None, self.side):
            raise ValueError("`applies_to` differs from `side`")
        for o in self.overrides:
            unknown = set(o.parameters) - set(self.parameters)
            if unknown:
                raise ValueError(f"override sets unknown parameters {sorted(unknown)}")
            if o.bands is not None:
                _check_bands(o.bands)
        return self

    @property
    def targets(self) -> tuple[str, ...]:
        """The entity sides whose score this indicator enters."""
        who = self.applies_to or self.side
        return ("payer", "beneficiary") if who == "both" else (who,)

    def param(self, name: str) -> Any:
        """A parameter's default value (currency overrides: :meth:`currency_overrides`)."""
        if name not in self.parameters:
            raise CatalogueError(f"indicator {self.id} has no parameter {name!r}")
        return self.parameters[name].default

    def currency_overrides(self) -> dict[str, dict[str, Any]]:
        """Parameters by payment currency (amount bands are compared in the payment's currency)."""
        return {o.currency: dict(o.parameters) for o in self.overrides if o.currency is not None}

    def bands_for(self, corridor: str | None = None) -> tuple[Band, ...]:
        bands = self.bands
        for o in self.overrides:
            if o.matches_corridor(corridor) and o.bands is not None:
                bands = o.bands
        return bands

    def threshold(self, corridor: str | None = None) -> float:
        """The value at which the indicator fires (its lowest band)."""
        return self.bands_for(corridor)[0].at_least

    def band(self, value: float, corridor: str | None = None) -> Band | None:
        """The highest band ``value`` reaches, or None when the indicator does not fire."""
        hit: Band | None = None
        for b in self.bands_for(corridor):
            if value >= b.at_least:
                hit = b
        return hit


class Protection(BaseModel):
    """Family-link evidence that lowers a payer's risk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    feature: str
    weight: float = Field(ge=0)
    sources: tuple[Source, ...] = Field(min_length=1)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    notes: str = ""

    def param(self, name: str) -> Any:
        if name not in self.parameters:
            raise CatalogueError(f"protection {self.id} has no parameter {name!r}")
        return self.parameters[name].default


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True)

    settings: dict[str, Parameter]
    indicators: tuple[Indicator, ...]
    protections: tuple[Protection, ...]

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        ids = [i.id for i in self.indicators] + [p.id for p in self.protections]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"ids declared twice: {dupes}")
        return self

    def setting(self, name: str) -> Any:
        if name not in self.settings:
            raise CatalogueError(f"no catalogue setting {name!r}; known: {sorted(self.settings)}")
        return self.settings[name].default

    def indicator(self, indicator_id: str) -> Indicator:
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        raise CatalogueError(f"no indicator {indicator_id!r} in the catalogue")

    def protection(self, protection_id: str) -> Protection:
        for p in self.protections:
            if p.id == protection_id:
                return p
        raise CatalogueError(f"no protection {protection_id!r} in the catalogue")

    def for_side(self, side: str) -> tuple[Indicator, ...]:
        """Indicators whose score enters ``side`` (payer or beneficiary)."""
        return tuple(i for i in self.indicators if side in i.targets)


def _parse(files: list[tuple[str, str]]) -> Catalogue:
    settings: dict[str, Any] = {}
    indicators: list[Any] = []
    protections: list[Any] = []
    for fname, text in files:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise CatalogueError(f"{fname}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict) or "kind" not in data:
            raise CatalogueError(f"{fname}: expected a mapping with a `kind`")
        kind = data["kind"]
        try:
            if kind == "settings":
                for name, value in (data.get("settings") or {}).items():
                    if name in settings:
                        raise CatalogueError(f"{fname}: setting {name!r} declared twice")
                    settings[name] = Parameter.model_validate(value)
            elif kind == "indicators":
                indicators += [Indicator.model_validate(i) for i in data.get("indicators") or []]
            elif kind == "protections":
                protections += [Protection.model_validate(p) for p in data.get("protections") or []]
            else:
                raise CatalogueError(f"{fname}: unknown kind {kind!r}")
        except ValidationError as exc:
            raise CatalogueError(f"{fname}: {exc}") from exc
    try:
        return Catalogue(
            settings=settings, indicators=tuple(indicators), protections=tuple(protections)
        )
    except ValidationError as exc:
        raise CatalogueError(f"indicator catalogue: {exc}") from exc


def load_catalogue(folder: Path | None = None) -> Catalogue:
    """The catalogue from ``folder`` (every ``*.yaml`` in it), or the one shipped with Bantay."""
    if folder is None:
        return default_catalogue()
    files = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(Path(folder).glob("*.yaml"))]
    if not files:
        raise CatalogueError(f"{folder}: no *.yaml indicator files")
    return _parse(files)


@cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded and validated once."""
    base = resources.files("bantay.detect") / "indicators"
    files = sorted(
        (
            (e.name, e.read_text(encoding="utf-8"))
            for e in base.iterdir()
            if e.name.endswith(".yaml")
        ),
        key=lambda f: f[0],
    )
    return _parse(files)
