"""The Splink model: comparisons, blocking rules, priors, unsupervised training, save and load.

One model resolves customers, payer sides and beneficiary sides together (``dedupe_only`` over all
party records). The same person crosses roles: a payer is a KYC customer at one institution and a
transaction side at another; a facilitator's relative receives money and forwards it, so appears as
beneficiary and payer; a mule account receives and sends. Separate populations would miss exactly
those links. Role is not a blocking key; instead blocking uses identifiers that any role may carry
(account, phone, e-mail, document) and name keys combined with whatever a role usually has (date of
birth for customers and payers, city for beneficiaries). Fellegi-Sunter treats a missing field as
neutral, so beneficiary sides without a date of birth are neither favoured nor penalised.

Every comparison level carries a prior m and u (documented below), used as the model when the data
are too few to estimate it; with enough records u is estimated by random sampling and m by
expectation maximisation, without labels.
"""

from __future__ import annotations

import json
import logging
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import splink.comparison_level_library as cll
from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.column_expression import ColumnExpression
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.comparison_level_library import _translate_sql_string
from splink.internals.comparison_library import CustomComparison
from splink.internals.dialects import SplinkDialect

from bantay.resolve.blocking import rules_for

logger = logging.getLogger(__name__)

#: Default threshold of match probability at or above which two records are linked.
DEFAULT_THRESHOLD = 0.9
#: Below this many records the priors are used as the model (EM needs enough pairs to converge).
MIN_TRAIN_RECORDS = 500
MODEL_FILE = "resolve/model.json"
PRIORS_FILE = Path(__file__).with_name("priors.toml")


@cache
def _priors_file() -> dict[str, Any]:
    with PRIORS_FILE.open("rb") as fh:
        return tomllib.load(fh)


@cache
def level_priors() -> dict[str, tuple[float, float]]:
    """Every level's prior (m, u) by label, from ``priors.toml`` (labels are unique across the
    model's comparisons)."""
    out: dict[str, tuple[float, float]] = {}
    for section, levels in _priors_file().items():
        if not isinstance(levels, dict):
            continue
        for label, mu in levels.items():
            if label in out:
                raise ValueError(f"{PRIORS_FILE}: level {label!r} twice (again in [{section}])")
            out[label] = (float(mu["m"]), float(mu["u"]))
    return out


#: Prior probability that two random records are the same person (overwritten by training).
PRIOR_PROBABILITY_TWO_RANDOM_RECORDS_MATCH = float(
    _priors_file()["probability_two_random_records_match"]
)


@dataclass(frozen=True)
class Level:
    """One comparison level with its prior m and u probabilities."""

    creator: ComparisonLevelCreator
    label: str
    m: float
    u: float
    tf_column: str | None = None
    #: m stays the prior: EM, which has no labels, cannot learn it (see the level's comment)
    fix_m: bool = False


def _lv(
    creator: ComparisonLevelCreator,
    label: str,
    tf: str | None = None,
    fix_m: bool = False,
) -> Level:
    """A level with its prior m and u from ``priors.toml`` (looked up by its label)."""
    prior = level_priors()[label]
    return Level(creator=creator, label=label, m=prior[0], u=prior[1], tf_column=tf, fix_m=fix_m)


class SharedElementLevel(ComparisonLevelCreator):
    """The left record's array ``left_col`` and the right record's ``right_col`` share an element
    (Splink's ``ArrayIntersectLevel`` compares one column with itself)."""

    def __init__(self, left_col: str, right_col: str) -> None:
        self.left_col = left_col
        self.right_col = right_col

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        sql = _translate_sql_string(
            "ARRAY_SIZE(ARRAY_INTERSECT(___a___, ___b___)) >= 1", sql_dialect.sqlglot_dialect
        )
        left = ColumnExpression(self.left_col, sql_dialect=sql_dialect).name_l
        right = ColumnExpression(self.right_col, sql_dialect=sql_dialect).name_r
        return sql.replace("___a___", left).replace("___b___", right)

    def create_label_for_charts(self) -> str:
        return f"{self.left_col} (left) shares an element with {self.right_col} (right)"


