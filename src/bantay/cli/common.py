"""What every command shares: the Typer app, consoles and the --workspace option."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bantay.workspace import ENV_VAR

app = typer.Typer(
    name="bantay",
    help="Find the payers and facilitators of livestreamed child sexual abuse in payment data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# no :emoji: codes: record ids such as quicksend:B:QSB0000362 must print as they are (values put
# inside markup are escaped where they are printed)
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar=ENV_VAR,
        help=f"Workspace folder (default: ${ENV_VAR}, else the current folder).",
        show_default=False,
    ),
]


def workspace_path(value: Path | None) -> Path:
    return value if value is not None else Path.cwd()
