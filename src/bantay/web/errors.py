"""One error hierarchy for the web core, mapped to HTTP status codes by the app."""

from __future__ import annotations


class WebError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAuthenticated(WebError):
    status_code = 401


class Forbidden(WebError):
    status_code = 403


class NotFound(WebError):
    status_code = 404


class Conflict(WebError):
    status_code = 409


class Invalid(WebError):
    status_code = 422


class Throttled(WebError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
