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