def _name_levels() -> list[Level]:
    has_initial = cll.CustomLevel(
        '("name_has_initial_l" OR "name_has_initial_r")', base_dialect_str="duckdb"
    )
    return [
        _lv(cll.ExactMatchLevel("name_key"), "same name (any order)", "name_key"),
        # every word agrees once nicknames are written out (Wally Bryant / Walter Bryant), from the
        # maintained ``nicknames`` data set (normalize.nickname_forms)
        _lv(
            cll.ArrayIntersectLevel("name_variants", 1),
            "same name but for a nickname",
        ),
        _lv(cll.ExactMatchLevel("name_phonetic"), "names sound alike (or nicknames)"),
        # a typo keeps each word's first letter (keying errors rarely hit it): without that,
        # Jaro-Winkler on the sorted key rewards a long shared surname, and relatives sharing a
        # phone (``dimaculangan divina`` / ``dimaculangan jun``) scored as one person with a typo
        _lv(
            cll.And(cll.JaroWinklerLevel("name_key", 0.92), cll.ExactMatchLevel("name_initials")),
            "name with a typo",
        ),
        # a typo anywhere, the first letter included (``kichael``/``michael``): two edits at most
        # over the whole name; relatives sharing a surname differ by a whole given name
        _lv(cll.LevenshteinLevel("name_key", 2), "name two letters apart"),
        _lv(cll.ArrayIntersectLevel("name_tokens", 2), "two or more name words shared"),
        _lv(
            cll.And(
                cll.ExactMatchLevel("name_initials"),
                cll.ArrayIntersectLevel("name_tokens", 1),
                has_initial,
            ),
            "initials agree, a name word shared",
        ),
        # two full given names that differ, one surname: relatives, far more often than one
        # person. EM cannot learn that without labels: relatives sharing a phone (a den's
        # household) look like matches to it, and it raised this level's weight above 1, which
        # then joined them ("Malee Sombatchai" / "Weerasak Sombatchai", one phone). So m stays the
        # prior, a weight below 1; u is still measured.
        _lv(
            cll.And(
                cll.ArrayIntersectLevel("name_words", 1),
                cll.ArrayIntersectLevel("name_letters", 1),
                cll.Not(SharedElementLevel("name_single_letters", "name_letters")),
                cll.Not(SharedElementLevel("name_letters", "name_single_letters")),
            ),
            "one name word shared, the other words differ",
            fix_m=True,
        ),
        # a word, not an initial: ``jimenez r`` / ``cuenca r`` share nothing but a letter. Like the
        # level above, EM cannot tell relatives from variants here (in a household, one surname
        # and one phone): on a simulated world it raised m from 0.015 to 0.07 (+7.6 bits), and
        # ``M. Tuan Tran`` / ``T. Tuyet Tran`` of one city linked. m stays the prior.
        _lv(
            cll.ArrayIntersectLevel("name_words", 1),
            "one name word shared",
            fix_m=True,
        ),
        _lv(cll.ElseLevel(), "names differ"),
    ]


def tf_columns(columns_present: Sequence[str] | None = None) -> tuple[str, ...]:
    """The columns whose levels weigh a value by how many records bear it (Splink's term
    frequencies), among ``columns_present`` if given: every scoring path registers their tables."""
    cols = dict.fromkeys(
        lv.tf_column
        for _col, levels in _comparison_specs().values()
        for lv in levels
        if lv.tf_column
    )
    present = set(columns_present) if columns_present is not None else None
    return tuple(c for c in cols if c is not None and (present is None or c in present))


