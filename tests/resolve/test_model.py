"""The model's name levels and saved-model compatibility."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from splink import DuckDBAPI, Linker

from bantay.resolve import model as mdl
from bantay.resolve.features import FEATURE_COLUMNS, build_features
from bantay.resolve.run import features_dir, load_features
from bantay.workspace import Workspace

CONFLICT = "one name word shared, the other words differ"


def _name_level(a: str, b: str) -> str:
    """The label of the name level that a pair of written names falls in (priors, DuckDB)."""
    feats = build_features(
        pl.DataFrame({"party_record_id": ["a", "b"], "name": [a, b], "kind": ["x", "x"]})
    ).select(FEATURE_COLUMNS)
    linker = Linker(
        DuckDBAPI(connection=duckdb.connect()).register(feats.to_arrow()),
        mdl.priors(["name_key"]).settings(),
    )
    left, right = feats.row(0, named=True), feats.row(1, named=True)
    left["tf_name_key"] = right["tf_name_key"] = 1e-4
    row = linker.inference.score_pair(left, right).as_record_list()[0]
    labels = mdl.level_labels("name")
    return labels[len(labels) - 1 - int(row["gamma_name"])]


@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        ("E. Dela Paz", "Mary Grace Dela Paz", True),
        ("Maribel Dela Paz", "Mary Grace Tan Dela Paz", True),
        ("Juan Santos", "Pedro Santos", True),
        ("G. Dela Paz", "Grace Dela Paz", False),  # the initial fits
        ("M. Dela Paz", "Mary Grace Dela Paz", False),
        ("Dela Paz", "Grace Dela Paz", False),  # nothing on one side to disagree
        ("Juan Santos", "Pedro Reyes", False),  # no word shared
        ("Mary Grace Dela Paz", "DELA PAZ, Mary Grace", False),
    ],
)
def test_one_shared_word_with_disagreeing_others_is_its_own_level(
    a: str, b: str, conflict: bool
) -> None:
    assert (_name_level(a, b) == CONFLICT) is conflict


def test_names_without_a_shared_word_or_with_all_words_keep_their_levels() -> None:
    assert _name_level("Juan Santos", "Pedro Reyes") == "names differ"
    assert _name_level("Mary Grace Dela Paz", "DELA PAZ, Mary Grace") == "same name (any order)"
    assert _name_level("Dela Paz", "Grace Dela Paz") == "one name word shared"


@pytest.mark.parametrize(
    ("a", "b", "typo"),
    [
        ("Divina Dimaculangan", "Dimaculangan Divian", False),  # sounds alike: the level above
        ("Mary Grace Dela Paz", "Mary Grcae Dela Paz", True),
        # a long shared surname outweighs the given names in Jaro-Winkler of the sorted key;
        # the given names' first letters disagree: relatives, not a typo
        ("Divina Dimaculangan", "Jun Dimaculangan", False),
        ("Divina Dimaculangan", "Dimaculangan, Jun F.", False),
    ],
)
def test_a_typo_keeps_the_first_letters_of_the_words(a: str, b: str, typo: bool) -> None:
    assert (_name_level(a, b) == "name with a typo") is typo


def test_conflict_level_counts_against_a_match_in_the_priors() -> None:
    w = {lw.level: lw.match_weight for lw in mdl.priors(["name_key"]).weights()}
    assert w[CONFLICT] is not None and w[CONFLICT] < 0
    assert (w["one name word shared"] or 0) > 0


def test_shared_element_level_sql_per_dialect() -> None:
    lv = mdl.SharedElementLevel("name_single_letters", "name_letters")
    duck = lv.get_comparison_level("duckdb").sql_condition
    spark = lv.get_comparison_level("spark").sql_condition
    assert '"name_single_letters_l"' in duck and '"name_letters_r"' in duck
    assert "SIZE(ARRAY_INTERSECT(`name_single_letters_l`, `name_letters_r`))" in spark


def test_model_saved_before_a_level_was_added_keeps_its_estimates(tmp_path: Path) -> None:
    saved = mdl.priors(["name_key", "phone"])
    data = saved.to_json()
    old_levels = [lv for lv in data["comparisons"]["name"] if lv["level"] != CONFLICT]
    old_levels[0]["m_probability"] = 0.55  # an estimate that must survive
    data["comparisons"]["name"] = old_levels
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded = mdl.SavedModel.load(path)
    by_label = dict(zip(mdl.level_labels("name"), loaded.parameters["name"], strict=True))
    assert by_label["same name (any order)"][0] == 0.55
    assert by_label[CONFLICT] == (None, None)  # the prior is used
    weights = {lw.level: lw for lw in loaded.weights()}
    assert weights["names differ"].u == pytest.approx(0.977)
    loaded.settings()  # builds, priors filling the gap


def test_features_saved_before_the_letter_columns_are_completed(rws: Workspace) -> None:
    feats = build_features(
        pl.DataFrame({"party_record_id": ["a"], "name": ["E. Dela Paz"], "kind": ["x"]})
    )
    d = features_dir(rws)
    d.mkdir(parents=True)
    feats.drop("name_letters", "name_single_letters").write_parquet(d / "part-old.parquet")
    back = load_features(rws)
    assert back["name_letters"].to_list() == [["d", "e"]]
    assert back["name_single_letters"].to_list() == [["e"]]


def test_every_level_takes_its_prior_from_the_priors_file_and_the_file_holds_nothing_else() -> None:
    """Issue 16: priors are data (resolve/priors.toml), with their assumptions beside them."""
    import tomllib

    with mdl.PRIORS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    sections = {k: v for k, v in data.items() if isinstance(v, dict)}
    specs = mdl._all_specs()
    assert set(sections) == set(specs)
    for name, (_col, levels) in specs.items():
        assert [lv.label for lv in levels] == list(sections[name]), name
        for lv in levels:
            assert (lv.m, lv.u) == (sections[name][lv.label]["m"], sections[name][lv.label]["u"])
        # about one each (name's m sum to 1.09 and date of birth's to 1.02, as they always did)
        assert sum(lv.m for lv in levels) == pytest.approx(1.0, abs=0.1), name
        assert sum(lv.u for lv in levels) == pytest.approx(1.0, abs=1e-3), name
    assert data["probability_two_random_records_match"] == (
        mdl.PRIOR_PROBABILITY_TWO_RANDOM_RECORDS_MATCH
    )


def test_a_common_date_of_birth_counts_for_less_than_a_rare_one() -> None:
    """The same date of birth weighs by how many records bear it: a register's stand-in date (a
    year written as 1 January, shared by hundreds) is far weaker evidence than a rare date."""
    feats = build_features(
        pl.DataFrame(
            {
                "party_record_id": ["a", "b"],
                "name": ["Thomas Brushfield", "Beatrice Lindsay"],
                "date_of_birth": ["1858-01-01", "1858-01-01"],
                "kind": ["x", "x"],
            }
        ).with_columns(pl.col("date_of_birth").str.to_date())
    ).select(FEATURE_COLUMNS)
    linker = Linker(
        DuckDBAPI(connection=duckdb.connect()).register(feats.to_arrow()),
        mdl.priors(["name_key", "dob"]).settings(),
    )
    left, right = feats.row(0, named=True), feats.row(1, named=True)

    def weight(share: float) -> float:
        left["tf_name_key"] = right["tf_name_key"] = 1e-4
        left["tf_dob"] = right["tf_dob"] = share
        return float(linker.inference.score_pair(left, right).as_record_list()[0]["match_weight"])

    assert weight(0.01) < weight(1e-5) - 5  # log2(0.01 / 1e-5) ~ 10 bits apart
