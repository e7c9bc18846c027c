"""Each export format as one downloadable file (the web app's case page offers all four)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bantay.export import fincen, ftm, goaml, pack
from bantay.export.case import CaseData, ExportError

FORMATS = ("goaml", "fincen", "ftm", "pack")
#: fixed member times in the FinCEN zip, so the same case gives the same bytes
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    body: bytes


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(zipfile.ZipInfo(name, _ZIP_TIME), text.encode())
    return buf.getvalue()


def render(
    data: CaseData,
    fmt: str,
    *,
    username: str,
    entity: goaml.ReportingEntity | None = None,
    xsd: Path | None = None,
) -> Download:
    """Build (and for goAML validate) one format; raises :class:`ExportError` on any problem."""
    stem = f"bantay-case-{data.case_id}"
    if fmt == "goaml":
        if entity is None:
            raise ExportError(
                "goAML needs the reporting entity: set it in the workspace with `bantay config "
                "goaml.rentity_id ID` and `bantay config goaml.reporting_user_code CODE`, or "
                "start the app with BANTAY_WEB_GOAML_SETTINGS=FILE.toml"
            )
        body = goaml.build_goaml(data, entity)
        goaml.validate(body, xsd)
        return Download(f"{stem}-goaml-str.xml", "application/xml", body)
    if fmt == "fincen":
        files = {
            f"{stem}-fincen-narrative.txt": fincen.narrative(data),
            f"{stem}-fincen-transactions.csv": fincen.transactions_csv(data),
        }
        return Download(f"{stem}-fincen.zip", "application/zip", _zip(files))
    if fmt == "ftm":
        return Download(f"{stem}-ftm.jsonl", "application/x-ndjson", ftm.render(data))
    if fmt == "pack":
        return Download(
            f"{stem}-referral-pack.html", "text/html; charset=utf-8", pack.render(data, username)
        )
    raise ExportError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}")
