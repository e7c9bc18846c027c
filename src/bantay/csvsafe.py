"""CSV cells safe to open in a spreadsheet: no formula injection.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)`` in a beneficiary name runs when an
analyst opens the file). :func:`neutral` puts a single quote in front of such a text, the OWASP
recommendation; plain numbers (``-12.50``) are left as they are, since a spreadsheet reads them as
numbers, not formulas. Every CSV that Bantay writes for people passes its cells through here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def neutral(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.match(value):
        return "'" + value
    return value


def neutral_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: neutral(v) for k, v in row.items()}


def csv_text(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV document (``\\n`` line ends) with every cell neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([neutral(v) for v in r])
    return buf.getvalue()
