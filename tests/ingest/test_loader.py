"""Ingest of tabular files: mapping, validation, quarantine and the read = loaded + quarantined rule."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bantay.errors import InputFileError, MappingError
from bantay.ingest import IngestReport, ingest_file
from bantay.ingest.mapping import builtin_mapping, parse_mapping
from bantay.workspace import Workspace, open_workspace

HEADER = (
    "transaction_id,institution,timestamp,amount,currency,channel,payer_ref,payer_name,"
    "payer_country,beneficiary_name,beneficiary_country,beneficiary_phone,memo"
)


def row(
    tid: str = "T1",
    ts: str = "2026-01-03T21:10:00+11:00",
    amount: str = "30.00",
    ccy: str = "AUD",
    country: str = "PH",
    **kw: str,
) -> str:
    vals = {
        "transaction_id": tid,
        "institution": "QuickSend",
        "timestamp": ts,
        "amount": amount,
        "currency": ccy,
        "channel": "online_remittance",
        "payer_ref": "C1",
        "payer_name": "John Smith",
        "payer_country": "AU",
        "beneficiary_name": "Maria Santos",
        "beneficiary_country": country,
        "beneficiary_phone": "09171234567",
        "memo": "support",
    }
    vals.update(kw)
    return ",".join(vals.values())


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def rated(ws: Workspace, tmp_path: Path) -> Workspace:
    rates = "date,currency,rate\n" + "".join(
        f"2026-01-{d:02d},{c},{r}\n"
        for d in range(1, 11)
        for c, r in (("AUD", 0.65), ("PHP", 0.0175))
    )
    r = ingest_file(ws, write(tmp_path / "rates.csv", rates), kind="rates")
    assert r.rows_loaded == 20
    return ws


def ingest_rows(
    ws: Workspace, tmp_path: Path, *rows: str, name: str = "tx.csv", header: str = HEADER, **kw: Any
) -> IngestReport:
    path = write(tmp_path / name, header + "\n" + "\n".join(rows) + "\n")
    return ingest_file(ws, path, **kw)


def quarantined(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.con.execute(
        "SELECT line, field, reason_code, reason FROM quarantine ORDER BY line"
    ).fetchall()


def test_a_clean_file_loads_with_utc_local_time_offset_and_conversion(
    rated: Workspace, tmp_path: Path
) -> None:
    r = ingest_rows(rated, tmp_path, row())
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (1, 1, 0)
    got = rated.con.execute(
        "SELECT ts_utc, local_time, utc_offset_minutes, amount, amount_reporting, "
        "beneficiary_country, payer_record_id, line, file FROM transactions"
    ).fetchone()
    assert got == (
        dt.datetime(2026, 1, 3, 10, 10),
        dt.datetime(2026, 1, 3, 21, 10),
        660,
        Decimal("30.000000"),
        Decimal("19.500000"),
        "PH",
        "QuickSend:C1",
        2,
        str(tmp_path / "tx.csv"),
    )


def test_sides_become_party_records(rated: Workspace, tmp_path: Path) -> None:
    ingest_rows(rated, tmp_path, row("T1"), row("T2", ts="2026-01-04T21:10:00+11:00"))
    recs = rated.con.execute(
        "SELECT kind, name, n_transactions, first_seen, last_seen FROM party_records ORDER BY kind"
    ).fetchall()
    assert recs == [
        (
            "beneficiary_side",
            "Maria Santos",
            2,
            dt.datetime(2026, 1, 3, 10, 10),
            dt.datetime(2026, 1, 4, 10, 10),
        ),
        (
            "payer_side",
            "John Smith",
            2,
            dt.datetime(2026, 1, 3, 10, 10),
            dt.datetime(2026, 1, 4, 10, 10),
        ),
    ]
    ben_ids = rated.con.execute(
        "SELECT DISTINCT beneficiary_record_id FROM transactions"
    ).fetchall()
    assert len(ben_ids) == 1 and ben_ids[0][0].startswith("h:")


# ------------------------------------------------------------------ bad values: quarantined


@pytest.mark.parametrize(
    ("kw", "field", "code", "fragment"),
    [
        ({"amount": "abc"}, "amount", "unparseable_amount", "'abc' is not a number"),
        ({"amount": "NaN"}, "amount", "unparseable_amount", "'NaN'"),
        ({"amount": "-5.00"}, "amount", "non_positive_amount", "must be greater than 0"),
        ({"amount": "0"}, "amount", "non_positive_amount", "'0'"),
        ({"amount": "1.1234567"}, "amount", "amount_precision", "more than 6 decimal places"),
        ({"amount": "90000000000"}, "amount", "absurd_amount", "max_amount_reporting"),
        ({"amount": "1e13"}, "amount", "unparseable_amount", "over 10^12"),
        ({"amount": "99999999999999"}, "amount", "unparseable_amount", "over 10^12"),
        ({"ts": "31/02/2026"}, "timestamp", "unparseable_timestamp", "'31/02/2026'"),
        ({"ts": ""}, "timestamp", "missing_field", "timestamp is empty"),
        ({"ccy": "XYZ"}, "currency", "unknown_currency", "'XYZ' is not an ISO 4217"),
        ({"ccy": "$"}, "currency", "unknown_currency", "'$'"),
        ({"tid": ""}, "transaction_id", "missing_field", "transaction_id is empty"),
        ({"channel": "pigeon"}, "channel", "invalid_value", "'pigeon' is not one of"),
        ({"ts": "2025-06-01T10:00:00Z"}, "currency", "missing_rate", "no exchange rate from AUD"),
    ],
)
def test_bad_values_are_quarantined_with_line_field_and_reason(
    rated: Workspace, tmp_path: Path, kw: dict[str, str], field: str, code: str, fragment: str
) -> None:
    r = ingest_rows(rated, tmp_path, row("T0"), row(**{"tid": "T9", **kw}))
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (2, 1, 1)
    [(line, qfield, qcode, reason)] = quarantined(rated)
    assert (line, qfield, qcode) == (3, field, code)
    assert fragment in reason
    raw = rated.con.execute("SELECT raw FROM quarantine").fetchone()
    assert raw is not None and json.loads(raw[0])["institution"] == "QuickSend"


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("Philippines", "PH"),
        ("PHL", "PH"),
        ("ph", "PH"),
        ("The Philippines", "PH"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
    ],
)
def test_country_names_are_normalised_when_unambiguous(
    rated: Workspace, tmp_path: Path, given: str, code: str
) -> None:
    ingest_rows(rated, tmp_path, row(country=given))
    assert rated.con.execute("SELECT beneficiary_country FROM transactions").fetchone() == (code,)


def test_currency_symbols_and_case_are_normalised(rated: Workspace, tmp_path: Path) -> None:
    ingest_rows(rated, tmp_path, row("T1", ccy="aud"), row("T2", ccy="₱", amount="1000"))
    assert rated.con.execute("SELECT currency FROM transactions ORDER BY 1").fetchall() == [
        ("AUD",),
        ("PHP",),
    ]


def test_reporting_currency_needs_no_rate(ws: Workspace, tmp_path: Path) -> None:
    r = ingest_rows(ws, tmp_path, row(ccy="USD"))
    assert r.rows_loaded == 1
    assert ws.con.execute("SELECT amount_reporting FROM transactions").fetchone() == (
        Decimal("30.000000"),
    )


def test_rate_gap_is_bridged_up_to_max_age(rated: Workspace, tmp_path: Path) -> None:
    # rates end on 2026-01-10; 7 days later still converts, 8 days later is quarantined
    r = ingest_rows(
        rated, tmp_path, row("T1", ts="2026-01-17T10:00:00Z"), row("T2", ts="2026-01-18T10:00:00Z")
    )
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)
    assert quarantined(rated)[0][2] == "missing_rate"


# ------------------------------------------------------------------ structural problems


def test_rows_with_missing_or_extra_fields_are_quarantined_with_their_line(
    rated: Workspace, tmp_path: Path
) -> None:
    r = ingest_rows(rated, tmp_path, row("T1"), row("T2") + ",surplus", "T3,QuickSend", row("T4"))
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (4, 2, 2)
    assert [(q[0], q[2]) for q in quarantined(rated)] == [
        (3, "extra_columns"),
        (4, "missing_columns"),
    ]
    assert rated.con.execute(
        "SELECT transaction_id, line FROM transactions ORDER BY 1"
    ).fetchall() == [("T1", 2), ("T4", 5)]


def test_wrong_encoding_is_quarantined_per_line(rated: Workspace, tmp_path: Path) -> None:
    text = (HEADER + "\n" + row("T1") + "\n").encode() + row("T2", memo="caf\xe9").encode("latin-1")
    path = tmp_path / "tx.csv"
    path.write_bytes(text + b"\n" + row("T3").encode() + b"\n")
    r = ingest_file(rated, path)
    assert (r.rows_loaded, r.rows_quarantined) == (2, 1)
    [(line, _, code, reason)] = quarantined(rated)
    assert (line, code) == (3, "invalid_encoding") and "not utf-8" in reason


def test_latin1_file_loads_with_its_encoding(rated: Workspace, tmp_path: Path) -> None:
    m = builtin_mapping("canonical-transactions")
    m.file.encoding = "latin-1"
    path = write(tmp_path / "tx.csv", HEADER + "\n" + row(memo="café") + "\n", "latin-1")
    assert ingest_file(rated, path, mapping=m).rows_loaded == 1
    assert rated.con.execute("SELECT memo FROM transactions").fetchone() == ("café",)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks_are_handled(rated: Workspace, tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / "tx.csv", HEADER + "\n" + row(payer_name="José Ñúñez") + "\n", encoding)
    r = ingest_file(rated, path)
    assert r.rows_loaded == 1
    assert rated.con.execute("SELECT payer_name FROM transactions").fetchone() == ("José Ñúñez",)


def test_missing_mapped_column_refuses_the_file_naming_it(rated: Workspace, tmp_path: Path) -> None:
    m = parse_mapping(
        '[file]\ntimezone = "UTC"\n[columns]\ntransaction_id = "Ref"\ntimestamp = "When"\n',
        "my.toml",
    )
    with pytest.raises(MappingError, match=r"'Ref', 'When' named in my.toml are not in the file"):
        ingest_rows(rated, tmp_path, row(), mapping=m)
    assert rated.table_counts()["transactions"] == 0


def test_unmapped_columns_are_reported(rated: Workspace, tmp_path: Path) -> None:
    r = ingest_rows(rated, tmp_path, row() + ",x", header=HEADER + ",Branch")
    assert r.unmapped_columns == ["Branch"]


def test_empty_file(rated: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"tx\.csv: the file is empty"):
        ingest_file(rated, write(tmp_path / "tx.csv", ""))


def test_header_only_file_reads_nothing(rated: Workspace, tmp_path: Path) -> None:
    r = ingest_file(rated, write(tmp_path / "tx.csv", HEADER + "\n"))
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (0, 0, 0)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tx.csv", b"PK\x03\x04rest-of-a-zip", "expected csv but the content looks like a ZIP"),
        ("tx.csv", b"PAR1\x00\x00", "expected csv but the content looks like parquet"),
        ("tx.parquet", b"a,b\n1,2\n", "expected parquet but the content looks like text"),
        ("tx.csv", b"%PDF-1.4\n", "looks like a PDF"),
        ("tx.jsonl", b"a,b\n1,2\n", "expected jsonl"),
        ("tx.xml", b"a,b\n1,2\n", "expected iso20022"),
        ("tx.xlsx", b"PK\x03\x04", "cannot tell the format"),
    ],
)
def test_a_file_that_is_not_what_its_extension_says(
    rated: Workspace, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        ingest_file(rated, path)


# ------------------------------------------------------------------ duplicates and re-ingest


def test_reingesting_the_same_content_is_a_no_op(rated: Workspace, tmp_path: Path) -> None:
    ingest_rows(rated, tmp_path, row())
    copy = tmp_path / "copy.csv"
    copy.write_bytes((tmp_path / "tx.csv").read_bytes())
    r = ingest_file(rated, copy)
    assert r.skipped and "already ingested" in r.message
    assert rated.table_counts()["transactions"] == 1


def test_a_customer_side_record_takes_the_fields_of_its_first_line(
    rated: Workspace, tmp_path: Path
) -> None:
    """One customer reference, spelled three ways: the record is the first line's, counted 3 times;
    every spelling stays on its transaction."""
    ingest_rows(
        rated,
        tmp_path,
        row("T1", ts="2026-01-05T21:10:00+11:00", payer_name="Jon Smith"),
        row("T2", ts="2026-01-03T21:10:00+11:00", payer_name="John Smith"),
        row("T3", ts="2026-01-04T21:10:00+11:00", payer_name="J. Smith"),
    )
    recs = rated.con.execute(
        "SELECT party_record_id, name, line, n_transactions, first_seen FROM party_records "
        "WHERE kind = 'payer_side'"
    ).fetchall()
    assert recs == [("QuickSend:C1", "Jon Smith", 2, 3, dt.datetime(2026, 1, 3, 10, 10))]
    names = rated.con.execute("SELECT payer_name FROM transactions ORDER BY line").fetchall()
    assert names == [("Jon Smith",), ("John Smith",), ("J. Smith",)]


def test_a_file_of_the_same_size_but_other_content_is_loaded_and_its_own_hash_recorded(
    rated: Workspace, tmp_path: Path
) -> None:
    """Only a file the size of an earlier one is hashed before loading; the rest while loading."""
    ingest_rows(rated, tmp_path, row("T1"), name="a.csv")
    ingest_rows(rated, tmp_path, row("T2"), name="b.csv")  # same size, other id
    assert (tmp_path / "a.csv").stat().st_size == (tmp_path / "b.csv").stat().st_size
    ingest_rows(rated, tmp_path, row("T30"), name="c.csv")  # another size: hashed while loading
    recorded = dict(rated.con.execute("SELECT file, sha256 FROM ingests").fetchall())
    for name in ("a.csv", "b.csv", "c.csv"):
        path = tmp_path / name
        assert recorded[str(path)] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert rated.table_counts()["transactions"] == 3


def test_duplicate_ids_in_a_file_and_across_files_are_reported_not_counted(
    rated: Workspace, tmp_path: Path
) -> None:
    ingest_rows(rated, tmp_path, row("T1"), row("T1", amount="31"), name="a.csv")
    r = ingest_rows(rated, tmp_path, row("T1", amount="32"), row("T2"), name="b.csv")
    assert (r.rows_loaded, r.rows_quarantined, r.rows_duplicate) == (1, 1, 1)
    reasons = [q[3] for q in quarantined(rated)]
    assert any("repeats line 2 of this file" in x for x in reasons)
    assert any("already loaded from" in x and "a.csv line 2" in x for x in reasons)
    assert rated.table_counts()["transactions"] == 2


def test_killed_ingest_leaves_the_workspace_as_before(rated: Workspace, tmp_path: Path) -> None:
    ingest_rows(rated, tmp_path, row("T0"), name="first.csv")
    before = rated.table_counts()
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write(HEADER + "\n")
        for i in range(300_000):
            fh.write(row(f"B{i}") + "\n")
    rated.close()
    script = textwrap.dedent(f"""
        from pathlib import Path
        from bantay.ingest import ingest_file
        from bantay.workspace import open_workspace
        ws = open_workspace(Path({str(rated.path)!r}))
        print("started", flush=True)
        ingest_file(ws, Path({str(path)!r}))
        print("finished", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    ws2 = open_workspace(rated.path)
    assert ws2.table_counts() == before
    ws2.close()


def test_cli_exits_non_zero_when_nothing_loaded(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "tx.csv", HEADER + "\n" + row(amount="x") + "\n")
    ws.close()
    from typer.testing import CliRunner

    from bantay.cli import app

    res = CliRunner().invoke(app, ["ingest", str(path), "--workspace", str(ws.path)])
    assert res.exit_code == 1
    assert "quarantined" in res.output and "unparseable_amount" in res.output
    res = CliRunner().invoke(app, ["status", "--workspace", str(ws.path)])
    assert res.exit_code == 0 and "unparseable_amount" in res.output


# ------------------------------------------------------------------ mappings and formats


def test_remitter_example_mapping(rated: Workspace, tmp_path: Path) -> None:
    text = (
        "Transfer No,Date Sent,Send Amount,Send Ccy,Payout Method,Customer ID,Sender First Name,"
        "Sender Surname,Sender Country,Receiver Full Name,Receiver Mobile,Receiver Country,"
        "Receiver City,Payout Account,Reason\n"
        'QS-1,03/01/2026 21:10,"1.250,50",AUD,Cash Pickup,C-77,John,Smith,Australia,MARIA SANTOS,'
        "+639171234567,Philippines,Cebu City,,family support\n"
        'QS-2,04/07/2026 21:10,"20,00",AUD,Mobile Wallet,C-77,John,Smith,Australia,Ana Reyes,'
        "09181234567,PH,Davao,GC-555,gift\n"
    )
    r = ingest_file(
        rated, write(tmp_path / "remit.csv", text), mapping=builtin_mapping("remitter-example")
    )
    assert r.rows_loaded == 1 and r.rows_quarantined == 1  # July has no rate in the fixture
    got = rated.con.execute(
        "SELECT institution, channel, amount, payer_name, payer_country, ts_utc, "
        "utc_offset_minutes, direction FROM transactions"
    ).fetchone()
    assert got == (
        "QuickSend Remit",
        "cash_pickup",
        Decimal("1250.500000"),
        "John Smith",
        "AU",
        dt.datetime(2026, 1, 3, 10, 10),
        660,
        "outgoing",
    )


def test_bank_example_mapping_with_signed_amounts_and_cards(
    rated: Workspace, tmp_path: Path
) -> None:
    text = (
        "txn_id;booking_ts_utc;amount;ccy;product;cust_no;account_iban;debtor_name;cpty_name;"
        "cpty_iban;cpty_bic;cpty_country;remittance_info;merchant;mcc\n"
        "B1;2026-01-05T12:00:00Z;-150.00;AUD;SWIFT;K1;AU00;Peter Brown;Juan Dela Cruz;PH00;"
        "BOPIPHMM;PH;support;;\n"
        "B2;2026-01-05T13:00:00Z;-12.99;AUD;CARD;K1;AU00;Peter Brown;;;;;;NordVPN;4816\n"
    )
    r = ingest_file(
        rated, write(tmp_path / "bank.csv", text), mapping=builtin_mapping("bank-example")
    )
    assert (r.rows_loaded, r.rows_quarantined) == (2, 0)
    got = rated.con.execute(
        "SELECT transaction_id, channel, amount, beneficiary_record_id IS NULL, merchant_category "
        "FROM transactions ORDER BY 1"
    ).fetchall()
    assert got == [
        ("B1", "bank_transfer", Decimal("150.000000"), False, None),
        ("B2", "card", Decimal("12.990000"), True, "4816"),
    ]


def test_zone_column_and_dst(rated: Workspace, tmp_path: Path) -> None:
    m = parse_mapping(
        textwrap.dedent("""
        [file]
        timestamp_format = "%Y-%m-%d %H:%M"
        [constants]
        institution = "X"
        channel = "wallet"
        currency = "AUD"
        [columns]
        transaction_id = "id"
        timestamp = "t"
        timezone = "tz"
        amount = "a"
        payer_name = "p"
        beneficiary_name = "b"
    """),
        "m.toml",
    )
    text = (
        "id,t,tz,a,p,b\n1,2026-01-05 21:00,Australia/Sydney,10,A,B\n"
        "2,2026-01-05 21:00,Europe/London,10,A,B\n3,2026-01-05 21:00,Mars/Base,10,A,B\n"
    )
    r = ingest_file(rated, write(tmp_path / "z.csv", text), mapping=m)
    assert r.rows_loaded == 2
    assert rated.con.execute(
        "SELECT utc_offset_minutes FROM transactions ORDER BY 1"
    ).fetchall() == [(0,), (660,)]
    assert quarantined(rated)[0][2] == "unknown_timezone"


def test_mapping_without_a_time_zone_is_refused(rated: Workspace, tmp_path: Path) -> None:
    m = parse_mapping(
        '[file]\ntimestamp_format = "%Y-%m-%d"\n[columns]\ntimestamp = "t"\n', "m.toml"
    )
    with pytest.raises(MappingError, match="no time zone is given"):
        ingest_file(rated, write(tmp_path / "x.csv", "t\n2026-01-01\n"), mapping=m)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[file]\ntimezone = "Mars/Base"\n', "unknown time zone"),
        ('[columns]\nnot_a_field = "x"\n', "'not_a_field' is not a field of transactions"),
        ('kind = "people"\n', "kind"),
        ("[file\n", "not valid TOML"),
        ('[file]\ndelimiter = ";;"\n', "single character"),
    ],
)
def test_invalid_mappings_are_refused(
    rated: Workspace, tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(MappingError, match=message):
        m = parse_mapping(text, "bad.toml")
        ingest_rows(rated, tmp_path, row(), mapping=m)


def test_parquet_and_jsonl(rated: Workspace, tmp_path: Path) -> None:
    import duckdb

    csv = write(
        tmp_path / "src.csv", HEADER + "\n" + row("P1") + "\n" + row("P2", amount="x") + "\n"
    )
    pq = tmp_path / "tx.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}', all_varchar=true)) TO '{pq}'")
    r = ingest_file(rated, pq)
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (2, 1, 1)
    assert quarantined(rated)[0][:3] == (2, "amount", "unparseable_amount")
    cols = HEADER.split(",")
    lines = [json.dumps(dict(zip(cols, row(f"J{i}").split(","), strict=True))) for i in range(2)]
    lines.insert(1, "{not json")
    r = ingest_file(rated, write(tmp_path / "tx.jsonl", "\n".join(lines) + "\n"))
    assert (r.rows_read, r.rows_loaded, r.rows_quarantined) == (3, 2, 1)
    assert rated.con.execute(
        "SELECT line, reason_code FROM quarantine WHERE file LIKE '%jsonl'"
    ).fetchall() == [(2, "malformed_record")]


