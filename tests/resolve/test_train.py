"""Training: an EM session that fails leaves nothing of itself in the model."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from splink import Linker

from bantay.engine import DuckDBEngine
from bantay.resolve import model as mdl
from bantay.resolve.features import FEATURE_COLUMNS, build_features, with_population_keys
from bantay.resolve.run import _train
from bantay.resolve.synthetic import party_records


def test_a_failing_em_session_leaves_the_model_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    feats = with_population_keys(build_features(party_records(300, seed=5))).select(FEATURE_COLUMNS)
    present = [c for c in mdl.COMPARISON_COLUMNS.values() if feats[c].null_count() < feats.height]
    backend = DuckDBEngine()
    try:
        sdf = backend.splink_register(feats, "bantay_party_features")
        linker = Linker(sdf, mdl.priors(present).settings(), log_level=logging.WARNING)
        em = type(linker.training).estimate_parameters_using_expectation_maximisation
        calls: list[str] = []

        def half_done_then_fail(self: Any, blocking_rule: Any, **kw: Any) -> Any:
            calls.append(str(blocking_rule))
            if len(calls) == 2:
                # what Splink did on a simulated world: parameters half updated, then an error
                self._linker._settings_obj._probability_two_random_records_match = 0.39
                raise ValueError("m_probability value 0.0 is below the minimum allowed value")
            return em(self, blocking_rule, **kw)

        monkeypatch.setattr(
            type(linker.training),
            "estimate_parameters_using_expectation_maximisation",
            half_done_then_fail,
        )
        notes: list[str] = []
        trained = _train(linker, sdf, feats.height, present, notes)
        lam = trained.misc.save_model_to_json()["probability_two_random_records_match"]
    finally:
        backend.close()
    assert len(calls) >= 3
    assert any("skipped" in n and "minimum allowed" in n for n in notes)
    assert lam < 0.01


def test_every_em_session_runs() -> None:
    """Issue 15: training once checked for name_phonetic among the compared columns (which hold
    only name_key), so the name sessions never ran."""
    feats = with_population_keys(build_features(party_records(600, seed=7))).select(FEATURE_COLUMNS)
    present = [c for c in mdl.COMPARISON_COLUMNS.values() if feats[c].null_count() < feats.height]
    assert "name_key" in present and "dob" in present
    backend = DuckDBEngine()
    try:
        sdf = backend.splink_register(feats, "bantay_party_features")
        linker = Linker(sdf, mdl.priors(present).settings(), log_level=logging.WARNING)
        notes: list[str] = []
        _train(linker, sdf, feats.height, present, notes)
    finally:
        backend.close()
    ran = next(n for n in notes if n.startswith("EM sessions run"))
    assert "name_phonetic" in ran and "dob" in ran
    assert not any("skipped" in n for n in notes), notes
    total = ran.split(":")[0].split()
    assert total[3] == total[5], ran  # "EM sessions run N of N"


def test_trained_levels_never_leave_their_prior_by_more_than_the_floor() -> None:
    params = {"date_of_birth": [(0.999, 1e-4), (1e-3, 1e-3), (0.0, 0.01), (0.0, 0.01), (0.0, 0.98)]}
    out = mdl.with_m_floor(params)["date_of_birth"]
    priors = [lv.m for lv in mdl.level_specs("date_of_birth")]
    assert all(m >= p / mdl.M_PRIOR_RATIO - 1e-12 for (m, _u), p in zip(out, priors, strict=True))
    assert abs(sum(m for m, _u in out) - 1) < 1e-9
