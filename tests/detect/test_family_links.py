"""Family-link evidence (F01–F04): what earns it, what does not, and that it can only lower a score."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
from detect_data import load, tx

from bantay.detect.catalogue import Catalogue, CatalogueError, default_catalogue, load_catalogue
from bantay.detect.features import learned_origin_words
from bantay.detect.model import fit_side
from bantay.detect.scan import scan
from bantay.detect.scoring import FAMILY_FEATURES, MODEL_FEATURES, MONOTONE
from bantay.workspace import Workspace


def _monthly(
    payer: str,
    benef: str,
    payer_name: str,
    benef_name: str,
    months: range = range(1, 7),
    day: int = 15,
    **fields: object,
) -> list[dict[str, object]]:
    return [
        r
        for m in months
        for r in tx(
            1,
            payer,
            benef,
            amount=250,
            start=dt.datetime(2024, m, day, 3, 0),
            payer_name=payer_name,
            beneficiary_name=benef_name,
            **fields,
        )
    ]


def _pairs(ws: Workspace) -> pd.DataFrame:
    r = scan(ws, model=None, write=False)
    return r.pairs.set_index("payer_entity")


def test_name_origin_needs_both_names_of_the_beneficiarys_culture(ws: Workspace) -> None:
    rows = _monthly("R:diaspora", "h:ph1", "Rommel Ilagan", "Maricel Bautista Ocampo")
    rows += _monthly("R:other", "h:ph2", "Peter Novak", "Maricel Bautista Ocampo")
    # a Filipino name paying a beneficiary in the Philippines with no Filipino name
    rows += _monthly("R:stranger", "h:ph3", "Rommel Ilagan", "Kevin Walsh")
    # accents folded: Nguyễn is nguyen
    rows += _monthly("R:vn", "h:vn1", "Nguyễn Văn Minh", "Tran Thi Lan", beneficiary_country="VN")
    load(ws, rows)
    p = _pairs(ws)
    assert p.loc["R:diaspora", "rel_origin"] == 1
    assert p.loc["R:other", "rel_origin"] == 0
    assert p.loc["R:stranger", "rel_origin"] == 0
    assert p.loc["R:vn", "rel_origin"] == 1


def test_payday_is_read_from_each_months_largest_payment(ws: Workspace) -> None:
    # an allowance on the 15th and, most months, a small top-up on another day: the spread of all
    # payment days is wide, that of the monthly allowance is zero
    rows = _monthly("R:fam", "h:a", "Peter Novak", "Rosa Lim")
    for m, d in ((1, 3), (2, 27), (3, 8), (5, 21)):
        rows += tx(
            1,
            "R:fam",
            "h:a",
            amount=40,
            start=dt.datetime(2024, m, d, 4, 0),
            payer_name="Peter Novak",
            beneficiary_name="Rosa Lim",
        )
    # the same number of payments on scattered days: no payday
    rows += [
        r
        for i, (m, d) in enumerate(((1, 2), (2, 11), (3, 26), (4, 5), (5, 17), (6, 29)))
        for r in tx(
            1,
            "R:scattered",
            "h:b",
            amount=250 + i,
            start=dt.datetime(2024, m, d, 4, 0),
            payer_name="Peter Novak",
            beneficiary_name="Ana Lim",
        )
    ]
    load(ws, rows)
    p = _pairs(ws)
    assert p.loc["R:fam", "dom_std"] > 3  # all payments: spread over the month
    assert p.loc["R:fam", "payday_spread"] == 0
    assert p.loc["R:fam", "rel_payday"] == 1
    assert p.loc["R:scattered", "rel_payday"] == 0
    assert p.loc["R:scattered", "payday_spread"] > 3


def test_stable_relationship_is_scaled_to_the_observed_window(ws: Workspace) -> None:
    # six months observed: a relationship present every month is stable; one begun in the last two
    # months, or one skipping most months, is not
    rows = _monthly("R:all", "h:a", "Peter Novak", "Rosa Lim")
    rows += _monthly("R:late", "h:b", "Peter Novak", "Ana Lim", months=range(5, 7))
    rows += _monthly("R:gappy", "h:c", "Peter Novak", "Joy Lim", months=range(1, 7, 3))
    load(ws, rows)
    p = _pairs(ws)
    assert (p.loc["R:all", "rel_stable"], p.loc["R:late", "rel_stable"]) == (1, 0)
    assert p.loc["R:gappy", "rel_stable"] == 0


def test_compound_and_maternal_surnames(ws: Workspace) -> None:
    rows = _monthly("R:glued", "h:a", "Juan Dela Cruz", "Ana Delacruz", day=3)
    # the beneficiary's middle name is the payer's surname (Filipino naming: the mother's surname)
    rows += _monthly("R:maternal", "h:b", "Jose Santos", "Liza Santos Reyes", day=3)
    rows += _monthly("R:none", "h:c", "Jose Santos", "Liza Reyes", day=3)
    load(ws, rows)
    p = _pairs(ws)
    assert p.loc["R:glued", "rel_surname"] == 1
    assert p.loc["R:maternal", "rel_surname"] == 1
    assert p.loc["R:none", "rel_surname"] == 0


def test_family_features_can_only_lower_the_score() -> None:
    """Every family-link feature is held by a monotone constraint in the direction that lowers
    risk; a model trained where the evidence goes with offenders still cannot raise a score."""
    mono = MONOTONE["payer"]
    for f in FAMILY_FEATURES:
        assert f in MODEL_FEATURES["payer"]
        # presence of evidence (count, share, months) lowers; a larger payday spread raises
        assert mono.get(f) == (1 if f == "min_pair_day_spread" else -1), f
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({f: rng.integers(0, 4, n).astype(float) for f in MODEL_FEATURES["payer"]})
    # adversarial labels: offenders are exactly those with a shared surname and a tight payday
    y = ((df["rel_surname"] > 0) & (df["min_pair_day_spread"] < 2)).to_numpy(dtype=float)
    m = fit_side("payer", df, y, df, y, rounds=30)
    base = df.assign(rel_surname=0.0, min_pair_day_spread=15.0)
    more = df.assign(rel_surname=3.0, min_pair_day_spread=0.0)
    assert (m.margin(more) <= m.margin(base) + 1e-9).all()


def test_family_part_of_the_explanation_lists_the_model_features(ws: Workspace) -> None:
    load(ws, _monthly("R:fam", "h:a", "Rommel Ilagan", "Maricel Ilagan", months=range(1, 13)))
    r = scan(ws, threshold=0.0)
    alert = r.alerts[(r.alerts.side == "payer") & (r.alerts.entity_id == "R:fam")].iloc[0]
    fam = json.loads(alert.reasons)["family"]
    assert {e["id"] for e in fam["evidence"]} >= {"F01_shared_surname", "F02_name_origin"}
    feats = {f["feature"]: f for f in fam["model_features"]}
    assert set(feats) <= set(FAMILY_FEATURES)
    # together they lower the score; one alone may sit a hair above zero where the training
    # population holds payers with more of that evidence (n_rel_benefs = 1: +0.0003 log-odds)
    assert sum(f["contribution"] for f in feats.values()) < 0
    assert all(
        f["contribution"] <= 0.01 for name, f in feats.items() if name != "min_pair_day_spread"
    )


def _learned_world() -> list[dict[str, object]]:
    """Beneficiaries in the Philippines whose surnames are on no name list: Hilario on five, Tupaz
    on four, David on three, Gatchalian on four (three of them paid by six Gatchalian relatives abroad), Morgan
    on three but on nine payers too, Quibuyen on one."""
    rows: list[dict[str, object]] = []
    fillers = ["Brown", "Clarke", "Hughes", "Price", "Wood", "Baker", "Hall", "Wright", "Green"]
    fillers += ["Ford", "Hunt", "Lane"]
    benefs = ["Ana Hilario", "Ben Hilario", "Cora Hilario"]
    benefs += ["Ana Tupaz", "Ben Tupaz", "Cora Tupaz"]
    benefs += ["Ana Morgan", "Ben Morgan", "Cora Morgan"]
    benefs += ["Ana David", "Ben David", "Cora David"]
    for i, (payer, benef) in enumerate(zip(fillers, benefs, strict=True)):
        rows += _monthly(f"R:f{i}", f"h:f{i}", f"Kevin {payer}", benef)
    # two siblings abroad each pay one of three parents: surnames linked across the corridor
    for i in range(6):
        rows += _monthly(f"R:g{i}", f"h:g{i // 2}", f"Paz Gatchalian {i}", "Rosa Gatchalian")
    # Morgans abroad paying Thailand: common among payers, not linked to the Philippines
    for i in range(8):
        rows += _monthly(
            f"R:m{i}", "h:m", f"Tom Morgan {i}", "Somchai Saetang", beneficiary_country="TH"
        )
    rows += _monthly("R:diaspora", "h:d", "Marvin Hilario", "Luz Tupaz")
    rows += _monthly("R:inlaw", "h:i", "Marvin Tupaz", "Rosa Gatchalian")
    rows += _monthly("R:stranger", "h:s", "Kevin Morgan", "Rosa Hilario")
    rows += _monthly("R:rare", "h:r", "Marvin Hilario", "Luz Quibuyen")
    # David is a learned surname here, but this payer's David is his given name
    rows += _monthly("R:given", "h:v", "David Watson", "Luz Tupaz")
    # the mother's surname as a middle name
    rows += _monthly("R:middle", "h:l", "Kevin Tupaz Brown", "Lita Hilario")
    return rows


def _learned(rows: list[dict[str, object]], cat: Catalogue | None = None) -> set[tuple[str, str]]:
    cat = cat or default_catalogue()
    df = pd.DataFrame(
        {
            "payer_entity": [r["payer_record_id"] for r in rows],
            "beneficiary_entity": [r["beneficiary_record_id"] for r in rows],
            "payer_name": [r["payer_name"] for r in rows],
            "beneficiary_name": [r["beneficiary_name"] for r in rows],
            "beneficiary_country": [r.get("beneficiary_country", "PH") for r in rows],
        }
    ).drop_duplicates()
    got = ibis.duckdb.connect().execute(learned_origin_words(ibis.memtable(df), cat))
    return set(zip(got["country"], got["word"], strict=True))


def test_surnames_typical_of_a_countrys_beneficiaries_are_learned() -> None:
    learned = _learned(_learned_world())
    assert {("PH", "hilario"), ("PH", "tupaz"), ("PH", "david")} <= learned
    # as common among payers as among the recipients: a sending country's own surname
    assert ("PH", "morgan") not in learned
    # on fewer beneficiaries than min_beneficiaries
    assert ("PH", "quibuyen") not in learned
    # given names are not learned, only surnames (Ana, Ben and Cora are on nine recipients)
    assert not {w for _c, w in learned} & {"ana", "ben", "cora", "kevin"}
    # six Gatchalian payers, four Gatchalian recipients: learned only because the relatives
    # abroad (sharing the surname with a recipient in the Philippines) leave the reference
    assert ("PH", "gatchalian") in learned
    assert ("TH", "saetang") not in learned  # one beneficiary


def test_learned_surnames_give_name_origin_evidence(ws: Workspace) -> None:
    load(ws, _learned_world())
    p = _pairs(ws)
    # both names carry learned surnames (no name list holds Hilario or Tupaz)
    assert p.loc["R:diaspora", "rel_origin"] == 1
    assert p.loc["R:inlaw", "rel_origin"] == 1
    assert p.loc["R:inlaw", "rel_surname"] == 0
    # a payer whose surname is common among payers, paying a recipient with a learned surname
    assert p.loc["R:stranger", "rel_origin"] == 0
    # the recipient's surname is on one beneficiary only
    assert p.loc["R:rare", "rel_origin"] == 0
    # a given name that is also a learned surname is not the payer's surname; a middle name is
    assert p.loc["R:given", "rel_origin"] == 0
    assert p.loc["R:middle", "rel_origin"] == 1
    r = scan(ws, model=None, write=False)
    row = r.payer.set_index("payer_entity").loc["R:diaspora"]
    assert row["rel_origin"] == 1 and row["family_offset"] > 0


def test_learned_name_origin_parameters_are_checked(tmp_path: Path) -> None:
    folder = Path(__file__).resolve().parents[2] / "src" / "bantay" / "detect" / "indicators"
    for f in folder.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    p = tmp_path / "protections.yaml"
    text = p.read_text(encoding="utf-8")
    assert "min_ratio: {default: 1," in text
    p.write_text(text.replace("min_ratio: {default: 1,", "min_ratio: {default: 0,"), "utf-8")
    with pytest.raises(CatalogueError, match=r"F02_name_origin.*min_ratio"):
        _learned(_learned_world(), load_catalogue(tmp_path))


def test_accents_fold_to_their_own_letters() -> None:
    # the folding table once slipped from ú on: Ordoñez became "ordouez", Đặng "yang"
    from bantay.detect.features import letters

    names = ["Ordoñez Núñez", "NGUYỄN Đặng", "José Ybañez", "Çelik Søren", "Tañada Castañeda"]
    t = ibis.memtable({"n": names})
    got = ibis.duckdb.connect().execute(t.select(x=letters(t.n)))["x"].tolist()
    assert got == [
        " ordonez nunez ",
        " nguyen dang ",
        " jose ybanez ",
        " celik soren ",
        " tanada castaneda ",
    ]
