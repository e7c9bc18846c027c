"""Field lists written out elsewhere (exports, simulated rows, ISO 20022) hold the schema's fields."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from bantay.errors import SchemaError
from bantay.schema import INPUT_KEYS, field_list


def _yaml_fields() -> set[str]:
    text = (resources.files("bantay.schema") / "transaction.yaml").read_text(encoding="utf-8")
    return set(yaml.safe_load(text)["properties"])


def test_every_transaction_field_list_is_the_yamls() -> None:
    from bantay.export.fincen import CSV_COLUMNS
    from bantay.ingest.iso20022 import _PAIN_PAYER_KEYS
    from bantay.ingest.iso20022_fields import FIELDS
    from bantay.simulate.writers import _ISO_KEYS

    stored = _yaml_fields()
    assert set(CSV_COLUMNS) - {"indicators"} <= stored
    for keys in (_PAIN_PAYER_KEYS, FIELDS, _ISO_KEYS):
        assert set(keys) <= stored | set(INPUT_KEYS["transactions"]), keys


def test_a_list_naming_a_field_the_yaml_lacks_fails() -> None:
    assert field_list("transactions", "amount", "ts_utc") == ("amount", "ts_utc")
    with pytest.raises(SchemaError, match="no field payer_nmae"):
        field_list("transactions", "amount", "payer_nmae")
    with pytest.raises(SchemaError, match="no field timestamp"):
        field_list("transactions", "timestamp")
    assert field_list("transactions", "timestamp", inputs=True) == ("timestamp",)
    with pytest.raises(SchemaError, match="twice"):
        field_list("transactions", "amount", "amount")
