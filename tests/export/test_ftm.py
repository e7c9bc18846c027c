"""FollowTheMoney export: the library accepts every entity, ids are stable, references resolve."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from followthemoney import model
from followthemoney.types import registry
from followthemoney.util import make_entity_id
from typer.testing import CliRunner

from bantay.cli import app
from bantay.export import ftm
from bantay.export.case import ExportError, load_case
from bantay.workspace import SQLITE_FILE

PAYER = "E000000000000"  # as in conftest.py


@pytest.fixture(scope="module")
def lines(case_ws: Path) -> list[dict[str, Any]]:
    # every payment (the card purchases too), so that every kind of party is written
    body = ftm.render(load_case(case_ws, 1, payments="all"))
    return [json.loads(x) for x in body.decode().splitlines()]


def test_every_entity_passes_the_library(lines: list[dict[str, Any]]) -> None:
    ftm.check(lines)
    for d in lines:
        proxy = model.get_proxy(d, cleaned=False)
        assert proxy.schema.validate(d) is None
        assert not proxy.schema.abstract
        for name in proxy.schema.required:
            assert proxy.get(name), (d, name)


def test_ftm_validate_command_keeps_every_value(case_ws: Path, tmp_path: Path) -> None:
    """`ftm validate` re-parses and re-cleans every value; nothing may change or drop."""
    src = tmp_path / "case.ftm.jsonl"
    ftm.export_ftm(case_ws, 1, src)
    out = tmp_path / "validated.jsonl"
    exe = Path(sys.executable).parent / "ftm"
    subprocess.run([str(exe), "validate", "-i", str(src), "-o", str(out)], check=True)
    before = [json.loads(x) for x in src.read_text().splitlines()]
    keys = ("id", "schema", "properties")  # it adds empty `referents` and `datasets`
    after = [{k: json.loads(x)[k] for k in keys} for x in out.read_text().splitlines()]
    assert after == before


def test_round_trip(lines: list[dict[str, Any]]) -> None:
    for d in lines:
        again = model.get_proxy(d, cleaned=False).to_dict()
        assert again == d
        assert model.get_proxy(again, cleaned=True).to_dict() == d


def test_references_resolve_within_the_file(lines: list[dict[str, Any]]) -> None:
    ids = {d["id"] for d in lines}
    assert len(ids) == len(lines)
    refs = 0
    for d in lines:
        proxy = model.get_proxy(d)
        for prop, value in proxy.itervalues():
            if prop.type == registry.entity:
                refs += 1
                assert value in ids, (d["schema"], prop.name)
    assert refs > 0


def test_check_names_what_is_wrong(lines: list[dict[str, Any]]) -> None:
    pay = next(d for d in lines if d["schema"] == "Payment")
    dangling = {**pay, "properties": {**pay["properties"], "payer": ["nobody"]}}
    bad_date = {**pay, "id": "x1", "properties": {**pay["properties"], "date": ["not a date"]}}
    no_payer = {
        **pay,
        "id": "x2",
        "properties": {k: v for k, v in pay["properties"].items() if k != "payer"},
    }
    abstract = {"id": "x3", "schema": "Thing", "properties": {"name": ["x"]}}
    others = [d for d in lines if d["id"] != pay["id"]]
    with pytest.raises(ExportError) as exc:
        ftm.check([*others, dangling, bad_date, no_payer, abstract])
    msg = str(exc.value)
    assert f"Payment {pay['id']}): payer points to nobody, not in the file" in msg
    assert "Payment x1): Entity validation failed" in msg and "not a date" in msg
    assert "Payment x2): required property payer is missing" in msg
    assert "schema Thing is abstract" in msg


def test_schemas_and_properties(lines: list[dict[str, Any]], case_ws: Path) -> None:
    kinds = Counter(d["schema"] for d in lines)
    data = load_case(case_ws, 1, payments="all")
    assert kinds["Payment"] == len(data.transactions)
    assert kinds["Company"] == 1  # the card merchant
    person = next(d for d in lines if d["schema"] == "Person")
    props = person["properties"]
    assert props["birthDate"] == ["1971-03-04"]
    assert props["firstName"] == ["Anna"] and props["lastName"] == ["Reyes"]
    assert PAYER in props["notes"][0]
    ident = next(d for d in lines if d["schema"] == "Identification")
    assert ident["properties"]["holder"] == [person["id"]]
    assert ident["properties"]["number"] == ["PA1234567"]
    addr = next(d for d in lines if d["schema"] == "Address")
    assert addr["id"] in props["addressEntity"]
    acct = next(
        d
        for d in lines
        if d["schema"] == "BankAccount" and d["properties"]["accountNumber"] == ["AU-0001 2345"]
    )
    own = [
        d for d in lines if d["schema"] == "Ownership" and d["properties"]["asset"] == [acct["id"]]
    ]
    assert [o["properties"]["owner"] for o in own] == [[person["id"]]]
    card = next(
        d
        for d in lines
        if d["schema"] == "Payment" and d["properties"]["transactionNumber"] == ["C0"]
    )
    assert card["properties"]["payerAccount"] == [acct["id"]]
    assert card["properties"]["amount"] == ["19.99"] and card["properties"]["currency"] == ["AUD"]
    assert card["properties"]["date"] == ["2024-03-01T00:00:00"]


def test_ids_are_stable_bantay_keys(case_ws: Path, lines: list[dict[str, Any]]) -> None:
    again = ftm.render(load_case(case_ws, 1, payments="all"))
    assert (
        again
        == (
            "\n".join(json.dumps(d, ensure_ascii=False, separators=(",", ":")) for d in lines)
            + "\n"
        ).encode()
    )
    pay = next(
        d
        for d in lines
        if d["schema"] == "Payment" and d["properties"]["transactionNumber"] == ["T0"]
    )
    assert pay["id"] == make_entity_id("bantay", "payment", "harbour_bank", "T0")
    person = next(d for d in lines if d["schema"] == "Person")
    assert person["id"] == make_entity_id("bantay", "entity", "payer", PAYER)


def test_party_without_any_name(case_ws: Path) -> None:
    data = load_case(case_ws, 1)
    t = data.evidence[0]
    t.update(payer_record_id=None, payer_name=None, payer_account=None, payer_phone=None)
    with pytest.raises(ExportError, match=rf"{t['transaction_id']}: payer has no name, account"):
        ftm.build_entities(data)


def test_cli_writes_and_audits(case_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "case.jsonl"
    r = CliRunner().invoke(
        app, ["export", "case", "1", "-w", str(case_ws), "--format", "ftm", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    body = out.read_bytes()
    row = (
        sqlite3.connect(case_ws / SQLITE_FILE)
        .execute("SELECT action, object_id, detail FROM web_audit_log ORDER BY id DESC LIMIT 1")
        .fetchone()
    )
    detail = json.loads(row[2])
    assert row[:2] == ("case_exported", "1")
    assert detail["format"] == "ftm" and detail["sha256"] == sha256(body).hexdigest()


def test_evidence_only_by_default(case_ws: Path) -> None:
    """The default export carries the payments behind the indicators: no card spending."""
    data = load_case(case_ws, 1)
    got = [json.loads(x) for x in ftm.render(data).decode().splitlines()]
    pays = [d for d in got if d["schema"] == "Payment"]
    assert sorted(p["properties"]["transactionNumber"][0] for p in pays) == sorted(
        str(t["transaction_id"]) for t in data.evidence
    )
    assert not any(d["schema"] == "Company" for d in got)  # no card merchant
    assert {t["channel"] for t in data.evidence} != {"card"}
    # one Person for the payer, however many spellings its payments carry
    payer = [d for d in got if d["schema"] == "Person" and PAYER in str(d["properties"])]
    assert len(payer) == 1
