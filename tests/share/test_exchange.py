"""Export, import, revocation and the audit trail, between the two banks of ``conftest``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.share.conftest import A_ROWS, signals

from bantay.cases.db import open_workflow
from bantay.cases.models import AuditEntry
from bantay.detect.scan import signal_seeds
from bantay.resolve.normalize import (
    name_tokens,
    normalize_email,
    normalize_identifier,
    normalize_phone,
)
from bantay.share.exchange import (
    entry_id,
    export_bundle,
    import_bundle,
    overview,
    read_ledger,
    revoke,
)
from bantay.share.keys import Keys, ShareError
from bantay.share.protect import DerivedKeys
from bantay.workspace import open_workspace


def _entry(a: Path, side: str, entity: str) -> str:
    _, key = Keys.of(a).consortium_key()
    return entry_id(DerivedKeys.of(key), "bank_a", side, entity)


def _audit(ws: Path, action: str) -> list[AuditEntry]:
    with open_workflow(ws) as wf, wf.session() as db:
        rows = list(db.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())
        for r in rows:
            db.expunge(r)
    return rows


def test_only_supervisor_confirmed_outcomes_leave_the_bank(
    banks: tuple[Path, Path], tmp_path: Path
) -> None:
    a, _ = banks
    r = export_bundle(a, tmp_path / "b.json")
    doc = json.loads((tmp_path / "b.json").read_text())
    got = {(o["entry_id"], o["opinion"], o["role"]) for o in doc["payload"]["opinions"]}
    assert got == {
        (_entry(a, "beneficiary", "E-F1"), "positive", "facilitator"),
        (_entry(a, "payer", "E-P1"), "positive", "payer"),
    }
    assert r.opinions == 2 and r.without_identifiers == []
    # reviewed false positives only when asked, as negative opinions; the unreviewed case never
    export_bundle(a, tmp_path / "n.json", negatives=True)
    doc = json.loads((tmp_path / "n.json").read_text())
    got = {(o["entry_id"], o["opinion"]) for o in doc["payload"]["opinions"]}
    assert (_entry(a, "payer", "E-P2"), "negative") in got
    assert all(e != _entry(a, "payer", "E-P3") for e, _ in got)
    assert len(got) == 3


def _raw_forms() -> list[str]:
    """Every raw identifier of bank A, as written and as normalised, and each name token."""
    out: set[str] = set()
    for _ref, name, dob, country, city, phone, email, account, doc in A_ROWS:
        out.update(v for v in (name, dob, city, phone, email, account, doc) if v)
        out.update(t for t in name_tokens(name) if len(t) > 2)
        for v in (
            normalize_phone(phone, country),
            normalize_email(email),
            normalize_identifier(account),
            normalize_identifier(doc),
        ):
            if v:
                out.add(v)
                out.add(v.lstrip("+"))
    return sorted(out)


def test_no_bundle_holds_a_raw_identifier(banks: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = banks
    paths = [tmp_path / "b.json", tmp_path / "n.json"]
    export_bundle(a, paths[0])
    export_bundle(a, paths[1], negatives=True)
    revoke(a, ["payer:E-P1"], "case reopened")
    paths.append(tmp_path / "r.json")
    export_bundle(a, paths[2], negatives=True)
    forms = _raw_forms()
    assert (
        "+639171234567" in forms and "maricel" in forms and "JOHN.WHITAKER@EXAMPLE.COM" not in forms
    )
    for p in paths:
        data = p.read_bytes()
        low = data.lower()
        for raw in forms:
            assert raw.encode() not in data, (p.name, raw)
            assert raw.lower().encode() not in low, (p.name, raw)
        # nor the customer references or entity ids of the issuing bank
        assert not re.search(rb"E-[FP]\d|bank_a:", data)


def test_round_trip_matches_by_keyed_hash_and_by_name(
    banks: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = banks
    export_bundle(a, tmp_path / "b.json")
    r = import_bundle(b, tmp_path / "b.json")
    got = {(m.party_record_id, m.matched_on, m.role) for m in r.matches}
    assert got == {
        ("bank_b:B1", "phone", "facilitator"),  # 0917 123 4567 in PH = +63 917 123 4567
        ("bank_b:B1", "name", "facilitator"),
        ("bank_b:B2", "name", "facilitator"),  # Maricell: a typo, no shared identifier
        ("bank_b:B3", "email", "payer"),  # upper-cased e-mail
        ("bank_b:B3", "name", "payer"),  # Jon Whitaker, same year of birth
    }
    # P3 (unreviewed) and P2 (a false positive) were not shared: B4 and B6 match nothing
    assert not {m.party_record_id for m in r.matches} & {"bank_b:B4", "bank_b:B6"}
    rows = signals(b)
    assert len(rows) == r.signals == 5 and r.quarantined == 0
    source = f"share:bank_a:{r.bundle_id}"
    for *_, sig_source, conf, expires, note, prov in rows:
        assert sig_source == prov == source
        assert conf == "0.9" and expires and "positive opinion of bank_a" in note
        assert r.bundle_id in note
    # every signal's value is B's own: the import told B nothing but the matches
    with open_workspace(b, read_only=True) as ws:
        recs = ws.con.execute(
            "SELECT name, city, phone, email, account_id, residence_country FROM party_records"
        ).fetchall()
        seeds = signal_seeds(ws)
    own = {str(v) for row in recs for v in row[:5] if v}
    own |= {normalize_phone(r[2], r[5]) or "" for r in recs if r[2]}
    own |= {normalize_email(r[3]) or "" for r in recs if r[3]}
    own |= {normalize_identifier(r[4]) or "" for r in recs if r[4]}
    for kind, value, *_ in rows:
        parts = value.split("|") if kind == "name_city" else [value]
        assert all(p in own for p in parts), value
    assert "+639171234567" in {s.value for s in seeds if s.identifier_type == "phone"}
    # the facilitator's signals seed the scan; the payer's do not (the scan seeds from facilitators)
    assert {s.value for s in seeds} == {"+639171234567", "MARICEL SANTOS|Angeles",
                                        "Maricell Santos|Pasay"}  # fmt: skip


def test_negative_opinions_are_matched_but_make_no_signal(
    banks: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = banks
    export_bundle(a, tmp_path / "n.json", negatives=True)
    r = import_bundle(b, tmp_path / "n.json")
    neg = [m for m in r.matches if m.opinion == "negative"]
    assert {m.party_record_id for m in neg} == {"bank_b:B6"}
    assert r.not_signalled == len(neg)
    assert all("Lindqvist" not in v for _, v, *_ in signals(b))


def test_a_bundle_is_imported_once(banks: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = banks
    export_bundle(a, tmp_path / "b.json")
    import_bundle(b, tmp_path / "b.json")
    with pytest.raises(ShareError, match="already imported"):
        import_bundle(b, tmp_path / "b.json")


def test_revocation_propagates_to_the_importer(banks: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = banks
    export_bundle(a, tmp_path / "1.json")
    import_bundle(b, tmp_path / "1.json")
    assert any(role == "payer" for _, _, role, *_ in signals(b))
    assert revoke(a, ["payer:E-P1"], "case reopened") == [_entry(a, "payer", "E-P1")]
    assert revoke(a, [_entry(a, "payer", "E-P1")], "again") == []  # already revoked
    r2 = export_bundle(a, tmp_path / "2.json")
    doc = json.loads((tmp_path / "2.json").read_text())
    assert [x["entry_id"] for x in doc["payload"]["revocations"]] == [_entry(a, "payer", "E-P1")]
    assert r2.opinions == 1 and r2.revocations == 1
    r = import_bundle(b, tmp_path / "2.json")
    assert len(r.revoked_signals) == 2  # the payer's e-mail and name signals of bundle 1
    left = signals(b)
    assert all(role == "facilitator" for _, _, role, *_ in left)
    # the facilitator is now asserted by both bundles
    assert len({src for *_, src in left}) == 2
    audit = _audit(b, "share_import")[-1]
    assert sorted(json.loads(audit.detail)["revoked_signals"]) == sorted(r.revoked_signals)


def test_revoke_refuses_unknown_entries_and_needs_a_reason(
    banks: tuple[Path, Path], tmp_path: Path
) -> None:
    a, _ = banks
    with pytest.raises(ShareError, match="not an entry this workspace exported"):
        revoke(a, ["payer:E-P1"], "never exported yet")
    export_bundle(a, tmp_path / "b.json")
    with pytest.raises(ShareError, match="needs a reason"):
        revoke(a, ["payer:E-P1"], "  ")
    with pytest.raises(ShareError, match="not an entry"):
        revoke(a, ["payer:E-P3"], "unreviewed, never shared")


def test_export_and_import_are_audited(banks: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = banks
    r = export_bundle(a, tmp_path / "b.json", username="cli:tester")
    (entry,) = _audit(a, "share_export")
    assert entry.object_id == r.bundle_id and entry.username == "cli:tester"
    detail = json.loads(entry.detail)
    assert sorted(detail["opinions"]) == sorted(
        [
            f"beneficiary:E-F1={_entry(a, 'beneficiary', 'E-F1')}",
            f"payer:E-P1={_entry(a, 'payer', 'E-P1')}",
        ]
    )
    import hashlib

    assert detail["sha256"] == hashlib.sha256((tmp_path / "b.json").read_bytes()).hexdigest()
    ri = import_bundle(b, tmp_path / "b.json", username="cli:other")
    (entry,) = _audit(b, "share_import")
    detail = json.loads(entry.detail)
    assert entry.object_id == ri.bundle_id and detail["issuer"] == "bank_a"
    assert detail["signals_loaded"] == 5 and len(detail["matches"]) == len(ri.matches)
    revoke(a, ["payer:E-P1"], "case reopened")
    (entry,) = _audit(a, "share_revoke")
    assert json.loads(entry.detail)["reason"] == "case reopened"


def test_a_refused_import_leaves_no_trace_but_the_refusal(
    banks: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = banks
    export_bundle(a, tmp_path / "b.json")
    p = tmp_path / "b.json"
    doc = json.loads(p.read_text())
    doc["payload"]["opinions"][0]["confidence"] = 1.0
    p.write_text(json.dumps(doc))
    with pytest.raises(ShareError, match="signature does not verify"):
        import_bundle(b, p, username="cli:tester")
    assert signals(b) == [] and read_ledger(b, "imports.jsonl") == []
    (entry,) = _audit(b, "share_refused")
    detail = json.loads(entry.detail)
    assert entry.username == "cli:tester" and "signature does not verify" in detail["reason"]
    assert _audit(b, "share_import") == []


def test_overview_lists_keys_bundles_and_revocations(
    banks: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = banks
    export_bundle(a, tmp_path / "b.json")
    import_bundle(b, tmp_path / "b.json")
    revoke(a, ["payer:E-P1"], "case reopened")
    oa, ob = overview(a), overview(b)
    assert oa.institution == "bank_a" and oa.trusted == ["bank_a", "bank_b"]
    assert oa.current_key == ob.current_key and oa.current_key in ob.consortium_keys
    assert len(oa.exports) == 1 and len(oa.exports[0]["entries"]) == 2
    assert [r["reason"] for r in oa.revocations] == ["case reopened"]
    assert ob.imports[0]["issuer"] == "bank_a" and ob.imports[0]["entries"] == 2


def test_export_needs_keys(tmp_path: Path, banks: tuple[Path, Path]) -> None:
    a, _ = banks
    import shutil

    shutil.rmtree(a / "share" / "consortium")
    with pytest.raises(ShareError, match="no consortium key"):
        export_bundle(a, tmp_path / "b.json")


def test_a_workspace_without_records_imports_nothing_but_records_the_import(
    banks: tuple[Path, Path], tmp_path: Path
) -> None:
    from bantay.workspace import init_workspace

    a, _ = banks
    empty = tmp_path / "empty"
    init_workspace(empty).close()
    k = Keys.of(empty)
    k.make_signing_key("bank_e")
    k.load_consortium_key(tmp_path / "consortium.key")
    k.trust(tmp_path / "bank_a.card.json")
    export_bundle(a, tmp_path / "b.json")
    r = import_bundle(empty, tmp_path / "b.json")
    assert r.matches == [] and r.signals == 0 and r.opinions == 2
    assert [x["bundle_id"] for x in read_ledger(empty, "imports.jsonl")] == [r.bundle_id]
    assert len(_audit(empty, "share_import")) == 1


def test_bundles_under_an_older_key_import_after_rotation(
    banks: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = banks
    export_bundle(a, tmp_path / "old.json")
    ka, kb = Keys.of(a), Keys.of(b)
    old = ka.current_id()
    new = ka.new_consortium_key()
    kb.load_consortium_key(ka.save_consortium_key(tmp_path / "new.key"))
    assert kb.current_id() == new != old and kb.consortium_ids() == sorted([old or "", new])
    export_bundle(a, tmp_path / "new.json")
    # tokens change with the key: the same opinion, other tokens
    tok = [
        json.loads((tmp_path / f).read_text())["payload"]["opinions"][0]["identifiers"][0]["token"]
        for f in ("old.json", "new.json")
    ]
    assert tok[0] != tok[1]
    r_old = import_bundle(b, tmp_path / "old.json")
    r_new = import_bundle(b, tmp_path / "new.json")
    assert r_old.matched_entries == r_new.matched_entries == 2


def test_an_importer_withdraws_a_bundle(banks: tuple[Path, Path], tmp_path: Path) -> None:
    from bantay.share.exchange import withdraw_bundle

    a, b = banks
    export_bundle(a, tmp_path / "b.json")
    r = import_bundle(b, tmp_path / "b.json")
    with pytest.raises(ShareError, match="needs a reason"):
        withdraw_bundle(b, r.bundle_id, " ")
    with pytest.raises(ShareError, match="was not imported"):
        withdraw_bundle(b, "b-nothing", "key stolen")
    gone = withdraw_bundle(b, r.bundle_id, "bank_a's signing key was stolen")
    assert len(gone) == 5 and signals(b) == []
    (entry,) = _audit(b, "share_withdraw")
    assert sorted(json.loads(entry.detail)["removed_signals"]) == sorted(gone)
    assert overview(b).withdrawn[0]["bundle_id"] == r.bundle_id
