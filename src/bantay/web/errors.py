"""The one error hierarchy (:mod:`bantay.errors`) as HTTP status codes."""

from __future__ import annotations

from bantay.errors import (
    BantayError,
    Conflict,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    Throttled,
)
from bantay.export.case import EmptyCase, ExportError, UnknownCase
from bantay.export.settings import SettingError
from bantay.reports.model import NotJson

#: most specific class first wins (looked up along the exception's MRO)
STATUS: dict[type[BantayError], int] = {
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    Throttled: 429,
    UnknownCase: 404,
    EmptyCase: 409,
    ExportError: 422,
    SettingError: 422,
    NotJson: 415,
}


def status_of(exc: BantayError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def message_of(exc: BantayError) -> str:
    return str(getattr(exc, "message", None) or exc)
