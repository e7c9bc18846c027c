"""Each institution's own export layout, and the mapping file that reads it back.

Differences between institutions live in a table, not in branches: column names, delimiters,
decimal separators, date formats, time zones (UTC, local with a zone column, local with an offset
column, local in one fixed zone), and split or joined names. The table is data
(``layouts.yaml``, shipped with the package), loaded and checked by :func:`load_layouts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from bantay.errors import BantayError

#: How a layout writes times: utc; local + IANA zone column; local + UTC offset column (+HH:MM or
#: +HHMM); local in one zone for the whole file.
TS_STYLES = ("utc", "local_zone", "local_offset_hhmm", "local_offset_compact", "local_const")
#: How a layout writes a person's name: split (given, family), joined ("Given Family"),
#: surname_first ("FAMILY, Given"), upper ("GIVEN FAMILY").
NAME_STYLES = ("split", "joined", "surname_first", "upper")


@dataclass(frozen=True)
class Layout:
    institution: str
    name: str
    delimiter: str = ","
    decimal: str = "."
    ts_style: str = "utc"
    ts_format: str = "%Y-%m-%dT%H:%M:%SZ"
    zone: str = "UTC"
    date_format: str = "%Y-%m-%d"
    tx_names: str = "split"
    kyc_names: str = "split"
    id_prefix: str = ""
    id_digits: int = 10
    channel_column: str | None = None
    channel_labels: dict[str, str] = field(default_factory=dict)  # canonical -> source label
    sex_labels: dict[str, str] = field(default_factory=dict)  # canonical -> source label
    #: canonical field -> source column (for the "split" name style, payer_name maps to two columns
    #: given as "payer_given" and "payer_family"; for KYC "given_name"/"family_name").
    tx: dict[str, str] = field(default_factory=dict)
    kyc: dict[str, str] = field(default_factory=dict)


#: The layouts' data file (package data): one entry per institution.
LAYOUTS_FILE = Path(__file__).with_name("layouts.yaml")
_FIELDS = {f.name for f in fields(Layout)}


class LayoutError(BantayError):
    """A layouts file that does not describe layouts."""


def load_layouts(path: Path = LAYOUTS_FILE) -> dict[str, Layout]:
    """The institutions' layouts from a YAML file (see ``layouts.yaml``), checked: known keys,
    known time and name styles, text column names."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LayoutError(f"{path}: cannot read layouts: {exc}") from exc
    if not isinstance(doc, dict) or not doc:
        raise LayoutError(f"{path}: expected a mapping of institution id to layout")
    out: dict[str, Layout] = {}
    for inst, entry in doc.items():
        where = f"{path}: {inst}"
        if not isinstance(entry, dict):
            raise LayoutError(f"{where}: expected a mapping")
        unknown = set(entry) - _FIELDS | ({"institution"} & set(entry))
        if unknown:
            raise LayoutError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if not isinstance(entry.get("name"), str):
            raise LayoutError(f"{where}: no name")
        if entry.get("ts_style", "utc") not in TS_STYLES:
            raise LayoutError(f"{where}: ts_style {entry['ts_style']!r} not one of {TS_STYLES}")
        for key in ("tx_names", "kyc_names"):
            if entry.get(key, "split") not in NAME_STYLES:
                raise LayoutError(f"{where}: {key} {entry[key]!r} not one of {NAME_STYLES}")
        for key in ("channel_labels", "sex_labels", "tx", "kyc"):
            table = entry.get(key, {})
            if not isinstance(table, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in table.items()
            ):
                raise LayoutError(f"{where}: {key} must map names to text")
        out[str(inst)] = Layout(institution=str(inst), **entry)
    return out


LAYOUTS: dict[str, Layout] = load_layouts()


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mapping_toml(layout: Layout, kind: str, channel: str, file_format: str) -> str:
    """The mapping file (format of ``bantay.ingest.mapping``) that reads this layout's export."""
    lines = [
        f"# {layout.name}: {'transactions export' if kind == 'transactions' else 'KYC customers'}"
        f" ({file_format}), written by bantay simulate",
        f'kind = "{kind}"',
        f"description = {_toml_str(layout.name + (' transactions' if kind == 'transactions' else ' customers'))}",
        "",
        "[file]",
        'encoding = "utf-8"',
        f"delimiter = {_toml_str(layout.delimiter)}",
        # Parquet stores amounts as numbers: the layout's decimal comma applies to text only
        f"decimal = {_toml_str(layout.decimal if file_format == 'csv' else '.')}",
        'thousands = ""',
        f"timestamp_format = [{_toml_str(layout.ts_format)}]",
        f"date_format = [{_toml_str(layout.date_format)}]",
    ]
    if kind == "transactions" and layout.ts_style in ("utc", "local_const"):
        lines.append(f"timezone = {_toml_str(layout.zone)}")
    lines += ["", "[constants]", f"institution = {_toml_str(layout.institution)}"]
    if kind == "transactions":
        lines.append('direction = "outgoing"')
        if layout.channel_column is None:
            lines.append(f"channel = {_toml_str(channel)}")
    lines += ["", "[columns]"]
    cols = layout.tx if kind == "transactions" else layout.kyc
    for field_name, col in cols.items():
        if field_name in ("payer_given", "payer_family"):
            continue
        lines.append(f"{field_name} = {_toml_str(col)}")
    if kind == "parties" and "given_name" in cols and "name" not in cols:
        lines.append(f"name = [{_toml_str(cols['given_name'])}, {_toml_str(cols['family_name'])}]")
    if kind == "transactions" and "payer_given" in cols:
        lines.append(
            f"payer_name = [{_toml_str(cols['payer_given'])}, {_toml_str(cols['payer_family'])}]"
        )
    if kind == "transactions" and layout.channel_column:
        lines.append(f"channel = {_toml_str(layout.channel_column)}")
        lines += ["", "[values.channel]"]
        for canon, label in layout.channel_labels.items():
            lines.append(f"{_toml_str(label)} = {_toml_str(canon)}")
    if kind == "parties" and "sex" in cols and layout.sex_labels:
        lines += ["", "[values.sex]"]
        for canon, label in layout.sex_labels.items():
            lines.append(f"{_toml_str(label)} = {_toml_str(canon)}")
    return "\n".join(lines) + "\n"


RATES_MAPPING = """# Daily exchange rates (USD per one unit), written by bantay simulate
kind = "rates"
description = "Synthetic daily rates"

[file]
date_format = ["%Y-%m-%d"]

[columns]
date = "date"
currency = "currency"
rate = "rate"
"""

SIGNALS_MAPPING = """# Known facilitator identifiers as an investigator would share them (synthetic)
kind = "signals"
description = "Synthetic facilitator signals"

[file]
date_format = ["%Y-%m-%d"]

[columns]
identifier_type = "identifier_type"
value = "value"
role = "role"
signal_source = "signal_source"
confidence = "confidence"
expires = "expires"
"""
