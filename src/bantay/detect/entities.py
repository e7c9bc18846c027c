"""Which entity each transaction side belongs to: the one swappable function of the scan.

Entity resolution (``bantay.resolve``) writes a table mapping ``party_record_id`` to ``entity_id``.
When such a table exists, payers and beneficiaries are keyed by their resolved entity. When it does
not
(or a record is missing from it) a documented deterministic stand-in key is used:

* payer: ``payer_record_id`` (ingest fills it as ``INSTITUTION:REF`` for customers, so one customer
  of one institution is one payer);
* beneficiary: ``acct:`` + the beneficiary account with everything but letters and digits removed
  and
  upper-cased; else ``tel:`` + the phone's digits; else ``beneficiary_record_id``. A beneficiary's
  account or mobile-money number identifies the receiving person better than free-text names, which
  differ from one payer's typing to the next.

The stand-in key is defined once in :mod:`bantay.detect.read_model`, which also compiles it
to the SQL the case analytics use.

Pass another function to :func:`bantay.detect.scan.scan` (``entity_keys=``) to key differently.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis.expr.types as ir

from bantay.detect.read_model import stand_in_beneficiary_key

#: Tables, in order of preference, that map ``party_record_id`` to ``entity_id``.
ENTITY_TABLES = ("entity_members", "entity_records", "party_entities", "entities")

#: (backend table names, transactions table) -> transactions with payer_entity, beneficiary_entity.
EntityKeyFn = Callable[[Callable[[str], ir.Table], list[str], ir.Table], ir.Table]

__all__ = ["ENTITY_TABLES", "EntityKeyFn", "default_entity_keys", "stand_in_beneficiary_key"]


def _entity_table(table: Callable[[str], ir.Table], names: list[str]) -> ir.Table | None:
    for name in ENTITY_TABLES:
        if name in names:
            t = table(name)
            if {"party_record_id", "entity_id"} <= set(t.columns):
                return t.select("party_record_id", "entity_id").distinct()
    return None


def default_entity_keys(
    table: Callable[[str], ir.Table], names: list[str], tx: ir.Table
) -> ir.Table:
    """Add ``payer_entity`` and ``beneficiary_entity``: resolved entities, else stand-ins."""
    payer = tx.payer_record_id
    benef = stand_in_beneficiary_key(tx)
    ents = _entity_table(table, names)
    if ents is None:
        return tx.mutate(payer_entity=payer, beneficiary_entity=benef)
    p = ents.rename(payer_record_id="party_record_id", _pe="entity_id")
    b = ents.rename(beneficiary_record_id="party_record_id", _be="entity_id")
    out = tx.left_join(p, "payer_record_id").left_join(b, "beneficiary_record_id")
    out = out.mutate(
        payer_entity=out._pe.fill_null(out.payer_record_id),
        beneficiary_entity=out._be.fill_null(stand_in_beneficiary_key(out)),
    )
    return out.drop("_pe", "_be")
