"""ISO 20022 pacs.008 / pain.001 reader and writer."""

from __future__ import annotations

import string
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bantay.errors import InputFileError
from bantay.ingest.iso20022 import (
    COLUMNS,
    FIELDS,
    SCHEMA,
    iter_batches,
    write_pacs008,
    write_pain001,
)

PACS8 = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"
PACS8_V2 = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.02"
PAIN1 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
PAIN1_V3 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
HEAD = "urn:iso:std:iso:20022:tech:xsd:head.001.001.02"


def read_with(path: Path, batch_size: int, **kw: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for batch in iter_batches(path, batch_size=batch_size, **kw):
        assert batch.schema == SCHEMA
        rows.extend(batch.to_pylist())
    return rows


def read(path: Path, batch_size: int = 50_000) -> list[dict[str, object]]:
    return read_with(path, batch_size, workers=1)


def write(tmp_path: Path, text: str, name: str = "in.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# A pacs.008 with two transactions: the first with every field, the second with the minimum.
PACS008_TX_FULL = """
    <CdtTrfTxInf>
      <PmtId><InstrId>I-1</InstrId><EndToEndId>E2E-1</EndToEndId><TxId>TX-1</TxId></PmtId>
      <IntrBkSttlmAmt Ccy="AUD">45.50</IntrBkSttlmAmt>
      <IntrBkSttlmDt>2024-03-02</IntrBkSttlmDt>
      <AccptncDtTm>2024-03-01T21:15:00+11:00</AccptncDtTm>
      <ChrgBr>SHAR</ChrgBr>
      <Dbtr>
        <Nm>Jo Smith</Nm>
        <PstlAdr><StrtNm>George St</StrtNm><TwnNm>Sydney</TwnNm><Ctry>AU</Ctry></PstlAdr>
        <Id><PrvtId><Othr><Id>CUST-77</Id></Othr></PrvtId></Id>
        <CtctDtls><Nm>Contact Person</Nm><MobNb>+61-400000001</MobNb></CtctDtls>
      </Dbtr>
      <DbtrAcct><Id><IBAN>AU12BANK000000001234</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>DBTRAU2SXXX</BICFI></FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>BOPIPHMMXXX</BICFI></FinInstnId></CdtrAgt>
      <Cdtr>
        <Nm>Ana Cruz</Nm>
        <PstlAdr><TwnNm>Angeles City</TwnNm><Ctry>PH</Ctry></PstlAdr>
        <CtctDtls><PhneNb>+63-9171234567</PhneNb></CtctDtls>
      </Cdtr>
      <CdtrAcct><Id><Othr><Id>09171234567</Id></Othr></Id></CdtrAcct>
      <RmtInf><Ustrd>school fees</Ustrd><Ustrd>March</Ustrd></RmtInf>
    </CdtTrfTxInf>"""
PACS008_TX_MIN = """
    <CdtTrfTxInf>
      <PmtId><EndToEndId>NOTPROVIDED</EndToEndId><TxId>TX-2</TxId></PmtId>
      <IntrBkSttlmAmt Ccy="USD">20</IntrBkSttlmAmt>
      <ChrgBr>SHAR</ChrgBr>
      <Dbtr/>
      <DbtrAgt><FinInstnId><BICFI>DBTRAU2SXXX</BICFI></FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId></CdtrAgt>
      <Cdtr><CtryOfRes>PH</CtryOfRes></Cdtr>
      <RmtInf><Strd><CdtrRefInf><Ref>RF18 5390 0754 7034</Ref></CdtrRefInf></Strd></RmtInf>
    </CdtTrfTxInf>"""


def pacs008(
    ns: str = PACS8, txs: str = PACS008_TX_FULL + PACS008_TX_MIN, bic: str = "BICFI"
) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}">
  <FIToFICstmrCdtTrf>
    <GrpHdr>
      <MsgId>MSG-1</MsgId><CreDtTm>2024-03-01T23:00:00+11:00</CreDtTm><NbOfTxs>2</NbOfTxs>
      <SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf>
      <InstgAgt><FinInstnId><{bic}>INSTAU2SXXX</{bic}></FinInstnId></InstgAgt>
    </GrpHdr>{txs}
  </FIToFICstmrCdtTrf>
</Document>
"""


FULL_ROW = {
    "transaction_id": "TX-1",
    "institution": "INSTAU2SXXX",
    "timestamp": "2024-03-01T21:15:00+11:00",
    "amount": "45.50",
    "currency": "AUD",
    "channel": "bank_transfer",
    "payer_ref": "CUST-77",
    "payer_name": "Jo Smith",
    "payer_account": "AU12BANK000000001234",
    "payer_country": "AU",
    "payer_city": "Sydney",
    "payer_phone": "+61-400000001",
    "beneficiary_name": "Ana Cruz",
    "beneficiary_account": "09171234567",
    "beneficiary_institution": "BOPIPHMMXXX",
    "beneficiary_country": "PH",
    "beneficiary_city": "Angeles City",
    "beneficiary_phone": "+63-9171234567",
    "memo": "school fees March",
    "line": 1,
    "_error": None,
}
MIN_ROW = {
    **dict.fromkeys(FIELDS),
    "transaction_id": "TX-2",
    "institution": "INSTAU2SXXX",
    "timestamp": "2024-03-01T23:00:00+11:00",  # GrpHdr/CreDtTm
    "amount": "20",
    "currency": "USD",
    "channel": "bank_transfer",
    "beneficiary_country": "PH",  # CtryOfRes
    "memo": "RF18 5390 0754 7034",
    "line": 2,
    "_error": None,
}


def test_schema_all_strings_but_line() -> None:
    assert SCHEMA.names == list(COLUMNS)
    for f in SCHEMA:
        assert f.type == (pa.int64() if f.name == "line" else pa.string()), f.name


@pytest.mark.parametrize(("ns", "bic"), [(PACS8, "BICFI"), (PACS8_V2, "BIC")])
def test_pacs008_every_field(tmp_path: Path, ns: str, bic: str) -> None:
    rows = read(write(tmp_path, pacs008(ns, bic=bic).replace("BICFI>", f"{bic}>")))
    assert rows == [FULL_ROW, MIN_ROW]


def test_pacs008_institution_falls_back_to_debtor_agent(tmp_path: Path) -> None:
    text = pacs008().replace(
        "<InstgAgt><FinInstnId><BICFI>INSTAU2SXXX</BICFI></FinInstnId></InstgAgt>", ""
    )
    assert [r["institution"] for r in read(write(tmp_path, text))] == ["DBTRAU2SXXX"] * 2


def test_pacs008_transaction_level_instructing_agent_wins(tmp_path: Path) -> None:
    tx = PACS008_TX_MIN.replace(
        "<Dbtr/>", "<InstgAgt><FinInstnId><BICFI>TXAGAU2SXXX</BICFI></FinInstnId></InstgAgt><Dbtr/>"
    )
    assert read(write(tmp_path, pacs008(txs=tx)))[0]["institution"] == "TXAGAU2SXXX"


def test_pacs008_identifier_and_timestamp_fallbacks(tmp_path: Path) -> None:
    txs = """
    <CdtTrfTxInf><PmtId><EndToEndId>E-ONLY</EndToEndId></PmtId>
      <IntrBkSttlmAmt Ccy="EUR">1</IntrBkSttlmAmt><IntrBkSttlmDt>2024-01-05</IntrBkSttlmDt>
    </CdtTrfTxInf>
    <CdtTrfTxInf><PmtId><InstrId>I-ONLY</InstrId><EndToEndId>NOTPROVIDED</EndToEndId></PmtId>
      <IntrBkSttlmAmt Ccy="EUR">2</IntrBkSttlmAmt></CdtTrfTxInf>"""
    text = pacs008(txs=txs).replace("<CreDtTm>2024-03-01T23:00:00+11:00</CreDtTm>", "")
    rows = read(write(tmp_path, text))
    assert [(r["transaction_id"], r["timestamp"]) for r in rows] == [
        ("E-ONLY", "2024-01-05"),
        ("I-ONLY", None),
    ]


def test_pacs008_with_app_header_and_several_messages(tmp_path: Path) -> None:
    doc1 = pacs008().split("?>", 1)[1]
    doc2 = pacs008(PACS8_V2, txs=PACS008_TX_MIN).split("?>", 1)[1]
    app_hdr = f'<AppHdr xmlns="{HEAD}"><BizMsgIdr>MSG-1</BizMsgIdr></AppHdr>'
    text = f"<Envelope>{app_hdr}{doc1}<Msg>{app_hdr}{doc2}</Msg></Envelope>"
    rows = read(write(tmp_path, text))
    assert [r["transaction_id"] for r in rows] == ["TX-1", "TX-2", "TX-2"]
    assert [r["line"] for r in rows] == [1, 2, 3]
    assert rows[0] == FULL_ROW


def test_many_transactions_in_small_batches(tmp_path: Path) -> None:
    txs = "".join(
        PACS008_TX_MIN.replace("TX-2", f"TX-{i}").replace(">20<", f">{i}<") for i in range(25)
    )
    batches = list(iter_batches(write(tmp_path, pacs008(txs=txs)), batch_size=10))
    assert [b.num_rows for b in batches] == [10, 10, 5]
    rows = [r for b in batches for r in b.to_pylist()]
    assert [r["amount"] for r in rows] == [str(i) for i in range(25)]
    assert [r["line"] for r in rows] == list(range(1, 26))


def test_transaction_without_amount_gets_error(tmp_path: Path) -> None:
    tx = PACS008_TX_MIN.replace('<IntrBkSttlmAmt Ccy="USD">20</IntrBkSttlmAmt>', "")
    rows = read(write(tmp_path, pacs008(txs=PACS008_TX_FULL + tx)))
    assert rows[0]["_error"] is None
    err = rows[1]["_error"]
    assert isinstance(err, str)
    assert "transaction 2" in err
    assert "IntrBkSttlmAmt" in err
    assert "XML line" in err
    assert rows[1]["amount"] is None and rows[1]["transaction_id"] == "TX-2"


def test_transaction_without_any_identifier_gets_error(tmp_path: Path) -> None:
    tx = PACS008_TX_MIN.replace(
        "<PmtId><EndToEndId>NOTPROVIDED</EndToEndId><TxId>TX-2</TxId></PmtId>", ""
    )
    (row,) = read(write(tmp_path, pacs008(txs=tx)))
    assert row["transaction_id"] is None
    assert "PmtId" in str(row["_error"])


PAIN001_V9 = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{PAIN1}">
  <CstmrCdtTrfInitn>
    <GrpHdr><MsgId>P-1</MsgId><CreDtTm>2024-05-01T08:00:00Z</CreDtTm><NbOfTxs>3</NbOfTxs>
      <InitgPty><Nm>Payroll Co</Nm></InitgPty></GrpHdr>
    <PmtInf>
      <PmtInfId>PI-1</PmtInfId><PmtMtd>TRF</PmtMtd>
      <ReqdExctnDt><DtTm>2024-05-01T09:30:00+02:00</DtTm></ReqdExctnDt>
      <Dbtr><Nm>Lena Weber</Nm><PstlAdr><TwnNm>Berlin</TwnNm><Ctry>DE</Ctry></PstlAdr>
        <Id><OrgId><Othr><Id>ORG-5</Id></Othr></OrgId></Id>
        <CtctDtls><MobNb>+49-1511234567</MobNb></CtctDtls></Dbtr>
      <DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></DbtrAgt>
      <CdtTrfTxInf>
        <PmtId><InstrId>INS-1</InstrId><EndToEndId>E2E-A</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="EUR">30.00</InstdAmt></Amt>
        <CdtrAgt><FinInstnId><BICFI>BOPIPHMMXXX</BICFI></FinInstnId></CdtrAgt>
        <Cdtr><Nm>Rosa Reyes</Nm><PstlAdr><TwnNm>Cebu</TwnNm><Ctry>PH</Ctry></PstlAdr></Cdtr>
        <CdtrAcct><Id><Othr><Id>PH-WALLET-9</Id></Othr></Id></CdtrAcct>
        <RmtInf><Ustrd>gift</Ustrd></RmtInf>
      </CdtTrfTxInf>
      <CdtTrfTxInf>
        <PmtId><EndToEndId>NOTPROVIDED</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="EUR">31.00</InstdAmt></Amt>
        <CdtrAgt><FinInstnId><Nm>GCash</Nm></FinInstnId></CdtrAgt>
        <Cdtr/>
      </CdtTrfTxInf>
    </PmtInf>
    <PmtInf>
      <PmtInfId>PI-2</PmtInfId><PmtMtd>TRF</PmtMtd>
      <ReqdExctnDt><Dt>2024-05-03</Dt></ReqdExctnDt>
      <Dbtr><Nm>Other Payer</Nm></Dbtr>
      <DbtrAcct><Id><Othr><Id>ACC-2</Id></Othr></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></DbtrAgt>
      <CdtTrfTxInf>
        <PmtId><EndToEndId>E2E-C</EndToEndId></PmtId>
        <Amt><EqvtAmt><Amt Ccy="EUR">5</Amt><CcyOfTrf>PHP</CcyOfTrf></EqvtAmt></Amt>
        <CdtrAgt><FinInstnId><BICFI>BOPIPHMMXXX</BICFI></FinInstnId></CdtrAgt>
        <Cdtr><Nm>X</Nm></Cdtr>
      </CdtTrfTxInf>
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
"""


def test_pain001_every_field(tmp_path: Path) -> None:
    rows = read(write(tmp_path, PAIN001_V9))
    payer = {
        "institution": "COBADEFFXXX",
        "timestamp": "2024-05-01T09:30:00+02:00",
        "payer_ref": "ORG-5",
        "payer_name": "Lena Weber",
        "payer_account": "DE89370400440532013000",
        "payer_country": "DE",
        "payer_city": "Berlin",
        "payer_phone": "+49-1511234567",
    }
    assert rows[0] == {
        **payer,
        "transaction_id": "E2E-A",
        "amount": "30.00",
        "currency": "EUR",
        "channel": "bank_transfer",
        "beneficiary_name": "Rosa Reyes",
        "beneficiary_account": "PH-WALLET-9",
        "beneficiary_institution": "BOPIPHMMXXX",
        "beneficiary_country": "PH",
        "beneficiary_city": "Cebu",
        "beneficiary_phone": None,
        "memo": "gift",
        "line": 1,
        "_error": None,
    }
    assert rows[1] == {
        **dict.fromkeys(FIELDS),
        **payer,
        "transaction_id": "PI-1/2",  # no usable EndToEndId or InstrId: PmtInfId / position
        "amount": "31.00",
        "currency": "EUR",
        "channel": "bank_transfer",
        "beneficiary_institution": "GCash",
        "line": 2,
        "_error": None,
    }
    # Second PmtInf: its own payer; ReqdExctnDt/DtTm absent, so GrpHdr/CreDtTm; no InstdAmt.
    assert rows[2]["payer_name"] == "Other Payer"
    assert rows[2]["payer_account"] == "ACC-2"
    assert rows[2]["payer_city"] is None
    assert rows[2]["timestamp"] == "2024-05-01T08:00:00Z"
    assert rows[2]["amount"] is None
    assert "Amt/InstdAmt" in str(rows[2]["_error"])


def test_pain001_v3_with_app_header(tmp_path: Path) -> None:
    text = (
        PAIN001_V9.replace(PAIN1, PAIN1_V3)
        .replace("BICFI>", "BIC>")
        .replace(
            "<ReqdExctnDt><DtTm>2024-05-01T09:30:00+02:00</DtTm></ReqdExctnDt>",
            "<ReqdExctnDt>2024-05-01</ReqdExctnDt>",
        )
        .replace("<CreDtTm>2024-05-01T08:00:00Z</CreDtTm>", "")
        .split("?>", 1)[1]
    )
    text = f'<BizMsg><AppHdr xmlns="{HEAD}"><BizMsgIdr>P-1</BizMsgIdr></AppHdr>{text}</BizMsg>'
    rows = read(write(tmp_path, text))
    assert [r["timestamp"] for r in rows] == ["2024-05-01", "2024-05-01", "2024-05-03"]
    assert [r["institution"] for r in rows] == ["COBADEFFXXX"] * 3
    assert rows[0]["beneficiary_institution"] == "BOPIPHMMXXX"


# ---- files that cannot be read at all -------------------------------------------------------


def test_truncated_file(tmp_path: Path) -> None:
    text = pacs008()
    cut = text.index("<CdtTrfTxInf>", text.index("</CdtTrfTxInf>")) + 40
    path = write(tmp_path, text[:cut])
    with pytest.raises(InputFileError) as exc:
        read(path)
    msg = str(exc.value)
    assert str(path) in msg
    assert "line " in msg and "column " in msg
    assert "refused as a whole" in msg


@pytest.mark.parametrize("before", [5, 3000])
def test_syntax_error_mid_file_refuses_the_file_at_its_line(tmp_path: Path, before: int) -> None:
    """The contract, whatever the lxml/libxml2 build: reading the file fails with the line and
    column of the fault. When it fails (before the first batch or after some) depends on how far
    the parser reads ahead, so that is not asserted; the caller refuses the whole file either way
    (``tests/ingest/test_loader.py``)."""
    txs = PACS008_TX_FULL * before + "<CdtTrfTxInf><PmtId>\n</Bad></CdtTrfTxInf>" + PACS008_TX_FULL
    text = pacs008(txs=txs)
    bad_line = text[: text.index("</Bad>")].count("\n") + 1
    path = write(tmp_path, text)
    with pytest.raises(InputFileError) as exc:
        for _batch in iter_batches(path, batch_size=2, workers=1):
            pass
    assert f"malformed XML at line {bad_line}, column " in str(exc.value)
    assert str(exc.value).endswith("(the file is refused as a whole)")


def test_empty_file(tmp_path: Path) -> None:
    for text in ("", "  \n"):
        with pytest.raises(InputFileError, match="file is empty"):
            read(write(tmp_path, text))


def test_csv_renamed_xml(tmp_path: Path) -> None:
    path = write(tmp_path, "id,amount,currency\n1,20.00,AUD\n")
    with pytest.raises(InputFileError, match=r"is not XML \(it begins 'id,amount,currency'"):
        read(path)


def test_zip_renamed_xml(tmp_path: Path) -> None:
    path = tmp_path / "in.xml"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(InputFileError, match="ZIP archive"):
        read(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        read(tmp_path / "nope.xml")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt/>'
            "</Document>",
            "camt.053.001.08",
        ),
        ("<Document><FIToFICstmrCdtTrf/></Document>", "no namespace"),
        ('<Document xmlns="urn:example:other"/>', "'urn:example:other'"),
        ("<transactions><tx id='1'/></transactions>", "root element <transactions>"),
        (f'<Root xmlns="{PAIN1}"><FIToFICstmrCdtTrf/></Root>', "expected the namespace"),
    ],
)
def test_wrong_root_or_namespace(tmp_path: Path, text: str, found: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputFileError) as exc:
        read(path)
    assert str(path) in str(exc.value)
    assert found in str(exc.value)


