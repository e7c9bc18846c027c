"""bantay share: signal bundles between institutions (keys, export, import, list, revoke)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bantay.cli.common import WorkspaceOpt, app, console, workspace_path

share_app = typer.Typer(
    help="Share confirmed facilitators and payers with other institutions as signed bundles of "
    "keyed hashes and name encodings (never raw identifiers); import theirs as signals.",
    no_args_is_help=True,
)
app.add_typer(share_app, name="share")

DbUrlOpt = Annotated[
    str | None, typer.Option(help="Workflow database URL (default: the workspace's).")
]


def _user() -> str:
    return f"cli:{getpass.getuser()}"


@share_app.command("keys")
def keys(
    workspace: WorkspaceOpt = None,
    institution: Annotated[
        str | None,
        typer.Option(help="This institution's name; makes its Ed25519 signing key (once)."),
    ] = None,
    new_consortium_key: Annotated[
        bool,
        typer.Option(
            "--new-consortium-key",
            help="Make a new consortium key and use it for new bundles (older keys are kept to "
            "read older bundles): the first member does this, and every member on rotation.",
        ),
    ] = False,
    consortium_key: Annotated[
        Path | None,
        typer.Option(help="Load the consortium key from this file (as shared out of band)."),
    ] = None,
    save_consortium_key: Annotated[
        Path | None,
        typer.Option(help="Write the current consortium key to this file (mode 600)."),
    ] = None,
    public_card: Annotated[
        Path | None,
        typer.Option(help="Write this institution's public card (name, public key) here."),
    ] = None,
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            help="Trust the bundles of the member whose public card this is (repeatable)."
        ),
    ] = None,
) -> None:
    """Make or load the consortium key and this institution's signing key; trust other members."""
    from bantay.share.keys import Keys

    k = Keys.of(workspace_path(workspace))
    if institution:
        k.make_signing_key(institution)
        console.print(f"signing as {escape(institution)} (key in {k.folder / 'signing.key'})")
    if new_consortium_key:
        console.print(f"new consortium key {k.new_consortium_key()} (current)")
    if consortium_key is not None:
        console.print(f"loaded consortium key {k.load_consortium_key(consortium_key)} (current)")
    if save_consortium_key is not None:
        k.save_consortium_key(save_consortium_key)
        console.print(f"wrote the current consortium key to {save_consortium_key}")
    if public_card is not None:
        public_card.write_text(json.dumps(k.public_card(), indent=1) + "\n", encoding="utf-8")
        console.print(f"wrote the public card to {public_card}")
    for card in trust or []:
        console.print(f"trusting bundles of {escape(k.trust(card))}")
    console.print(
        f"institution: {escape(k.institution() or '(none: --institution NAME)')}; "
        f"consortium keys: {', '.join(k.consortium_ids()) or 'none'} "
        f"(current {k.current_id() or 'none'}); trusted: {', '.join(sorted(k.trusted())) or 'none'}"
    )


@share_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Write the bundle here.")],
    workspace: WorkspaceOpt = None,
    days: Annotated[int, typer.Option(help="Days the bundle and its opinions stay valid.")] = 180,
    confidence: Annotated[
        float, typer.Option(help="Confidence given to confirmed outcomes (0-1).")
    ] = 0.9,
    negatives: Annotated[
        bool,
        typer.Option(
            "--negatives", help="Also share reviewed false positives as negative opinions."
        ),
    ] = False,
    database_url: DbUrlOpt = None,
) -> None:
    """Export the outcomes a supervisor confirmed (reviewed, closed cases) as a signed bundle;
    the export is recorded in the audit trail."""
    from bantay.share.exchange import export_bundle

    r = export_bundle(
        workspace_path(workspace),
        out,
        username=_user(),
        db_url=database_url,
        days=days,
        confidence=confidence,
        negatives=negatives,
    )
    console.print(
        f"wrote bundle {r.bundle_id} to {out}: {r.opinions:,} opinions, {r.identifiers:,} keyed "
        f"identifiers, {r.names:,} name encodings, {r.revocations:,} revocations"
    )
    if r.without_identifiers:
        console.print(
            f"[yellow]{len(r.without_identifiers)} confirmed entities have no identifier to share "
            "and are not in the bundle:[/] "
            + escape(", ".join(f"{s}:{e}" for s, e in r.without_identifiers))
        )


