"""bantay indicators, scan, alerts, export scores, train, evaluate."""

from __future__ import annotations

import csv
import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bantay.cli.common import WorkspaceOpt, app, console, workspace_path
from bantay.errors import BantayError
from bantay.workspace import open_workspace


@app.command()
def indicators(
    docs: Annotated[bool, typer.Option("--docs", help="Print the Markdown reference.")] = False,
    sources: Annotated[
        bool,
        typer.Option(
            "--sources", help="The bibliography of the cited sources (docs/sources.md) instead."
        ),
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Write the Markdown reference here.")] = None,
    catalogue: Annotated[
        Path | None, typer.Option(help="Folder of indicator YAML files (default: built in).")
    ] = None,
) -> None:
    """The indicator catalogue: each published indicator, its source, threshold and bands."""
    from bantay.detect.catalogue import load_catalogue
    from bantay.detect.docs import render_indicators

    cat = load_catalogue(catalogue)
    if docs or sources or out is not None:
        if sources:
            from bantay.detect.words import render_sources

            text = render_sources()
        else:
            text = render_indicators(cat)
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            console.print(f"wrote {out}")
        return
    t = Table("id", "title", "side", "feature", "fires at", "bands", "sources", title="Indicators")
    for i in cat.indicators:
        bands = ", ".join(f"{b.at_least:g}→{b.score:g}" for b in i.bands)
        side = i.side if i.side != "network" else f"network→{i.applies_to}"
        t.add_row(
            i.id,
            i.title,
            side,
            i.feature,
            f"{i.threshold():g}",
            bands,
            ", ".join(s.id for s in i.sources),
        )
    console.print(t)
    t = Table("id", "title", "weight", "sources", title="Family-link evidence (lowers risk)")
    for p in cat.protections:
        t.add_row(p.id, p.title, f"{p.weight:g}", ", ".join(s.id for s in p.sources))
    console.print(t)


@app.command()
def scan(
    workspace: WorkspaceOpt = None,
    seeds: Annotated[
        Path | None,
        typer.Option(help="CSV of known facilitators (identifier_type,value) to propagate from."),
    ] = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark.")] = "duckdb",
    model: Annotated[
        str, typer.Option(help="`default` (shipped), a model file, or `rules` (no model).")
    ] = "default",
    threshold: Annotated[float, typer.Option(help="Alert entities scoring at least this.")] = 0.5,
    budget: Annotated[
        int | None, typer.Option(help="Alert the top N per side instead of a threshold.")
    ] = None,
    signals: Annotated[
        bool, typer.Option(help="Seed from facilitator signals in the workspace.")
    ] = True,
    catalogue: Annotated[
        Path | None, typer.Option(help="Folder of indicator YAML files (default: built in).")
    ] = None,
) -> None:
    """Score every payer and beneficiary entity and write explained alerts."""
    from bantay.detect.catalogue import load_catalogue
    from bantay.detect.scan import expected_yield, read_seeds_file
    from bantay.detect.scan import scan as run_scan
    from bantay.logs import workspace_log

    seed_list = read_seeds_file(seeds) if seeds else []
    with open_workspace(workspace_path(workspace)) as ws, workspace_log(ws.path):
        r = run_scan(
            ws,
            engine=engine,
            seeds=seed_list,
            use_signals=signals,
            catalogue=load_catalogue(catalogue) if catalogue else None,
            model=None if model == "rules" else model,
            threshold=threshold,
            budget=budget,
        )
    n_alert_p = int(r.payer["alerted"].sum())
    n_alert_b = int(r.beneficiary["alerted"].sum())
    console.print(
        f"scan [bold]{r.scan_id}[/] on {engine} · model {r.model_name} · "
        f"{len(r.payer):,} payers, {len(r.beneficiary):,} beneficiaries scored · "
        f"{len(r.network.seeds)} seed beneficiaries · "
        f"alerts: {n_alert_p:,} payers, {n_alert_b:,} beneficiaries"
    )
    for side, df in (("payer", r.payer), ("beneficiary", r.beneficiary)):
        exp = expected_yield(df)
        if exp is not None:
            console.print(
                f"{side} alerts: {exp[0]:,.1f} expected true of {int(df['alerted'].sum()):,} "
                f"(expected precision {exp[1]:.2f}, read from the calibrated scores; "
                "`bantay evaluate` measures it where the truth is known)"
            )
    console.print("See them with `bantay alerts`.")


@app.command()
def alerts(
    workspace: WorkspaceOpt = None,
    top: Annotated[int, typer.Option(help="How many alerts to show.")] = 10,
    side: Annotated[str | None, typer.Option(help="payer or beneficiary only.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the reasons as JSON lines.")
    ] = False,
) -> None:
    """The top alerts of the latest scan, with their reasons in words."""
    from rich.markup import escape

    from bantay.detect.read_model import top_alerts
    from bantay.detect.words import anchor, contribution_sentence, indicator_sentence, lowered

    if side is not None and side not in ("payer", "beneficiary"):
        raise BantayError(f"--side {side!r}: use payer or beneficiary")
    with open_workspace(workspace_path(workspace), read_only=True) as ws:
        rows = top_alerts(ws.con, side=side, top=top)
    if as_json:
        for a in rows:
            typer.echo(
                json.dumps(
                    {
                        "rank": a["rank"],
                        "side": a["side"],
                        "entity_id": a["entity_id"],
                        "score": a["score"],
                        "reasons": a["reasons"],
                    }
                )
            )
        return
    if not rows:
        console.print("No alerts. Run `bantay scan` first, or lower --threshold.")
        return
    for a in rows:
        rank, sd, ent, score, summary, r = (
            a["rank"],
            a["side"],
            a["entity_id"],
            a["score"],
            a["summary"],
            a["reasons"],
        )
        console.print(
            f"\n[bold]#{rank}[/] {sd} [bold]{escape(str(ent))}[/] · score {score:.3f}",
            highlight=False,
        )
        console.print(f"  {escape(str(summary))}", highlight=False)
        for i in r["indicators"]:
            console.print(
                f"  • {escape(indicator_sentence(i))} [{escape(str(i['id']))}]", highlight=False
            )
        net = r["network"]
        if net.get("path_to_seed"):
            console.print(
                "  path to a known facilitator: " + escape(" > ".join(net["path_to_seed"])),
                highlight=False,
            )
        if net.get("scored_payers"):
            console.print(
                "  unrelated high-risk payers by score: "
                + ", ".join(
                    f"{escape(str(p['payer_entity']))} {float(p['score']):.3f}"
                    for p in net["scored_payers"]
                )
                + (
                    f" (score {float(net['score_without_payers']):.3f} without them)"
                    if net.get("score_without_payers") is not None
                    else ""
                ),
                highlight=False,
            )
        if net.get("den_size", 0) >= 2:
            console.print(
                f"  den of {net['den_size']} beneficiaries"
                + (f" ({escape(str(net['den_id']))})" if net.get("den_id") else ""),
                highlight=False,
            )
        raised = [m for m in r["model"] if m["contribution"] > 0][:4]
        if raised:
            console.print(
                "  model, raised by: "
                + escape("; ".join(contribution_sentence(sd, m) for m in raised)),
                highlight=False,
            )
        down = lowered(sd, r)
        console.print(
            "  lowered by: " + escape("; ".join(down[:4]) if down else "nothing recorded"),
            highlight=False,
        )
        ids = sorted({str(s["id"]) for i in r["indicators"] for s in i["sources"]})
        if ids:
            console.print(
                "  sources: " + ", ".join(f"{x} ({anchor(x)})" for x in ids), highlight=False
            )


def _export_group() -> typer.Typer:
    for info in app.registered_groups:
        if info.name == "export" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help="Export results.", no_args_is_help=True)
    app.add_typer(group, name="export")
    return group