def test_dtd_refused_entity_bomb(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        f'<Document xmlns="{PACS8}"><FIToFICstmrCdtTrf><GrpHdr><MsgId>&lol2;</MsgId></GrpHdr>'
        "</FIToFICstmrCdtTrf></Document>"
    )
    with pytest.raises(InputFileError, match="DTD"):
        read(write(tmp_path, bomb))


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "in.xml"
    path.write_bytes(pacs008().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    assert read(path) == [FULL_ROW, MIN_ROW]


# ---- writer ---------------------------------------------------------------------------------

CANON_ROW = {k: v for k, v in FULL_ROW.items() if k not in ("line", "_error", "channel")}


@pytest.mark.parametrize("app_header", [False, True])
@pytest.mark.parametrize("batch_per_message", [None, 1, 2, 5])
def test_round_trip_pacs008(
    tmp_path: Path, app_header: bool, batch_per_message: int | None
) -> None:
    rows = [
        {**CANON_ROW, "transaction_id": f"T{i}", "amount": Decimal(f"{i}.25")} for i in range(3)
    ]
    rows[1]["institution"] = "OTHRAU2SXXX"  # differs from the file's instructing agent
    rows[2]["memo"] = None
    path = tmp_path / "out.xml"
    n = write_pacs008(rows, path, "MSG", "INSTAU2SXXX", batch_per_message, app_header=app_header)
    assert n == 3
    back = read(path)
    assert [r["transaction_id"] for r in back] == ["T0", "T1", "T2"]
    assert [r["amount"] for r in back] == ["0.25", "1.25", "2.25"]
    assert [r["institution"] for r in back] == ["INSTAU2SXXX", "OTHRAU2SXXX", "INSTAU2SXXX"]
    assert back[2]["memo"] is None
    assert {k: back[0][k] for k in CANON_ROW if k not in ("transaction_id", "amount")} == {
        k: v for k, v in CANON_ROW.items() if k not in ("transaction_id", "amount")
    }


@pytest.mark.parametrize("ns", [PAIN1, "urn:iso:std:iso:20022:tech:xsd:pain.001.001.12"])
def test_round_trip_pain001(tmp_path: Path, ns: str) -> None:
    rows = [{**CANON_ROW, "transaction_id": f"T{i}", "payer_name": f"P{i // 2}"} for i in range(5)]
    path = tmp_path / "out.xml"
    assert write_pain001(rows, path, "MSG", "Payroll Co", namespace=ns) == 5
    back = read(path)
    for row, got in zip(rows, back, strict=True):
        assert {k: got[k] for k in row} == row
    assert path.read_text().count("<PmtInf>") == 3  # payers P0, P1, P2


def test_writer_streams_one_message_and_patches_count(tmp_path: Path) -> None:
    path = tmp_path / "out.xml"
    gen = ({**CANON_ROW, "transaction_id": f"T{i}"} for i in range(1234))
    assert write_pacs008(gen, path, "MSG", "INSTAU2SXXX") == 1234
    text = path.read_text()
    assert "<NbOfTxs>1234</NbOfTxs>" in text and text.count("<Document") == 1
    assert len(read(path)) == 1234


def test_writer_long_memo_split_and_joined(tmp_path: Path) -> None:
    memo = " ".join(f"word{i}" for i in range(80))  # > 140 characters
    path = tmp_path / "out.xml"
    write_pacs008([{**CANON_ROW, "memo": memo}], path, "MSG", "INSTAU2SXXX")
    assert path.read_text().count("<Ustrd>") > 1
    assert read(path)[0]["memo"] == memo


# ---- property: random canonical rows survive write → read ----------------------------------

_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc"), blacklist_characters="\ue000\ufffe\uffff"
    ),
    min_size=1,
    max_size=30,
)
_opt = st.none() | _text
_code = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=3)
_bic = st.from_regex(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", fullmatch=True)
_ts = st.datetimes(
    timezones=st.sampled_from(
        [__import__("datetime").timezone.utc, __import__("zoneinfo").ZoneInfo("Asia/Manila")]
    )
).map(lambda d: d.replace(microsecond=0).isoformat())

canonical_rows = st.fixed_dictionaries(
    {
        "transaction_id": st.text(alphabet=string.ascii_letters + string.digits + "-/", min_size=1),
        "institution": _bic | _text,
        "timestamp": _ts,
        "amount": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2).map(
            str
        ),
        "currency": _code,
        "payer_ref": _opt,
        "payer_name": _opt,
        "payer_account": _opt,
        "payer_country": st.none() | _code,
        "payer_city": _opt,
        "payer_phone": _opt,
        "beneficiary_name": _opt,
        "beneficiary_account": _opt,
        "beneficiary_institution": st.none() | _bic | _text,
        "beneficiary_country": st.none() | _code,
        "beneficiary_city": _opt,
        "beneficiary_phone": _opt,
        "memo": st.none() | st.text(min_size=1, max_size=140).filter(str.isprintable),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(canonical_rows, min_size=1, max_size=8), fmt=st.sampled_from(["pacs", "pain"]))
def test_property_round_trip(tmp_path: Path, rows: list[dict[str, object]], fmt: str) -> None:
    path = tmp_path / "prop.xml"
    if fmt == "pacs":
        write_pacs008(rows, path, "MSG", "INSTAU2SXXX", batch_per_message=3)
    else:
        write_pain001(rows, path, "MSG", "Initiator", batch_per_message=3)
    back = read(path, batch_size=4)
    assert len(back) == len(rows)
    for i, (row, got) in enumerate(zip(rows, back, strict=True), start=1):
        assert got["line"] == i and got["_error"] is None and got["channel"] == "bank_transfer"
        assert {k: got[k] for k in row} == row


def test_a_refused_file_leaves_no_parser_to_the_garbage_collector(tmp_path: Path) -> None:
    """The error's traceback keeps the reader's frame alive in a reference cycle; the parser must
    not be kept with it (freed later by the collector, it crashed the interpreter now and then)."""
    import gc

    from lxml import etree

    text = pacs008()
    cut = text.index("<CdtTrfTxInf>", text.index("</CdtTrfTxInf>")) + 40
    path = write(tmp_path, text[:cut])
    gc.collect()
    gc.disable()
    try:
        with pytest.raises(InputFileError) as exc:
            read(path)
        assert exc.value.__context__ is not None  # the cycle is there
        alive = [o for o in gc.get_objects() if isinstance(o, etree.iterparse)]
    finally:
        gc.enable()
    assert alive == []