#: name -> (column, levels after the null level). The order is the order of the model.
def _comparison_specs() -> dict[str, tuple[str, list[Level]]]:
    return {
        "name": ("name_key", _name_levels()),
        "date_of_birth": (
            "dob",
            [
                _lv(cll.ExactMatchLevel("dob"), "same date of birth", "dob"),
                _lv(cll.LevenshteinLevel("dob", 1), "date of birth one digit apart"),
                # day and month written the other way round, or a second typo
                _lv(cll.LevenshteinLevel("dob", 2), "date of birth two digits apart"),
                _lv(
                    cll.ExactMatchLevel(ColumnExpression("dob").substr(1, 4)),
                    "same year of birth",
                ),
                _lv(cll.ElseLevel(), "dates of birth differ"),
            ],
        ),
        "phone": (
            "phone",
            [
                _lv(cll.ExactMatchLevel("phone"), "same phone"),
                _lv(cll.LevenshteinLevel("phone", 1), "phone one digit apart"),
                _lv(cll.ElseLevel(), "phones differ"),
            ],
        ),
        "account": (
            "account",
            [
                _lv(cll.ExactMatchLevel("account"), "same account"),
                _lv(cll.ElseLevel(), "accounts differ"),
            ],
        ),
        "email": (
            "email",
            [
                _lv(cll.ExactMatchLevel("email"), "same e-mail"),
                _lv(cll.ElseLevel(), "e-mails differ"),
            ],
        ),
        "id_document": (
            "id_doc",
            [
                _lv(cll.ExactMatchLevel("id_doc"), "same document"),
                _lv(cll.LevenshteinLevel("id_doc", 1), "document one character apart"),
                _lv(cll.ElseLevel(), "documents differ"),
            ],
        ),
        "city": (
            "city",
            [
                _lv(cll.ExactMatchLevel("city"), "same city", "city"),
                _lv(cll.JaroWinklerLevel("city", 0.9), "city spelled alike"),
                _lv(cll.ElseLevel(), "cities differ"),
            ],
        ),
        "country": (
            "country",
            [
                _lv(cll.ExactMatchLevel("country"), "same country"),
                _lv(cll.ElseLevel(), "countries differ"),
            ],
        ),
        "address": (
            "address",
            [
                _lv(cll.ExactMatchLevel("address"), "same address"),
                _lv(cll.JaroWinklerLevel("address", 0.88), "address spelled alike"),
                _lv(cll.ElseLevel(), "addresses differ"),
            ],
        ),
    }


#: Comparison name -> the feature column whose emptiness removes it from the model.
COMPARISON_COLUMNS: dict[str, str] = {k: v[0] for k, v in _comparison_specs().items()}

#: The context comparison of beneficiary sides (see :mod:`bantay.resolve.context`): its column is
#: filled only in the second, context pass, so it is not among :data:`COMPARISON_COLUMNS`.
CONTEXT_COMPARISON = "counterpart"
CONTEXT_COLUMN = "counterparts"
#: Prior m of "paid by the same payer" (share of a person's record pairs paid by one payer), used
#: where too few confidently linked pairs exist to estimate it.
CONTEXT_PRIOR_M = level_priors()["paid by the same payer"][0]


#: Identifiers whose two different values make "paid by the same payer" no evidence: a payer pays
#: relatives who share a name (a household, a junior and a senior), each with their own phone.
CONTEXT_CONFLICTS = ("phone", "account", "email", "id_doc", "dob")


def _no_conflict() -> ComparisonLevelCreator:
    sql = " AND ".join(
        f'("{c}_l" IS NULL OR "{c}_r" IS NULL OR "{c}_l" = "{c}_r")' for c in CONTEXT_CONFLICTS
    )
    return cll.CustomLevel(sql, base_dialect_str="duckdb")


def _context_levels() -> list[Level]:
    return [
        _lv(
            cll.And(cll.ArrayIntersectLevel(CONTEXT_COLUMN, 1), _no_conflict()),
            "paid by the same payer",
        ),
        _lv(cll.ElseLevel(), "paid by different payers"),
    ]


def _all_specs() -> dict[str, tuple[str, list[Level]]]:
    return {**_comparison_specs(), CONTEXT_COMPARISON: (CONTEXT_COLUMN, _context_levels())}


#: Estimated parameters: comparison name -> [(m, u) per level after the null level].
Parameters = dict[str, list[tuple[float | None, float | None]]]


