"""The transaction explorer on a simulated world (`bantay demo`): P10 shows the card purchases it
counted, and filtering by it lists exactly them; the CSV neutralises what a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bantay.cases.analytics import Analytics
from bantay.export.case import gather, reporting_currency
from bantay.export.explore import PaymentFilter, explore, rows_csv

P10 = "P10_related_purchases"


@pytest.mark.slow
def test_p10_shows_its_card_purchases(demo_run: tuple[Path, str]) -> None:
    ws = demo_run[0] / "workspace"
    an = Analytics(ws)
    try:
        row = (
            an.cursor()
            .execute(
                "SELECT entity_id, value FROM ws.indicator_hits WHERE indicator_id = ? "
                "AND side = 'payer' ORDER BY value DESC, entity_id LIMIT 1",
                [P10],
            )
            .fetchone()
        )
        assert row is not None, "the demo world has a payer firing P10"
        entity, value = str(row[0]), int(row[1])
        members = [("payer", entity)]
        g = gather(an, members, reporting_currency(an))
        every = explore(g, members, PaymentFilter(), g.chosen)
        only = explore(g, members, PaymentFilter(indicator=P10), g.chosen)
    finally:
        an.close()
    assert every["indicators"][P10][0] == value == len(only["rows"])
    assert all(r["is_card"] and P10 in r["indicators"] and r["in_evidence"] for r in only["rows"])
    # the purchases have their merchant, and the explorer names it as the counterparty
    assert all(r["counterparty"] == r["merchant_name"] for r in only["rows"] if r["merchant_name"])
    # card spending that P10 did not count is listed, but is not evidence
    others = explore(g, members, PaymentFilter(channel="card", evidence="no"), g.chosen)["rows"]
    assert all(P10 not in r["indicators"] for r in others)


def test_csv_cells_are_neutralised() -> None:
    row = {
        "institution": "bank",
        "transaction_id": "T1",
        "payer_name": "=HYPERLINK(1)",
        "amount": "-12.50",
        "indicators": ["P01_low_value_sea", "P07_night_timing"],
        "in_evidence": True,
    }
    (out,) = csv.DictReader(io.StringIO(rows_csv([row])))
    assert out["payer_name"] == "'=HYPERLINK(1)" and out["amount"] == "-12.50"
    assert out["indicators"] == "P01_low_value_sea P07_night_timing" and out["in_evidence"] == "yes"