def test_kyc_and_signals(rated: Workspace, tmp_path: Path) -> None:
    kyc = (
        "Customer ID,Surname,Given Names,DOB,Gender,Nationality,Country of Residence,City,Address,"
        "Mobile,Email,Account,ID Type,ID Number\n"
        "C-77,Smith,John,01/02/1970,M,Australia,AU,Perth,1 Main St,+61400000000,j@example.org,"
        "AC1,passport,P123\n"
        "C-78,Doe,Jane,31/02/1980,F,AU,AU,Perth,,,,,,\n"
        ",Nobody,Ann,01/01/1990,F,AU,AU,Perth,,,,,,\n"
    )
    r = ingest_file(rated, write(tmp_path / "kyc.csv", kyc), mapping=builtin_mapping("kyc-example"))
    # Jane Doe's impossible date of birth is left empty (a field fault); Ann has no reference
    assert (r.rows_loaded, r.rows_quarantined, r.field_faults) == (2, 1, 1)
    got = rated.con.execute(
        "SELECT party_record_id, kind, name, date_of_birth, sex, id_document FROM party_records "
        "ORDER BY line"
    ).fetchall()
    assert got == [
        (
            "QuickSend Remit:C-77",
            "customer",
            "John Smith",
            dt.date(1970, 2, 1),
            "male",
            "passport P123",
        ),
        ("QuickSend Remit:C-78", "customer", "Jane Doe", None, "female", None),
    ]
    sig = (
        "identifier_type,value,role,source,confidence,expiry\n"
        "phone,+639171234567,facilitator,Police unit A,0.9,2027-12-31\n"
        "account,GC-555,facilitator,Police unit A,1.5,\n"
        "fax,123,facilitator,Police unit A,0.5,\n"
    )
    r = ingest_file(rated, write(tmp_path / "signals.csv", sig), kind="signals")
    assert (r.rows_loaded, r.rows_quarantined) == (1, 2)
    assert {q[2] for q in quarantined(rated) if q[1] in ("confidence", "identifier_type")} == {
        "out_of_range",
        "invalid_value",
    }


