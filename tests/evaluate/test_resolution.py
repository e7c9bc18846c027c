"""Pairwise and B-cubed metrics of entity resolution, and truth read from simulator files."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from tests.resolve.conftest import basic_rows, insert_records

from bantay.evaluate.resolution import evaluate, evaluate_workspace, record_truth
from bantay.resolve.run import resolve
from bantay.workspace import Workspace, init_workspace


def _frame(pairs: dict[str, str], cols: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame({cols[0]: list(pairs), cols[1]: list(pairs.values())})


def test_perfect_and_all_in_one() -> None:
    truth = _frame({"a": "P1", "b": "P1", "c": "P2", "d": "P3"}, ("rid", "pid"))
    perfect = evaluate(_frame({"a": "E1", "b": "E1", "c": "E2", "d": "E3"}, ("r", "e")), truth)
    assert (perfect.precision, perfect.recall, perfect.f1, perfect.bcubed_f1) == (1, 1, 1, 1)
    lumped = evaluate(_frame(dict.fromkeys("abcd", "E"), ("r", "e")), truth)
    assert lumped.predicted_pairs == 6 and lumped.correct_pairs == 1
    assert lumped.precision == pytest.approx(1 / 6) and lumped.recall == 1
    # B-cubed precision: a,b see 2/4 of their entity right; c, d see 1/4
    assert lumped.bcubed_precision == pytest.approx((0.5 + 0.5 + 0.25 + 0.25) / 4)
    split = evaluate(_frame({"a": "E1", "b": "E2", "c": "E3", "d": "E4"}, ("r", "e")), truth)
    assert split.recall == 0 and split.precision == 1 and split.f1 == 0
    assert split.bcubed_recall == pytest.approx((0.5 + 0.5 + 1 + 1) / 4)


def test_only_records_with_truth_are_judged() -> None:
    truth = _frame({"a": "P1", "b": "P1"}, ("rid", "pid"))
    m = evaluate(_frame({"a": "E1", "b": "E1", "x": "E1"}, ("r", "e")), truth)
    assert m.n_records == 2 and m.f1 == 1


def test_truth_from_simulator_files(tmp_path: Path) -> None:
    basic_ws: Workspace = init_workspace(tmp_path / "ws")
    insert_records(basic_ws, basic_rows())
    truth = tmp_path / "world" / "truth"
    truth.mkdir(parents=True)
    (truth / "customers.csv").write_text(
        "institution,customer_ref,person_id\nBANK,C1,P1\nBANK,C2,P2\nBANK,C3,P3\n"
    )
    (truth / "transactions.csv").write_text(
        "institution,transaction_id,payer_person_id,beneficiary_person_id,flow\n"
        "REMIT,T1,P1,P2,family\nREMIT,T2,P1,P2,family\n"
    )
    basic_ws.con.execute(
        "INSERT INTO transactions (institution, transaction_id, ts_utc, amount, currency, "
        "amount_reporting, channel, payer_record_id, beneficiary_record_id, ingest_id, source, "
        "file, line) VALUES "
        "('REMIT', 'T1', '2024-01-01', 10, 'USD', 10, 'wallet', 'REMIT:h1', 'REMIT:h2', 'i', 's', "
        "'f', 2), ('REMIT', 'T2', '2024-01-02', 10, 'USD', 10, 'wallet', 'REMIT:h1', 'REMIT:h2', "
        "'i', 's', 'f', 3)"
    )
    t, ambiguous = record_truth(basic_ws, tmp_path / "world")
    assert dict(zip(t["party_record_id"], t["person_id"], strict=True)) == {
        "BANK:C1": "P1", "BANK:C2": "P2", "BANK:C3": "P3", "REMIT:h1": "P1", "REMIT:h2": "P2",
    }  # fmt: skip
    assert ambiguous == 0
    resolve(basic_ws)
    metrics = evaluate_workspace(basic_ws, tmp_path / "world")
    assert metrics["payers"].f1 == 1 and metrics["payers"].true_pairs == 1
    assert metrics["beneficiaries"].n_records == 1
    assert metrics["all"].f1 == 1
    basic_ws.close()
