"""bantay simulate: generate a synthetic world (exports, mappings, rates, signals, ground truth)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bantay.cli.common import app, console


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the world into.")],
    senders: Annotated[int, typer.Option(help="People in payer countries (customers).")] = 2000,
    months: Annotated[int, typer.Option(help="Length of the period in months.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 0,
    profile: Annotated[
        str,
        typer.Option(
            help="Built-in profile (baseline; evasive: offenders adapt; namesakes: the baseline's "
            "payments, recipients who share names or give few identifiers) or a profile YAML file."
        ),
    ] = "baseline",
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="csv, parquet, or iso20022 (banks' transfers as pacs.008 XML, the rest CSV).",
        ),
    ] = "csv",
    report: Annotated[
        bool, typer.Option("--report", help="Print the calibration report afterwards.")
    ] = False,
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            help="Leave a population out of the world (repeatable): a sender role such as "
            "one_off_sender, traveller, sponsor, romance_victim or family_sender. Its share is set "
            "to 0 and the other roles share it; the manifest records it.",
        ),
    ] = None,
    workspace_for: Annotated[
        list[str] | None,
        typer.Option(
            "--workspace-for",
            help="Also make OUT/workspaces/INSTITUTION holding only that institution's customers "
            "and their payments (ingested and resolved; repeatable): one world split between "
            "institutions, as for bantay share.",
        ),
    ] = None,
) -> None:
    """Generate a synthetic world: per-institution exports in their own layouts with mapping files,
    rates.csv, signals.csv, manifest.json, and the ground truth in OUT/truth/.

    Offender behaviour is calibrated on published figures; every profile parameter cites its source.
    """
    from bantay.simulate import simulate as run

    with Progress(
        TextColumn("[bold]{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)  # type: ignore[arg-type]

        manifest = run(
            out,
            senders=senders,
            months=months,
            seed=seed,
            profile=profile,
            fmt=format,
            progress=progress,
            without=without or (),
        )
    left_out = f", without {', '.join(manifest['without'])}" if manifest["without"] else ""
    table = Table(title=f"world in {out} (profile {manifest['profile']}{left_out}, seed {seed})")
    for col in ("file", "kind", "rows", "mapping"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for f in manifest["files"]:
        table.add_row(
            f["path"], f["kind"], f"{f['rows']:,}", f["mapping"] or f"(built-in {f['format']})"
        )
    console.print(table)
    console.print(f"ground truth in {out / 'truth'} (never give it to the detector)")
    if report:
        print_report(out)
    if workspace_for:
        from bantay.pipeline import load_institutions

        for inst in workspace_for:
            with console.status(f"workspace for {inst}: ingest and resolve"):
                ws = load_institutions(out / "manifest.json", out / "workspaces" / inst, [inst])
            console.print(f"workspace {ws}: {inst}'s customers and their payments only")


def print_report(out: Path) -> None:
    from bantay.simulate.calibration import flow_summary, hour_histogram, offender_rows

    t = Table(title="offender population beside the published figures")
    for col in ("statistic", "simulated", "published", "source"):
        t.add_column(col)
    for r in offender_rows(out):
        t.add_row(r.statistic, r.simulated, r.published, r.source)
    console.print(t)
    hist = hour_histogram(out)
    if hist:
        h = Table(title="offender payments by payer-local hour")
        h.add_column("hour")
        h.add_column("share", justify="right")
        h.add_column("")
        for hour, share in hist:
            h.add_row(f"{hour:02d}", f"{share:.1%}", "█" * round(share * 200))
        console.print(h)
    summary = flow_summary(out)
    f = Table(title="every flow")
    for col in summary.columns:
        f.add_column(col, justify="left" if col == "flow" else "right")
    for row in summary.iter_rows():
        f.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in row])
    console.print(f)
