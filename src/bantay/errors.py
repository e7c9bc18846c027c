"""One error hierarchy: every error a user can cause says what is wrong and where."""

from __future__ import annotations


class BantayError(Exception):
    """Base class for errors caused by input or configuration, shown to the user without a traceback."""


class SchemaError(BantayError):
    """A schema file is invalid."""


class WorkspaceError(BantayError):
    """The workspace is missing, of another version, or otherwise unusable."""


class MappingError(BantayError):
    """A mapping file is invalid or does not fit the input file."""


class InputFileError(BantayError):
    """An input file cannot be read at all (wrong format, empty, bad encoding, truncated)."""


class WorkflowError(BantayError):
    """The case workflow refused a request (the web app maps each kind to an HTTP status)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAuthenticated(WorkflowError):
    """No valid login, session or API token."""


class Forbidden(WorkflowError):
    """Authenticated, but the role or the case's access rules do not allow the action."""


class NotFound(WorkflowError):
    """No such case, user, entity or workspace."""


class Conflict(WorkflowError):
    """The action does not fit the current state (a closed case, an unreviewed decision...)."""


class Invalid(WorkflowError):
    """A value is malformed, out of range or too long."""


class Throttled(WorkflowError):
    """Too many failed logins from one address for one user; retry after ``retry_after`` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
