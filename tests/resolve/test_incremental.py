"""Records ingested later attach to existing entities without re-scoring everything."""

from __future__ import annotations

from tests.resolve.conftest import basic_rows, entity_of, insert_records

from bantay.resolve.run import resolve
from bantay.workspace import Workspace


def test_new_records_attach_to_existing_entities(rws: Workspace) -> None:
    insert_records(rws, basic_rows())
    resolve(rws)
    before = entity_of(rws)
    insert_records(
        rws,
        [
            # Juan again, at a third institution, name written differently
            {"party_record_id": "WALLET:w1", "kind": "payer_side", "institution": "WALLET",
             "name": "Juan D. Cruz", "phone": "+63 917 123 4567", "residence_country": "PH",
             "date_of_birth": "1980-01-02"},
            # someone new, twice
            {"party_record_id": "WALLET:w2", "kind": "beneficiary_side", "institution": "WALLET",
             "name": "Lorna Reyes", "phone": "0920 555 0101", "residence_country": "PH",
             "city": "Davao"},
            {"party_record_id": "WALLET:w3", "kind": "beneficiary_side", "institution": "WALLET",
             "name": "REYES, Lorna", "phone": "+639205550101", "residence_country": "PH"},
        ],
    )  # fmt: skip
    report = resolve(rws)
    assert report.mode == "incremental"
    assert report.n_new_records == 3 and report.n_records == 8
    after = entity_of(rws)
    assert {k: after[k] for k in before} == before  # existing entities keep their ids
    assert after["WALLET:w1"] == before["BANK:C1"]
    assert after["WALLET:w2"] == after["WALLET:w3"]
    assert after["WALLET:w2"] not in before.values()
    modes = [
        m for (m,) in rws.con.execute("SELECT mode FROM resolutions ORDER BY started_at").fetchall()
    ]
    assert modes == ["full", "incremental"]
    # old pairs are kept, not re-scored
    n_old = rws.con.execute(
        "SELECT count(*) FROM entity_links WHERE party_record_id_l LIKE 'BANK:%' "
        "AND party_record_id_r LIKE 'REMIT:%'"
    ).fetchall()[0][0]
    assert n_old == 2


def test_incremental_with_nothing_new_reclusters(basic_ws: Workspace) -> None:
    resolve(basic_ws)
    before = entity_of(basic_ws)
    report = resolve(basic_ws)
    assert report.mode == "incremental" and report.n_new_records == 0
    assert any("no new party records" in n for n in report.notes)
    assert entity_of(basic_ws) == before


def test_incremental_matches_a_full_run(rws: Workspace) -> None:
    rows = basic_rows()
    insert_records(rws, rows[:3])
    resolve(rws)
    insert_records(rws, rows[3:])
    resolve(rws)
    incremental = entity_of(rws)
    resolve(rws, full=True)
    full = entity_of(rws)

    def groups(m: dict[str, str]) -> set[frozenset[str]]:
        out: dict[str, set[str]] = {}
        for r, e in m.items():
            out.setdefault(e, set()).add(r)
        return {frozenset(v) for v in out.values()}

    assert groups(incremental) == groups(full)
