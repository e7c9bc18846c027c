"""The orchestration the CLI, benches and tests share (bantay.pipeline)."""

from __future__ import annotations

from pathlib import Path

from bantay.pipeline import (
    DEMO_ANALYST_CODE,
    demo_reports,
    demo_steps,
    prepare_simulated_world,
    training_plan,
    world_paths,
)


def test_training_plan_interleaves_profiles_and_draws_sizes_from_the_seed() -> None:
    plan = training_plan(simulate=3, evasive=2, seed=1, senders=2000)
    assert [(p.profile, p.seed) for p in plan] == [
        ("baseline", 1),
        ("evasive", 1001),
        ("baseline", 2),
        ("evasive", 1002),
        ("baseline", 3),
    ]
    assert all(1500 <= p.senders <= 3000 for p in plan)
    assert plan == training_plan(simulate=3, evasive=2, seed=1, senders=2000)
    assert [p.senders for p in plan] != [p.senders for p in training_plan(3, 2, 2, 2000)]
    assert plan[0].name == f"baseline-1-{plan[0].senders}"


def test_demo_steps_run_the_pipeline_in_order(tmp_path: Path) -> None:
    steps = demo_steps(tmp_path / "world", tmp_path / "ws", 100, 2, 7, "baseline")
    assert [s.args[0] for s in steps] == [
        "simulate",
        "init",
        "ingest",
        "resolve",
        "reports",
        "reports",
        "scan",
        "alerts",
        "alerts",
    ]
    assert steps[2].args[2] == str(tmp_path / "world" / "manifest.json")
    goaml, *others = demo_reports(tmp_path, 3, analyst_code=True)
    assert goaml.args(tmp_path / "ws", 3)[-2:] == ["--indicator", DEMO_ANALYST_CODE]
    assert [r.format for r in others] == ["fincen", "ftm", "pack"]
    assert demo_reports(tmp_path, 3, analyst_code=False)[0].extra == []


def test_prepare_simulated_world_reuses_a_complete_world(tmp_path: Path) -> None:
    out = tmp_path / "w"
    ws, truth = prepare_simulated_world(out, "baseline", 3, 60, 1, run_resolve=False)
    assert (ws, truth) == world_paths(out)
    assert (out / "workspace.ready").read_text() == "ingested\n"
    assert any(truth.iterdir())  # the hidden truth, kept apart
    stamp = (out / "manifest.json").stat().st_mtime_ns
    marker = ws / "kept"
    marker.write_text("")
    prepare_simulated_world(out, "baseline", 3, 60, 1, run_resolve=False)
    assert (out / "manifest.json").stat().st_mtime_ns == stamp  # not simulated again
    assert marker.exists()  # nor ingested again
