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
    from bantay.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        tables = {r[0] for r in ws.con.execute("SHOW TABLES").fetchall()}
        if "alerts" not in tables:
            return
        if "entity_members" in tables:
            members = "SELECT party_record_id FROM entity_members WHERE entity_id = a.entity_id"
        else:
            members = "SELECT a.entity_id"
        # of the ten highest payer alerts, the one with the most payments draws best
        top = ws.con.execute(
            f"""
            SELECT a.entity_id, (SELECT count(*) FROM transactions
                                 WHERE channel <> 'card' AND payer_record_id IN ({members})) AS n
            FROM (SELECT * FROM alerts WHERE side = 'payer' ORDER BY rank LIMIT 10) a
            ORDER BY n DESC, a.rank LIMIT 1
            """
        ).fetchone()
        if top is None:
            return
        members = members.replace("a.entity_id", "?")
        members = f"{members} UNION SELECT ?"
        rows = ws.con.execute(
            f"""
            SELECT date_trunc('month', ts_utc) AS m, count(*) AS n,
                   sum(amount_reporting)::DOUBLE AS total,
                   count(DISTINCT beneficiary_record_id) AS bens,
                   avg(CAST(hour(local_time) >= 18 OR hour(local_time) < 3 AS INTEGER))
                     AS night
            FROM transactions
            WHERE payer_record_id IN ({members}) AND channel <> 'card'
            GROUP BY ALL ORDER BY m
            """,
            [top[0], top[0]],
        ).fetchall()
    if not rows:
        return
    t = Table(
        "month",
        "payments",
        "",
        "total USD",
        "",
        "beneficiaries",
        "18:00-03:00 local",
        title=f"Money over time: payer alert {top[0]} (one of the ten highest)",
        title_justify="left",
    )
    counts = _spark([float(r[1]) for r in rows])
    totals = _spark([float(r[2] or 0) for r in rows])
    for i, (m, n, total, bens, night) in enumerate(rows):
        t.add_row(
            f"{m:%Y-%m}",
            f"{n}",
            counts[i],
            f"{total:,.0f}",
            totals[i],
            f"{bens}",
            "n/a" if night is None else f"{night:.0%}",
        )
    console.print(t)


#: The demo's reporting settings, stored in its workspace with `bantay config` (so that the web
#: app's goAML export works as started by the demo): a made-up reporting entity and user code, and
#: synthetic institution codes for the simulated institutions. All invented for the synthetic
#: world; a real deployment sets its FIU registration and its institutions' BICs or codes.
DEMO_REPORTING = {
    "goaml.rentity_id": "7",
    "goaml.reporting_user_code": "DEMO01",
    "institution.harbour_bank.swift": "HRBBGB2L",
    "institution.harbour_bank.name": "Harbour Bank",
    "institution.maple_bank.swift": "MAPLCATT",
    "institution.maple_bank.name": "Maple Bank",
    "institution.rhein_bank.swift": "RHEIDEFF",
    "institution.rhein_bank.name": "Rhein Bank",
    "institution.quicksend.code": "MSB-QS-0001",
    "institution.quicksend.name": "QuickSend Remittance",
    "institution.cashbridge.code": "MSB-CB-0002",
    "institution.cashbridge.name": "CashBridge",
    "institution.pesopal.code": "EMI-PP-0003",
    "institution.pesopal.name": "PesoPal",
}
#: The report indicator the demo's analyst gives a case whose alerts are model scores alone (no
#: fired indicator maps to a goAML code, and a goAML report needs one): outbound transfers with no
#: apparent lawful purpose to higher-risk countries (export/goaml_indicators.toml).
DEMO_ANALYST_CODE = "FOWNB"


def mapped_codes(workspace: Path, case_id: int) -> list[str]:
    """The goAML codes the case's fired indicators map to (as shipped)."""
    from bantay.export.case import load_case
    from bantay.export.goaml import default_indicator_map

    codes = default_indicator_map()
    return [c for ind in load_case(workspace, case_id).fired for c in codes.get(ind, [])]


def _reports(out: Path, workspace: Path, case_id: int | None) -> str:
    """Step 8: the demo case exported to every format; returns the lines for the closing panel."""
    if case_id is None:
        return ""
    console.print(Rule(f"[bold]8 · case {case_id}: the reports an analyst files"))
    folder = out / "reports"
    folder.mkdir(exist_ok=True)
    from bantay.export.settings import reporting_path, set_reporting

    for key, value in DEMO_REPORTING.items():
        set_reporting(workspace, key, value)
    console.print(
        f"Synthetic reporting codes stored in {reporting_path(workspace)} "
        f"(`bantay config -w {workspace}` shows them)."
    )
    goaml: list[str] = []
    if not mapped_codes(workspace, case_id):
        goaml += ["--indicator", DEMO_ANALYST_CODE]
        console.print(
            f"No indicator of case {case_id} maps to a goAML code (its alerts are model scores): "
            f"the analyst files it under {DEMO_ANALYST_CODE}."
        )
    files = {
        "goaml": (folder / f"case{case_id}-goaml-str.xml", goaml),
        "fincen": (folder / f"case{case_id}-fincen-sar.txt", []),
        "ftm": (folder / f"case{case_id}-followthemoney.jsonl", []),
        "pack": (folder / f"case{case_id}-referral-pack.html", []),
    }
    for fmt, (path, extra) in files.items():
        args = ["export", "case", str(case_id), "-w", str(workspace), "--format", fmt]
        _run([*args, "--out", str(path), *extra])
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
    started = time.perf_counter()
    steps: list[tuple[str, list[str]]] = [
        (
            "1 · simulate a world",
            [
                "simulate",
                "--out",
                str(world),
                "--senders",
                str(senders),
                "--months",
                str(months),
                "--seed",
                str(seed),
                "--profile",
                profile,
            ],
        ),
        ("2 · create a workspace", ["init", str(workspace)]),
        (
            "3 · ingest every export, KYC file, rate table and signal list",
            ["ingest", "--manifest", str(world / "manifest.json"), "-w", str(workspace)],
        ),
        ("4 · resolve who is who", ["resolve", "-w", str(workspace)]),
        ("5 · scan: indicators, network, model", ["scan", "-w", str(workspace)]),
        (
            "6 · the top payer alerts and their reasons",
            ["alerts", "-w", str(workspace), "--top", "2", "--side", "payer"],
        ),
        (
            "  · the top beneficiary alert",
            ["alerts", "-w", str(workspace), "--top", "1", "--side", "beneficiary"],
        ),
    ]
    for title, args in steps:
        console.print(Rule(f"[bold]{title}"))
        _run(args)
    _money_over_time(workspace)
    console.print(Rule("[bold]7 · how good was that? (against the world's hidden truth)"))
    _run(["evaluate", "--truth", str(world / "truth"), "-w", str(workspace)])
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
            f"[bold]{login.password}[/] ({login.role}; a demo-only password)\n\n"
            f"{reports}"
            f"Or stay in the terminal:\n"
            f"  bantay status -w {workspace}\n"
            f"  bantay alerts -w {workspace} --top 20\n"
            f"  bantay resolve -w {workspace} --explain REF_A REF_B\n"
            f"  bantay export scores -w {workspace} --format csv",
            title="next",
        )
    )