def comparisons(
    columns_present: Sequence[str] | None = None, parameters: Parameters | None = None
) -> list[ComparisonCreator | dict[str, Any]]:
    """The comparisons, with priors or the given parameters; those whose column is empty everywhere
    are left out."""
    out: list[ComparisonCreator | dict[str, Any]] = []
    for name, (col, levels) in _all_specs().items():
        if col == CONTEXT_COLUMN and (columns_present is None or col not in columns_present):
            continue
        if columns_present is not None and col not in columns_present:
            continue
        creators: list[ComparisonLevelCreator | dict[str, Any]] = [cll.NullLevel(col)]
        params = (parameters or {}).get(name)
        for i, lv in enumerate(levels):
            m, u = params[i] if params and i < len(params) else (lv.m, lv.u)
            creator = lv.creator.configure(
                m_probability=m if m is not None else lv.m,
                u_probability=u if u is not None else lv.u,
                label_for_charts=lv.label,
            )
            if lv.tf_column:
                creator = creator.configure(tf_adjustment_column=lv.tf_column)
            if lv.fix_m:
                creator = creator.configure(m_probability=lv.m, fix_m_probability=True)
            creators.append(creator)
        out.append(
            CustomComparison(
                comparison_levels=creators, output_column_name=name, comparison_description=name
            )
        )
    return out


def blocking_rules(
    columns_present: Sequence[str] | None = None,
) -> list[BlockingRuleCreator | dict[str, Any]]:
    if columns_present is not None and CONTEXT_COLUMN in columns_present:
        # the context pass compares only records paid by one payer
        return [block_on(CONTEXT_COLUMN, arrays_to_explode=[CONTEXT_COLUMN])]
    return _identity_blocking_rules(columns_present)


def _identity_blocking_rules(
    columns_present: Sequence[str] | None = None,
) -> list[BlockingRuleCreator | dict[str, Any]]:
    """The candidate-generation rules (:mod:`bantay.resolve.blocking`) whose columns the data
    fill."""
    return [rule.creator() for rule in rules_for(columns_present)]


def settings(
    columns_present: Sequence[str] | None = None,
    probability_two_random_records_match: float = PRIOR_PROBABILITY_TWO_RANDOM_RECORDS_MATCH,
    parameters: Parameters | None = None,
) -> SettingsCreator:
    """Splink settings of the model, with priors or the given parameters.

    Settings are always built from this code (dialect-neutral level creators), so one saved model
    serves the DuckDB and the Spark backends alike; only parameters are read back from the file.
    """
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(columns_present, parameters),
        blocking_rules_to_generate_predictions=blocking_rules(columns_present),
        probability_two_random_records_match=probability_two_random_records_match,
        # every candidate pair is scored and kept in the engine until the clustering has what it
        # needs (run._kept_pairs): the compared values of both sides would multiply its width
        # (1M records: killed at 24 GB); each comparison's weight (mw_*) says its level
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        max_iterations=20,
    )


