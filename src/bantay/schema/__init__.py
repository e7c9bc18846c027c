"""The canonical data model, declared in YAML files beside this module.

Each file declares one *schema* (in the spirit of FollowTheMoney's schema files): a table name, a
description, typed properties with descriptions, the required ones and the key. They are loaded once,
validated, and used to create the workspace tables and to generate ``docs/data-model.md``.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bantay.errors import SchemaError

PropertyType = Literal[
    "string",
    "text",
    "timestamp",
    "date",
    "integer",
    "amount",
    "rate",
    "probability",
    "currency",
    "country",
    "enum",
    "boolean",
    "object",
]

#: DuckDB/SQL type of each property type. Amounts are exact decimals with six places, which holds
#: every fiat minor unit and crypto amounts to a millionth; more precision is quarantined, not rounded.
SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "text": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "integer": "BIGINT",
    "amount": "DECIMAL(18,6)",
    "rate": "DOUBLE",
    "probability": "DOUBLE",
    "currency": "VARCHAR",
    "country": "VARCHAR",
    "enum": "VARCHAR",
    "boolean": "BOOLEAN",
    "object": "JSON",
}

TYPE_DESCRIPTIONS: dict[str, str] = {
    "string": "short text as recorded",
    "text": "free text as recorded",
    "timestamp": "date and time without zone (UTC unless said otherwise)",
    "date": "calendar date",
    "integer": "whole number",
    "amount": "exact decimal, up to 12 digits before and 6 after the point",
    "rate": "positive floating-point number",
    "probability": "number from 0 to 1",
    "currency": "ISO 4217 code (or crypto-asset ticker)",
    "country": "ISO 3166-1 alpha-2 code",
    "enum": "one of the listed values",
    "boolean": "true or false",
    "object": "a nested JSON object of the schema named beside it (documents only)",
}


class Property(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    type: PropertyType
    description: str
    required: bool = False
    #: what ingest does with a value it cannot read in a property that is not required: load the
    #: record with the property empty and record a field fault (``empty``), or quarantine the
    #: record (``quarantine``: for a property whose emptiness means something, such as "no expiry")
    on_invalid: Literal["empty", "quarantine"] = "empty"
    values: tuple[str, ...] | None = None
    #: documents only (``document: true``): the schema of an ``object`` property, whether the
    #: property is a list of values, and the longest text a string property takes
    schema_name: str | None = Field(default=None, alias="schema")
    many: bool = False
    max_length: int | None = None

    @model_validator(mode="after")
    def _enum_values(self) -> Property:
        if self.type == "enum" and not self.values:
            raise ValueError("an enum property needs `values`")
        if self.type != "enum" and self.values:
            raise ValueError("only enum properties take `values`")
        if (self.type == "object") != (self.schema_name is not None):
            raise ValueError("an object property, and only one, names its `schema`")
        return self

    @property
    def quarantines(self) -> bool:
        """Whether a value that cannot be read quarantines the whole record (else: a field fault)."""
        return self.required or self.on_invalid == "quarantine"

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    table: str | None = None
    abstract: bool = False
    #: a JSON document received through the API (a platform report), not a workspace table: it
    #: may nest other documents (``type: object``) and lists (``many: true``)
    document: bool = False
    extends: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    properties: dict[str, Property] = Field(default_factory=dict)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(n for n, p in self.properties.items() if p.required)

    def ddl(self) -> str:
        """``CREATE TABLE`` statement for this schema (DuckDB dialect; also valid SQLite)."""
        if self.table is None:
            raise SchemaError(f"schema {self.name} is abstract and has no table")
        cols = [
            f"    {name} {prop.sql_type}{' NOT NULL' if prop.required else ''}"
            for name, prop in self.properties.items()
        ]
        return f"CREATE TABLE IF NOT EXISTS {self.table} (\n" + ",\n".join(cols) + "\n)"


class Model(BaseModel):
    """All schemas of the data model, with inherited properties resolved."""

    model_config = ConfigDict(frozen=True)

    schemas: dict[str, Schema]

    def table_schemas(self) -> list[Schema]:
        return [s for s in self.schemas.values() if s.table is not None]

    def by_table(self, table: str) -> Schema:
        for s in self.table_schemas():
            if s.table == table:
                return s
        raise SchemaError(f"no schema declares table {table!r}")

    def fingerprint(self) -> str:
        """Hash of the tables' columns and types: changes whenever the stored layout changes."""
        layout = {
            s.table: [(n, p.sql_type, p.required) for n, p in s.properties.items()]
            for s in self.table_schemas()
        }
        return hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()[:16]


