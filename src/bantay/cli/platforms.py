"""``bantay platforms``: the platforms that send user reports, and their tokens."""

from __future__ import annotations

from pathlib import Path

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
    (tables report_parties and report_links); `bantay scan` then reads the links."""
    from bantay.reports.link import link, report_parties
    from bantay.workspace import open_workspace

    path = _ws(workspace)
    with _workflow(path) as wf, wf.session() as db:
        parties = report_parties(db)
    with open_workspace(path) as ws:
        r = link(ws, parties)
    console.print(
        f"{r.reports:,} report(s) with {r.identifiers:,} payment identifier(s): {r.linked_reports:,} "
        f"linked to {r.payer_entities:,} payer and {r.beneficiary_entities:,} beneficiary "
        f"entit(ies) ({r.links:,} links); run `bantay scan` to score with them"
    )
