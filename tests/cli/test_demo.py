"""`bantay demo`, the README's first command, end to end on a small world."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bantay.cli import app
from bantay.errors import BantayError
from bantay.workspace import open_workspace


@pytest.mark.slow
def test_demo_runs_the_whole_pipeline(demo_run: tuple[Path, str]) -> None:
    out, output = demo_run
    for step in ("simulate", "ingest", "resolve", "scan", "top payer alerts", "hidden truth"):
        assert step in output
    assert "bantay serve" in output and "log in as" in output
    assert "reports an analyst files" in output
    assert (out / "world" / "truth" / "persons.csv").exists()
    with open_workspace(out / "workspace", read_only=True) as ws:
        counts = ws.table_counts()
    assert counts["transactions"] > 0 and counts["quarantine"] == 0
    assert counts["alerts"] > 0 and counts["entity_members"] > 0
    # Splink's warnings went to the workspace's log, one line of them to the terminal
    assert "unable to train" not in output
    assert "unable to train" in (out / "workspace" / "bantay.log").read_text(encoding="utf-8")
    assert output.count("Splink could not estimate") == 1
    reports = sorted(p.name for p in (out / "reports").iterdir())
    assert reports == [
        "case1-fincen-sar.transactions.csv",
        "case1-fincen-sar.txt",
        "case1-followthemoney.jsonl",
        "case1-goaml-str.xml",
        "case1-referral-pack.html",
    ]
    again = CliRunner().invoke(app, ["demo", "--out", str(out)])
    # `bantay` prints BantayError as one line and exits 2 (bantay.cli.main); here it is raised
    assert isinstance(again.exception, BantayError) and "exists" in str(again.exception)
