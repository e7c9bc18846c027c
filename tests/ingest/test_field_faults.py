"""Field faults: a record with one unusable optional value loads with that field empty, the fault
recorded; a required field still quarantines the row, and rows read = loaded + quarantined."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bantay.ingest import IngestReport, ingest_file
from bantay.workspace import Workspace

PARTIES = "institution,customer_ref,name,date_of_birth,sex,email,nationality,city"


def ingest(ws: Workspace, tmp_path: Path, text: str, name: str, **kw: Any) -> IngestReport:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    r = ingest_file(ws, path, **kw)
    assert r.rows_read == r.rows_loaded + r.rows_quarantined
    return r


def parties(ws: Workspace, tmp_path: Path, *rows: str) -> IngestReport:
    return ingest(ws, tmp_path, PARTIES + "\n" + "\n".join(rows) + "\n", "kyc.csv", kind="parties")


def faults(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.con.execute(
        "SELECT line, field, reason_code, raw, reason FROM field_faults ORDER BY line, field"
    ).fetchall()


def quarantined(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.con.execute(
        "SELECT line, field, reason_code, reason FROM quarantine ORDER BY line"
    ).fetchall()


def test_an_impossible_date_of_birth_loads_the_record_without_it(
    ws: Workspace, tmp_path: Path
) -> None:
    r = parties(ws, tmp_path, "KYC,C1,Ann Lee,1856-86-18,female,,PH,Cebu")
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (1, 1, 0)
    assert (r.field_faults, r.rows_with_field_faults) == (1, 1)
    assert r.field_faults_by_field == {"date_of_birth": {"unparseable_date": 1}}
    got = ws.con.execute(
        "SELECT name, date_of_birth, sex, nationality FROM party_records"
    ).fetchall()
    assert got == [("Ann Lee", None, "female", "PH")]
    [(line, field, code, raw, reason)] = faults(ws)
    assert (line, field, code, raw) == (2, "date_of_birth", "unparseable_date", "1856-86-18")
    assert "'1856-86-18' does not match" in reason
    assert ws.con.execute("SELECT DISTINCT kind, file FROM field_faults").fetchall() == [
        ("parties", str(tmp_path / "kyc.csv"))
    ]


@pytest.mark.parametrize("sex", ["t2227949966", "female | male"])
def test_a_sex_outside_the_enumeration_loads_the_record_without_it(
    ws: Workspace, tmp_path: Path, sex: str
) -> None:
    r = parties(
        ws, tmp_path, "KYC,C1,Ann Lee,1970-01-02,female,,,", f"KYC,C2,Bo Diaz,1971-03-04,{sex},,,"
    )
    assert (r.rows_loaded, r.rows_quarantined, r.field_faults) == (2, 0, 1)
    assert ws.con.execute(
        "SELECT customer_ref, sex, date_of_birth FROM party_records ORDER BY 1"
    ).fetchall() == [("C1", "female", dt.date(1970, 1, 2)), ("C2", None, dt.date(1971, 3, 4))]
    [(line, field, code, raw, reason)] = faults(ws)
    assert (line, field, code, raw) == (3, "sex", "invalid_value", sex)
    assert reason == f"sex '{sex}' is not one of: female, male, other, unknown"


def test_several_faults_in_one_record_are_each_recorded(ws: Workspace, tmp_path: Path) -> None:
    r = parties(ws, tmp_path, "KYC,C1,Ann Lee,1856-86-18,t2227949966,,Narnia,Cebu")
    assert (r.rows_loaded, r.field_faults, r.rows_with_field_faults) == (1, 3, 1)
    assert [f[1:4] for f in faults(ws)] == [
        ("date_of_birth", "unparseable_date", "1856-86-18"),
        ("nationality", "unknown_country", "Narnia"),
        ("sex", "invalid_value", "t2227949966"),
    ]
    got = ws.con.execute(
        "SELECT city, date_of_birth, sex, nationality FROM party_records"
    ).fetchone()
    assert got == ("Cebu", None, None, None)


def test_a_record_without_a_name_loads_when_something_else_identifies_it(
    ws: Workspace, tmp_path: Path
) -> None:
    r = parties(
        ws,
        tmp_path,
        "KYC,C1,,1980-05-05,,ann@example.org,,Manila",  # date of birth and e-mail
        "KYC,C2,,,,bo@example.org,,",  # e-mail only
        "KYC,C3,,1981-06-07,,,,",  # date of birth only
    )
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined, r.field_faults) == (3, 3, 0, 0)
    assert ws.con.execute(
        "SELECT customer_ref, name, date_of_birth, email, city FROM party_records ORDER BY 1"
    ).fetchall() == [
        ("C1", None, dt.date(1980, 5, 5), "ann@example.org", "Manila"),
        ("C2", None, None, "bo@example.org", None),
        ("C3", None, dt.date(1981, 6, 7), None, None),
    ]


def test_a_record_that_identifies_no_one_is_quarantined(ws: Workspace, tmp_path: Path) -> None:
    r = parties(
        ws,
        tmp_path,
        "KYC,C1,Ann Lee,,,,,",
        "KYC,C2,,,female,,PH,Manila",  # sex, nationality and city identify no one
        "KYC,C3,,1856-86-18,,,,Manila",  # nor does a date of birth that cannot be read
    )
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (3, 1, 2)
    no_one = (
        "the customer has no usable name, date of birth, phone, e-mail, account or identity "
        "document"
    )
    assert quarantined(ws) == [
        (3, None, "no_identifier", no_one),
        (4, None, "no_identifier", no_one),
    ]
    # the quarantined record is kept whole; its unusable date is not also a field fault
    raw = ws.con.execute("SELECT raw FROM quarantine WHERE line = 4").fetchone()
    assert raw is not None and json.loads(raw[0])["date_of_birth"] == "1856-86-18"
    assert r.field_faults == 0 and faults(ws) == []


def test_any_identifier_is_enough(ws: Workspace, tmp_path: Path) -> None:
    text = (
        "institution,customer_ref,given_name,family_name,phone,account_id,id_document\n"
        "KYC,C1,,Lee,,,\n"  # a family name alone makes a name
        "KYC,C2,,,+639171234567,,\n"
        "KYC,C3,,,,PH-0001,\n"
        "KYC,C4,,,,,passport P123\n"
        "KYC,C5,,,,,\n"
    )
    r = ingest(ws, tmp_path, text, "kyc.csv", kind="parties")
    assert (r.rows_loaded, r.rows_quarantined) == (4, 1)
    assert [q[:3] for q in quarantined(ws)] == [(6, None, "no_identifier")]


def test_a_required_field_still_quarantines_the_record(ws: Workspace, tmp_path: Path) -> None:
    r = parties(ws, tmp_path, "KYC,,Ann Lee,1856-86-18,female,,,", ",C2,Bo Diaz,1970-01-02,,,,")
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined, r.field_faults) == (2, 0, 2, 0)
    assert [q[:3] for q in quarantined(ws)] == [
        (2, "customer_ref", "missing_field"),
        (3, "institution", "missing_field"),
    ]


def test_counts_add_up_and_field_faults_are_counted_apart(ws: Workspace, tmp_path: Path) -> None:
    r = parties(
        ws,
        tmp_path,
        "KYC,C1,Ann Lee,1970-01-02,female,,PH,Cebu",
        "KYC,C2,Bo Diaz,1856-86-18,t2227949966,,,",
        "KYC,C3,Cy Ong,31/02/1980,,,,",
        "KYC,,No Ref,1970-01-02,,,,",
        "KYC,C5,,,,,,",
    )
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (5, 3, 2)
    assert (r.field_faults, r.rows_with_field_faults) == (3, 2)
    assert r.field_faults_by_field == {
        "date_of_birth": {"unparseable_date": 2},
        "sex": {"invalid_value": 1},
    }
    ingests = ws.con.execute("SELECT rows_read, rows_loaded, rows_quarantined FROM ingests")
    assert ingests.fetchall() == [(5, 3, 2)]
    # every field fault belongs to a loaded record, found by ingest and line
    orphans = ws.con.execute(
        "SELECT count(*) FROM field_faults f ANTI JOIN party_records p "
        "ON p.ingest_id = f.ingest_id AND p.line = f.line"
    ).fetchone()
    assert orphans == (0,)


# ------------------------------------------------------------------ transactions and other kinds

TX = "transaction_id,institution,timestamp,amount,currency,channel,payer_name,payer_country,direction,beneficiary_name,beneficiary_country"


def tx(tid: str, amount: str = "30.00", payer_country: str = "AU", **kw: str) -> str:
    vals = {
        "tid": tid,
        "institution": "QuickSend",
        "ts": "2026-01-03T10:00:00Z",
        "amount": amount,
        "ccy": "USD",
        "channel": "online_remittance",
        "payer_name": "John Smith",
        "payer_country": payer_country,
        "direction": "outgoing",
        "beneficiary_name": "Maria Santos",
        "beneficiary_country": "PH",
    }
    vals.update(kw)
    return ",".join(vals.values())


@pytest.mark.parametrize(
    ("kw", "field", "code", "fragment"),
    [
        ({"payer_country": "Atlantis"}, "payer_country", "unknown_country", "'Atlantis'"),
        ({"beneficiary_country": "Korea"}, "beneficiary_country", "ambiguous_country", "KP,KR"),
        ({"direction": "sideways"}, "direction", "invalid_value", "'sideways' is not one of"),
    ],
)
def test_a_bad_optional_transaction_field_is_left_empty(
    ws: Workspace, tmp_path: Path, kw: dict[str, str], field: str, code: str, fragment: str
) -> None:
    r = ingest(ws, tmp_path, f"{TX}\n{tx('T1')}\n{tx('T2', **kw)}\n", "tx.csv")
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined, r.field_faults) == (2, 2, 0, 1)
    assert ws.con.execute(
        f"SELECT transaction_id, {field} FROM transactions ORDER BY 1"
    ).fetchall()[1] == ("T2", None)
    [(line, ffield, fcode, raw, reason)] = faults(ws)
    assert (line, ffield, fcode, raw) == (3, field, code, next(iter(kw.values())))
    assert fragment in reason


def test_a_bad_payer_country_leaves_the_payer_record_without_a_country(
    ws: Workspace, tmp_path: Path
) -> None:
    ingest(ws, tmp_path, f"{TX}\n{tx('T1', payer_country='Atlantis')}\n", "tx.csv")
    got = ws.con.execute(
        "SELECT name, residence_country FROM party_records WHERE kind = 'payer_side'"
    ).fetchall()
    assert got == [("John Smith", None)]


def test_a_bad_required_transaction_field_quarantines_the_row_alone(
    ws: Workspace, tmp_path: Path
) -> None:
    # the amount is required: the row is quarantined whole, and its bad country is no field fault
    text = f"{TX}\n{tx('T1')}\n{tx('T2', amount='abc', payer_country='Atlantis')}\n"
    r = ingest(ws, tmp_path, text, "tx.csv")
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined, r.field_faults) == (2, 1, 1, 0)
    assert [q[:3] for q in quarantined(ws)] == [(3, "amount", "unparseable_amount")]
    assert faults(ws) == []


def test_field_faults_in_jsonl_name_the_record(ws: Workspace, tmp_path: Path) -> None:
    cols = PARTIES.split(",")
    recs = [
        ["KYC", "C1", "Ann Lee", "1970-01-02", "female", "", "", ""],
        ["KYC", "C2", "Bo Diaz", "1970-13-02", "", "", "", ""],
    ]
    text = "\n".join(json.dumps(dict(zip(cols, v, strict=True))) for v in recs) + "\n"
    r = ingest(ws, tmp_path, text, "kyc.jsonl", kind="parties")
    assert (r.rows_loaded, r.field_faults) == (2, 1)
    assert [f[:4] for f in faults(ws)] == [(2, "date_of_birth", "unparseable_date", "1970-13-02")]


def test_a_signal_expiry_that_cannot_be_read_quarantines_the_signal(
    ws: Workspace, tmp_path: Path
) -> None:
    # an empty expiry means "no expiry": an unreadable one must not become that
    text = (
        "identifier_type,value,role,source,confidence,expiry\n"
        "phone,+639171234567,facilitator,Police unit A,0.9,2027-12-31\n"
        "phone,+639170000000,facilitator,Police unit A,0.9,31/12/2027\n"
    )
    r = ingest(ws, tmp_path, text, "signals.csv", kind="signals")
    assert (r.rows_loaded, r.rows_quarantined, r.field_faults) == (1, 1, 0)
    assert [q[:3] for q in quarantined(ws)] == [(3, "expires", "unparseable_date")]
