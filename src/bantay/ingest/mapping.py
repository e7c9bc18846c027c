"""Mapping files: how the columns of an institution's export become canonical fields.

A mapping is a TOML file (examples in ``bantay/ingest/mappings/``, documented in ``docs/mappings.md``)::

    kind = "transactions"                 # transactions | parties | signals | rates
    [file]
    encoding = "utf-8"                    # utf-8, utf-16, latin-1
    delimiter = ","
    skip_lines = 0                        # preamble lines before the header
    decimal = "."                         # decimal separator in amounts
    thousands = ","                       # thousands separator in amounts (stripped)
    timestamp_format = ["%d/%m/%Y %H:%M"] # strptime formats, tried in order
    date_format = ["%Y-%m-%d"]
    timezone = "Australia/Sydney"         # IANA zone of local times ("UTC" if already UTC)
    negative_amounts = "reject"           # reject | absolute
    [constants]                           # fields with one value for the whole file
    institution = "QuickSend"
    [columns]                             # canonical field = source column (or list, joined)
    transaction_id = "Reference"
    timestamp = "Date Sent"
    payer_name = ["First Name", "Last Name"]
    [values.channel]                      # source value = canonical value
    "Cash Pickup" = "cash_pickup"
"""

from __future__ import annotations

import tomllib
import zoneinfo
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bantay.errors import MappingError

Kind = Literal["transactions", "parties", "signals", "rates"]
KIND_TABLE: dict[str, str] = {
    "transactions": "transactions",
    "parties": "party_records",
    "signals": "signals",
    "rates": "rates",
}

#: Mapping-level fields that are not table columns but feed several (time zone handling).
PSEUDO_FIELDS = {
    "transactions": {
        "timestamp": "local date and time of the payment (parsed with timestamp_format)",
        "timezone": "column holding an IANA zone or a UTC offset per row",
        "utc_offset": "column holding the UTC offset per row (+10:00, +1000, 600 minutes)",
    },
    "parties": {},
    "signals": {},
    "rates": {},
}


def _as_list(v: object) -> object:
    return [v] if isinstance(v, str) else v


class FileOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    encoding: Literal["utf-8", "utf-16", "latin-1"] = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    skip_lines: int = Field(default=0, ge=0)
    decimal: Literal[".", ","] = "."
    thousands: Literal["", ",", ".", " ", "'"] = ""
    timestamp_format: list[str] = Field(
        default_factory=lambda: ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"]
    )
    date_format: list[str] = Field(default_factory=lambda: ["%Y-%m-%d"])
    timezone: str | None = None
    negative_amounts: Literal["reject", "absolute"] = "reject"

    _fmt = field_validator("timestamp_format", "date_format", mode="before")(_as_list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        if v is not None and v.upper() != "UTC":
            try:
                zoneinfo.ZoneInfo(v)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {v!r} (use an IANA name)") from exc
        return v

    @field_validator("delimiter", "quote")
    @classmethod
    def _one_char(cls, v: str) -> str:
        if len(v) != 1:
            raise ValueError("must be a single character")
        return v


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind = "transactions"
    description: str = ""
    file: FileOptions = Field(default_factory=FileOptions)
    constants: dict[str, str] = Field(default_factory=dict)
    columns: dict[str, list[str]] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    text: str = ""  # the TOML text this mapping was read from (recorded with each ingest)
    origin: str = "<built-in>"

    @field_validator("columns", mode="before")
    @classmethod
    def _columns_lists(cls, v: object) -> object:
        if isinstance(v, dict):
            return {k: _as_list(c) for k, c in v.items()}
        return v

    @property
    def table(self) -> str:
        return KIND_TABLE[self.kind]

    def source_columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for cols in self.columns.values():
            for c in cols:
                seen[c] = None
        return list(seen)

    def check_fields(self, allowed: set[str]) -> None:
        """Every mapped field must be a canonical field (or a pseudo-field) of the target kind."""
        allowed = allowed | set(PSEUDO_FIELDS[self.kind])
        for where, names in (
            ("columns", self.columns),
            ("constants", self.constants),
            ("values", self.values),
        ):
            for name in names:
                if name not in allowed:
                    raise MappingError(
                        f"{self.origin}: [{where}] {name!r} is not a field of {self.kind}; "
                        f"known fields: {', '.join(sorted(allowed))}"
                    )
        both = set(self.columns) & set(self.constants)
        if both:
            raise MappingError(
                f"{self.origin}: {', '.join(sorted(both))} given both as column and constant"
            )


def parse_mapping(text: str, origin: str = "<string>") -> Mapping:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{origin}: not valid TOML: {exc}") from exc
    try:
        m = Mapping.model_validate({**data, "text": text, "origin": origin})
    except ValidationError as exc:
        errs = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise MappingError(f"{origin}: {errs}") from exc
    return m


def load_mapping(path: Path) -> Mapping:
    path = Path(path)
    if not path.exists():
        raise MappingError(f"mapping file {path} does not exist")
    return parse_mapping(path.read_text(encoding="utf-8"), origin=str(path))


def builtin_mapping(name: str) -> Mapping:
    """A mapping shipped with Bantay (``bantay/ingest/mappings/NAME.toml``)."""
    from importlib import resources

    res = resources.files("bantay.ingest").joinpath("mappings", f"{name}.toml")
    if not res.is_file():
        raise MappingError(f"no built-in mapping named {name!r}")
    return parse_mapping(res.read_text(encoding="utf-8"), origin=f"built-in mapping {name}")
