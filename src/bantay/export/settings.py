"""Reporting settings stored in the workspace: who files, and the codes the FIU expects.

They live in ``<workspace>/reporting.toml`` (:data:`bantay.workspace.REPORTING_FILE`), so that the
command line, the web app and the demo export with the same codes. ``bantay config KEY VALUE`` sets
one; ``bantay config`` shows them beside the analytics settings. The file has the tables a
``--settings`` file has (``reporting_entity``, ``goaml_indicators``) and two more:

* ``transmode``: Bantay channel -> goAML ``transmode_code`` (the shipped defaults in
  ``goaml_codes.toml`` hold otherwise);
* ``institutions``: institution (the source's id, e.g. ``harbour_bank``, or a counterparty bank's
  name as recorded) -> ``swift`` or ``code`` (``institution_code``), and ``name`` as reported.

Keys on the command line: ``goaml.rentity_id``, ``goaml.rentity_branch``,
``goaml.reporting_user_code``, ``goaml.report_code``, ``goaml.submission_code``,
``goaml.indicators`` (comma-separated codes), ``goaml.transmode.CHANNEL`` and
``institution.INSTITUTION.swift`` / ``.code`` / ``.name``.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from bantay.errors import BantayError
from bantay.workspace import REPORTING_FILE

#: Settings of the reporting entity (``goaml.NAME`` -> ``[reporting_entity] NAME``) and what they do.
ENTITY_KEYS: dict[str, str] = {
    "rentity_id": "the reporting entity's id at the FIU (a whole number from the FIU's "
    "registration)",
    "rentity_branch": "the reporting branch, where the FIU asks for one",
    "reporting_user_code": "the FIU's code for the reporting user (4-50 characters)",
    "report_code": "report type (STR unless the FIU says otherwise)",
    "submission_code": "E (electronic) or M (manual)",
    "indicators": "report indicator codes every report carries, comma-separated",
}
INSTITUTION_FIELDS: dict[str, str] = {
    "swift": "the institution's BIC (8 or 11 characters), reported as <swift>",
    "code": "the FIU's institution code, reported as <institution_code> where no BIC is set",
    "name": "the institution's name as reported (default: as the data records it)",
}
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


class SettingError(BantayError):
    """A reporting setting is unknown or its value is not valid."""


@cache
def _xsd_enum(type_name: str) -> frozenset[str]:
    from bantay.export.goaml import DEFAULT_XSD

    xsd = DEFAULT_XSD.read_text()
    start = xsd.index(f'<xs:simpleType name="{type_name}"')
    block = xsd[start : xsd.index("</xs:simpleType>", start)]
    return frozenset(re.findall(r'<xs:enumeration value="([^"]+)"', block))


@cache
def shipped_codes() -> dict[str, dict[str, str]]:
    """``goaml_codes.toml``: the reference codes used where the workspace sets none."""
    text = (resources.files("bantay.export") / "goaml_codes.toml").read_text()
    return {k: dict(v) for k, v in tomllib.loads(text).items()}


def reporting_path(workspace: Path) -> Path:
    return Path(workspace) / REPORTING_FILE


def read_reporting(workspace: Path) -> dict[str, Any]:
    """The workspace's reporting settings (empty when none are set)."""
    path = reporting_path(workspace)
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingError(f"cannot read {path}: {exc}") from exc


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)


def to_toml(data: dict[str, Any]) -> str:
    """TOML for tables of values and tables of tables (all this file holds)."""
    lines = ["# Reporting settings of this workspace; set them with `bantay config KEY VALUE`."]
    for table in sorted(data):
        body = data[table]
        plain = {k: v for k, v in body.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in body.items() if isinstance(v, dict)}
        if plain or not nested:
            lines += ["", f"[{table}]"]
            lines += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in sorted(plain.items())]
        for name in sorted(nested):
            lines += ["", f"[{table}.{json.dumps(name, ensure_ascii=False)}]"]
            lines += [
                f"{json.dumps(k)} = {_toml_value(v)}" for k, v in sorted(nested[name].items())
            ]
    return "\n".join(lines) + "\n"