def _load_raw() -> dict[str, dict[str, object]]:
    raw: dict[str, dict[str, object]] = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        try:
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise SchemaError(f"{entry.name}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict) or "name" not in data:
            raise SchemaError(f"{entry.name}: expected a mapping with a `name`")
        name = str(data["name"])
        if name in raw:
            raise SchemaError(f"{entry.name}: schema {name} is declared twice")
        data["_file"] = entry.name
        raw[name] = data
    return raw


def build_model(raw: dict[str, dict[str, object]]) -> Model:
    """Validate raw schema mappings and resolve ``extends``; raise SchemaError naming the file."""
    parsed: dict[str, Schema] = {}
    for name, data in raw.items():
        fname = data.pop("_file", name)
        try:
            raw_props = data.get("properties") or {}
            if not isinstance(raw_props, dict):
                raise ValueError("`properties` must be a mapping")
            data = {
                **data,
                "properties": {k: {**v, "name": k} for k, v in raw_props.items()},
            }
            parsed[name] = Schema.model_validate(data)
        except (ValidationError, ValueError, TypeError) as exc:
            raise SchemaError(f"{fname}: invalid schema {name}: {exc}") from exc
    resolved: dict[str, Schema] = {}
    for name, schema in parsed.items():
        props: dict[str, Property] = {}
        for parent in schema.extends:
            if parent not in parsed:
                raise SchemaError(f"schema {name} extends unknown schema {parent}")
            props.update(parsed[parent].properties)
        for pname, prop in schema.properties.items():
            if pname in props:
                raise SchemaError(f"schema {name} redeclares inherited property {pname}")
            props[pname] = prop
        # own properties first, inherited provenance last
        ordered = {
            **schema.properties,
            **{k: v for k, v in props.items() if k not in schema.properties},
        }
        for k in schema.key:
            if k not in ordered:
                raise SchemaError(f"schema {name}: key property {k!r} is not declared")
        if schema.table is None and not schema.abstract and not schema.document:
            raise SchemaError(
                f"schema {name} needs a `table`, `abstract: true` or `document: true`"
            )
        nested = [p for p in ordered.values() if p.type == "object" or p.many or p.max_length]
        if nested and not schema.document:
            raise SchemaError(f"schema {name}: only documents nest objects, lists or lengths")
        for p in nested:
            if p.schema_name is not None and p.schema_name not in parsed:
                raise SchemaError(f"schema {name}: {p.name} names unknown schema {p.schema_name}")
        resolved[name] = schema.model_copy(update={"properties": ordered})
    return Model(schemas=resolved)


@cache
def load_model() -> Model:
    """The data model, loaded once from the YAML files shipped with the package."""
    return build_model(_load_raw())


#: Keys a table's rows are given under on the way in (simulated files, ISO 20022 readers and
#: writers) that are not stored columns: a transaction's ``timestamp``, local time with its
#: offset, which ingest stores as ``ts_utc``, ``local_time`` and ``utc_offset_minutes``.
INPUT_KEYS: dict[str, tuple[str, ...]] = {"transactions": ("timestamp",)}


def field_list(table: str, *names: str, inputs: bool = False) -> tuple[str, ...]:
    """``names``, in their order, each checked to be a property of ``table``'s schema (or, with
    ``inputs``, one of its :data:`INPUT_KEYS`): the field lists that other modules write out
    (export columns, simulated and ISO 20022 rows) are taken from the YAML through this, so a
    list naming a field the YAML does not hold fails on import, not in an analyst's file."""
    known = set(load_model().by_table(table).properties)
    if inputs:
        known |= set(INPUT_KEYS.get(table, ()))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SchemaError(f"{table}: no field {', '.join(unknown)} in the schema")
    if len(set(names)) != len(names):
        raise SchemaError(f"{table}: a field is listed twice in {names}")
    return names
