"""The institutions' layouts are data (simulate/layouts.yaml), loaded and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bantay.simulate.layouts import LAYOUTS, LayoutError, load_layouts, mapping_toml
from bantay.simulate.world import INSTITUTIONS


def test_every_institution_has_a_layout_from_the_data_file() -> None:
    assert set(LAYOUTS) == {i.id for i in INSTITUTIONS}
    rhein = LAYOUTS["rhein_bank"]
    assert (rhein.delimiter, rhein.decimal, rhein.zone) == (";", ",", "Europe/Berlin")
    # the order of the columns is the file's (the export writes them in this order)
    assert list(LAYOUTS["harbour_bank"].tx)[:3] == ["transaction_id", "timestamp", "amount"]
    assert 'delimiter = ";"' in mapping_toml(rhein, "transactions", "bank_transfer", "csv")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("bank: {name: B, ts_style: sundial}", "ts_style 'sundial'"),
        ("bank: {name: B, colour: blue}", "unknown key(s) colour"),
        ("bank: {ts_style: utc}", "no name"),
        ("bank: {name: B, tx: {amount: 3}}", "tx must map names to text"),
        ("- bank", "expected a mapping"),
    ],
)
def test_a_bad_layouts_file_is_refused(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "layouts.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutError, match="^" + str(path).replace(".", r"\.")) as exc:
        load_layouts(path)
    assert error in str(exc.value)
