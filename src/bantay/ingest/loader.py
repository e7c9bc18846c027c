"""The ingest loader: read a file, map and validate every row in DuckDB, load or quarantine it.

One file is one DuckDB transaction: a failure or a killed process leaves the workspace as it was.
The work is two set-based passes, whatever the size of the file:

1. *stage*: read the raw text of every record (CSV, Parquet, JSON lines or ISO 20022 batches), parse
   each canonical field and run the checks that need no lookup; the stage keeps the insertion order,
   so a record's position gives its line number;
2. *check*: look up countries, currencies and exchange rates, find duplicate keys (in the file and
   already loaded), then insert the good rows into their table and every other row into
   ``quarantine`` with its file, line, field and reason.

A value that cannot be read in a field that is not required (see ``on_invalid`` in the schema) does
not stop its record: the record loads with the field empty, and the fault goes to ``field_faults``
with its file, line, field, reason and raw value. Both kinds of failure are found in the same pass.

Invariant, asserted before commit: rows read = rows loaded + rows quarantined.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from bantay.errors import InputFileError, MappingError
from bantay.ingest.fields import Check, FieldSQL, field_sql, ident, lit, raw_expr, sql_list
from bantay.ingest.mapping import Kind, Mapping
from bantay.ingest.reference import country_table, currency_codes
from bantay.schema import Schema, load_model
from bantay.workspace import Workspace

Format = Literal["csv", "parquet", "jsonl", "iso20022"]
PROVENANCE = ("ingest_id", "source", "file", "line")
#: derived transaction times, staged under their own names (checks refer to them)
TIME_FIELDS = ("ts_utc", "local_time", "utc_offset_minutes")

#: DuckDB's CSV reject types, as quarantine reason codes.
REJECT_CODES = {
    "TOO MANY COLUMNS": "extra_columns",
    "MISSING COLUMNS": "missing_columns",
    "INVALID ENCODING": "invalid_encoding",
    "UNQUOTED VALUE": "malformed_row",
    "LINE SIZE OVER MAXIMUM": "line_too_long",
    "INVALID STATE": "malformed_row",
    "CAST": "malformed_row",
}


@dataclass
class IngestReport:
    """What one ingest did; ``rows_read == rows_loaded + rows_quarantined`` always."""

    file: str
    kind: str
    format: str
    source: str
    ingest_id: str | None = None
    skipped: bool = False
    message: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    quarantine_by_reason: dict[str, int] = field(default_factory=dict)
    #: values left empty in loaded rows (not counted in the rows above), and the rows they are in
    field_faults: int = 0
    rows_with_field_faults: int = 0
    #: field -> reason code -> number of faults
    field_faults_by_field: dict[str, dict[str, int]] = field(default_factory=dict)
    unmapped_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- file sniffing

_MAGIC: list[tuple[bytes, str]] = [
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook?)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document"),
]


def sniff(path: Path) -> str:
    """What the file's first bytes say it is: csv-like text, parquet, xml, json, or a description."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        raise InputFileError(f"{path}: the file is empty")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return "parquet" if magic == b"PAR1" else what
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16 text"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if b"\x00" in head:
        return "binary data"
    if text.startswith(b"<"):
        return "xml"
    if text.startswith((b"{", b"[")):
        return "json"
    return "text"


def infer_format(path: Path) -> Format:
    name = path.name.lower()
    for ext, fmt in (
        (".parquet", "parquet"),
        (".pq", "parquet"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "jsonl"),
        (".xml", "iso20022"),
        (".csv", "csv"),
        (".txt", "csv"),
        (".tsv", "csv"),
    ):
        if name.endswith(ext):
            return fmt  # type: ignore[return-value]
    raise InputFileError(
        f"{path}: cannot tell the format from the extension; pass --format csv|parquet|jsonl|iso20022"
    )


def check_content(path: Path, fmt: Format) -> str:
    """Refuse a file whose content is not what its format says; return the sniffed kind."""
    what = sniff(path)
    expected = {
        "csv": ("text", "utf-16 text"),
        "parquet": ("parquet",),
        "jsonl": ("json",),
        "iso20022": ("xml",),
    }[fmt]
    if what not in expected:
        raise InputFileError(f"{path}: expected {fmt} but the content looks like {what}")
    return what


# --------------------------------------------------------------------------- kinds


@dataclass
class KindSpec:
    """What differs between transactions, parties, signals and rates."""

    kind: Kind
    schema: Schema
    #: fields computed by the engine rather than mapped
    derived: tuple[str, ...]
    pass1: Callable[[Mapping, dict[str, FieldSQL], dict[str, str]], dict[str, str]]
    pass2: Callable[[Mapping, Workspace], tuple[dict[str, str], list[str], list[Check]]]