def _path(key: str) -> list[str]:
    """Where a command-line key lives in the file; :class:`SettingError` for an unknown key."""
    parts = key.split(".")
    if parts[0] == "goaml" and len(parts) == 2 and parts[1] in ENTITY_KEYS:
        return ["reporting_entity", parts[1]]
    if parts[0] == "goaml" and len(parts) == 3 and parts[1] == "transmode" and parts[2]:
        return ["transmode", parts[2]]
    if parts[0] == "institution" and len(parts) >= 3 and parts[-1] in INSTITUTION_FIELDS:
        return ["institutions", ".".join(parts[1:-1]), parts[-1]]
    raise SettingError(
        f"unknown reporting setting {key!r}; known: "
        + ", ".join(f"goaml.{k}" for k in ENTITY_KEYS)
        + ", goaml.transmode.CHANNEL, institution.INSTITUTION.{swift,code,name}"
    )


def check_key(key: str) -> None:
    _path(key)


def _check(key: str, value: str) -> tuple[list[str], Any]:
    """(path in the file, the checked value) of a command-line key."""
    _path(key)
    parts = key.split(".")
    if parts[0] == "goaml" and len(parts) == 2 and parts[1] in ENTITY_KEYS:
        name = parts[1]
        bad = f"{key} = {value!r}:"
        if name == "rentity_id":
            if not value.isdigit() or int(value) < 1:
                raise SettingError(f"{bad} a whole number from 1 (the FIU's registration)")
            return ["reporting_entity", name], int(value)
        if name == "reporting_user_code" and not 4 <= len(value) <= 50:
            raise SettingError(f"{bad} 4 to 50 characters (goAML reporting_user_code)")
        if name == "submission_code" and value not in ("E", "M"):
            raise SettingError(f"{bad} E (electronic) or M (manual)")
        if name == "report_code" and value not in _xsd_enum("report_type"):
            raise SettingError(f"{bad} not a report code of the goAML reference list")
        if name == "indicators":
            codes = [c.strip() for c in value.split(",") if c.strip()]
            unknown = sorted(set(codes) - _xsd_enum("report_indicator_type"))
            if unknown:
                raise SettingError(f"{bad} {', '.join(unknown)} not in the reference list")
            return ["reporting_entity", name], codes
        return ["reporting_entity", name], value
    if parts[0] == "goaml" and len(parts) == 3 and parts[1] == "transmode":
        modes = _xsd_enum("conduction_type")
        if value not in modes:
            raise SettingError(
                f"{key} = {value!r}: not a goAML transmode code ({', '.join(sorted(modes))})"
            )
        return ["transmode", parts[2]], value
    if parts[0] == "institution" and len(parts) >= 3 and parts[-1] in INSTITUTION_FIELDS:
        name, fld = ".".join(parts[1:-1]), parts[-1]
        if fld == "swift" and not _BIC.match(value.upper()):
            raise SettingError(f"{key} = {value!r}: a BIC has 8 or 11 letters and digits")
        if fld == "code" and not 1 <= len(value) <= 50:
            raise SettingError(f"{key} = {value!r}: 1 to 50 characters")
        return ["institutions", name, fld], value.upper() if fld == "swift" else value
    raise SettingError(
        f"unknown reporting setting {key!r}; known: "
        + ", ".join(f"goaml.{k}" for k in ENTITY_KEYS)
        + ", goaml.transmode.CHANNEL, institution.INSTITUTION.{swift,code,name}"
    )


def set_reporting(workspace: Path, key: str, value: str) -> Any:
    """Check and store one setting (an empty value removes it); returns the stored value."""
    data = read_reporting(workspace)
    value = value.strip()
    if value == "":
        path, checked = _path(key), None
    else:
        path, checked = _check(key, value)
    node = data
    for p in path[:-1]:
        node = node.setdefault(p, {})
    if checked is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = checked
    out = reporting_path(workspace)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(to_toml(data), encoding="utf-8")
    tmp.replace(out)
    return checked


def flat(workspace: Path) -> dict[str, str]:
    """Every reporting setting as ``key -> value`` (the keys ``bantay config`` takes)."""
    data = read_reporting(workspace)
    out: dict[str, str] = {}
    for k, v in data.get("reporting_entity", {}).items():
        out[f"goaml.{k}"] = ", ".join(v) if isinstance(v, list) else str(v)
    transmode = {**shipped_codes()["transmode"], **data.get("transmode", {})}
    for ch, code in sorted(transmode.items()):
        out[f"goaml.transmode.{ch}"] = str(code)
    for name, fields in sorted(data.get("institutions", {}).items()):
        for f, v in sorted(fields.items()):
            out[f"institution.{name}.{f}"] = str(v)
    return out


def is_reporting_key(key: str) -> bool:
    return key.startswith(("goaml.", "institution."))