export_app = _export_group()


@export_app.command("scores")
def export_scores(
    workspace: WorkspaceOpt = None,
    format: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    out: Annotated[Path | None, typer.Option(help="Write here (default: standard output).")] = None,
) -> None:
    """Per-entity scores with every input reference behind each entity."""
    from bantay.detect.export import COLUMNS, score_rows, to_csv_row, to_jsonl

    if format not in ("csv", "jsonl"):
        raise BantayError(f"unknown format {format!r}; use csv or jsonl")
    with open_workspace(workspace_path(workspace), read_only=True) as ws:
        rows = list(score_rows(ws))
    fh = out.open("w", newline="", encoding="utf-8") if out else sys.stdout
    try:
        if format == "csv":
            w = csv.DictWriter(fh, fieldnames=list(COLUMNS))
            w.writeheader()
            for row in rows:
                w.writerow(to_csv_row(row))
        else:
            for row in rows:
                fh.write(to_jsonl(row) + "\n")
    finally:
        if out:
            fh.close()
    if out:
        console.print(f"wrote {len(rows):,} entity scores to {out}")


@app.command()
def train(
    out: Annotated[Path, typer.Option(help="Model file to write.")],
    world: Annotated[
        list[Path] | None,
        typer.Option(help="A world folder holding `workspace/` (ingested) and `truth/`; repeat."),
    ] = None,
    simulate: Annotated[
        int,
        typer.Option(
            "--simulate",
            help="Also simulate N baseline worlds with randomised parameters, ingest (KYC "
            "included), resolve and scan them, and train on them.",
        ),
    ] = 0,
    evasive: Annotated[
        int, typer.Option(help="With --simulate: also this many randomised evasive worlds.")
    ] = 0,
    senders: Annotated[
        int, typer.Option(help="With --simulate: senders per world (each world draws 0.75–1.5×).")
    ] = 2000,
    months: Annotated[int, typer.Option(help="With --simulate: months per world.")] = 6,
    seed: Annotated[int, typer.Option(help="With --simulate: seed of the first world.")] = 1,
    root: Annotated[
        Path | None,
        typer.Option(help="With --simulate: keep the worlds here (default: a temporary folder)."),
    ] = None,
    profile: Annotated[
        list[str] | None, typer.Option(help="Each world's profile, in order (for the record).")
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            help="Analyst dispositions CSV (side,entity_id,label, optionally weight) instead of "
            "truth."
        ),
    ] = None,
    rounds: Annotated[int, typer.Option(help="Boosting rounds.")] = 200,
    seed_share: Annotated[
        float, typer.Option(help="Share of facilitator signals used as seeds while training.")
    ] = 0.5,
) -> None:
    """Train the model on scanned worlds (ground truth, or an analyst's dispositions)."""
    import tempfile

    from bantay.detect.train import train as train_model
    from bantay.logs import workspace_log
    from bantay.pipeline import labelled_world, simulated_training_world, training_plan

    worlds = []
    profiles = list(profile or [])
    if not world and simulate <= 0:
        raise BantayError("nothing to train on: give --world folders or --simulate N")
    tmp = None
    if simulate > 0 or evasive > 0:
        if root is None:
            tmp = tempfile.TemporaryDirectory(prefix="bantay-train-")
            root = Path(tmp.name)
        for k, pw in enumerate(training_plan(simulate, evasive, seed, senders)):
            # Splink's and Bantay's logs go to the world folder's log file
            with (
                workspace_log(root / pw.name),
                console.status(f"world {pw.profile}-{pw.seed}: simulate, ingest, resolve, scan …"),
            ):
                tw = simulated_training_world(
                    root / pw.name, pw.profile, pw.seed, pw.senders, months, use_signals=k % 2 == 0
                )
            worlds.append(tw)
            console.print(
                f"world {pw.profile}-{pw.seed} ({pw.senders:,} senders, randomised): "
                f"{len(tw.payer):,} payers, {int(tw.payer['label'].sum())} offenders"
            )
    for k, w in enumerate(world or []):
        use_signals = (k % 2 == 0) if seed_share == 0.5 else seed_share >= 1.0
        prof = profiles[k] if k < len(profiles) else "unknown"
        tw, r = labelled_world(w, prof, use_signals, labels)
        worlds.append(tw)
        console.print(f"world {w}: {len(r.payer):,} payers, {len(r.beneficiary):,} beneficiaries")
    cmd = "bantay " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    model = train_model(worlds, rounds=rounds, command=cmd)
    model.save(out)
    if tmp is not None:
        tmp.cleanup()
    console.print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)")