def _ts_pass1(m: Mapping, f: dict[str, FieldSQL], cols: dict[str, str]) -> dict[str, str]:
    """Transactions: local time, UTC offset and UTC time from the mapped timestamp."""
    out: dict[str, str] = {}
    if "ts_utc" in m.columns:
        out["ts_utc"] = f["ts_utc"].value
        out["local_time"] = "NULL::TIMESTAMP"
        out["utc_offset_minutes"] = "NULL::BIGINT"
        return out
    raw = raw_expr(m, "timestamp", cols)
    fmts = m.file.timestamp_format
    has_z = any("%z" in x or "%Z" in x for x in fmts)
    offset_raw: str | None = None
    if has_z:
        # an offset only counts after a time of day (a bare date's "-01" is not an offset)
        offset_raw = (
            f"regexp_extract({raw}, '[0-9]{{2}}:[0-9]{{2}}(?::[0-9]{{2}}(?:[.][0-9]+)?)?"
            f"(Z|[+-][0-9]{{2}}(?::?[0-9]{{2}})?)$', 1)"
        )
        raw = f"left({raw}, length({raw}) - length({offset_raw}))"
        fmts = [x.replace("%z", "").replace("%Z", "") for x in fmts]
    elif "utc_offset" in m.columns or "utc_offset" in m.constants:
        offset_raw = raw_expr(m, "utc_offset", cols)
    fmt_list = sql_list(list(dict.fromkeys(fmts)))
    local = f"CAST(try_strptime({raw}, {fmt_list}) AS TIMESTAMP)"
    out["local_time"] = local
    if offset_raw is not None:
        o = f"NULLIF(trim({offset_raw}), '')"
        # +HH, +HH:MM, +HHMM (signed) are hours; a bare integer is minutes (600 = +10:00);
        # anything else gives no UTC time, and the row is quarantined
        hours = (
            f"(CASE WHEN starts_with({o}, '-') THEN -1 ELSE 1 END) * ("
            f"CAST(substr(replace({o}, ':', ''), 2, 2) AS INTEGER) * 60 + "
            f"coalesce(TRY_CAST(NULLIF(substr(replace({o}, ':', ''), 4, 2), '') AS INTEGER), 0))"
        )
        # a timestamp written without an offset (format with %z) is UTC; a missing offset
        # column value is not
        when_null = "0" if has_z else "NULL"
        minutes = (
            f"(CASE WHEN {o} IS NULL THEN {when_null} WHEN {o} IN ('Z', 'UTC') THEN 0 "
            f"WHEN regexp_full_match({o}, '[+-][0-9]{{2}}(:?[0-9]{{2}})?') THEN {hours} "
            f"WHEN regexp_full_match({o}, '[+-]?[0-9]{{1,4}}') THEN CAST({o} AS INTEGER) END)"
        )
        out["utc_offset_minutes"] = (
            f"(CASE WHEN {o} IS NULL THEN NULL ELSE {minutes} END)" if has_z else minutes
        )
        out["ts_utc"] = f"{local} - to_minutes({minutes})"
    else:
        zone = (
            raw_expr(m, "timezone", cols)
            if ("timezone" in m.columns or "timezone" in m.constants)
            else lit(m.file.timezone)
        )
        if zone == "NULL":
            raise MappingError(
                f"{m.origin}: `timestamp` is mapped but no time zone is given: set [file] timezone "
                '(an IANA name such as "Australia/Sydney", or "UTC"), map a `timezone` or '
                "`utc_offset` column, or use a timestamp_format with %z"
            )
        if zone.startswith("'"):  # one zone for the file, checked when the mapping was read
            out["ts_utc"] = f"timezone('UTC', timezone({zone}, {local}))"
        else:  # a zone per row: unknown names give no time (and a quarantine), not an error
            zones = sql_list(sorted(zoneinfo.available_timezones()))
            out["ts_utc"] = (
                f"CASE WHEN list_contains({zones}, {zone}) "
                f"THEN timezone('UTC', timezone({zone}, {local})) END"
            )
        out["utc_offset_minutes"] = "CAST(datediff('minute', ts_utc, local_time) AS BIGINT)"
    return out


def _ts_checks(m: Mapping, cols: dict[str, str]) -> list[Check]:
    if "ts_utc" in m.columns:
        return []
    raw = raw_expr(m, "timestamp", cols)
    q = f"('''' || coalesce({raw}, '') || '''')"
    fmts = ", ".join(m.file.timestamp_format)
    checks = [
        Check(
            f"{raw} IS NULL", "missing_field", lit("required field timestamp is empty"), "timestamp"
        ),
        Check(
            "local_time IS NULL",
            "unparseable_timestamp",
            f"'timestamp ' || {q} || {lit(' does not match any of: ' + fmts)}",
            "timestamp",
        ),
        Check(
            "ts_utc IS NULL",
            "unknown_timezone",
            f"'timestamp ' || {q} || ' has no valid time zone or UTC offset'",
            "timestamp",
        ),
    ]
    return checks


def _record_id_sql(side: str, institution: str, ref: str, parts: list[str], tag: str) -> str:
    hashed = (
        f"'h:' || md5(concat_ws('|', {lit(side)}, {institution}, "
        + ", ".join(f"coalesce({p}, '')" for p in parts)
        + "))"
    )
    return (
        f"(CASE WHEN {ref} IS NOT NULL THEN {institution} || {lit(tag)} || {ref} ELSE {hashed} END)"
    )