@pytest.mark.parametrize(
    ("offset", "minutes"),
    [
        ("+10:00", 600),
        ("+1000", 600),
        ("+10", 600),
        ("-05:30", -330),
        ("Z", 0),
        ("600", 600),
        ("-300", -300),
        ("soon", None),
        ("", None),
    ],
)
def test_offset_column(rated: Workspace, tmp_path: Path, offset: str, minutes: int | None) -> None:
    m = parse_mapping(
        textwrap.dedent("""
        [file]
        timestamp_format = "%Y-%m-%d %H:%M"
        [constants]
        institution = "X"
        channel = "wallet"
        currency = "USD"
        [columns]
        transaction_id = "id"
        timestamp = "t"
        utc_offset = "o"
        amount = "a"
        payer_name = "p"
        beneficiary_name = "b"
    """),
        "m.toml",
    )
    path = write(tmp_path / "o.csv", f"id,t,o,a,p,b\n1,2026-01-05 21:00,{offset},10,A,B\n")
    r = ingest_file(rated, path, mapping=m)
    if minutes is None:
        assert r.rows_quarantined == 1 and quarantined(rated)[0][2] == "unknown_timezone"
    else:
        got = rated.con.execute("SELECT utc_offset_minutes, ts_utc FROM transactions").fetchone()
        assert got == (minutes, dt.datetime(2026, 1, 5, 21, 0) - dt.timedelta(minutes=minutes))


