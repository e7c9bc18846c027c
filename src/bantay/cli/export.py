"""bantay export case: reports to authorities and investigators built from a case."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from bantay.cli.common import WorkspaceOpt, console, workspace_path
from bantay.cli.detect import _export_group
from bantay.errors import BantayError

export_app = _export_group()


@export_app.command("case")
def export_case(
    case_id: Annotated[int, typer.Argument(help="The case number (from the web app).")],
    out: Annotated[Path, typer.Option("--out", help="Write the report here.")],
    workspace: WorkspaceOpt = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="goaml (STR XML), fincen (SAR narrative + CSV), ftm (FollowTheMoney JSON lines), "
            "pack (self-contained HTML referral pack) or cybertip (NCMEC CyberTipline report XML "
            "from the case's platform reports; the platform submits it).",
        ),
    ] = "goaml",
    settings: Annotated[
        Path | None,
        typer.Option(
            help="TOML with a reporting_entity table (rentity_id, reporting_user_code, ...) "
            "and optionally goaml_indicators, transmode and institutions tables (default: the "
            "workspace's reporting settings, `bantay config`)."
        ),
    ] = None,
    rentity_id: Annotated[
        int | None, typer.Option(help="Reporting entity id (instead of --settings).")
    ] = None,
    reporting_user_code: Annotated[
        str | None, typer.Option(help="FIU code of the reporting user.")
    ] = None,
    indicator: Annotated[
        list[str] | None,
        typer.Option(help="goAML report indicator code added to those mapped (repeatable)."),
    ] = None,
    default_country: Annotated[
        str | None, typer.Option(help="ISO country for counterparties without one.")
    ] = None,
    xsd: Annotated[
        Path | None, typer.Option(help="Your FIU's goAML XSD (default: the 5.0.2 reference).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Workflow database URL (default: the workspace's).")
    ] = None,
    payments: Annotated[
        str,
        typer.Option(
            help="evidence: the payments behind the indicators (card spending left out); "
            "all: every payment of the members."
        ),
    ] = "evidence",
    reporter_email: Annotated[
        str | None,
        typer.Option(
            envvar="BANTAY_CYBERTIP_REPORTER_EMAIL",
            help="cybertip: the reporting person's email (the platform's NCMEC contact).",
        ),
    ] = None,
) -> None:
    """Export a case (goAML STR validated against the XSD, FinCEN SAR draft, FtM entities or a
    referral pack); every export is recorded in the audit trail."""
    from bantay.export.case import PAYMENT_SELECTIONS
    from bantay.export.goaml import ReportingEntity, export_goaml

    user = f"cli:{getpass.getuser()}"
    if payments not in PAYMENT_SELECTIONS:
        raise BantayError(f"--payments {payments!r}: use one of {', '.join(PAYMENT_SELECTIONS)}")
    if format == "fincen":
        from bantay.export.fincen import export_fincen

        text, table = export_fincen(
            workspace_path(workspace), case_id, out, user, database_url, payments
        )
        console.print(f"wrote FinCEN narrative to {text} and transactions to {table}")
        return
    if format == "ftm":
        from bantay.export.ftm import export_ftm

        n = export_ftm(workspace_path(workspace), case_id, out, user, database_url, payments)
        console.print(f"wrote {n:,} FollowTheMoney entities for case {case_id} to {out}")
        return
    if format == "pack":
        from bantay.export.pack import export_pack

        export_pack(workspace_path(workspace), case_id, out, user, database_url, payments)
        console.print(f"wrote the referral pack for case {case_id} to {out}")
        return
    if format == "cybertip":
        from bantay.export.cybertip import export_cybertip

        n = export_cybertip(
            workspace_path(workspace),
            case_id,
            out,
            reporter_email or "",
            user,
            database_url,
            payments,
        )
        console.print(
            f"wrote the CyberTipline report of case {case_id} ({n} platform report(s)) to {out}; "
            "submit it from the platform, to the test endpoint first (docs/exports.md)"
        )
        return
    if format != "goaml":
        raise BantayError(f"unknown format {format!r}; use goaml, fincen, ftm, pack or cybertip")
    if settings is not None:
        entity = ReportingEntity.from_toml(settings)
    elif rentity_id is not None:
        entity = ReportingEntity(rentity_id=rentity_id)
        from bantay.export.settings import read_reporting

        stored = read_reporting(workspace_path(workspace))
        entity.transmode.update(stored.get("transmode", {}))
        entity.institutions.update(stored.get("institutions", {}))
    else:
        entity = ReportingEntity.from_workspace(workspace_path(workspace))
    if reporting_user_code:
        entity.reporting_user_code = reporting_user_code
    if indicator:
        entity.indicators = [*entity.indicators, *indicator]
    if default_country:
        entity.default_country = default_country.upper()
    n = export_goaml(
        workspace_path(workspace),
        case_id,
        out,
        entity,
        xsd=xsd,
        username=user,
        db_url=database_url,
        payments=payments,
    )
    console.print(f"wrote goAML STR with {n:,} transactions for case {case_id} to {out}")