def _tx_pass2(m: Mapping, ws: Workspace) -> tuple[dict[str, str], list[str], list[Check]]:
    rc = ws.reporting_currency
    max_age = int(ws.settings["rate_max_age_days"])
    max_amount = ws.settings["max_amount_reporting"]
    rate = f"(CASE WHEN v_currency = {lit(rc)} THEN 1.0 ELSE fx.rate END)"
    amount_rep = f"CAST(v_amount * {rate} AS DECIMAL(18,6))"
    side = {
        "payer": [
            "v_payer_name",
            "v_payer_account",
            "ctry_payer_country.code",
            "v_payer_city",
            "v_payer_phone",
        ],
        "beneficiary": [
            "v_beneficiary_name",
            "v_beneficiary_account",
            "v_beneficiary_institution",
            "ctry_beneficiary_country.code",
            "v_beneficiary_city",
            "v_beneficiary_phone",
        ],
    }
    payer_id = _record_id_sql("payer", "v_institution", "v_payer_ref", side["payer"], ":")
    # a beneficiary is someone only where the row names them: a name, an account, a phone or the
    # institution's reference. A country, a city or a bank code alone identifies nobody (a card
    # payment abroad carries just the merchant's country), and would lump every such row into
    # one "beneficiary" paid by thousands
    ben_present = " OR ".join(
        f"{p} IS NOT NULL"
        for p in (
            "v_beneficiary_name",
            "v_beneficiary_account",
            "v_beneficiary_phone",
            "v_beneficiary_ref",
        )
    )
    ben_id = (
        f"(CASE WHEN {ben_present} THEN "
        + _record_id_sql(
            "beneficiary", "v_institution", "v_beneficiary_ref", side["beneficiary"], ":B:"
        )
        + " END)"
    )
    values = {
        "amount_reporting": amount_rep,
        "payer_record_id": payer_id,
        "beneficiary_record_id": ben_id,
    }
    # rates by day, carried forward over gaps of up to max_age days: a small table, so the
    # lookup is a hash join rather than an as-of join over every transaction
    ws.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE __fx AS
        SELECT d.currency, d.day, r.rate, r.date FROM (
          SELECT currency, CAST(unnest(generate_series(min(date), max(date) + {max_age},
                 INTERVAL 1 DAY)) AS DATE) AS day
          FROM rates GROUP BY currency) d
        ASOF JOIN rates r ON r.currency = d.currency AND d.day >= r.date
        WHERE d.day - r.date <= {max_age}
        """
    )
    joins = [
        "LEFT JOIN __fx fx ON fx.currency = st.v_currency AND fx.day = CAST(st.ts_utc AS DATE)"
    ]
    checks = [
        Check(
            f"v_currency <> {lit(rc)} AND fx.rate IS NULL",
            "missing_rate",
            f"'no exchange rate from ' || v_currency || ' to {rc} for ' || "
            f"CAST(CAST(st.ts_utc AS DATE) AS VARCHAR) || ' (nor in the {max_age} days before); "
            "ingest a rates file first'",
            "currency",
        ),
        Check(
            f"{amount_rep} > {max_amount}",
            "absurd_amount",
            f"'amount ' || CAST(v_amount AS VARCHAR) || ' ' || v_currency || ' is over "
            f"{max_amount} {rc} (max_amount_reporting)'",
            "amount",
        ),
        Check(
            "v_channel = 'card' AND v_merchant_name IS NULL AND v_beneficiary_name IS NULL",
            "missing_field",
            "'a card payment needs merchant_name'",
            "merchant_name",
        ),
        Check(
            "v_channel <> 'card' AND v_beneficiary_name IS NULL AND v_beneficiary_account IS NULL "
            "AND v_beneficiary_ref IS NULL AND v_beneficiary_phone IS NULL",
            "missing_field",
            "'the beneficiary has no name, account, reference or phone'",
            "beneficiary_name",
        ),
    ]
    return values, joins, checks


def _party_pass1(m: Mapping, f: dict[str, FieldSQL], cols: dict[str, str]) -> dict[str, str]:
    name = f["name"].value
    if "name" not in m.columns and "name" not in m.constants:
        name = "NULLIF(concat_ws(' ', v_given_name, v_family_name), '')"
    return {
        "name": name,
        "kind": "'customer'",
        "first_seen": "NULL::TIMESTAMP",
        "last_seen": "NULL::TIMESTAMP",
        "n_transactions": "NULL::BIGINT",
    }


#: Fields of a party record that identify the person (with given_name and family_name, parts of a
#: name): a customer record needs at least one of them to be resolved, else it is quarantined.
PARTY_IDENTIFIERS = {
    "name": "name",
    "date_of_birth": "date of birth",
    "phone": "phone",
    "email": "e-mail",
    "account_id": "account",
    "id_document": "identity document",
}


def _party_pass2(m: Mapping, ws: Workspace) -> tuple[dict[str, str], list[str], list[Check]]:
    # values after field faults: an unreadable date of birth does not identify anyone
    none = " AND ".join(f"v_{f} IS NULL" for f in [*PARTY_IDENTIFIERS, "given_name", "family_name"])
    *first, last = PARTY_IDENTIFIERS.values()
    what = ", ".join(first) + " or " + last
    checks = [
        Check(
            "v_customer_ref IS NULL",
            "missing_field",
            "'required field customer_ref is empty (a customer file needs a reference)'",
            "customer_ref",
        ),
        Check(none, "no_identifier", lit(f"the customer has no usable {what}")),
    ]
    return {"party_record_id": "v_institution || ':' || v_customer_ref"}, [], checks


def _signal_pass2(m: Mapping, ws: Workspace) -> tuple[dict[str, str], list[str], list[Check]]:
    sid = "v_signal_source || ':' || md5(v_identifier_type || '|' || v_value)"
    return {"signal_id": sid}, [], []


def _none_pass1(m: Mapping, f: dict[str, FieldSQL], cols: dict[str, str]) -> dict[str, str]:
    return {}


def _rate_pass2(m: Mapping, ws: Workspace) -> tuple[dict[str, str], list[str], list[Check]]:
    return {}, [], []


def kind_spec(kind: Kind) -> KindSpec:
    model = load_model()
    if kind == "transactions":
        return KindSpec(
            kind,
            model.by_table("transactions"),
            (
                "ts_utc",
                "local_time",
                "utc_offset_minutes",
                "amount_reporting",
                "payer_record_id",
                "beneficiary_record_id",
            ),
            _ts_pass1,
            _tx_pass2,
        )
    if kind == "parties":
        return KindSpec(
            kind,
            model.by_table("party_records"),
            ("party_record_id", "kind", "first_seen", "last_seen", "n_transactions"),
            _party_pass1,
            _party_pass2,
        )
    if kind == "signals":
        return KindSpec(kind, model.by_table("signals"), ("signal_id",), _none_pass1, _signal_pass2)
    return KindSpec(kind, model.by_table("rates"), (), _none_pass1, _rate_pass2)


# --------------------------------------------------------------------------- readers


def _csv_reader(path: Path, m: Mapping, encoding: str) -> str:
    o = m.file
    return (
        f"read_csv({lit(str(path))}, all_varchar = true, header = true, delim = {lit(o.delimiter)}, "
        f"quote = {lit(o.quote)}, escape = {lit(o.quote)}, skip = {o.skip_lines}, "
        f"encoding = {lit(encoding)}, store_rejects = true, rejects_table = '__rejects', "
        f"rejects_scan = '__rejects_scan', null_padding = false, strict_mode = true)"
    )


def _header(con: duckdb.DuckDBPyConnection, reader: str) -> list[str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    return [str(r[0]) for r in rows]


def _csv_columns(
    con: duckdb.DuckDBPyConnection, path: Path, m: Mapping, encoding: str
) -> list[str]:
    """Header names as written in the file."""
    o = m.file
    try:
        rows = con.execute(
            f"DESCRIBE SELECT * FROM read_csv({lit(str(path))}, all_varchar = true, header = true, "
            f"delim = {lit(o.delimiter)}, quote = {lit(o.quote)}, escape = {lit(o.quote)}, "
            f"skip = {o.skip_lines}, encoding = {lit(encoding)}, ignore_errors = true)"
        ).fetchall()
    except duckdb.Error as exc:
        long = _long_line(path, exc)
        if long is not None:
            line, size, limit = long
            raise InputFileError(
                f"{path}: line {line:,} is {size:,} bytes long, over the {limit:,}-byte limit of "
                "one CSV record (a field of megabytes: a mis-quoted or corrupt file?); the file "
                "is refused as a whole"
            ) from exc
        raise InputFileError(f"{path}: cannot read the CSV header: {_short(exc)}") from exc
    return [str(r[0]) for r in rows]


_MAX_LINE = re.compile(r"Maximum line size of (\d+) bytes exceeded")


def _long_line(path: Path, exc: BaseException) -> tuple[int, int, int] | None:
    """(line number, length, limit) of the first line over DuckDB's line limit, when that is
    what ``exc`` is about (DuckDB itself reports the wrong line, or calls it the header)."""
    m = _MAX_LINE.search(str(exc))
    if m is None:
        return None
    limit = int(m.group(1))
    with open(path, "rb") as fh:
        n = 0
        while True:
            n += 1
            chunk = fh.readline(limit + 1)
            if not chunk:
                return None
            if len(chunk) > limit and not chunk.endswith(b"\n"):
                size = len(chunk)
                while chunk and not chunk.endswith(b"\n"):
                    chunk = fh.readline(1 << 20)
                    size += len(chunk)
                return n, size - (1 if chunk.endswith(b"\n") else 0), limit


def _short(exc: BaseException) -> str:
    """The first line of an engine error, without what an embedded Python traceback adds."""
    text = str(exc).strip().splitlines()[0]
    for cut in (" Detail: Python exception", "Traceback (most recent call last)"):
        if cut in text:
            text = text[: text.index(cut)].rstrip()
    return text[:400]


# --------------------------------------------------------------------------- the engine


@dataclass
class _Plan:
    stage_from: str  # FROM clause of the stage: a reader aliased with source columns renamed
    columns: dict[str, str]  # source column -> staged identifier
    has_line: bool  # the reader provides a __line column (else: position in the stage)
    line_offset: int  # line of the first record when numbering by position
    has_rejects: bool
    has_error_col: bool = False


def _plan_tabular(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: Format, m: Mapping, what: str
) -> tuple[_Plan, list[str]]:
    """How to stage the file, and its columns."""
    if fmt == "csv":
        encoding = "utf-16" if what == "utf-16 text" else m.file.encoding
        header = _csv_columns(con, path, m, encoding)
        reader = _csv_reader(path, m, encoding)
        has_line, offset, rejects = False, 2 + m.file.skip_lines, True
    elif fmt == "parquet":
        try:
            header = _header(con, f"read_parquet({lit(str(path))})")
        except duckdb.Error as exc:
            raise InputFileError(f"{path}: not a readable Parquet file: {_short(exc)}") from exc
        reader = f"(SELECT *, file_row_number + 1 AS __line FROM read_parquet({lit(str(path))}, file_row_number = true))"
        has_line, offset, rejects = True, 0, False
    elif fmt == "jsonl":
        lines = (
            f"(SELECT __json FROM read_csv({lit(str(path))}, header = false, "
            f"columns = {{'__json': 'VARCHAR'}}, delim = '\\x1e', quote = '', escape = '', "
            f"auto_detect = false, strict_mode = false))"
        )
        header = _json_keys(con, path, lines)
        sel = ", ".join(
            f"CASE WHEN json_valid(__json) THEN "
            f"json_extract_string(__json, {lit('$.' + json_path_key(c))}) END AS {ident(c)}"
            for c in header
        )
        reader = (
            f"(SELECT {sel}, row_number() OVER () AS __line, "
            f"CASE WHEN NOT json_valid(__json) OR json_type(__json) <> 'OBJECT' "
            f"THEN 'not a JSON object: ' || left(__json, 200) END AS __error FROM {lines} "
            f"WHERE trim(__json) <> '')"
        )
        has_line, offset, rejects = True, 0, False
    else:  # pragma: no cover
        raise AssertionError(fmt)
    if len(set(header)) != len(header):
        dup = sorted({c for c in header if header.count(c) > 1})
        raise InputFileError(f"{path}: header repeats column(s) {', '.join(dup)}")
    staged = {c: f"s{i}" for i, c in enumerate(header)}
    inner = ", ".join(f"{_cast_varchar(ident(c))} AS s{i}" for i, c in enumerate(header))
    extra = ", __line" if has_line else ""
    extra += ", __error" if fmt == "jsonl" else ""
    stage_from = f"(SELECT {inner}{extra} FROM {reader})"
    plan = _Plan(stage_from, staged, has_line, offset, rejects, has_error_col=fmt == "jsonl")
    return plan, header


def _cast_varchar(col: str) -> str:
    return f"CAST({col} AS VARCHAR)"


def json_path_key(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def _json_keys(con: duckdb.DuckDBPyConnection, path: Path, lines: str) -> list[str]:
    try:
        rows = con.execute(
            f"SELECT DISTINCT unnest(json_keys(__json)) FROM {lines} WHERE json_valid(__json) "
            f"AND json_type(__json) = 'OBJECT'"
        ).fetchall()
    except duckdb.Error as exc:
        raise InputFileError(f"{path}: cannot read JSON lines: {_short(exc)}") from exc
    keys = sorted(str(r[0]) for r in rows)
    if not keys:
        raise InputFileError(f"{path}: no JSON object found on any line")
    return keys


#: Column names accepted in place of canonical ones when no mapping is given.
IDENTITY_ALIASES: dict[str, dict[str, str]] = {
    "signals": {"source": "signal_source", "expiry": "expires", "type": "identifier_type"},
    "parties": {"customer_reference": "customer_ref", "dob": "date_of_birth"},
}


def identity_mapping(kind: Kind, header: list[str], base: Mapping | None = None) -> Mapping:
    """Map every column whose name is a canonical field (or pseudo-field) onto itself."""
    spec = kind_spec(kind)
    from bantay.ingest.mapping import PSEUDO_FIELDS

    known = set(spec.schema.properties) - set(PROVENANCE) - set(spec.derived)
    known |= set(PSEUDO_FIELDS[kind])
    aliases = IDENTITY_ALIASES.get(kind, {})
    m = base.model_copy() if base is not None else Mapping(kind=kind)
    m.columns = {}
    for c in header:
        target = c if c in known else aliases.get(c)
        if target is not None and target not in m.columns and target not in m.constants:
            m.columns[target] = [c]
    m.kind = kind
    return m


class Loader:
    """Loads one file into a workspace. Use :func:`bantay.ingest.ingest_file`."""

    def __init__(self, ws: Workspace, progress: Callable[[str], None] | None = None) -> None:
        self.ws = ws
        self.con = ws.con
        self.step: Callable[[str], None] = progress or (lambda _step: None)
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET preserve_insertion_order = true")
        # a bounded memory ceiling: a 5 GB file is staged through the spill folder, not RAM
        (ws.path / "tmp").mkdir(exist_ok=True)
        self.con.execute(f"SET temp_directory = {lit(str(ws.path / 'tmp'))}")
        self.con.execute(f"SET memory_limit = {lit(ws.settings['ingest_memory_limit'])}")
        self._ref_tables()

    def _ref_tables(self) -> None:
        con = self.con
        con.execute(
            "CREATE TEMP TABLE IF NOT EXISTS __ref_countries (key VARCHAR, code VARCHAR, "
            "candidates VARCHAR)"
        )
        if not con.execute("SELECT count(*) FROM __ref_countries").fetchone()[0]:  # type: ignore[index]
            con.executemany("INSERT INTO __ref_countries VALUES (?, ?, ?)", country_table())
        con.execute("CREATE TEMP TABLE IF NOT EXISTS __ref_currencies (code VARCHAR)")
        if not con.execute("SELECT count(*) FROM __ref_currencies").fetchone()[0]:  # type: ignore[index]
            con.executemany(
                "INSERT INTO __ref_currencies VALUES (?)", [(c,) for c in currency_codes()]
            )

    # -- SQL building -------------------------------------------------------------------------

    def _fields(self, spec: KindSpec, m: Mapping, cols: dict[str, str]) -> dict[str, FieldSQL]:
        out: dict[str, FieldSQL] = {}
        for name, prop in spec.schema.properties.items():
            if name in PROVENANCE or name in spec.derived:
                continue
            out[name] = field_sql(name, prop, raw_expr(m, name, cols), m)
        return out

    def run(
        self,
        path: Path,
        fmt: Format,
        m: Mapping,
        source: str,
        report: IngestReport,
        arrow: pa.RecordBatchReader | None = None,
    ) -> None:
        """Load ``path`` (or ``arrow``, batches of raw strings read from it) into the kind's table:
        every row loaded or quarantined, field faults recorded; ``report`` is filled in.

        Two passes in SQL: the raw text is staged in file order (line numbers), then every field
        is parsed, checked, looked up and de-duplicated, and each row is loaded or quarantined."""
        spec = kind_spec(m.kind)
        plan, m = self._plan(path, fmt, m, report, arrow)
        cols = plan.columns
        fields = self._fields(spec, m, cols)
        derived1 = spec.pass1(m, fields, cols)
        for name in derived1:  # a field computed from others replaces its plain parse
            fields.pop(name, None)
        self.step("reading")
        self._stage(path, fmt, plan)
        rejected = self._rejected(plan)
        parsed_from, faults = self._parsed(m, plan, fields, derived1, rejected)
        finals, joins, late, faults, key_exprs = self._values(spec, m, fields, derived1, faults)
        lookup_joins = list(joins)  # countries, currencies, rates: needed for the values too
        dup_joins, dup_checks = self._duplicates(spec, parsed_from, key_exprs, report.ingest_id)
        self.step("checking")
        good = self._check(
            parsed_from, joins + dup_joins, lookup_joins, late + dup_checks, faults, finals
        )
        self.step("loading")
        self._load(spec, m, path, source, report.ingest_id, good, cols, rejected)
        staged = self.con.execute("SELECT count(*) FROM __stage").fetchone()[0]  # type: ignore[index]
        report.rows_read = int(staged) + len(rejected)
        if m.kind == "transactions":
            self.step("party records")
            self._party_records_from_transactions(report.ingest_id or "")
        for t in ("__stage", "__dups", "__shift", "__fx", "__bad"):
            self.con.execute(f"DROP TABLE IF EXISTS {t}")
        if arrow is not None:
            self.con.unregister("__arrow_in")

    def _plan(
        self,
        path: Path,
        fmt: Format,
        m: Mapping,
        report: IngestReport,
        arrow: pa.RecordBatchReader | None,
    ) -> tuple[_Plan, Mapping]:
        """How to stage the input, and the mapping that reads it (checked against its columns)."""
        spec = kind_spec(m.kind)
        what = check_content(path, fmt)
        if arrow is not None:
            header = [n for n in arrow.schema.names if n not in ("line", "_error")]
            self.con.register("__arrow_in", arrow)
            inner = ", ".join(f"{ident(c)} AS s{i}" for i, c in enumerate(header))
            plan = _Plan(
                f"(SELECT {inner}, CAST(line AS BIGINT) AS __line, _error AS __error FROM __arrow_in)",
                {c: f"s{i}" for i, c in enumerate(header)},
                True,
                0,
                False,
                has_error_col=True,
            )
        else:
            plan, header = _plan_tabular(self.con, path, fmt, m, what)
        if not m.columns:
            m = identity_mapping(m.kind, header, m)
        m.check_fields(set(spec.schema.properties) - set(PROVENANCE) - set(spec.derived))
        missing = [c for c in m.source_columns() if c not in header]
        if missing:
            raise MappingError(
                f"{path}: column(s) {', '.join(repr(c) for c in missing)} named in {m.origin} are "
                f"not in the file; its columns are: {', '.join(repr(c) for c in header)}"
            )
        report.unmapped_columns = [c for c in header if c not in set(m.source_columns())]
        return plan, m

    def _stage(self, path: Path, fmt: Format, plan: _Plan) -> None:
        """Pass 1: the raw text into ``__stage``, in file order (its row ids give line numbers)."""
        con = self.con
        select: list[str] = list(plan.columns.values())
        if plan.has_line:
            select.append("__line")
        if plan.has_error_col:
            select.append("__error")
        con.execute("DROP TABLE IF EXISTS __stage")
        con.execute("SET preserve_insertion_order = true")  # the stage's row ids give line numbers
        try:
            con.execute(
                f"CREATE TEMP TABLE __stage AS SELECT {', '.join(select)} FROM {plan.stage_from}"
            )
        except duckdb.Error as exc:
            raise InputFileError(f"{path}: cannot read as {fmt}: {_short(exc)}") from exc

    def _rejected(self, plan: _Plan) -> list[tuple[int, str | None, str, str, str]]:
        """The lines DuckDB's CSV reader rejected: (line, column, error type, raw line, message)."""
        if not plan.has_rejects:
            return []
        return [
            (int(r[0]), r[1], str(r[2]), str(r[3] or ""), str(r[4]))
            for r in self.con.execute(
                "SELECT line, any_value(column_name), any_value(error_type), "
                "any_value(csv_line), any_value(error_message) FROM __rejects "
                "GROUP BY line ORDER BY line"
            ).fetchall()
        ]

    def _line_numbers(
        self, plan: _Plan, rejected: list[tuple[int, str | None, str, str, str]]
    ) -> tuple[str, str]:
        """The SQL expression of a staged row's line number, and the join it needs."""
        con = self.con
        # rows appended inside a transaction get consecutive row ids in insertion order, starting
        # at a large base: position = rowid - base
        base_row = con.execute("SELECT coalesce(min(rowid), 0) FROM __stage").fetchone()[0]  # type: ignore[index]
        if plan.has_line:
            return "st.__line", ""
        if rejected:
            con.execute("DROP TABLE IF EXISTS __shift")
            con.execute("CREATE TEMP TABLE __shift (k BIGINT, shift BIGINT)")
            con.executemany(
                "INSERT INTO __shift VALUES (?, ?)",
                # consecutive rejected lines share a k: keep the largest shift
                list(
                    {
                        ln - plan.line_offset - j: j + 1 for j, (ln, *_r) in enumerate(rejected)
                    }.items()
                ),
            )
            return (
                f"st.rowid - {base_row} + {plan.line_offset} + coalesce(sh.shift, 0)",
                f"ASOF LEFT JOIN __shift sh ON st.rowid - {base_row} >= sh.k",
            )
        return f"st.rowid - {base_row} + {plan.line_offset}", ""

    def _parsed(
        self,
        m: Mapping,
        plan: _Plan,
        fields: dict[str, FieldSQL],
        derived1: dict[str, str],
        rejected: list[tuple[int, str | None, str, str, str]],
    ) -> tuple[str, list[Check]]:
        """Every field parsed and the checks that need no lookup run, as a FROM clause (``st``);
        and the checks whose failure leaves a field empty (field faults)."""
        line_expr, shift_join = self._line_numbers(plan, rejected)
        parsed: list[str] = ["st.*", "st.rowid AS __rid", f"{line_expr} AS __line_no"]
        for name, f in fields.items():
            parsed.append(f"{f.value} AS v_{name}")
        for name, expr in derived1.items():
            alias = name if name in TIME_FIELDS else f"v_{name}"
            parsed.append(f"{expr} AS {alias}")
        checks: list[Check] = []  # a failure quarantines the row
        faults: list[Check] = []  # a failure leaves the field empty
        if plan.has_error_col:
            checks.append(Check("__error IS NOT NULL", "malformed_record", "__error"))
        if m.kind == "transactions":
            checks += _ts_checks(m, plan.columns)
        for f in fields.values():
            (checks if f.quarantines else faults).extend(f.checks)
        parsed.append(_first_error(checks) + " AS __err1")
        return f"(SELECT {', '.join(parsed)} FROM __stage st {shift_join}) st", faults

    def _values(
        self,
        spec: KindSpec,
        m: Mapping,
        fields: dict[str, FieldSQL],
        derived1: dict[str, str],
        faults: list[Check],
    ) -> tuple[dict[str, str], list[str], list[Check], list[Check], dict[str, str]]:
        """Pass 2: each field's final value with its lookups (countries, currencies, the kind's
        own). Returns (values, joins, checks after lookups, field faults, the key's expressions
        before lookups: duplicates are found on the keys as given)."""
        derived2, joins, late = spec.pass2(m, self.ws)
        finals: dict[str, str] = {}
        for name, f in fields.items():
            prop = spec.schema.properties[name]
            if prop.type == "country":
                joins.append(
                    f"LEFT JOIN __ref_countries ctry_{name} ON ctry_{name}.key = st.v_{name}"
                )
                finals[name] = f"ctry_{name}.code"
            elif prop.type == "currency":
                joins.append(
                    f"LEFT JOIN __ref_currencies cur_{name} ON cur_{name}.code = st.v_{name}"
                )
                finals[name] = f"cur_{name}.code"
            else:
                finals[name] = f"st.v_{name}"
            if f.quarantines:
                late = f.late_checks + late
            else:
                faults = faults + f.late_checks
        for name in derived1:
            finals[name] = f"st.{name}" if name in TIME_FIELDS else f"st.v_{name}"
        finals.update(derived2)
        key_exprs = {k: derived2.get(k, f"st.v_{k}") for k in spec.schema.key}
        return finals, joins, late, faults, key_exprs

    def _duplicates(
        self, spec: KindSpec, parsed_from: str, kx: dict[str, str], ingest_id: str | None
    ) -> tuple[list[str], list[Check]]:
        """Joins and checks that quarantine a row repeating a key: of this file (an earlier line)
        or of a file loaded before."""
        con = self.con
        key = spec.schema.key
        table = spec.schema.table
        joins: list[str] = []
        con.execute(
            "CREATE OR REPLACE TEMP TABLE __dups AS SELECT "
            + ", ".join(f"{e} AS k{i}" for i, e in enumerate(kx.values()))
            + f", min(st.__line_no) AS first_line FROM {parsed_from} GROUP BY ALL "
            "HAVING count(*) > 1"
        )
        key_text = " || ', ' || ".join(f"coalesce(CAST({e} AS VARCHAR), '')" for e in kx.values())
        dup_checks: list[Check] = []
        if con.execute("SELECT count(*) FROM __dups").fetchone()[0]:  # type: ignore[index]
            joins.append(
                "LEFT JOIN __dups d ON "
                + " AND ".join(f"d.k{i} = {e}" for i, e in enumerate(kx.values()))
                + " AND st.__line_no > d.first_line"
            )
            dup_checks.append(
                Check(
                    "d.first_line IS NOT NULL",
                    "duplicate_key",
                    f"'duplicate key (' || {key_text} || '): repeats line ' || "
                    "CAST(d.first_line AS VARCHAR) || ' of this file'",
                    key[-1],
                )
            )
        if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:  # type: ignore[index]
            joins.append(
                f"LEFT JOIN {table} x ON x.ingest_id <> {lit(ingest_id)} AND "
                + " AND ".join(f"x.{ident(k)} = {e}" for k, e in kx.items())
            )
            dup_checks.append(
                Check(
                    f"x.{ident(key[0])} IS NOT NULL",
                    "duplicate_key",
                    f"'duplicate key (' || {key_text} || '): already loaded from ' || x.file || "
                    "' line ' || CAST(x.line AS VARCHAR)",
                    key[-1],
                )
            )
        return joins, dup_checks

    def _check(
        self,
        parsed_from: str,
        joins: list[str],
        lookup_joins: list[str],
        late: list[Check],
        faults: list[Check],
        finals: dict[str, str],
    ) -> str:
        """Every check, for every row, keeping in ``__bad`` only the rows with a failure:
        quarantined (``__err``) or loaded with field faults (``__faults``). Returns the query of
        the rows to load with their values."""
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE __bad AS SELECT st.__rid, st.__line_no, "
            f"coalesce(st.__err1, {_first_error(late)}) AS __err, "
            f"{_field_faults(faults)} AS __faults "
            f"FROM {parsed_from} {' '.join(joins)} "
            "WHERE __err IS NOT NULL OR __faults IS NOT NULL"
        )
        return (
            "SELECT st.__rid, st.__line_no, "
            + ", ".join(f"{expr} AS {ident(name)}" for name, expr in finals.items())
            + f" FROM {parsed_from} {' '.join(lookup_joins)} "
            "ANTI JOIN __bad b ON b.__rid = st.__rid AND b.__err IS NOT NULL"
        )

    def _load(
        self,
        spec: KindSpec,
        m: Mapping,
        path: Path,
        source: str,
        ingest_id: str | None,
        good: str,
        cols: dict[str, str],
        rejected: list[tuple[int, str | None, str, str, str]],
    ) -> None:
        """The good rows into the kind's table; the bad ones, and the lines the reader rejected,
        into quarantine; field faults recorded."""
        con = self.con
        table = spec.schema.table
        target_cols = list(spec.schema.properties)
        values: list[str] = []
        for c in target_cols:
            if c == "ingest_id":
                values.append(lit(ingest_id))
            elif c == "source":
                values.append(lit(source))
            elif c == "file":
                values.append(lit(str(path)))
            elif c == "line":
                values.append("__line_no")
            elif c == "rate_source":
                values.append(f"coalesce({ident(c)}, {lit(path.name)})")
            else:
                values.append(ident(c))
        # the good rows go straight to their table, computing values but no checks. Their order
        # in storage does not matter (the line is a column): let DuckDB write in parallel
        con.execute("SET preserve_insertion_order = false")
        con.execute(
            f"INSERT INTO {table} ({', '.join(target_cols)}) SELECT {', '.join(values)} "
            f"FROM ({good})"
        )
        con.execute(
            f"INSERT INTO quarantine SELECT {lit(ingest_id)}, {lit(m.kind)}, {lit(str(path))}, "
            f"k.__line_no, k.__err.field, k.__err.code, k.__err.reason, {_raw_json(cols)} "
            f"FROM __bad k JOIN __stage st ON st.rowid = k.__rid WHERE k.__err IS NOT NULL"
        )
        con.execute(
            "INSERT INTO field_faults (ingest_id, kind, file, line, field, reason_code, reason, "
            f"raw) SELECT {lit(ingest_id)}, {lit(m.kind)}, {lit(str(path))}, __line_no, "
            "f.field, f.code, f.reason, f.raw FROM (SELECT __line_no, unnest(__faults) AS f "
            "FROM __bad WHERE __err IS NULL AND __faults IS NOT NULL)"
        )
        if rejected:
            con.executemany(
                "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        ingest_id,
                        m.kind,
                        str(path),
                        ln,
                        col,
                        REJECT_CODES.get(etype, "malformed_row"),
                        f"line {ln}: {msg}",
                        raw,
                    )
                    for ln, col, etype, raw, msg in rejected
                ],
            )

    def _party_records_from_transactions(self, ingest_id: str) -> None:
        """Each distinct payer and beneficiary side of the new transactions becomes a PartyRecord.

        A side whose record already exists (a KYC customer, or a side seen in an earlier file) only
        updates that record's first/last seen and transaction count.
        """
        con = self.con
        for side, kind in (("payer", "payer_side"), ("beneficiary", "beneficiary_side")):
            # the record's fields are those of its first line: group, then fetch that line's
            # row (a line is unique within an ingest), which is cheaper than carrying every
            # row's fields through the group-by
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE __sides AS
                WITH g AS (
                  SELECT {side}_record_id AS party_record_id, min(line) AS line,
                         min(ts_utc) AS first_seen, max(ts_utc) AS last_seen, count(*) AS n
                  FROM transactions WHERE ingest_id = $1 AND {side}_record_id IS NOT NULL
                  GROUP BY ALL)
                SELECT g.party_record_id, t.institution, t.{side}_ref AS customer_ref,
                       t.{side}_name AS name, t.{side}_country AS residence_country,
                       t.{side}_city AS city, t.{side}_phone AS phone,
                       t.{side}_account AS account_id, t.source, t.file, g.line, g.first_seen,
                       g.last_seen, g.n
                FROM g JOIN transactions t ON t.ingest_id = $1 AND t.line = g.line
                """,
                [ingest_id],
            )
            con.execute(
                """
                UPDATE party_records p SET
                  first_seen = least(coalesce(p.first_seen, s.first_seen), s.first_seen),
                  last_seen = greatest(coalesce(p.last_seen, s.last_seen), s.last_seen),
                  n_transactions = coalesce(p.n_transactions, 0) + s.n
                FROM __sides s WHERE p.party_record_id = s.party_record_id
                """
            )
            con.execute(
                f"""
                INSERT INTO party_records (party_record_id, kind, institution, customer_ref, name,
                  residence_country, city, phone, account_id, first_seen, last_seen, n_transactions,
                  ingest_id, source, file, line)
                SELECT s.party_record_id, '{kind}', s.institution, s.customer_ref, s.name,
                  s.residence_country, s.city, s.phone, s.account_id, s.first_seen, s.last_seen,
                  s.n, ?, s.source, s.file, s.line
                FROM __sides s ANTI JOIN party_records p ON p.party_record_id = s.party_record_id
                """,
                [ingest_id],
            )
        con.execute("DROP TABLE IF EXISTS __sides")


def _first_error(checks: list[Check], with_raw: bool = False) -> str:
    """SQL: the first failing check of a row as a struct {field, code, reason}, else NULL.

    ``with_raw`` adds the raw text of the field at fault (``raw``).
    """
    if not checks:
        return "NULL::STRUCT(field VARCHAR, code VARCHAR, reason VARCHAR)"
    parts = [
        f"CASE WHEN {c.condition} THEN {{'field': {lit(c.field)}, 'code': {lit(c.code)}, "
        f"'reason': coalesce({c.reason}, {lit(c.code)})"
        + (f", 'raw': CAST({c.raw} AS VARCHAR)" if with_raw else "")
        + "} END"
        for c in checks
    ]
    return parts[0] if len(parts) == 1 else "coalesce(" + ", ".join(parts) + ")"


def _field_faults(checks: list[Check]) -> str:
    """SQL: the failing checks of a row's fields as a list of {field, code, reason, raw}, else NULL.

    A field appears once, with its first failing check; the list is only built for the rows where
    a check fails.
    """
    if not checks:
        return "NULL::STRUCT(field VARCHAR, code VARCHAR, reason VARCHAR, raw VARCHAR)[]"
    by_field: dict[str | None, list[Check]] = {}
    for c in checks:
        by_field.setdefault(c.field, []).append(c)
    items = ", ".join(_first_error(cs, with_raw=True) for cs in by_field.values())
    failed = " OR ".join(f"({c.condition})" for c in checks)
    return f"(CASE WHEN {failed} THEN list_filter([{items}], lambda x: x IS NOT NULL) END)"


def _raw_json(cols: dict[str, str]) -> str:
    pairs = ", ".join(f"{lit(src)}, st.{sid}" for src, sid in cols.items())
    return f"CAST(json_object({pairs}) AS VARCHAR)"


def new_ingest_id() -> str:
    return "ing_" + dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "_" + uuid.uuid4().hex[:6]


__all__ = [
    "IngestReport",
    "Loader",
    "identity_mapping",
    "infer_format",
    "sha256_file",
]
