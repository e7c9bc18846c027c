"""The simulated platform's reports: valid intake JSON, deterministic, true and false reports mixed,
nothing from the truth in them but what a platform would see."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bantay.reports.model import parse_report
from bantay.simulate import simulate
from bantay.simulate.platform import platform_reports


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world") / "w"
    simulate(out, seed=3, senders=1500, months=3)
    return out


def test_reports_are_valid_deterministic_and_mixed(world: Path) -> None:
    reports = platform_reports(world, seed=1)
    assert reports == platform_reports(world, seed=1)
    for r in reports:
        parse_report(r)  # every one passes the intake's schema
    cats = {r["category"] for r in reports}
    assert "livestreamed_abuse" in cats and cats & {"other", "online_enticement"}
    with (world / "truth" / "persons.csv").open(newline="", encoding="utf-8") as fh:
        persons = list(csv.DictReader(fh))
    offender_phones = {p["phone_e164"] for p in persons if p["role"] == "offender"}
    phones = {p.get("phone") for r in reports for p in r["payments"]}
    assert phones & offender_phones  # some reports name an offender's phone
    text = json.dumps(reports)
    for word in ("offender", "facilitator", "role", "truth", "person_id", "P00"):
        assert word not in text  # no truth field or person id leaks into a report
