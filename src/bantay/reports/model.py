"""The platform report's JSON, validated by models built from its YAML schema.

``src/bantay/schema/platform_report.yaml`` (and the parts it nests) declare the fields; this module
turns them into pydantic models once (:func:`report_model`), so the intake API, the reference client
and the docs cannot drift from the schema. Unknown fields are refused (a body carrying anything the
schema does not declare, media above all, is not a report), every string has a bound, timestamps
need a time zone, and each error names its field (:class:`ReportInvalid`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)

from bantay.errors import Invalid
from bantay.schema import Property, Schema, load_model

ROOT = "PlatformReport"
#: the longest string a property without ``max_length`` takes
DEFAULT_MAX = 1_000
#: how many items a list property takes
MAX_ITEMS = 200
#: identifiers of a payment: at least one is needed (what links a report to the money)
PAYMENT_IDENTIFIERS = (
    "card_token",
    "wallet_id",
    "phone",
    "account",
    "payout_account",
    "payer_name",
)
#: hex length of each hash type
HASH_LENGTHS = {"pdq": 64, "md5": 32, "sha1": 40}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
#: field names that say a client tried to send media; refused with a message saying why
MEDIA_WORDS = (
    "media",
    "file",
    "files",
    "image",
    "images",
    "video",
    "videos",
    "attachment",
    "attachments",
    "screenshot",
    "content",
    "data_url",
    "bytes",
    "base64",
)


class NotJson(Invalid):
    """A report body that is not JSON: a form, a multipart upload, a file (HTTP 415)."""


class ReportInvalid(Invalid):
    """A report body that does not fit the schema; ``errors`` name each field (HTTP 422)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0] if errors else {"loc": ["body"], "msg": "invalid"}
        super().__init__(f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}")
        self.errors = errors


def _scalar(p: Property) -> Any:
    """The annotation of one scalar property."""
    max_len = p.max_length or DEFAULT_MAX
    match p.type:
        case "string" | "text":
            return Annotated[str, Field(min_length=1, max_length=max_len)]
        case "timestamp":
            return AwareDatetime
        case "date":
            return dt.date
        case "integer":
            return int
        case "boolean":
            return bool
        case "amount":
            return Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)]
        case "currency":
            return Annotated[str, Field(pattern=r"^[A-Z]{3,5}$")]
        case "country":
            return Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
        case "enum":
            return Literal[tuple(p.values or ())]
        case "rate" | "probability":
            return float
    raise ValueError(f"property {p.name}: type {p.type} has no JSON form")


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _PaymentChecks(_Document):
    @model_validator(mode="after")
    def _one_identifier(self) -> _PaymentChecks:
        if not any(getattr(self, f, None) for f in PAYMENT_IDENTIFIERS):
            raise ValueError(
                "a payment needs at least one identifier: " + ", ".join(PAYMENT_IDENTIFIERS)
            )
        return self


class _HashChecks(_Document):
    @model_validator(mode="after")
    def _hex(self) -> _HashChecks:
        kind, value = getattr(self, "type", ""), getattr(self, "value", "")
        want = HASH_LENGTHS.get(kind)
        if want is None or len(value) != want or not _HEX.match(value):
            raise ValueError(f"a {kind} hash is {want} hexadecimal digits")
        return self


_BASES: dict[str, type[_Document]] = {
    "ReportPayment": _PaymentChecks,
    "ReportHash": _HashChecks,
}


def _build(
    name: str, schemas: dict[str, Schema], done: dict[str, type[BaseModel]]
) -> type[BaseModel]:
    if name in done:
        return done[name]
    s = schemas[name]
    fields: dict[str, Any] = {}
    for pname, p in s.properties.items():
        ann: Any = _build(p.schema_name, schemas, done) if p.schema_name else _scalar(p)
        if p.many:
            ann = Annotated[list[ann], Field(max_length=MAX_ITEMS)]
        if p.required:
            fields[pname] = (ann, Field(description=" ".join(p.description.split())))
        else:
            fields[pname] = (
                ann | None,
                Field(default=None, description=" ".join(p.description.split())),
            )
    model = create_model(
        name,
        __base__=_BASES.get(name, _Document),
        __doc__=" ".join(s.description.split()),
        **fields,
    )
    done[name] = model
    return model


@cache
def report_model() -> type[BaseModel]:
    """The pydantic model of a platform report, built from the YAML schema (once)."""
    m = load_model()
    return _build(ROOT, {n: s for n, s in m.schemas.items() if s.document}, {})


def _media_field(raw: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The path of the first key that names media (``file``, ``image``...), anywhere in ``raw``."""
    if isinstance(raw, dict):
        for k, v in raw.items():
            if str(k).lower() in MEDIA_WORDS:
                return (*path, str(k))
            found = _media_field(v, (*path, str(k)))
            if found:
                return found
    elif isinstance(raw, list):
        for i, v in enumerate(raw):
            found = _media_field(v, (*path, i))
            if found:
                return found
    return None


def parse_report(body: bytes | str | dict[str, Any]) -> BaseModel:
    """A validated report from a JSON body, else :class:`ReportInvalid` naming every bad field."""
    if isinstance(body, dict):
        raw: Any = body
    else:
        try:
            raw = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ReportInvalid(
                [{"loc": ["body"], "msg": f"not JSON: {exc}", "type": "json_invalid"}]
            ) from exc
    if not isinstance(raw, dict):
        raise ReportInvalid(
            [{"loc": ["body"], "msg": "a report is a JSON object", "type": "object_type"}]
        )
    media = _media_field(raw)
    if media is not None:
        raise ReportInvalid(
            [
                {
                    "loc": ["body", *media],
                    "msg": "no media or media bytes of any kind are accepted: send hashes "
                    "(`hashes`: pdq, md5, sha1) instead",
                    "type": "media_refused",
                }
            ]
        )
    try:
        return report_model().model_validate(raw)
    except ValidationError as exc:
        raise ReportInvalid(
            [
                {
                    "loc": ["body", *e["loc"]],
                    "msg": e["msg"],
                    "type": e["type"],
                }
                for e in exc.errors(include_url=False, include_input=False)
            ]
        ) from exc


def canonical(report: BaseModel) -> str:
    """The report as canonical JSON (sorted keys, no nulls): what is stored and hashed."""
    return json.dumps(
        report.model_dump(mode="json", exclude_none=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
