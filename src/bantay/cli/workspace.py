"""bantay init, status, config, migrate, schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bantay.cli.common import WorkspaceOpt, app, console, workspace_path
from bantay.errors import BantayError
from bantay.workspace import (
    DEFAULT_SETTINGS,
    SETTING_HELP,
    init_workspace,
    migrate_workspace,
    open_workspace,
)


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder to create (default: current).")
    ] = Path(),
    reporting_currency: Annotated[
        str, typer.Option(help="Currency that amounts are converted to.")
    ] = "USD",
) -> None:
    """Create a workspace: a folder with a DuckDB (analytics) and a SQLite (workflow) database."""
    ws = init_workspace(directory, reporting_currency=reporting_currency)
    console.print(
        f"Workspace ready in [bold]{ws.path}[/] (reporting currency {ws.reporting_currency})."
    )
    ws.close()


@app.command()
def config(
    key: Annotated[str | None, typer.Argument(help="A setting to show or set.")] = None,
    value: Annotated[str | None, typer.Argument(help="Its new value.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Show the workspace's settings, or set one: `bantay config scan_memory_limit 2GB`.

    Reporting settings are set the same way: `bantay config goaml.rentity_id 7`,
    `bantay config goaml.reporting_user_code ANA01`, `bantay config goaml.transmode.card DBCD`,
    `bantay config institution.harbour_bank.swift HRBBGB2L` (an empty value removes one)."""
    from bantay.export import settings as reporting

    path = workspace_path(workspace)
    if key is not None and reporting.is_reporting_key(key):
        if value is None:
            got = reporting.flat(path)
            if key not in got:
                reporting.check_key(key)
                console.print(f"{key} is not set", highlight=False)
                return
            console.print(f"{key} = {got[key]}", highlight=False)
            return
        before = reporting.flat(path).get(key)
        stored = reporting.set_reporting(path, key, value)
        after = "(removed)" if stored is None else reporting.flat(path).get(key)
        console.print(f"{key}: {before} -> {after}", highlight=False)
        return
    if value is None:
        with open_workspace(path, read_only=True) as ws:
            t = Table("setting", "value", "default", "what it does", title=f"Settings of {path}")
            for k in DEFAULT_SETTINGS:
                if key is None or k == key:
                    t.add_row(k, ws.settings[k], DEFAULT_SETTINGS[k], SETTING_HELP[k])
        if key is not None and key not in DEFAULT_SETTINGS:
            raise BantayError(
                f"unknown setting {key!r}; known: {', '.join(DEFAULT_SETTINGS)}, and the "
                "reporting settings goaml.* and institution.*"
            )
        console.print(t)
        r = Table(
            "setting", "value", title=f"Reporting settings ({reporting.reporting_path(path)})"
        )
        for k, v in reporting.flat(path).items():
            r.add_row(escape(k), escape(v))
        console.print(r)
        return
    if key is None:
        raise BantayError("give the setting's name before its value")
    with open_workspace(path) as ws:
        old = ws.settings.get(key)
        ws.set_setting(key, value)
        console.print(f"{key}: {old} -> {ws.settings[key]}")


@app.command()
def migrate(workspace: WorkspaceOpt = None) -> None:
    """Upgrade a workspace written by an older Bantay (the old database is copied aside first)."""
    path = workspace_path(workspace)
    done = migrate_workspace(path)
    if not done:
        console.print(f"{path} is already at the current schema version.")
    for step in done:
        console.print(f"migrated {step}")


@app.command()
def status(workspace: WorkspaceOpt = None) -> None:
    """What the workspace holds: tables, row counts, sources ingested, quarantine and field faults."""
    from bantay.status import workspace_status

    with open_workspace(workspace_path(workspace), read_only=True) as ws:
        st = workspace_status(ws)
    console.print(
        f"Workspace [bold]{st['path']}[/] · reporting currency {st['reporting_currency']}"
    )
    t = Table("table", "rows", title="Tables")
    for name, n in st["tables"].items():
        t.add_row(name, f"{n:,}")
    console.print(t)
    if st["ingests"]:
        t = Table("file", "kind", "source", "read", "loaded", "quarantined", title="Files ingested")
        for r in st["ingests"]:
            t.add_row(
                r["file"],
                r["kind"],
                r["source"],
                f"{r['rows_read']:,}",
                f"{r['rows_loaded']:,}",
                f"{r['rows_quarantined']:,}",
            )
        console.print(t)
    if st["quarantine"]:
        t = Table("kind", "reason", "rows", title="Quarantine by reason")
        for r in st["quarantine"]:
            t.add_row(r["kind"], r["reason_code"], f"{r['rows']:,}")
        console.print(t)
    if st["field_faults"]:
        t = Table(
            "kind",
            "field",
            "reason",
            "values",
            title="Field faults by field and reason",
        )
        for r in st["field_faults"]:
            t.add_row(r["kind"], r["field"], r["reason_code"], f"{r['values']:,}")
        console.print(t)


schema_app = typer.Typer(help="The canonical data model.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")


@schema_app.command("docs")
def schema_docs(
    out: Annotated[Path | None, typer.Option(help="Write here instead of printing.")] = None,
) -> None:
    """Generate the data-model reference (docs/data-model.md) from the schema files."""
    from bantay.schema.docs import render_data_model

    text = render_data_model()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