@app.command()
def evaluate(
    truth: Annotated[Path, typer.Option(help="The world's truth folder (DIR/truth).")],
    workspace: WorkspaceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Judge the latest scan against ground truth, beside the published single-rule baselines."""
    from bantay.evaluate.detection import evaluate as run_eval
    from bantay.evaluate.detection import report_dict

    with open_workspace(workspace_path(workspace), read_only=True) as ws:
        reports = run_eval(ws, truth)
    if as_json:
        typer.echo(json.dumps(report_dict(reports), indent=1))
        return
    for side, rep in reports.items():
        metrics = sorted({k for m in rep.methods.values() for k in m})
        t = Table(
            "method",
            *metrics,
            title=f"{side}: {rep.n_positive:,} positive of {rep.n_entities:,} entities",
        )
        for name, m in rep.methods.items():
            t.add_row(name, *(f"{m.get(k, float('nan')):.3f}" for k in metrics))
        console.print(t)
        if rep.fp_by_role:
            roles = sorted({r for v in rep.fp_by_role.values() for r in v})
            t = Table(
                "method",
                *roles,
                title="false positives by legitimate behaviour, "
                "share of an alert budget of 2× the offenders",
            )
            for name, v in rep.fp_by_role.items():
                t.add_row(name, *(f"{v.get(r, 0.0):.3f}" for r in roles))
            console.print(t)
        if rep.dens_found_top100 is not None:
            console.print(
                f"dens with a member among the top 100 beneficiaries: {rep.dens_found_top100:.3f}"
            )
        if rep.den_recall_at_2x is not None:
            console.print(
                f"dens with a member among the top {2 * rep.n_dens} beneficiaries (2× the "
                f"{rep.n_dens} dens): {rep.den_recall_at_2x:.3f}"
            )
        if rep.reliability:
            t = Table(
                "score from",
                "mean score",
                "observed share",
                "entities",
                title=f"{side} calibration: Brier {rep.brier:.4f}, expected calibration error "
                f"{rep.ece:.4f}; {rep.alerts_at_threshold:,} at the alert threshold, "
                f"{rep.true_alerts_at_threshold:,} of them positive",
            )
            for lo, mp, ob, n in rep.reliability:
                t.add_row(f"{lo:.1f}", f"{mp:.3f}", f"{ob:.3f}", f"{n:,}")
            console.print(t)