def _iso_rows(n: int) -> list[dict[str, str]]:
    return [
        {
            "transaction_id": f"X{i}",
            "institution": "HARBAU2S",
            "timestamp": "2026-01-05T21:00:00+11:00",
            "amount": "45.00",
            "currency": "AUD",
            "payer_name": "Peter Brown",
            "payer_country": "AU",
            "payer_account": "AU001",
            "beneficiary_name": "Ana Reyes",
            "beneficiary_country": "PH",
            "beneficiary_account": "PH009",
            "beneficiary_institution": "BOPIPHMM",
            "memo": "support",
        }
        for i in range(n)
    ]


def test_iso20022_pacs008_loads_through_the_same_validation(
    rated: Workspace, tmp_path: Path
) -> None:
    from bantay.ingest.iso20022 import write_pacs008

    rows = _iso_rows(3)
    rows[1]["currency"] = "XYZ"
    path = tmp_path / "pay.xml"
    write_pacs008(rows, path, msg_id="M1", instructing_bic="HARBAU2S")
    r = ingest_file(rated, path)
    assert (r.format, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("iso20022", 3, 2, 1)
    assert quarantined(rated)[0][:3] == (2, "currency", "unknown_currency")
    got = rated.con.execute(
        "SELECT ts_utc, utc_offset_minutes, amount_reporting, channel FROM transactions LIMIT 1"
    ).fetchone()
    assert got == (dt.datetime(2026, 1, 5, 10, 0), 660, Decimal("29.250000"), "bank_transfer")


def test_truncated_iso20022_refuses_the_whole_file(rated: Workspace, tmp_path: Path) -> None:
    from bantay.ingest.iso20022 import write_pacs008

    path = tmp_path / "pay.xml"
    write_pacs008(_iso_rows(200), path, msg_id="M1", instructing_bic="HARBAU2S")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputFileError, match=r"pay.xml.*malformed XML"):
        ingest_file(rated, path)
    assert rated.table_counts()["transactions"] == 0
    assert rated.table_counts()["ingests"] == 1  # only the rates file


def test_iso20022_fault_after_yielded_batches_refuses_the_whole_file(
    rated: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of 50 so that, whatever the libxml2 build's read-ahead, rows reach the engine
    before the fault near the end: none of them stays."""
    from functools import partial

    from bantay.ingest import iso20022
    from bantay.ingest.iso20022 import write_pacs008

    monkeypatch.setattr(iso20022, "iter_batches", partial(iso20022.iter_batches, batch_size=50))
    path = tmp_path / "pay.xml"
    write_pacs008(_iso_rows(2000), path, msg_id="M1", instructing_bic="HARBAU2S")
    text = path.read_text(encoding="utf-8")
    at = text.rindex("<CdtTrfTxInf>")
    path.write_text(text[:at] + "<CdtTrfTxInf><PmtId></Bad>" + text[at:], encoding="utf-8")
    with pytest.raises(InputFileError, match=r"pay.xml: malformed XML at line \d+, column \d+"):
        ingest_file(rated, path)
    assert rated.table_counts()["transactions"] == 0
    assert rated.table_counts()["party_records"] == 0
    assert rated.table_counts()["ingests"] == 1  # only the rates file
