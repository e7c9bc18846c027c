"""bantay ingest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from bantay.cli.common import WorkspaceOpt, app, console, err_console, workspace_path
from bantay.errors import BantayError


@app.command()
def ingest(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files to load.", show_default=False)
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="csv, parquet, jsonl or iso20022 (default: from the extension)."
        ),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", "-m", help="Mapping file (TOML) for the columns.")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Source name recorded with each row.")] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help="transactions, parties (KYC), signals or rates (default: the mapping's)."
        ),
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(help="Load every file a manifest.json lists (e.g. from `bantay simulate`)."),
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Load institution exports (and KYC files, signal lists, rates) into the workspace.

    Each file is loaded whole or not at all; rows that cannot be loaded go to the quarantine with
    file, line, field and reason. Exits non-zero when nothing at all was loaded.
    """
    from bantay.ingest import ingest_file
    from bantay.logs import workspace_log
    from bantay.workspace import open_workspace

    if format not in (None, "csv", "parquet", "jsonl", "iso20022"):
        raise BantayError(f"--format {format!r}: use csv, parquet, jsonl or iso20022")
    if kind not in (None, "transactions", "parties", "signals", "rates"):
        raise BantayError(f"--kind {kind!r}: use transactions, parties, signals or rates")
    fmt: Literal["csv", "parquet", "jsonl", "iso20022"] | None = format  # type: ignore[assignment]
    jobs: list[tuple[Path, Any, Path | None, Any]] = [(p, fmt, mapping, kind) for p in files or []]
    if manifest is not None:
        from bantay.ingest import read_manifest

        jobs += read_manifest(manifest)
    if not jobs:
        raise BantayError("nothing to ingest: give FILE arguments or --manifest")
    any_loaded = False
    failures = 0
    # library logs (the parallel ISO 20022 reader's, say) go to the workspace's log file
    with open_workspace(workspace_path(workspace)) as ws, workspace_log(ws.path):
        for path, job_fmt, job_mapping, job_kind in jobs:
            try:
                with console.status(f"ingesting {path} …") as status:
                    t0 = time.perf_counter()

                    def step(
                        name: str, path: Path = path, status: Any = status, t0: float = t0
                    ) -> None:
                        status.update(
                            f"ingesting {path}: {name} … ({time.perf_counter() - t0:.0f} s)"
                        )

                    r = ingest_file(
                        ws,
                        path,
                        fmt=job_fmt,
                        mapping=job_mapping,
                        source=source,
                        kind=job_kind,
                        progress=step,
                    )
            except BantayError as exc:
                failures += 1
                err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
                continue
            if r.skipped:
                console.print(f"[yellow]{r.message}[/]", highlight=False)
                any_loaded = True
                continue
            any_loaded = any_loaded or r.rows_loaded > 0
            rate = r.rows_read / r.seconds if r.seconds else 0
            console.print(
                f"[bold]{path}[/] ({r.kind}, {r.format}, source {r.source}): read {r.rows_read:,}, "
                f"loaded [green]{r.rows_loaded:,}[/], quarantined "
                f"[{'red' if r.rows_quarantined else 'green'}]{r.rows_quarantined:,}[/] "
                f"in {r.seconds:.1f} s ({rate:,.0f} rows/s)"
                + (
                    f"; field faults: [yellow]{r.field_faults:,}[/] value(s) left empty in "
                    f"{r.rows_with_field_faults:,} loaded row(s)"
                    if r.field_faults
                    else ""
                ),
                highlight=False,
            )
            if r.unmapped_columns:
                console.print(
                    f"  columns not mapped (not loaded): {', '.join(r.unmapped_columns)}",
                    highlight=False,
                )
            if r.quarantine_by_reason:
                t = Table("reason", "rows", title="quarantined by reason", title_justify="left")
                for code, n in r.quarantine_by_reason.items():
                    t.add_row(code, f"{n:,}")
                console.print(t)
                console.print(
                    "  see them with: bantay quarantine --only rows --file " + str(path),
                    highlight=False,
                )
            if r.field_faults_by_field:
                t = Table(
                    "field",
                    "reason",
                    "values",
                    title="field faults by field and reason",
                    title_justify="left",
                )
                for fname, codes in r.field_faults_by_field.items():
                    for code, n in codes.items():
                        t.add_row(fname, code, f"{n:,}")
                console.print(t)
                console.print(
                    "  see them with: bantay quarantine --only faults --file " + str(path),
                    highlight=False,
                )
    if failures or not any_loaded:
        raise typer.Exit(1)


@app.command()
def quarantine(
    file: Annotated[str | None, typer.Option(help="Only rows from this file.")] = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
    only: Annotated[
        str | None,
        typer.Option(
            help="rows (quarantined rows) or faults (field faults: values left empty in loaded "
            "rows); default: both.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to show (of each).")] = 20,
    workspace: WorkspaceOpt = None,
) -> None:
    """Show quarantined rows with file, line, field and reason, and field faults with the raw value."""
    from bantay.workspace import open_workspace

    if only not in (None, "rows", "faults"):
        raise BantayError(f"--only {only!r}: use rows or faults")
    where, params = [], []
    if file:
        where.append("file = ?")
        params.append(file)
    if reason:
        where.append("reason_code = ?")
        params.append(reason)
    cond = (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY file, line"
    with open_workspace(workspace_path(workspace), read_only=True) as ws:
        if only != "faults":
            rows = ws.con.execute(
                f"SELECT file, line, field, reason_code, reason FROM quarantine{cond} "
                f"LIMIT {int(limit)}",
                params,
            ).fetchall()
            t = Table("file", "line", "field", "reason code", "reason", title="Quarantined rows")
            for r in rows:
                t.add_row(*(str(x) if x is not None else "" for x in r))
            console.print(t)
        if only != "rows":
            rows = ws.con.execute(
                f"SELECT file, line, field, reason_code, reason, raw FROM field_faults{cond}, "
                f"field LIMIT {int(limit)}",
                params,
            ).fetchall()
            t = Table(
                "file",
                "line",
                "field",
                "reason code",
                "reason",
                "raw value",
                title="Field faults (rows loaded with the field empty)",
            )
            for r in rows:
                t.add_row(*(str(x) if x is not None else "" for x in r))
            console.print(t)
