"""Property-based tests: whatever the rows, nothing is lost and each value is read as its format says."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bantay.ingest import ingest_file
from bantay.ingest.mapping import parse_mapping
from bantay.workspace import init_workspace

_counter = itertools.count()

MAPPING = """
[file]
decimal = "{decimal}"
thousands = "{thousands}"
timestamp_format = "%d/%m/%Y %H:%M"
timezone = "Asia/Manila"
[constants]
institution = "Prop"
channel = "wallet"
currency = "USD"
[columns]
transaction_id = "Ref"
timestamp = "When"
amount = "Amount"
payer_name = ["First", "Last"]
beneficiary_name = "To"
"""

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
garbage = st.sampled_from(["", "abc", "NaN", "-1", "0", "1..2", "12,34,56", "∞", " "])
times = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2035, 12, 31))
names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


def fmt_amount(d: Decimal, decimal: str, thousands: str) -> str:
    s = f"{d:,.2f}".replace(",", "\x00").replace(".", decimal).replace("\x00", thousands)
    return s


@st.composite
def files(draw: st.DrawFn) -> tuple[str, str, list[dict[str, object]]]:
    decimal, thousands = draw(st.sampled_from([(".", ""), (".", ","), (",", "."), (",", " ")]))
    rows: list[dict[str, object]] = []
    for i in range(draw(st.integers(min_value=0, max_value=25))):
        good_amount = draw(st.booleans())
        good_time = draw(st.integers(0, 4)) > 0
        amount = draw(amounts) if good_amount else None
        when = draw(times).replace(second=0, microsecond=0) if good_time else None
        rows.append(
            {
                "Ref": f"R{i}",
                "When": when.strftime("%d/%m/%Y %H:%M")
                if when
                else draw(st.sampled_from(["", "2024-01-01", "31/02/2024 10:00", "noon"])),
                "Amount": fmt_amount(amount, decimal, thousands) if amount else draw(garbage),
                "First": draw(names),
                "Last": draw(names),
                "To": "Receiver",
                "_amount": amount,
                "_when": when,
            }
        )
    return decimal, thousands, rows


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=files())
def test_every_row_is_loaded_or_quarantined_and_read_right(
    tmp_path: Path, data: tuple[str, str, list[dict[str, object]]]
) -> None:
    decimal, thousands, rows = data
    n = next(_counter)
    buf = io.StringIO()
    w = csv.DictWriter(buf, ["Ref", "When", "Amount", "First", "Last", "To"], extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / f"p{n}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    ws = init_workspace(tmp_path / f"ws{n}")
    m = parse_mapping(MAPPING.format(decimal=decimal, thousands=thousands), "prop.toml")
    r = ingest_file(ws, path, mapping=m)
    assert r.rows_read == len(rows) == r.rows_loaded + r.rows_quarantined
    loaded = {
        tid: (amount, ts, name)
        for tid, amount, ts, name in ws.con.execute(
            "SELECT transaction_id, amount, ts_utc, payer_name FROM transactions"
        ).fetchall()
    }
    bad = {
        tid: line
        for tid, line in ws.con.execute(
            "SELECT json_extract_string(raw, '$.Ref'), line FROM quarantine"
        ).fetchall()
    }
    for i, row in enumerate(rows):
        # amounts over max_amount_reporting (10,000,000 USD) are quarantined as absurd
        amount = row["_amount"]
        ok = isinstance(amount, Decimal) and amount <= 10_000_000 and row["_when"] is not None
        if ok:
            amount, ts, name = loaded[row["Ref"]]
            assert amount == row["_amount"]
            assert ts == row["_when"] - dt.timedelta(hours=8)  # Manila, no DST
            expected = " ".join(
                x for x in (str(row["First"]).strip(), str(row["Last"]).strip()) if x
            )
            assert (name or "") == expected
        else:
            assert row["Ref"] not in loaded
            assert bad[row["Ref"]] == i + 2  # header is line 1
    ws.close()


@st.composite
def customers(draw: st.DrawFn) -> list[dict[str, str]]:
    """KYC rows whose name, date of birth, sex and e-mail are each good, bad or empty."""
    return [
        {
            "institution": "Prop",
            "customer_ref": f"C{i}",
            "name": draw(st.sampled_from(["", "Ann Lee"])),
            "date_of_birth": draw(st.sampled_from(["", "1970-01-02", "1856-86-18", "2001-02-30"])),
            "sex": draw(st.sampled_from(["", "female", "t2227949966", "female | male"])),
            "email": draw(st.sampled_from(["", "ann@example.org"])),
        }
        for i in range(draw(st.integers(min_value=0, max_value=20)))
    ]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=customers())
def test_a_customer_loads_with_its_bad_fields_empty_if_anything_identifies_it(
    tmp_path: Path, rows: list[dict[str, str]]
) -> None:
    n = next(_counter)
    buf = io.StringIO()
    w = csv.DictWriter(buf, list(rows[0]) if rows else ["institution", "customer_ref"])
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / f"k{n}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    ws = init_workspace(tmp_path / f"ws{n}")
    r = ingest_file(ws, path, kind="parties")
    assert r.rows_read == len(rows) == r.rows_loaded + r.rows_quarantined
    loaded = {
        ref: (dob, sex)
        for ref, dob, sex in ws.con.execute(
            "SELECT customer_ref, date_of_birth, sex FROM party_records"
        ).fetchall()
    }
    faults = {
        (line, field): raw
        for line, field, raw in ws.con.execute(
            "SELECT line, field, raw FROM field_faults"
        ).fetchall()
    }
    expected_faults: dict[tuple[int, str], str] = {}
    for i, row in enumerate(rows):
        dob_ok = row["date_of_birth"] == "1970-01-02"
        if not (row["name"] or dob_ok or row["email"]):
            assert row["customer_ref"] not in loaded
            continue
        dob, sex = loaded[row["customer_ref"]]
        assert dob == (dt.date(1970, 1, 2) if dob_ok else None)
        assert sex == ("female" if row["sex"] == "female" else None)
        for field in ("date_of_birth", "sex"):
            if row[field] and not (dob_ok if field == "date_of_birth" else row[field] == "female"):
                expected_faults[(i + 2, field)] = row[field]
    assert faults == expected_faults
    assert r.field_faults == len(expected_faults)
    ws.close()
