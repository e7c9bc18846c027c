"""One ISO 20022 field table for both readers; neither reaches into the other's private names."""

from __future__ import annotations

import ast
from pathlib import Path

from bantay.ingest import iso20022, iso20022_fields, iso20022_parallel

SRC = Path(iso20022.__file__).parent


def _private_uses(module_file: Path, alias_of: dict[str, str]) -> set[str]:
    """``alias.name`` accesses, in ``module_file``, of another module's names starting with ``_``."""
    tree = ast.parse(module_file.read_text(encoding="utf-8"))
    return {
        f"{alias_of[node.value.id]}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in alias_of
        and node.attr.startswith("_")
    }


def test_the_parallel_reader_uses_only_public_names() -> None:
    uses = _private_uses(
        SRC / "iso20022_parallel.py",
        {"seq": "iso20022", "iso": "iso20022_fields", "iso20022": "iso20022"},
    )
    assert uses == set()


def test_both_readers_read_one_table() -> None:
    assert iso20022.FIELDS is iso20022_fields.FIELDS
    assert iso20022.SCHEMA is iso20022_fields.SCHEMA
    assert iso20022_parallel.iso.PACS008_TX is iso20022_fields.PACS008_TX
    specs = iso20022_fields.specs_for("urn:iso:std:iso:20022:tech:xsd:pacs.008.001.02")
    assert specs is not None and specs.kind == "pacs.008" and specs.pmtinf is None
    assert iso20022_fields.specs_for("urn:iso:std:iso:20022:tech:xsd:camt.053.001.02") is None
