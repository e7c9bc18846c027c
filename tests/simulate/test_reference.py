"""The reference tables are data (simulate/reference.yaml), loaded and checked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bantay.simulate import reference
from bantay.simulate.reference import REFERENCE_FILE, ReferenceError, load_reference


def test_the_tables_come_from_the_data_file() -> None:
    assert reference.COUNTRIES["PH"].currency == "PHP"
    assert reference.COUNTRIES["PH"].zones == ("Asia/Manila",)
    assert set(reference.PAYER_COUNTRIES) <= set(reference.COUNTRIES)
    # Thai surnames: the listed ones, then every head + tail compound (a tail repeating its head
    # left out), in that order
    th_family = reference.NAME_POOLS["th"][2]
    assert th_family[:5] == ("Saetang", "Saelim", "Saeho", "Saeung", "Srisuk")
    assert "Siriiri" not in th_family and len(th_family) == len(set(th_family))
    assert reference.NAME_POOLS["my"] == reference.NAME_POOLS["id"]
    assert {m.kind for m in reference.MERCHANTS} == set(reference.MERCHANT_KINDS)


def _broken(tmp_path: Path, change: str) -> Path:
    doc = yaml.safe_load(REFERENCE_FILE.read_text(encoding="utf-8"))
    if change == "currency":
        doc["countries"]["PH"]["currency"] = "XXX"
    elif change == "culture":
        doc["countries"]["PH"]["culture"] = "klingon"
    elif change == "extra":
        doc["memos"]["birthday"] = ["happy birthday"]
    elif change == "pools":
        del doc["names"]["vn"]["family"]
    elif change == "merchant":
        doc["merchants"][0]["kind"] = "casino"
    path = tmp_path / "reference.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ("currency", "currency XXX has no base_usd_rates"),
        ("culture", "culture klingon has no names"),
        ("extra", "memos.birthday"),
        ("pools", "give given_male, given_female and family, or same_as"),
        ("merchant", "kind 'casino'"),
    ],
)
def test_a_broken_reference_file_is_refused(tmp_path: Path, change: str, error: str) -> None:
    path = _broken(tmp_path, change)
    with pytest.raises(ReferenceError) as exc:
        load_reference(path)
    assert str(exc.value).startswith(str(path)) and error in str(exc.value)