@dataclass
class SavedModel:
    """What is saved in the workspace (``resolve/model.json``): parameters, not SQL."""

    columns_present: list[str]
    probability_two_random_records_match: float
    parameters: Parameters
    threshold: float = DEFAULT_THRESHOLD
    origin: str = "priors"  # trained | priors
    trained_on_records: int = 0
    trained_at: str | None = None

    def settings(self) -> SettingsCreator:
        return settings(
            self.columns_present, self.probability_two_random_records_match, self.parameters
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "bantay_model_version": 1,
            "origin": self.origin,
            "trained_on_records": self.trained_on_records,
            "trained_at": self.trained_at,
            "threshold": self.threshold,
            "probability_two_random_records_match": self.probability_two_random_records_match,
            "columns_present": self.columns_present,
            "comparisons": {
                name: [
                    {"level": label, "m_probability": m, "u_probability": u}
                    for label, (m, u) in zip(level_labels(name), params, strict=False)
                ]
                for name, params in self.parameters.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SavedModel:
        if data.get("bantay_model_version") != 1:
            raise ValueError("not a Bantay entity-resolution model (version 1)")
        return cls(
            columns_present=[str(c) for c in data["columns_present"]],
            probability_two_random_records_match=float(
                data["probability_two_random_records_match"]
            ),
            parameters={
                str(name): _parameters_by_label(str(name), levels)
                for name, levels in data["comparisons"].items()
            },
            threshold=float(data.get("threshold", DEFAULT_THRESHOLD)),
            origin=str(data.get("origin", "priors")),
            trained_on_records=int(data.get("trained_on_records") or 0),
            trained_at=data.get("trained_at"),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> SavedModel:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def weights(self) -> list[LevelWeight]:
        """Every comparison level with its m, u and match weight (log2 m/u)."""
        return [
            LevelWeight(name, label, m, u)
            for name, params in self.parameters.items()
            for label, (m, u) in zip(level_labels(name), params, strict=False)
        ]


def _parameters_by_label(
    comparison: str, levels: list[dict[str, Any]]
) -> list[tuple[float | None, float | None]]:
    """Saved (m, u) per level of the current model, matched by label: a model saved before a level
    was added reads the new level's priors (None) and keeps its other levels' estimates."""
    if comparison not in _all_specs():
        return [(lv.get("m_probability"), lv.get("u_probability")) for lv in levels]
    saved = {
        str(lv.get("level")): (lv.get("m_probability"), lv.get("u_probability")) for lv in levels
    }
    if not any(label in saved for label in level_labels(comparison)):
        # no labels (hand-written file): by position, as written
        return [(lv.get("m_probability"), lv.get("u_probability")) for lv in levels]
    return [saved.get(label, (None, None)) for label in level_labels(comparison)]


def level_specs(comparison: str) -> list[Level]:
    """The levels of a comparison after the null level, top level first."""
    return list(_all_specs()[comparison][1])


def level_labels(comparison: str) -> list[str]:
    """Labels of a comparison's levels after the null level, top level first."""
    return [lv.label for lv in _all_specs()[comparison][1]]


def priors(columns_present: Sequence[str]) -> SavedModel:
    """The model made of the documented priors, for the columns present."""
    present = set(columns_present)
    return SavedModel(
        columns_present=list(columns_present),
        probability_two_random_records_match=PRIOR_PROBABILITY_TWO_RANDOM_RECORDS_MATCH,
        parameters={
            name: [(lv.m, lv.u) for lv in levels]
            for name, (col, levels) in _comparison_specs().items()
            if col in present
        },
    )


def parameters_from_splink(settings_dict: dict[str, Any]) -> Parameters:
    """Estimated m and u per level from a Splink settings dictionary (null levels skipped)."""
    out: Parameters = {}
    for comp in settings_dict["comparisons"]:
        out[str(comp["output_column_name"])] = [
            (lv.get("m_probability"), lv.get("u_probability"))
            for lv in comp["comparison_levels"]
            if not lv.get("is_null_level")
        ]
    return out


#: EM may take a level's m at most this many times below its documented prior. Without labels
#: EM follows whatever its blocked samples hold: on historical_50k it gave "dates of birth differ"
#: m = 1e-9 (a weight of -30, a veto against any record with a wrongly keyed date), and on a payment
#: world whose training samples held no misspelt names it gave "name with a typo" m = 1e-4, so a
#: typo counted against a match.
M_PRIOR_RATIO = 10.0


def with_m_floor(parameters: Parameters, ratio: float = M_PRIOR_RATIO) -> Parameters:
    """Every level's m at least its prior m / ``ratio``; the other levels (but those whose m is
    fixed at the prior) are scaled so that each comparison's m still sums to one."""
    out: Parameters = {}
    for name, levels in parameters.items():
        ms = [m for m, _u in levels]
        specs = level_specs(name) if name in _all_specs() else []
        if any(m is None for m in ms) or len(specs) != len(levels):
            out[name] = list(levels)
            continue
        floors = [spec.m / ratio for spec in specs]
        raised = [max(float(m), f) for m, f in zip(ms, floors, strict=True) if m is not None]
        extra = sum(raised) - 1.0
        # levels whose m is fixed at the prior stay as they are
        movable = [
            r > f and not spec.fix_m for r, f, spec in zip(raised, floors, specs, strict=True)
        ]
        free = sum(r for r, mv in zip(raised, movable, strict=True) if mv)
        scaled = [
            r - extra * r / free if mv and free else r
            for r, mv in zip(raised, movable, strict=True)
        ]
        out[name] = [(m, u) for m, (_m, u) in zip(scaled, levels, strict=True)]
    return out


@dataclass(frozen=True)
class LevelWeight:
    comparison: str
    level: str
    m: float | None
    u: float | None

    @property
    def match_weight(self) -> float | None:
        if not self.m or not self.u:
            return None
        return math.log2(self.m / self.u)
