"""bantay resolve: entity resolution, its explanations, the model, and analysts' judgements."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bantay.cli.common import WorkspaceOpt, app, console, workspace_path
from bantay.errors import BantayError

resolve_app = typer.Typer(
    help="Entity resolution: who is who across name variants, accounts and institutions.",
    invoke_without_command=True,
)
app.add_typer(resolve_app, name="resolve")


@resolve_app.callback()
def resolve(
    ctx: typer.Context,
    workspace: WorkspaceOpt = None,
    engine: Annotated[
        str, typer.Option(help="duckdb (one machine) or spark (local mode or your cluster).")
    ] = "duckdb",
    threshold: Annotated[
        float | None,
        typer.Option(help="Match probability to link two records (saved with the model; 0.9)."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Re-score every record, not only the new ones.")
    ] = False,
    retrain: Annotated[
        bool, typer.Option("--retrain", help="Re-estimate the model (implies --full).")
    ] = False,
    explain: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--explain",
            help="Explain two records (party_record_id, INSTITUTION:CUSTOMER_REF or entity id).",
            show_default=False,
        ),
    ] = None,
    show_model: Annotated[
        bool, typer.Option("--show-model", help="Show the saved model's levels and weights.")
    ] = False,
) -> None:
    """Resolve party records into entities (incremental after the first run).

    The first run trains the model without labels (u by random sampling, m by expectation
    maximisation) and saves it in the workspace; later runs attach new records to existing
    entities. Analysts' judgements (`bantay resolve judge`) are honoured on every run.
    """
    if ctx.invoked_subcommand is not None:
        return
    from bantay.workspace import open_workspace

    path = workspace_path(workspace)
    if explain is not None:
        with open_workspace(path, read_only=True) as ws:
            _show_explanation(ws, explain[0], explain[1])
        return
    if show_model:
        _show_model(path)
        return
    if engine not in ("duckdb", "spark"):
        raise BantayError(f"--engine {engine!r}: use duckdb or spark")
    from bantay.logs import log_path, workspace_log
    from bantay.resolve.run import resolve as run_resolve

    # Splink's and Bantay's logs go to the workspace's log file; one line says what Splink could
    # not estimate
    with (
        open_workspace(path) as ws,
        workspace_log(ws.path) as not_estimated,
        console.status("resolving …") as status,
    ):
        report = run_resolve(
            ws,
            engine=engine,  # type: ignore[arg-type]
            threshold=threshold,
            full=full,
            retrain=retrain,
            progress=lambda msg: status.update(f"{msg} …"),
        )
    console.print(
        f"[bold]{report.mode}[/] resolution {report.resolution_id} ({report.engine}, model "
        f"{report.model}, threshold {report.threshold:g}): {report.n_records:,} records "
        f"({report.n_new_records:,} scored) → [green]{report.n_entities:,}[/] entities "
        f"({report.n_multi_record_entities:,} with more than one record), "
        f"{report.n_pairs:,} pairs ≥ 0.5 in {report.seconds:.1f} s",
        highlight=False,
    )
    for note in report.notes:
        console.print(f"  [yellow]note:[/] {note}", highlight=False)
    line = not_estimated.summary(log_path(ws.path))
    if line is not None:
        console.print(f"  [yellow]note:[/] {escape(line)}", highlight=False)


def _show_model(path: object) -> None:
    from pathlib import Path

    from bantay.resolve.model import SavedModel
    from bantay.resolve.run import MODEL_FILE, RESOLVE_DIR

    mpath = Path(str(path)) / RESOLVE_DIR / MODEL_FILE
    if not mpath.exists():
        raise BantayError(f"no saved model in {path}; run `bantay resolve` first")
    model = SavedModel.load(mpath)
    console.print(
        f"Model {mpath}: {model.origin}"
        + (
            f" on {model.trained_on_records:,} records at {model.trained_at}"
            if model.trained_at
            else ""
        )
        + f"; prior P(match) = {model.probability_two_random_records_match:.3g}; "
        f"threshold {model.threshold:g}",
        highlight=False,
    )
    t = Table("comparison", "level", "m", "u", "match weight", title="Comparison levels")
    for w in model.weights():
        mw = w.match_weight
        t.add_row(
            w.comparison,
            w.level,
            f"{w.m:.4g}" if w.m is not None else "–",
            f"{w.u:.4g}" if w.u is not None else "–",
            f"{mw:+.2f}" if mw is not None else "–",
        )
    console.print(t)


def _show_explanation(ws: object, ref_a: str, ref_b: str) -> None:
    from bantay.resolve.explain import explain_pair
    from bantay.workspace import Workspace

    assert isinstance(ws, Workspace)
    e = explain_pair(ws, ref_a, ref_b)
    a, b = escape(str(e.record_a)), escape(str(e.record_b))
    console.print(f"[bold]{a}[/] ↔ [bold]{b}[/]", highlight=False)
    t = Table("field", a, b, "level", "weight", "tf adj.", title=None)
    t.add_row("(prior)", "", "", "", f"{e.prior_weight:+.2f}", "")
    for f in e.fields:
        t.add_row(
            f.comparison,
            escape(str(f.value_a)) if f.value_a else "–",
            escape(str(f.value_b)) if f.value_b else "–",
            f.level,
            f"{f.match_weight:+.2f}",
            f"{f.tf_adjustment:+.2f}" if f.tf_adjustment else "",
        )
    t.add_row("[bold]total[/]", "", "", "", f"[bold]{e.match_weight:+.2f}[/]", "")
    console.print(t)
    console.print(
        f"match probability [bold]{e.match_probability:.4f}[/]; entities "
        f"{escape(str(e.entity_a or '(not resolved)'))} / "
        f"{escape(str(e.entity_b or '(not resolved)'))}",
        highlight=False,
    )
    console.print(f"[bold]{e.verdict()}[/]", highlight=False)
    for j in e.judgements:
        state = (
            f"undone {j.deleted_at:%Y-%m-%d %H:%M} by {j.deleted_by}" if j.deleted_at else "active"
        )
        console.print(
            escape(
                f"  judgement {j.judgement_id}: {j.party_record_id_a} {j.verdict} "
                f"{j.party_record_id_b} by {j.user_name} ({j.reason}) — {state}"
            ),
            highlight=False,
        )


@resolve_app.command("judge")
def judge_cmd(
    ref_a: Annotated[str, typer.Argument(help="A record or entity.", show_default=False)],
    ref_b: Annotated[str, typer.Argument(help="Another record or entity.", show_default=False)],
    same: Annotated[
        bool | None,
        typer.Option("--same/--not-same", help="The verdict.", show_default=False),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who decides.", show_default=False)] = "",
    why: Annotated[str, typer.Option("--why", help="Why.", show_default=False)] = "",
    workspace: WorkspaceOpt = None,
) -> None:
    """Record that two records (or entities) are, or are not, the same person; applied at once."""
    from bantay.resolve.judgements import judge
    from bantay.workspace import open_workspace

    if same is None:
        raise BantayError("give the verdict: --same or --not-same")
    with open_workspace(workspace_path(workspace)) as ws:
        j = judge(ws, ref_a, ref_b, "same" if same else "not_same", by, why)
        ents = dict(
            ws.con.execute(
                "SELECT party_record_id, entity_id FROM entity_members "
                "WHERE party_record_id IN (?, ?)",
                [j.party_record_id_a, j.party_record_id_b],
            ).fetchall()
        )
    console.print(
        f"judgement {j.judgement_id}: {j.party_record_id_a} [bold]{j.verdict}[/] "
        f"{j.party_record_id_b} by {j.user_name}. Entities now: "
        f"{ents.get(j.party_record_id_a, '–')} / {ents.get(j.party_record_id_b, '–')}",
        highlight=False,
    )


@resolve_app.command("judgements")
def judgements_cmd(
    all_: Annotated[bool, typer.Option("--all", help="Include undone judgements.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """List the analysts' judgements."""
    from bantay.resolve.judgements import list_judgements
    from bantay.workspace import open_workspace

    with open_workspace(workspace_path(workspace), read_only=True) as ws:
        js = list_judgements(ws, include_undone=all_)
    t = Table("id", "record a", "record b", "verdict", "by", "when", "why", "undone")
    for j in js:
        t.add_row(
            j.judgement_id,
            j.party_record_id_a,
            j.party_record_id_b,
            j.verdict,
            j.user_name,
            f"{j.created_at:%Y-%m-%d %H:%M}",
            j.reason,
            f"{j.deleted_at:%Y-%m-%d %H:%M} by {j.deleted_by}" if j.deleted_at else "",
        )
    console.print(t)


@resolve_app.command("undo")
def undo_cmd(
    judgement_id: Annotated[str, typer.Argument(help="The judgement to undo.")],
    by: Annotated[str, typer.Option("--by", help="Who decides.", show_default=False)] = "",
    workspace: WorkspaceOpt = None,
) -> None:
    """Undo a judgement (kept in history with who undid it and when); applied at once."""
    from bantay.resolve.judgements import undo
    from bantay.workspace import open_workspace

    with open_workspace(workspace_path(workspace)) as ws:
        j = undo(ws, judgement_id, by)
    console.print(f"judgement {j.judgement_id} undone by {j.deleted_by}", highlight=False)