@share_app.command("import")
def import_(
    bundle: Annotated[Path, typer.Argument(help="The bundle file.")],
    workspace: WorkspaceOpt = None,
    dice: Annotated[
        float,
        typer.Option(
            help="Dice coefficient at or above which name encodings match (0.89: precision "
            "0.99 on the simulator's name variants, bench/bench_share.py)."
        ),
    ] = 0.89,
    database_url: DbUrlOpt = None,
) -> None:
    """Check a bundle (signature, issuer, key, expiry), match it against this workspace's party
    records and load the matches as signals for `bantay scan --signals`; audited."""
    from bantay.share.exchange import import_bundle

    with Progress(
        TextColumn("[bold]{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=3)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        r = import_bundle(
            workspace_path(workspace),
            bundle,
            username=_user(),
            db_url=database_url,
            dice=dice,
            progress=progress,
        )
    t = Table(title=f"bundle {r.bundle_id} from {escape(r.issuer)}")
    for col in ("entry", "opinion", "role", "matched on", "party record"):
        t.add_column(col)
    for m in r.matches:
        how = m.matched_on + (f" (dice {m.dice:.2f})" if m.dice is not None else "")
        t.add_row(m.entry_id, m.opinion, m.role, how, escape(m.party_record_id))
    if r.matches:
        console.print(t)
    console.print(
        f"{r.opinions:,} opinions, {r.matched_entries:,} matched ({len(r.matches):,} matches); "
        f"{r.signals:,} signals loaded, {r.quarantined:,} quarantined, "
        f"{r.not_signalled:,} matches of negative or disputed opinions recorded only; "
        f"{len(r.revoked_signals):,} signals removed by revocations"
    )


@share_app.command("list")
def list_(workspace: WorkspaceOpt = None) -> None:
    """Keys, trusted issuers, bundles exported and imported, revocations."""
    from bantay.share.exchange import overview

    o = overview(workspace_path(workspace))
    console.print(
        f"institution {escape(o.institution or '(none)')}; consortium keys "
        f"{', '.join(o.consortium_keys) or 'none'} (current {o.current_key or 'none'}); "
        f"trusted {escape(', '.join(o.trusted) or 'none')}"
    )
    t = Table(title="exported")
    for col in ("bundle", "at", "entries"):
        t.add_column(col)
    for e in o.exports:
        t.add_row(e["bundle_id"], e["at"], escape("\n".join(e["entries"])))
    console.print(t)
    t = Table(title="imported")
    for col in ("bundle", "issuer", "at", "entries matched", "matches"):
        t.add_column(col)
    for i in o.imports:
        t.add_row(
            i["bundle_id"], escape(i["issuer"]), i["at"], str(i["entries"]), str(i["matches"])
        )
    console.print(t)
    t = Table(title="revoked")
    for col in ("entry", "revoked", "reason"):
        t.add_column(col)
    for r in o.revocations:
        t.add_row(r["entry_id"], r["revoked"], escape(r["reason"]))
    console.print(t)
    if o.withdrawn:
        t = Table(title="imported bundles withdrawn")
        for col in ("bundle", "issuer", "at", "reason"):
            t.add_column(col)
        for w in o.withdrawn:
            t.add_row(w["bundle_id"], escape(w["issuer"]), w["at"], escape(w["reason"]))
        console.print(t)


@share_app.command("revoke")
def revoke(
    entries: Annotated[
        list[str] | None,
        typer.Argument(help="Entry ids, or side:entity_id, of this workspace's exports."),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why it is withdrawn (audited).")] = "",
    bundle: Annotated[
        str | None,
        typer.Option(
            help="Instead: withdraw an imported bundle here (its issuer's key was stolen, or it "
            "came in error): every signal it made is removed."
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    database_url: DbUrlOpt = None,
) -> None:
    """Withdraw opinions this institution shared: the next export lists them as revocations,
    and importers remove the signals made from them. With --bundle, withdraw an imported bundle
    in this workspace. Audited either way."""
    from bantay.share.exchange import revoke as run
    from bantay.share.exchange import withdraw_bundle
    from bantay.share.keys import ShareError

    ws = workspace_path(workspace)
    if bundle is not None:
        if entries:
            raise ShareError("give entries to revoke, or --bundle to withdraw, not both")
        gone = withdraw_bundle(ws, bundle, reason, username=_user(), db_url=database_url)
        console.print(f"withdrew bundle {escape(bundle)}: {len(gone)} signals removed")
        return
    new = run(ws, entries or [], reason, username=_user(), db_url=database_url)
    console.print(
        f"revoked {len(new)} entr{'y' if len(new) == 1 else 'ies'}"
        + (f": {', '.join(new)}" if new else " (all were already revoked)")
        + "; export a bundle to tell the other members"
    )


@share_app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the world and workspaces.")],
    senders: Annotated[int, typer.Option(help="People in payer countries (customers).")] = 10000,
    months: Annotated[int, typer.Option(help="Length of the period in months.")] = 6,
    seed: Annotated[int, typer.Option(help="Random seed of the world.")] = 0,
    institution_a: Annotated[
        str, typer.Option(help="The institution that confirms cases and exports a bundle.")
    ] = "quicksend",
    institution_b: Annotated[
        str, typer.Option(help="The institution that imports it.")
    ] = "cashbridge",
) -> None:
    """Two institutions, one synthetic world: A's workspace holds only A's customers and their
    payments, B's only B's; A confirms cases (simulated analysts, reviewed) and exports a bundle,
    B imports it; B's recall among its top 2 x positives before and after, against the truth."""
    import logging

    from bantay.pipeline import share_demo

    logging.getLogger("splink").setLevel(logging.ERROR)  # entity resolution's training chatter
    with console.status("simulate, split, resolve, scan, confirm, export, import, rescan"):
        d = share_demo(
            out,
            seed=seed,
            senders=senders,
            months=months,
            institution_a=institution_a,
            institution_b=institution_b,
        )
    console.print(
        f"A = {escape(d.institution_a)} (workspace {out / 'a'}): {d.confirmed} confirmed "
        f"outcomes, {d.opinions} opinions in {d.bundle}"
    )
    console.print(
        f"B = {escape(d.institution_b)} (workspace {out / 'b'}): {d.matched_entries} entries "
        f"matched, {d.signals} signals loaded; identifiers B received that it did not hold: "
        f"{d.values_not_held}"
    )
    t = Table(title="B's recall among its top 2 x positives")
    for col in ("side", "positives", "no sharing", "with A's bundle"):
        t.add_column(col, justify="left" if col == "side" else "right")
    t.add_row(
        "payers",
        str(d.payer_positives),
        f"{d.payer_recall_before:.3f}",
        f"{d.payer_recall_after:.3f}",
    )
    t.add_row(
        "beneficiaries",
        str(d.beneficiary_positives),
        f"{d.beneficiary_recall_before:.3f}",
        f"{d.beneficiary_recall_after:.3f}",
    )
    console.print(t)
