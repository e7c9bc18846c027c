"""Every workflow table and column is documented (docs/data-model.md is generated from it)."""

from __future__ import annotations

from bantay.cases.models import TABLE_DOCS, Base


def test_every_workflow_column_is_documented() -> None:
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    assert set(TABLE_DOCS) == set(tables)
    for name, table in tables.items():
        about, cols = TABLE_DOCS[name]
        assert about.strip(), name
        assert set(cols) == {c.name for c in table.columns}, name
        assert all(d.strip() for d in cols.values()), name
