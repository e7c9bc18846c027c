"""``bantay platforms``: the platforms that send user reports, and their tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bantay.cli.common import WorkspaceOpt, app, console
from bantay.cli.web import _workflow, _ws, workspace_secret

platforms_app = typer.Typer(
    help="Platforms that send user reports to POST /api/reports: add (prints the token once), "
    "list, revoke."
)
app.add_typer(platforms_app, name="platforms")


def _operator() -> str:
    from bantay.cases.services import Actor

    return Actor.operator().username


@platforms_app.command("add")
def platforms_add(name: str, workspace: WorkspaceOpt = None) -> None:
    """Add a platform and print its token: shown this once, stored only as a keyed hash."""
    from bantay.reports.store import add_platform

    path: Path = _ws(workspace)
    with _workflow(path) as wf, wf.session() as db:
        p, raw = add_platform(db, workspace_secret(path), _operator(), name)
    console.print(f"added platform {p.name}; its token (shown once, keep it secret):")
    # the token alone on its line, unstyled, so a script can read it
    typer.echo(raw)


@platforms_app.command("list")
def platforms_list(workspace: WorkspaceOpt = None) -> None:
    """List platforms: token prefix, when added, whether revoked."""
    from rich.table import Table

    from bantay.reports.store import list_platforms

    t = Table("platform", "token prefix", "added", "revoked")
    with _workflow(_ws(workspace)) as wf, wf.session() as db:
        for p in list_platforms(db):
            t.add_row(p.name, p.prefix, str(p.created_at), str(p.revoked_at or ""))
    console.print(t)


@platforms_app.command("revoke")
def platforms_revoke(name: str, workspace: WorkspaceOpt = None) -> None:
    """Revoke a platform's token: its reports are refused (401) from now on."""
    from bantay.reports.store import revoke_platform

    with _workflow(_ws(workspace)) as wf, wf.session() as db:
        p = revoke_platform(db, _operator(), name)
    console.print(f"revoked {p.name}'s token ({p.prefix}…) at {p.revoked_at}")


reports_app = typer.Typer(
    help="Platform reports received through POST /api/reports: link them to the money."
)
app.add_typer(reports_app, name="reports")


@reports_app.command("link")
def reports_link(workspace: WorkspaceOpt = None) -> None:
    """Link every stored report's payment identifiers to the workspace's payers and beneficiaries
    (tables report_parties and report_links): scored by the saved entity-resolution model (payer
    name, phone, accounts), an identifier shared linking in any case; without a saved model (run
    `bantay resolve` first) by exact identifiers only, and it says so. `bantay scan` then reads
    the links."""
    from bantay.pipeline import link_workspace

    r = link_workspace(_ws(workspace))
    console.print(
        f"{r.reports:,} report(s) with {r.identifiers:,} payment identifier(s): {r.linked_reports:,} "
        f"linked to {r.payer_entities:,} payer and {r.beneficiary_entities:,} beneficiary "
        f"entit(ies) ({r.links:,} links); run `bantay scan` to score with them"
    )
    console.print(r.scoring, style="" if r.scored else "yellow")


@reports_app.command("simulate")
def reports_simulate(
    world: Annotated[
        Path, typer.Option(help="A simulated world's folder (bantay simulate --out).")
    ],
    seed: Annotated[int, typer.Option(help="Random seed of the platform's reports.")] = 0,
    workspace: WorkspaceOpt = None,
) -> None:
    """Receive a simulated video-call platform's user reports on a simulated world (the demo's
    other side): some sessions of its offenders reported, some false reports, some unlinkable."""
    from bantay.pipeline import load_demo_reports

    path = _ws(workspace)
    n = load_demo_reports(world, path, workspace_secret(path), seed)
    console.print(f"received {n:,} new report(s) from the simulated platform")
