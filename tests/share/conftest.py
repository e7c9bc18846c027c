"""Two small institutions' workspaces, built from inline rows (all synthetic, neutral names).

Bank A (``bank_a``) closed case 1 as confirmed after a supervisor's approving review, with a
facilitator (F1) and a payer (P1); closed case 2 as a reviewed false positive (P2); and holds case
3 confirmed by its analyst but not yet reviewed (P3): only F1 and P1 may leave the bank, and P2
only as a negative opinion when asked for.

Bank B (``bank_b``) holds the facilitator's phone written another way, a misspelt record of the
facilitator's name in the same country without any shared identifier, the payer's e-mail in
upper case, and people A never confirmed (P3's phone among them).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from bantay.cases import services
from bantay.cases.analytics import Analytics
from bantay.cases.db import open_workflow
from bantay.cases.security import use_cheap_hashing
from bantay.ingest import ingest_file
from bantay.share.keys import Keys
from bantay.workspace import init_workspace, open_workspace

use_cheap_hashing()

COLUMNS = [
    "institution",
    "customer_ref",
    "name",
    "date_of_birth",
    "residence_country",
    "city",
    "phone",
    "email",
    "account_id",
    "id_document",
]

A_ROWS = [
    # ref, name, dob, country, city, phone, email, account, document
    ("F1", "Maricel Santos", "", "PH", "Angeles", "0917 123 4567", "", "PH12 3456 7890", ""),
    ("P1", "John Whitaker", "1968-05-06", "AU", "Perth", "+61 412 345 678",
     "john.whitaker@example.com", "AU-0001-2345", "passport:PA7654321"),
    ("P2", "Peter Lindqvist", "1975-01-02", "AU", "Sydney", "+61 400 111 222", "", "AU-0009", ""),
    ("P3", "Harold Quimby", "1960-07-08", "AU", "Hobart", "+61 400 333 444", "", "AU-0010", ""),
]  # fmt: skip
B_ROWS = [
    ("B1", "MARICEL SANTOS", "", "PH", "Angeles", "+63 917 123 4567", "", "PH99 0000", ""),
    ("B2", "Maricell Santos", "", "PH", "Pasay", "", "", "", ""),
    ("B3", "Jon Whitaker", "1968-05-06", "AU", "Perth", "", "JOHN.WHITAKER@EXAMPLE.COM", "", ""),
    ("B4", "Harold Quimby", "1960-07-08", "AU", "Hobart", "0400 333 444", "", "", ""),
    ("B5", "Ana Reyes", "1980-03-03", "PH", "Cebu City", "+63 918 555 0000", "", "PH77", ""),
    ("B6", "Peter Lindqvist", "1975-01-02", "AU", "Sydney", "+61 400 111 222", "", "", ""),
]  # fmt: skip

#: every raw identifier bank A holds (what no bundle may contain)
#: The consortium key of the fixture (synthetic): tests must not hang on a random key's luck.
CONSORTIUM_KEY = hashlib.sha256(b"bantay tests: consortium key").digest()

A_RAW = [v for row in A_ROWS for v in row[1:] if v and v not in ("PH", "AU", "")]


def _workspace(path: Path, institution: str, rows: list[tuple[str, ...]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    csv_path = path.parent / f"{institution}_customers.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([institution, *r])
    ws = init_workspace(path)
    try:
        ingest_file(ws, csv_path, kind="parties")
        ws.con.execute(
            """INSERT INTO entity_members (party_record_id, entity_id, assigned_by, resolution_id)
               SELECT party_record_id, 'E-' || customer_ref, 'singleton', 'R-test'
               FROM party_records"""
        )
        ws.con.execute(
            """INSERT INTO entities (entity_id, n_records, name, kinds, institutions,
                   source_refs, provenance, resolution_id)
               SELECT 'E-' || customer_ref, 1, name, kind, institution,
                      institution || ':' || customer_ref, file || ':' || line, 'R-test'
               FROM party_records"""
        )
    finally:
        ws.close()
    return path


def confirm_cases(path: Path) -> None:
    """Bank A's cases: 1 confirmed and reviewed, 2 a reviewed false positive, 3 unreviewed."""
    an = Analytics(path)
    op = services.Actor.operator()
    with open_workflow(path) as wf, wf.session() as db:
        ana = services.add_user(db, op, "ana", "correct horse battery", "analyst")
        sam = services.add_user(db, op, "sam", "correct horse battery", "supervisor")
        c1 = services.create_case(
            db, ana, "den", [("beneficiary", "E-F1", None), ("payer", "E-P1", None)], entities=an
        )
        services.decide(db, ana, c1.id, "confirmed", "Pays the den weekly at night.")
        services.review(db, sam, c1.id, True, "Agreed.")
        services.close(db, ana, c1.id)
        c2 = services.create_case(db, ana, "fp", [("payer", "E-P2", None)], entities=an)
        services.decide(db, ana, c2.id, "false_positive", "Family support, documented.")
        services.review(db, sam, c2.id, True, "Agreed.")
        services.close(db, ana, c2.id)
        c3 = services.create_case(db, ana, "pending", [("payer", "E-P3", None)], entities=an)
        services.decide(db, ana, c3.id, "confirmed", "Same pattern as case one.")
    an.close()


@pytest.fixture
def banks(tmp_path: Path) -> tuple[Path, Path]:
    """(bank A's workspace with its cases, bank B's), sharing one consortium key, each trusting
    the other's signing key."""
    a = _workspace(tmp_path / "a" / "ws", "bank_a", A_ROWS)
    b = _workspace(tmp_path / "b" / "ws", "bank_b", B_ROWS)
    confirm_cases(a)
    ka, kb = Keys.of(a), Keys.of(b)
    ka.make_signing_key("bank_a")
    kb.make_signing_key("bank_b")
    # a fixed key: name encodings (and so their Dice similarity) depend on it, and "Jon" /
    # "John Whitaker" falls below the default threshold under about 1 random key in 100
    ka.add_consortium_key(CONSORTIUM_KEY)
    kb.load_consortium_key(ka.save_consortium_key(tmp_path / "consortium.key"))
    for src, dst in ((ka, kb), (kb, ka)):
        card = tmp_path / f"{src.institution()}.card.json"
        card.write_text(__import__("json").dumps(src.public_card()), encoding="utf-8")
        dst.trust(card)
    return a, b


def signals(ws_path: Path) -> list[tuple[str, ...]]:
    with open_workspace(ws_path, read_only=True) as ws:
        rows = ws.con.execute(
            "SELECT identifier_type, value, role, signal_source, confidence, expires, note, source "
            "FROM signals ORDER BY identifier_type, value"
        ).fetchall()
    return [tuple(str(v) for v in r) for r in rows]
