"""`bantay train --simulate`: randomised worlds made through bantay.pipeline, then a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bantay.cli import app
from bantay.pipeline import training_plan


@pytest.mark.slow
def test_train_on_simulated_worlds(tmp_path: Path) -> None:
    root, out = tmp_path / "worlds", tmp_path / "model.json"
    args = ["train", "--simulate", "2", "--senders", "200", "--months", "2", "--rounds", "5"]
    r = CliRunner().invoke(app, [*args, "--out", str(out), "--root", str(root)])
    assert r.exit_code == 0, (r.output, r.exception)
    plan = training_plan(2, 0, 1, 200)
    assert sorted(p.name for p in root.iterdir()) == sorted(p.name for p in plan)
    for p in plan:
        assert f"world {p.profile}-{p.seed} ({p.senders:,} senders, randomised)" in r.output
        assert (root / p.name / "workspace.ready").exists()
        assert (root / p.name / "bantay.log").exists()  # the library logs, not the terminal
    assert "unable to train" not in r.output
    assert json.loads(out.read_text())  # a model file
