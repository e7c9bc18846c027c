"""SQL for parsing and validating raw text values into canonical fields.

Every canonical field becomes two things: a SQL expression for its parsed value, and checks, each a
condition with a reason code and a SQL expression for the human-readable reason naming the value.
The loader (``bantay.ingest.loader``) evaluates them in DuckDB over whole files at once. A failing
check of a required field quarantines the record; one of any other field is a *field fault*: the
record loads with the field empty (its parsed value is NULL whenever a check fails) and the fault is
recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bantay.ingest.mapping import Mapping
from bantay.ingest.reference import CURRENCY_SYMBOLS
from bantay.schema import Property


def lit(value: str | None) -> str:
    """A SQL string literal (or NULL)."""
    if value is None:
        return "NULL"
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: list[str] | tuple[str, ...]) -> str:
    """A SQL list literal of strings: ['a', 'b']."""
    return "[" + ", ".join(lit(v) for v in values) + "]"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Check:
    condition: str
    code: str
    reason: str  # SQL expression yielding text
    field: str | None = None  # the canonical field at fault
    raw: str = "NULL"  # SQL expression of the field's raw text (kept with a field fault)


@dataclass
class FieldSQL:
    name: str
    raw: str  # SQL expression of the raw text (trimmed, empty as NULL), or NULL
    value: str  # SQL expression of the parsed value
    checks: list[Check] = field(default_factory=list)
    #: checks that need joins (country, currency, rates, duplicates): evaluated in the second pass
    late_checks: list[Check] = field(default_factory=list)
    #: a failing check quarantines the record (required fields); else the field is left empty
    quarantines: bool = True


def raw_expr(mapping: Mapping, name: str, columns: dict[str, str]) -> str:
    """Raw text of canonical field ``name``: its column(s), its constant, or NULL.

    ``columns`` maps source column name -> SQL identifier in the staged relation. Several columns
    are joined with single spaces, skipping empty ones (split name fields).
    """
    if name in mapping.constants:
        return lit(mapping.constants[name])
    cols = mapping.columns.get(name)
    if not cols:
        return "NULL"
    parts = [f"NULLIF(trim({columns[c]}), '')" for c in cols]
    expr = parts[0] if len(parts) == 1 else f"NULLIF(concat_ws(' ', {', '.join(parts)}), '')"
    values = mapping.values.get(name)
    if values:
        whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in values.items())
        expr = f"(CASE {expr} {whens} ELSE {expr} END)"
    return expr


def quoted(raw: str) -> str:
    """SQL expression quoting a raw value for a message: 'abc'."""
    return f"('''' || coalesce({raw}, '') || '''')"


def amount_sql(raw: str, mapping: Mapping) -> str:
    s = raw
    if mapping.file.thousands:
        s = f"replace({s}, {lit(mapping.file.thousands)}, '')"
    if mapping.file.decimal == ",":
        s = f"replace({s}, ',', '.')"
    return s


def amount_pattern(mapping: Mapping) -> str:
    """Regex an amount must match: digits, optional thousands groups, optional decimals."""
    d = re.escape(mapping.file.decimal)
    t = re.escape(mapping.file.thousands) if mapping.file.thousands else None
    whole = f"([0-9]{{1,3}}({t}[0-9]{{3}})+|[0-9]+)" if t else "[0-9]+"
    return f"[+-]?{whole}({d}[0-9]*)?"


#: Types whose parsed value can be non-NULL although a check fails (a value outside an enumeration, a
#: rate of 0). Every other type parses to NULL whatever makes its checks fail (a date that does not
#: parse, a country or currency code that is not in the reference table).
VALUE_SURVIVES_CHECKS = frozenset({"enum", "rate", "probability", "amount"})


def field_sql(name: str, prop: Property, raw: str, mapping: Mapping) -> FieldSQL:
    """Parsed value and checks of one canonical field, by its type."""
    t = prop.type
    q = quoted(raw)
    f = FieldSQL(name=name, raw=raw, value=raw)
    if t in ("string", "text"):
        f.value = raw
    elif t == "integer":
        f.value = f"TRY_CAST({raw} AS BIGINT)"
        f.checks.append(
            Check(
                f"{raw} IS NOT NULL AND {f.value} IS NULL",
                "unparseable_integer",
                f"{lit(name + ' ')} || {q} || ' is not a whole number'",
            )
        )
    elif t in ("rate", "probability"):
        f.value = f"TRY_CAST({amount_sql(raw, mapping)} AS DOUBLE)"
        f.checks.append(
            Check(
                f"{raw} IS NOT NULL AND ({f.value} IS NULL OR isnan({f.value}) "
                f"OR isinf({f.value}))",
                f"unparseable_{t}",
                f"{lit(name + ' ')} || {q} || ' is not a number'",
            )
        )
        if t == "rate":
            f.checks.append(
                Check(
                    f"{f.value} <= 0",
                    "non_positive_rate",
                    f"{lit(name + ' ')} || {q} || ' must be greater than 0'",
                )
            )
        else:
            f.checks.append(
                Check(
                    f"{f.value} < 0 OR {f.value} > 1",
                    "out_of_range",
                    f"{lit(name + ' ')} || {q} || ' must be between 0 and 1'",
                )
            )
    elif t in ("date", "timestamp"):
        formats = mapping.file.date_format if t == "date" else mapping.file.timestamp_format
        fmts = sql_list(formats)
        f.value = f"CAST(try_strptime({raw}, {fmts}) AS {t.upper()})"
        f.checks.append(
            Check(
                f"{raw} IS NOT NULL AND {f.value} IS NULL",
                f"unparseable_{t}",
                f"{lit(name + ' ')} || {q} || {lit(' does not match ' + fmts)}",
            )
        )
    elif t == "amount":
        s = amount_sql(raw, mapping)
        value = f"TRY_CAST({s} AS DECIMAL(18,6))"
        f.checks.append(
            Check(
                f"{raw} IS NOT NULL AND ({value} IS NULL OR NOT regexp_full_match("
                f"{raw}, {lit(amount_pattern(mapping))}))",
                "unparseable_amount",
                f"{lit(name + ' ')} || {q} || ' is not a number (or is over 10^12)'",
            )
        )
        f.checks.append(
            Check(
                f"regexp_matches({s}, '\\.[0-9]{{7,}}$')",
                "amount_precision",
                f"{lit(name + ' ')} || {q} || ' has more than 6 decimal places'",
            )
        )
        if mapping.file.negative_amounts == "absolute":
            value = f"abs({value})"
            f.checks.append(
                Check(
                    f"{value} = 0", "non_positive_amount", f"{lit(name + ' ')} || {q} || ' is zero'"
                )
            )
        else:
            f.checks.append(
                Check(
                    f"{value} <= 0",
                    "non_positive_amount",
                    f"{lit(name + ' ')} || {q} || ' must be greater than 0 "
                    '(set negative_amounts = "absolute" if the sign is direction)\'',
                )
            )
        f.value = value
    elif t == "currency":
        sym = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in CURRENCY_SYMBOLS.items())
        f.value = f"(CASE {raw} {sym} ELSE upper({raw}) END)"
        f.late_checks.append(
            Check(
                f"{raw} IS NOT NULL AND cur_{name}.code IS NULL",
                "unknown_currency",
                f"{lit(name + ' ')} || {q} || ' is not an ISO 4217 currency code'",
            )
        )
    elif t == "country":
        # the join key; the code itself comes from the reference table in the second pass
        f.value = (
            f"(CASE WHEN length({raw}) = 2 THEN lower({raw}) ELSE regexp_replace(trim(regexp_replace("
            f"lower(strip_accents({raw})), '[^a-z0-9]+', ' ', 'g')), '^the ', '') END)"
        )
        f.late_checks.append(
            Check(
                f"{raw} IS NOT NULL AND ctry_{name}.key IS NULL",
                "unknown_country",
                f"{lit(name + ' ')} || {q} || ' is not a known country'",
            )
        )
        f.late_checks.append(
            Check(
                f"{raw} IS NOT NULL AND ctry_{name}.key IS NOT NULL AND ctry_{name}.code IS NULL",
                "ambiguous_country",
                f"{lit(name + ' ')} || {q} || ' could be any of ' || "
                f"ctry_{name}.candidates || '; give the ISO code'",
            )
        )
    elif t == "enum":
        values = prop.values or ()
        f.value = f"lower({raw})"
        allowed = ", ".join(lit(v) for v in values)
        f.checks.append(
            Check(
                f"{raw} IS NOT NULL AND lower({raw}) NOT IN ({allowed})",
                "invalid_value",
                f"{lit(name + ' ')} || {q} || {lit(' is not one of: ' + ', '.join(values))}",
            )
        )
    else:  # pragma: no cover - the schema loader restricts types
        raise AssertionError(t)
    if prop.required:
        f.checks.insert(
            0, Check(f"{raw} IS NULL", "missing_field", lit(f"required field {name} is empty"))
        )
    f.quarantines = prop.quarantines
    if not f.quarantines and f.checks and t in VALUE_SURVIVES_CHECKS:
        # a field fault leaves the field empty
        failed = " OR ".join(f"({c.condition})" for c in f.checks)
        f.value = f"(CASE WHEN {failed} THEN NULL ELSE {f.value} END)"
    for c in (*f.checks, *f.late_checks):
        c.field = name
        c.raw = raw
    return f
