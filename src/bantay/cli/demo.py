"""bantay demo: simulate → ingest → resolve → scan on a synthetic world, then show the result."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table

from bantay.cli.common import app, console
from bantay.errors import BantayError

BARS = " ▁▂▃▄▅▆▇█"


def _run(args: list[str]) -> None:
    """Run one bantay command in-process: the demo is a client of the same commands."""
    try:
        app(args, standalone_mode=False)
    except typer.Exit as exc:  # pragma: no cover - commands exit 0 on success
        if exc.exit_code:
            raise BantayError(f"`bantay {' '.join(args)}` failed") from exc


def _spark(values: list[float]) -> str:
    top = max(values) if values else 0
    if top <= 0:
        return ""
    return "".join(BARS[min(8, round(v / top * 8))] for v in values)


def _money_over_time(workspace: Path) -> None:
    """Draw the top payer alert's payments month by month: escalation is seen, not read."""
    from bantay.pipeline import money_over_time

    found = money_over_time(workspace)
    if found is None or not found[1]:
        return
    entity, rows = found
    t = Table(
        "month",
        "payments",
        "",
        "total USD",
        "",
        "beneficiaries",
        "18:00-03:00 local",
        title=f"Money over time: payer alert {entity} (one of the ten highest)",
        title_justify="left",
    )
    counts = _spark([float(r.payments) for r in rows])
    totals = _spark([r.total for r in rows])
    for i, r in enumerate(rows):
        t.add_row(
            f"{r.month:%Y-%m}",
            f"{r.payments}",
            counts[i],
            f"{r.total:,.0f}",
            totals[i],
            f"{r.beneficiaries}",
            "n/a" if r.night is None else f"{r.night:.0%}",
        )
    console.print(t)


def _reports(out: Path, workspace: Path, case_id: int | None) -> str:
    """Step 8: the demo case exported to every format; returns the lines for the closing panel."""
    if case_id is None:
        return ""
    from bantay.pipeline import DEMO_ANALYST_CODE, demo_reports, mapped_codes, store_demo_reporting

    console.print(Rule(f"[bold]8 · case {case_id}: the reports an analyst files"))
    folder = out / "reports"
    folder.mkdir(exist_ok=True)
    settings = store_demo_reporting(workspace)
    console.print(
        f"Synthetic reporting codes stored in {settings} "
        f"(`bantay config -w {workspace}` shows them)."
    )
    analyst_code = not mapped_codes(workspace, case_id)
    if analyst_code:
        console.print(
            f"No indicator of case {case_id} maps to a goAML code (its alerts are model scores): "
            f"the analyst files it under {DEMO_ANALYST_CODE}."
        )
    for report in demo_reports(folder, case_id, analyst_code):
        _run(report.args(workspace, case_id))
    return (
        f"Case {case_id} holds the top alerts; its reports are in {folder}/ (goAML STR, FinCEN SAR "
        f"draft + CSV, FollowTheMoney, referral pack: open the .html in a browser).\n\n"
    )


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the world and the workspace.")] = Path(
        "bantay-demo"
    ),
    senders: Annotated[int, typer.Option(help="People in payer countries.")] = 1500,
    months: Annotated[int, typer.Option(help="Months of payments.")] = 6,
    seed: Annotated[int, typer.Option(help="Random seed of the world.")] = 7,
    profile: Annotated[
        str, typer.Option(help="Built-in profile: baseline, evasive or namesakes.")
    ] = "baseline",
) -> None:
    """Generate a synthetic world and run the whole pipeline on it, showing what comes out.

    Nothing here is real: the world, its people and payments are generated, with the ground
    truth written apart (OUT/world/truth) and used only for the evaluation at the end.
    """
    world, workspace = out / "world", out / "workspace"
    if workspace.exists():
        raise BantayError(f"{workspace} exists: pass another --out or remove it")
    from bantay.pipeline import demo_steps, evaluate_step

    started = time.perf_counter()
    for step in demo_steps(world, workspace, senders, months, seed, profile):
        console.print(Rule(f"[bold]{step.title}"))
        _run(step.args)
    _money_over_time(workspace)
    step = evaluate_step(world, workspace)
    console.print(Rule(f"[bold]{step.title}"))
    _run(step.args)
    from bantay.cases.demo import create_demo_case, ensure_demo_user

    login = ensure_demo_user(workspace)
    reports = _reports(out, workspace, create_demo_case(workspace, login.username))
    elapsed = time.perf_counter() - started
    console.print(
        Panel.fit(
            f"Done in {elapsed:.0f} s. The workspace is {workspace}.\n\n"
            f"Open the analyst app (alert queue, entity pages with charts and network, cases):\n"
            f"  {login.command}\n"
            f"  then browse {login.url} and log in as [bold]{login.username}[/] / "
            f"[bold]{login.password}[/] ({login.role}; a demo-only password); the simulated "
            f"platform's reports are in the report queue ({login.url}reports)\n\n"
            f"{reports}"
            f"Or stay in the terminal:\n"
            f"  bantay status -w {workspace}\n"
            f"  bantay alerts -w {workspace} --top 20\n"
            f"  bantay resolve -w {workspace} --explain REF_A REF_B\n"
            f"  bantay export scores -w {workspace} --format csv",
            title="next",
        )
    )
