"""The bantay resolve commands, end to end through Typer."""

from __future__ import annotations

import re
from pathlib import Path

from tests.resolve.conftest import basic_rows, insert_records
from typer.testing import CliRunner

from bantay.cli import app
from bantay.workspace import Workspace, open_workspace

runner = CliRunner(env={"COLUMNS": "250"})


def test_resolve_explain_model_and_judgements(rws: Workspace) -> None:
    insert_records(rws, basic_rows())
    path = str(rws.path)
    rws.close()
    r = runner.invoke(app, ["resolve", "-w", path])
    assert r.exit_code == 0, r.output
    assert "5 records" in r.output and "3 entities" in r.output
    r = runner.invoke(app, ["resolve", "-w", path, "--show-model"])
    assert r.exit_code == 0, r.output
    assert "same name (any order)" in r.output and "priors" in r.output
    r = runner.invoke(app, ["resolve", "-w", path, "--explain", "BANK:C1", "REMIT:h1"])
    assert r.exit_code == 0, r.output
    assert "same phone" in r.output and "linked directly" in r.output
    r = runner.invoke(
        app,
        ["resolve", "judge", "BANK:C1", "REMIT:h1", "--not-same", "--by", "ana", "--why", "twins",
         "-w", path],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    jid = re.search(r"judgement (J[0-9a-f]+)", r.output)
    assert jid
    r = runner.invoke(app, ["resolve", "judgements", "-w", path])
    assert jid.group(1) in r.output and "twins" in r.output
    r = runner.invoke(app, ["resolve", "undo", jid.group(1), "--by", "ben", "-w", path])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["resolve", "judgements", "--all", "-w", path])
    assert "by ben" in r.output
    with open_workspace(rws.path) as ws:
        n = ws.con.execute("SELECT count(*) FROM judgements").fetchall()[0][0]
    assert n == 1


def test_judge_needs_a_verdict(rws: Workspace) -> None:
    insert_records(rws, basic_rows())
    path = str(rws.path)
    rws.close()
    from bantay.cli import main  # noqa: F401  (errors are rendered by main, raised here)

    r = runner.invoke(app, ["resolve", "judge", "BANK:C1", "REMIT:h1", "--by", "a", "-w", path])
    assert r.exit_code != 0
    assert "--same or --not-same" in str(r.exception)


def test_resolve_logs_splink_to_the_workspace_and_prints_one_line(tmp_path: Path) -> None:
    """Splink's "level not observed" warnings go to <workspace>/bantay.log, not the terminal;
    the terminal gets one line saying what Splink could not estimate."""
    from bantay.logs import log_path
    from bantay.pipeline import prepare_simulated_world

    ws, _truth = prepare_simulated_world(tmp_path / "w", "baseline", 3, 200, 2, run_resolve=False)
    r = runner.invoke(app, ["resolve", "-w", str(ws)])
    assert r.exit_code == 0, r.output
    log = log_path(ws).read_text(encoding="utf-8")
    assert "not observed in dataset" in log
    assert "not observed in dataset" not in r.output and "unable to train" not in r.output
    line = [x for x in r.output.splitlines() if "Splink could not estimate" in x]
    assert len(line) == 1, r.output
    n = int(re.search(r"could not estimate (\d+) parameters?", line[0]).group(1))  # type: ignore[union-attr]
    assert n == len({x for x in log.splitlines() if "not observed in dataset" in x})
    assert str(log_path(ws)) in line[0]
    assert log_path(ws).stat().st_mode & 0o777 == 0o600
