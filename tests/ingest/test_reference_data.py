"""The ingest's reference tables beside ISO's are data (ingest/reference.toml), checked on load."""

from __future__ import annotations

from pathlib import Path

import pytest

from bantay.errors import BantayError
from bantay.ingest import reference
from bantay.ingest.reference import REFERENCE_FILE


def test_the_tables_come_from_the_data_file() -> None:
    assert reference.COUNTRY_ALIASES["pilipinas"] == "PH"
    assert reference.AMBIGUOUS_COUNTRIES["korea"] == ("KR", "KP")
    assert reference.CURRENCY_SYMBOLS["₱"] == "PHP" and "$" not in reference.CURRENCY_SYMBOLS
    assert "USDT" in reference.currency_codes()


def test_a_code_iso_does_not_know_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reference.toml"
    text = REFERENCE_FILE.read_text(encoding="utf-8")
    path.write_text(text.replace('"pilipinas" = "PH"', '"pilipinas" = "PX"'), encoding="utf-8")
    with pytest.raises(BantayError, match=r"unknown country or currency code.*PX"):
        reference._load(path)
    path.write_text("crypto_currencies = []\n", encoding="utf-8")
    with pytest.raises(BantayError, match="cannot read the reference tables"):
        reference._load(path)
