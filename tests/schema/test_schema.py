from __future__ import annotations

from pathlib import Path

import pytest

from bantay.errors import SchemaError
from bantay.schema import build_model, load_model
from bantay.schema.docs import render_data_model

ROOT = Path(__file__).resolve().parents[2]


def test_model_loads_with_the_core_schemas() -> None:
    m = load_model()
    tx = m.by_table("transactions")
    for f in (
        "transaction_id",
        "ts_utc",
        "local_time",
        "utc_offset_minutes",
        "amount",
        "currency",
        "amount_reporting",
        "channel",
        "institution",
        "payer_record_id",
        "beneficiary_record_id",
        "memo",
        "merchant_name",
        "merchant_category",
        "source",
        "file",
        "line",
    ):
        assert f in tx.properties, f
    assert tx.properties["channel"].values == (
        "bank_transfer",
        "online_remittance",
        "cash_pickup",
        "wallet",
        "card",
        "crypto",
    )
    party = m.by_table("party_records")
    for f in (
        "institution",
        "customer_ref",
        "name",
        "date_of_birth",
        "sex",
        "nationality",
        "residence_country",
        "city",
        "address",
        "phone",
        "email",
        "account_id",
        "id_document",
    ):
        assert f in party.properties, f
    sig = m.by_table("signals")
    for f in ("identifier_type", "value", "role", "signal_source", "confidence", "expires"):
        assert f in sig.properties, f


def test_docs_are_current() -> None:
    """docs/data-model.md is generated; regenerate with `bantay schema docs --out docs/data-model.md`."""
    assert (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8") == render_data_model()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {
                "A": {
                    "name": "A",
                    "description": "d",
                    "table": "a",
                    "properties": {"x": {"type": "nope", "description": "d"}},
                }
            },
            "invalid schema A",
        ),
        (
            {
                "A": {
                    "name": "A",
                    "description": "d",
                    "table": "a",
                    "properties": {"x": {"type": "enum", "description": "d"}},
                }
            },
            "needs `values`",
        ),
        (
            {"A": {"name": "A", "description": "d", "table": "a", "extends": ["Nope"]}},
            "extends unknown schema Nope",
        ),
        (
            {
                "A": {
                    "name": "A",
                    "description": "d",
                    "table": "a",
                    "key": ["y"],
                    "properties": {"x": {"type": "string", "description": "d"}},
                }
            },
            "key property 'y' is not declared",
        ),
        ({"A": {"name": "A", "description": "d"}}, "needs a `table`"),
    ],
)
def test_invalid_schemas_are_refused_clearly(
    raw: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(SchemaError, match=message):
        build_model(raw)
