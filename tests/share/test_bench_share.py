"""bench/bench_share.py runs at a small size and its figures are of the right kind (no timings
are asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_share


def test_exact_matching_finds_the_held_entries_keyed_and_plain() -> None:
    rows = bench_share.bench_exact(local=5000, bundle=500, overlap=0.2, national=0.2)
    keyed, plain, bare = rows
    # the same matches with and without the keyed hash: the protection loses nothing
    assert keyed.matched == plain.matched == bare.matched > 0


def test_recall_at_precision() -> None:
    y = np.array([1, 1, 0, 1, 0, 0], dtype=bool)
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    assert bench_share.recall_at_precision(y, s, 0.99) == (2 / 3, 1.0, 0.8)
    r, p, t = bench_share.recall_at_precision(y, s, 0.7)
    assert (r, t) == (1.0, 0.6) and p == pytest.approx(0.75)
    # a tie straddling the cut is not split
    y2 = np.array([1, 0, 1], dtype=bool)
    s2 = np.array([0.9, 0.9, 0.1])
    assert bench_share.recall_at_precision(y2, s2, 0.99)[0] == 0.0


def test_names_bench_compares_encodings_with_plaintext() -> None:
    rows, n_pairs, n_true, (p_def, r_def), n_namesakes = bench_share.bench_names(
        n=200, distractors=400, vp=0.5, tp=0.08, density=0.4, seed=1
    )
    assert [r.method for r in rows] == ["CLK, Dice (encodings)", "plaintext Jaro-Winkler"]
    assert n_true == 200 and n_pairs > n_true and n_namesakes >= 0
    assert all(0.0 <= r.recall <= 1.0 for r in rows)
    assert 0.0 < r_def <= 1.0 and 0.0 < p_def <= 1.0


def test_main_prints_the_tables(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--local", "3000", "--bundle", "300", "--names", "100", "--distractors", "200"]
    args += ["--register-records", "300"]
    assert bench_share.main([*args, "--skip-demo"]) == 0
    out = capsys.readouterr().out
    assert "x plaintext" in out and "recall@P>=0.99" in out and "encodings / plaintext" in out


@pytest.mark.ci_may_skip(reason="needs ../shared/data/historical_50k beside the checkout")
def test_names_bench_on_the_register_nobody_here_generated() -> None:
    if not bench_share.REGISTER.exists():
        pytest.skip("../shared/data/historical_50k is not here")  # CI has ../shared
    rows, n_pairs, n_true, (p_def, r_def), _ = bench_share.bench_names_register(
        bench_share.REGISTER, records=2000, seed=1
    )
    assert [r.method for r in rows] == ["CLK, Dice (encodings)", "plaintext Jaro-Winkler"]
    assert 0 < n_true < n_pairs
    assert all(0.0 <= r.recall <= 1.0 for r in rows)
    assert 0.0 <= p_def <= 1.0 and 0.0 <= r_def <= 1.0
