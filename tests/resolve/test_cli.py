"""The bantay resolve commands, end to end through Typer."""

from __future__ import annotations

import re

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
