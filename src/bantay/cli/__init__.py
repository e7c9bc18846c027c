"""The ``bantay`` command line: thin commands that parse, call the core and render with Rich.

Each command group lives in its own module here and registers itself on ``app``.
"""

from __future__ import annotations

import importlib
import sys

from rich.markup import escape

from bantay.cli.common import app, console, err_console
from bantay.errors import BantayError

#: Modules that add commands to ``app`` (each imports ``app`` from ``bantay.cli.common``).
COMMAND_MODULES = [
    "bantay.cli.workspace",
    "bantay.cli.ingest",
    "bantay.cli.simulate",
    "bantay.cli.resolve",
    "bantay.cli.detect",
    "bantay.cli.web",
    "bantay.cli.demo",
    "bantay.cli.export",
    "bantay.cli.platforms",
    "bantay.cli.share",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name)


def main() -> None:
    """Entry point: user errors print one clear message and exit 2, without a traceback."""
    try:
        app()
    except BantayError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)


__all__ = ["app", "console", "main"]
