"""The parallel pacs.008 reader gives the sequential reader's rows, or its error, for every file.

Ranges of ~300 bytes cut these small files before nearly every transaction, so every range
boundary, the synthesised start and end tags, and the fallback after refused ranges are exercised.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bantay.errors import InputFileError
from bantay.ingest import iso20022_parallel as par
from bantay.ingest.iso20022 import FIELDS, iter_batches, write_pacs008

PACS8 = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"
PACS8_V2 = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.02"
HEAD = "urn:iso:std:iso:20022:tech:xsd:head.001.001.02"
LOGGER = "bantay.ingest.iso20022_parallel"

TX = """
    <CdtTrfTxInf>
      <PmtId><InstrId>I-{i}</InstrId><EndToEndId>E2E-{i}</EndToEndId><TxId>TX-{i}</TxId></PmtId>
      <IntrBkSttlmAmt Ccy="AUD">{i}.50</IntrBkSttlmAmt>
      <IntrBkSttlmDt>2024-03-02</IntrBkSttlmDt>
      <AccptncDtTm>2024-03-01T21:15:00+11:00</AccptncDtTm>
      <Dbtr>
        <Nm>Jo Smith {i}</Nm>
        <PstlAdr><StrtNm>George St</StrtNm><TwnNm>Sydney</TwnNm><Ctry>AU</Ctry></PstlAdr>
        <Id><PrvtId><Othr><Id>CUST-{i}</Id></Othr></PrvtId></Id>
        <CtctDtls><Nm>Contact Person</Nm><MobNb>+61-4000000{i}</MobNb></CtctDtls>
      </Dbtr>
      <DbtrAcct><Id><IBAN>AU12BANK00000000{i}</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>DBTRAU2SXXX</BICFI></FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>BOPIPHMMXXX</BICFI></FinInstnId></CdtrAgt>
      <Cdtr>
        <Nm>Ana Cruz &amp; Co</Nm>
        <PstlAdr><TwnNm>Angeles City</TwnNm><Ctry>PH</Ctry></PstlAdr>
        <CtctDtls><PhneNb>+63-9171234567</PhneNb></CtctDtls>
      </Cdtr>
      <CdtrAcct><Id><Othr><Id>0917{i}</Id></Othr></Id></CdtrAcct>
      <RmtInf><Ustrd>school fees</Ustrd><Ustrd>month {i}</Ustrd></RmtInf>
    </CdtTrfTxInf>"""
TX_MIN = """
    <CdtTrfTxInf>
      <PmtId><EndToEndId>NOTPROVIDED</EndToEndId><TxId>TXM-{i}</TxId></PmtId>
      <IntrBkSttlmAmt Ccy="USD">20</IntrBkSttlmAmt>
      <Dbtr/>
      <CdtrAgt><FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId></CdtrAgt>
      <Cdtr><CtryOfRes>PH</CtryOfRes></Cdtr>
      <RmtInf><Strd><CdtrRefInf><Ref>RF18 {i}</Ref></CdtrRefInf></Strd></RmtInf>
    </CdtTrfTxInf>"""


def txs(n: int = 12, tx: str = TX) -> str:
    return "".join((tx if i % 3 else TX_MIN).format(i=i) for i in range(n))


def document(body: str, ns: str = PACS8, grp_extra: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}">
  <FIToFICstmrCdtTrf>
    <GrpHdr>
      <MsgId>MSG-1</MsgId><CreDtTm>2024-03-01T23:00:00+11:00</CreDtTm><NbOfTxs>2</NbOfTxs>
      <SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf>{grp_extra}
    </GrpHdr>{body}
  </FIToFICstmrCdtTrf>
</Document>
"""


def rows_of(path: Path, **kw: int) -> list[dict[str, object]]:
    return [r for b in iter_batches(path, batch_size=5, **kw) for r in b.to_pylist()]


def same_as_sequential(
    path: Path, caplog: pytest.LogCaptureFixture, *, refused: bool
) -> list[dict[str, object]]:
    """Read `path` both ways; the rows (or the error) must agree. `refused`: whether some range
    is expected to be refused, sending the read to the sequential reader part-way."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        try:
            expected = rows_of(path, workers=1)
        except InputFileError as exc:
            with pytest.raises(InputFileError) as par_exc:
                rows_of(path, workers=2, min_bytes=0, range_bytes=300)
            assert str(par_exc.value) == str(exc)
            return []
        got = rows_of(path, workers=2, min_bytes=0, range_bytes=300)
    assert got == expected
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert not [m for m in messages if "failed" in m], messages  # no worker crashed
    assert any("refused" in m for m in messages) == refused, messages
    return expected


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "in.xml"
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


@pytest.mark.parametrize("ns", [PACS8, PACS8_V2])
def test_plain_file(tmp_path: Path, caplog: pytest.LogCaptureFixture, ns: str) -> None:
    rows = same_as_sequential(write(tmp_path, document(txs(), ns)), caplog, refused=False)
    assert len(rows) == 12
    assert rows[1]["memo"] == "school fees month 1" and rows[0]["memo"] == "RF18 0"
    assert rows[1]["beneficiary_name"] == "Ana Cruz & Co"
    assert [r["line"] for r in rows] == list(range(1, 13))


def test_group_header_fallbacks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    agent = "<InstgAgt><FinInstnId><BICFI>INST&amp;AU2S</BICFI></FinInstnId></InstgAgt>"
    body = txs().replace("<AccptncDtTm>2024-03-01T21:15:00+11:00</AccptncDtTm>", "")
    rows = same_as_sequential(
        write(tmp_path, document(body, grp_extra=agent)), caplog, refused=False
    )
    assert {r["institution"] for r in rows} == {"INST&AU2S"}
    assert {r["timestamp"] for r in rows} == {"2024-03-01T23:00:00+11:00"}


def prefixed_document() -> tuple[str, str]:
    """A business application header and the test document with every element prefixed ``p:``,
    to be wrapped in an envelope."""
    body = document(txs()).split("?>", 1)[1]
    body = body.replace(f'<Document xmlns="{PACS8}">', f'<p:Document xmlns:p="{PACS8}">')
    body = body.replace("<", "<p:").replace("<p:/", "</p:").replace("<p:p:", "<p:")
    body = body.replace("</p:p:", "</p:")
    app_hdr = f'<AppHdr xmlns="{HEAD}"><BizMsgIdr>MSG-1</BizMsgIdr></AppHdr>'
    return app_hdr, body


def test_rows_with_errors_keep_their_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    body = txs().replace('<IntrBkSttlmAmt Ccy="AUD">4.50</IntrBkSttlmAmt>', "")
    body = body.replace("<PmtId><EndToEndId>NOTPROVIDED</EndToEndId><TxId>TXM-6</TxId></PmtId>", "")
    rows = same_as_sequential(write(tmp_path, document(body)), caplog, refused=False)
    errors = {r["line"]: r["_error"] for r in rows if r["_error"]}
    assert set(errors) == {5, 7}
    assert "XML line" in str(errors[5]) and "IntrBkSttlmAmt" in str(errors[5])


def test_odd_but_valid_content(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # empty and repeated fields, text beside child elements, an empty currency attribute
    body = txs().replace('Ccy="AUD">7.50<', 'Ccy="">7.50<')
    body = body.replace("<AccptncDtTm>2024-03-01T21:15:00+11:00</AccptncDtTm>", "<AccptncDtTm/>", 2)
    body = body.replace("<Ustrd>month 5</Ustrd>", "<Ustrd>a<b>c</b>d</Ustrd><Ustrd/>")
    body = body.replace("<Nm>Jo Smith 8</Nm>", "<Nm/><Nm>Jo Second</Nm>")
    body = body.replace("<TxId>TX-10</TxId>", "<TxId>NOTPROVIDED</TxId>")
    rows = same_as_sequential(write(tmp_path, document(body)), caplog, refused=False)
    assert rows[7]["currency"] == ""
    assert rows[5]["memo"] == "school fees a"
    assert rows[8]["payer_name"] == "Jo Second"
    assert rows[10]["transaction_id"] == "E2E-10"


@pytest.mark.parametrize(
    "change",
    [
        ("<Ustrd>month 4</Ustrd>", "<Ustrd>month &#52;</Ustrd>"),  # a character reference
        ("<Ustrd>month 4</Ustrd>", "<Ustrd><![CDATA[month 4]]></Ustrd>"),
        ("<Ustrd>month 4</Ustrd>", "<Ustrd>month \ue000 4</Ustrd>"),  # the field separator
        ("<Ustrd>month 4</Ustrd>", "<!-- <CdtTrfTxInf> --><Ustrd>month 4</Ustrd>"),
        ("<Ustrd>month 4</Ustrd>", "<Ustrd>see CdtTrfTxInf 4</Ustrd>"),
    ],
)
def test_refused_ranges_fall_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, change: tuple[str, str]
) -> None:
    rows = same_as_sequential(
        write(tmp_path, document(txs().replace(*change))), caplog, refused=True
    )
    assert len(rows) == 12


def test_several_messages_fall_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    doc1 = document(txs(6)).split("?>", 1)[1]
    doc2 = document(txs(6).replace("TX-", "TY-"), PACS8).split("?>", 1)[1]
    doc2 = doc2.replace("MSG-1", "MSG-2").replace("2024-03-01T23", "2024-04-01T23")
    text = f"<Envelope>{doc1}{doc2}</Envelope>"
    rows = same_as_sequential(write(tmp_path, text), caplog, refused=True)
    assert len(rows) == 12
    assert rows[0]["timestamp"] == "2024-03-01T23:00:00+11:00"  # the first header's
    assert rows[-6]["timestamp"] == "2024-04-01T23:00:00+11:00"  # the second header's


def test_nested_transaction_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    extra = "<SplmtryData><Envlp>" + TX_MIN.format(i=99) + "</Envlp></SplmtryData>"
    text = document(txs() + extra)
    rows = same_as_sequential(write(tmp_path, text), caplog, refused=True)
    assert len(rows) == 13  # the sequential reader reads nested transactions too


@pytest.mark.parametrize("where", ["middle", "end"])
def test_syntax_errors_as_the_sequential_reader_reports_them(tmp_path: Path, where: str) -> None:
    text = document(txs(20))
    if where == "middle":
        at = text.index("<CdtTrfTxInf>", len(text) // 2)
        text = text[:at] + "<CdtTrfTxInf><PmtId></Bad>" + text[at:]
    else:
        text = text[: len(text) - 200]
    path = write(tmp_path, text)
    with pytest.raises(InputFileError) as seq_exc:
        rows_of(path, workers=1)
    with pytest.raises(InputFileError) as par_exc:
        rows_of(path, workers=2, min_bytes=0, range_bytes=300)
    assert str(par_exc.value) == str(seq_exc.value)
    assert "malformed XML at line" in str(par_exc.value)


def test_pain001_and_utf16_are_read_sequentially(tmp_path: Path) -> None:
    text = document(txs()).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = write(tmp_path, text.encode("utf-16"))
    assert rows_of(path, workers=2, min_bytes=0, range_bytes=300) == rows_of(path, workers=1)


def test_writer_output_with_random_rows(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rnd = random.Random(5)
    alphabet = "abcdefghij KLMNOP ñéü漢字<>&'\"-./"
    rows = [
        {
            "transaction_id": f"T{i}",
            "institution": "BANKAU2SXXX",
            "timestamp": f"2024-01-{1 + i % 28:02d}T10:00:00+10:00",
            "amount": f"{rnd.randint(1, 999)}.{rnd.randint(0, 99):02d}",
            "currency": rnd.choice(["AUD", "USD", "PHP"]),
            "payer_ref": rnd.choice([None, f"C{i}"]),
            "payer_name": "".join(rnd.choices(alphabet, k=rnd.randint(0, 20))) or None,
            "payer_account": rnd.choice([None, f"AU12BANK{i:012d}", f"ACC-{i}"]),
            "payer_country": rnd.choice([None, "AU", "GB"]),
            "payer_city": rnd.choice([None, "Perth"]),
            "payer_phone": rnd.choice([None, "+61400000000"]),
            "beneficiary_name": "".join(rnd.choices(alphabet, k=rnd.randint(1, 20))),
            "beneficiary_account": rnd.choice([None, f"09{i:09d}"]),
            "beneficiary_institution": rnd.choice([None, "BOPIPHMMXXX", "GCash"]),
            "beneficiary_country": "PH",
            "beneficiary_city": rnd.choice([None, "Cebu"]),
            "beneficiary_phone": rnd.choice([None, "+639170000000"]),
            "memo": rnd.choice([None, "gift", "x" * 300, "".join(rnd.choices(alphabet, k=30))]),
        }
        for i in range(60)
    ]
    path = tmp_path / "in.xml"
    write_pacs008(rows, path, "MSG", "BANKAU2SXXX", batch_per_message=None)
    got = same_as_sequential(path, caplog, refused=False)
    assert len(got) == 60


# --------------------------------------------------------------------------------------------------
# The scan path (transactions matched as text, by skeleton): what it could read differently


def paths(caplog: pytest.LogCaptureFixture) -> set[str]:
    """How the ranges of the last parallel read were read: "scan" and/or "tree"."""
    hows = set()
    for record in caplog.records:
        message = record.getMessage()
        if record.name == LOGGER and " read (" in message:
            hows.add(message.split(" read (", 1)[1].split(")", 1)[0])
    return hows


@pytest.mark.parametrize(
    ("change", "how"),
    [
        # entities in texts, double escapes, and in an attribute (read once, by lxml)
        (("<Nm>Jo Smith 4</Nm>", "<Nm>Jo &amp;lt;b&amp;gt; &lt;&gt;&quot;&apos;</Nm>"), {"scan"}),
        (('Ccy="AUD">4.50<', 'Ccy="A&amp;amp;&lt;">4.50<'), {"scan"}),
        # texts with ">" and "]]", whitespace-only and empty leaves, text beside transactions
        (("<Ustrd>month 4</Ustrd>", "<Ustrd>a > b ]] c</Ustrd><Ustrd> </Ustrd>"), {"scan"}),
        (("<Nm>Jo Smith 5</Nm>", "<Nm> </Nm><Nm>Jo Other</Nm>"), {"scan"}),
        (("<Nm>Jo Smith 7</Nm>", "<Nm></Nm><Nm/><Nm>Jo Third</Nm>"), {"scan"}),
        (("</CdtTrfTxInf>", "</CdtTrfTxInf>stray text &amp; more", 3), {"scan"}),
        # start and end tags over several lines, attributes in either quotes
        (("<CdtTrfTxInf>", "<CdtTrfTxInf\n   >", 4), {"scan"}),
        (("</CdtTrfTxInf>", "</CdtTrfTxInf\n>", 4), {"scan"}),
        (('Ccy="AUD"', "Ccy = 'AUD'\n x='1'"), {"scan"}),
        # another namespace inside a transaction: its elements are not the fields
        (("<Nm>Jo Smith 4</Nm>", '<Nm xmlns="urn:other">Jo Smith 4</Nm>'), {"scan"}),
        (
            ("<Nm>Jo Smith 5</Nm>", '<x:Nm xmlns:x="urn:other">X</x:Nm><Nm>Jo Smith 5</Nm>'),
            {"scan"},
        ),
        # what the scan leaves to lxml: ">" in an attribute value, carriage returns, comments
        (('Ccy="AUD">4.50<', 'Ccy="A>B">4.50<'), {"scan", "tree"}),
        (("<Ustrd>month 4</Ustrd>", "<Ustrd>month\r\n4</Ustrd>"), {"scan"}),
        (("<Ustrd>month 4</Ustrd>", "<Ustrd>month\r4</Ustrd>"), {"scan", "tree"}),
        (("<Ustrd>month 4</Ustrd>", "<Ustrd>mon<!-- c -->th 4</Ustrd>"), {"scan", "tree"}),
        (("<Ustrd>month 4</Ustrd>", "<Ustrd>mon<?pi x?>th 4</Ustrd>"), {"scan", "tree"}),
    ],
)
def test_scanned_texts_as_lxml_reads_them(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    change: tuple[str, str] | tuple[str, str, int],
    how: set[str],
) -> None:
    body = txs().replace(*change)  # type: ignore[arg-type]
    assert body != txs()
    rows = same_as_sequential(write(tmp_path, document(body)), caplog, refused=False)
    assert len(rows) == 12
    assert paths(caplog) - {"tree"} == how - {"tree"}  # range 0 (the header) may be a tree
    if "tree" in how:
        assert "tree" in paths(caplog)


def test_errors_and_lines_when_scanned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    body = txs(30).replace('<IntrBkSttlmAmt Ccy="AUD">4.50</IntrBkSttlmAmt>', "")
    body = body.replace("<CdtTrfTxInf>", "<CdtTrfTxInf\n>", 7)
    body = body.replace("<TxId>TX-10</TxId>", "<TxId>NOTPROVIDED</TxId>")
    body = body.replace("<EndToEndId>E2E-10</EndToEndId>", "<EndToEndId>NOTPROVIDED</EndToEndId>")
    body = body.replace("<InstrId>I-10</InstrId>", "")
    rows = same_as_sequential(write(tmp_path, document(body)), caplog, refused=False)
    assert "scan" in paths(caplog)
    errors = {r["line"]: r["_error"] for r in rows if r["_error"]}
    assert set(errors) == {5, 11}
    assert all("XML line" in str(e) for e in errors.values())


def test_many_skeletons(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """More shapes than the scan tries in turn, mixed at random, in large ranges."""
    rnd = random.Random(3)
    optional = [
        "<AccptncDtTm>2024-03-01T21:15:00+11:00</AccptncDtTm>",
        "<IntrBkSttlmDt>2024-03-02</IntrBkSttlmDt>",
        "<CtctDtls><Nm>Contact Person</Nm><MobNb>+61-4000000{i}</MobNb></CtctDtls>",
        "<DbtrAcct><Id><IBAN>AU12BANK00000000{i}</IBAN></Id></DbtrAcct>",
        "<RmtInf><Ustrd>school fees</Ustrd><Ustrd>month {i}</Ustrd></RmtInf>",
        "<TxId>TX-{i}</TxId>",
    ]
    body = ""
    for i in range(300):
        tx = TX
        for part in optional:
            if rnd.random() < 0.5:
                tx = tx.replace(part, "")
        tx = tx.replace('Ccy="AUD"', f'Ccy="{rnd.choice(["AUD", "USD", "PHP", ""])}"')
        body += tx.format(i=i)
    path = write(tmp_path, document(body))
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        expected = rows_of(path, workers=1)
        got = rows_of(path, workers=2, min_bytes=0, range_bytes=20_000)
    assert got == expected and len(got) == 300
    assert paths(caplog) == {"scan"}


@pytest.mark.parametrize(
    "change",
    [
        ("<Ustrd>month 4</Ustrd>", "<Ustrd>month \x01 4</Ustrd>"),  # a character XML forbids
        ("<Ustrd>month 4</Ustrd>", "<Ustrd>month & 4</Ustrd>"),  # a bare ampersand
        ("<Ustrd>month 4</Ustrd>", "<Ustrd>month &nbsp; 4</Ustrd>"),  # an undeclared entity
        ("<Ustrd>month 4</Ustrd>", "<Ustrd>month ]]> 4</Ustrd>"),
        ("<Ustrd>month 4</Ustrd>", "<Ustrd>month 4</Ustrd >"),  # space in an end tag (valid)
        ('Ccy="AUD">4.50<', 'Ccy="AUD>4.50<'),  # an unterminated attribute
        ("<Nm>Jo Smith 4</Nm>", "<x:Nm>Jo Smith 4</x:Nm>"),  # an unbound prefix
        ("</Document>", "</Document>trailing"),
        ("</FIToFICstmrCdtTrf>", "</FIToFICstmrCdtTrf ><FIToFICstmrCdtTrf/>"),
    ],
)
def test_malformed_when_scanned(tmp_path: Path, change: tuple[str, str]) -> None:
    text = document(txs()).replace(*change)
    assert text != document(txs())
    data = text.encode()
    path = write(tmp_path, data)
    try:
        expected = rows_of(path, workers=1)
    except InputFileError as exc:
        with pytest.raises(InputFileError) as par_exc:
            rows_of(path, workers=2, min_bytes=0, range_bytes=300)
        assert str(par_exc.value) == str(exc)
    else:
        assert rows_of(path, workers=2, min_bytes=0, range_bytes=300) == expected


def test_invalid_utf8_when_scanned(tmp_path: Path) -> None:
    data = document(txs()).encode().replace(b"month 4", b"month \xff 4")
    path = write(tmp_path, data)
    with pytest.raises(InputFileError) as seq_exc:
        rows_of(path, workers=1)
    with pytest.raises(InputFileError) as par_exc:
        rows_of(path, workers=2, min_bytes=0, range_bytes=300)
    assert str(par_exc.value) == str(seq_exc.value)


def test_prefixed_and_wrapped_files_are_scanned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app_hdr, body = prefixed_document()
    # a wrapper declaring a namespace of its own, on one line
    text = f'<?xml version="1.0"?><Envelope xmlns:x="urn:x">{app_hdr}{body}</Envelope>'
    assert len(same_as_sequential(write(tmp_path, text), caplog, refused=False)) == 12
    caplog.clear()
    text = f'<?xml version="1.0"?>\n<Envelope>{app_hdr}{body}</Envelope >\n'
    rows = same_as_sequential(write(tmp_path, text), caplog, refused=False)
    assert len(rows) == 12
    assert paths(caplog) == {"scan", "tree"}  # the header alone is a tree
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        assert rows_of(tmp_path / "in.xml", workers=2, min_bytes=0, range_bytes=1000) == rows
    assert paths(caplog) == {"scan"}  # with the header in the first range, and the trailer


def test_a_skeleton_per_transaction_is_read_as_a_tree(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = "".join(TX.format(i=i).replace("<PmtId>", f'<PmtId n="{i}">') for i in range(250))
    path = write(tmp_path, document(body))
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        expected = rows_of(path, workers=1)
        got = rows_of(path, workers=2, min_bytes=0, range_bytes=len(body) // 2)
    assert got == expected and len(got) == 250
    assert paths(caplog) == {"tree"}


def test_group_header_after_transactions_falls_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The sequential reader takes a later header's values for the transactions after it."""
    late = "<GrpHdr><MsgId>M2</MsgId><CreDtTm>2025-01-01T00:00:00Z</CreDtTm></GrpHdr>"
    body = txs().replace("<AccptncDtTm>2024-03-01T21:15:00+11:00</AccptncDtTm>", "")
    at = body.index("<CdtTrfTxInf>", len(body) // 2)
    text = document(body[:at] + late + body[at:])
    path = write(tmp_path, text)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        expected = rows_of(path, workers=1)
        # the late header in the first range (where a header is allowed before transactions)
        got = rows_of(path, workers=2, min_bytes=0, range_bytes=text.index(late) + len(late))
    assert got == expected
    assert expected[-1]["timestamp"] == "2025-01-01T00:00:00Z"
    assert any("refused" in r.getMessage() for r in caplog.records if r.name == LOGGER)


# --------------------------------------------------------------------------------------------------
# Random transactions, read in this process by each range's reader (no worker start per example)


def read_in_process(path: Path, range_bytes: int) -> tuple[list[dict[str, object]], list[str]]:
    """The parallel reader's rows with every range read here, and how each range was read."""
    head = par._read_head(path)
    assert head is not None
    size = path.stat().st_size
    bounds = [*par._cuts(path, size, head.chain, range_bytes), size]
    rows: list[dict[str, object]] = []
    hows: list[str] = []
    offset = lines = 0
    for j in range(len(bounds) - 1):
        last = j == len(bounds) - 2
        r = par._read_range(str(path), bounds[j], bounds[j + 1], head.chain, j == 0, last, head.grp)
        if r.columns is None:
            hows.append("refused")
            break
        table = pa.Table.from_arrays(r.columns, names=list(FIELDS))
        for batch in table.to_batches():
            rows.extend(par._batch(batch, r.errors, offset, lines).to_pylist())
        offset += r.n
        lines += r.newlines
        hows.append(r.how)
    return rows, hows


TEXT_CHARS = "aZ 09-./'\"<>&]\n\tñ漢\U0001f600"
texts = st.text(alphabet=TEXT_CHARS, max_size=8)


def xml_text(text: str, draw: st.DrawFn) -> str:
    out = text.replace("&", "&amp;").replace("<", "&lt;").replace("]]>", "]]&gt;")
    if draw(st.booleans()):
        out = out.replace(">", "&gt;").replace('"', "&quot;").replace("'", "&apos;")
    return out


@st.composite
def transaction(draw: st.DrawFn, i: int) -> str:
    def leaf(tag: str, value: str | None = None) -> str:
        choice = draw(st.integers(0, 9))
        if choice == 0:
            return ""
        if choice == 1:
            return f"<{tag}/>"
        if choice == 2:
            return f"<{tag}></{tag}>"
        text = value if value is not None and choice < 7 else draw(texts)
        space = draw(st.sampled_from(["", " ", "\n  "]))
        return f"<{tag}>{xml_text(text, draw)}</{tag}{space}>"

    def agent(tag: str) -> str:
        inner = leaf("BICFI", draw(st.sampled_from(["BOPIPHMMXXX", "NOTPROVIDED"]))) + leaf("Nm")
        return f"<{tag}><FinInstnId>{inner}</FinInstnId></{tag}>"

    def party(tag: str) -> str:
        contact = leaf("Nm") + leaf("MobNb") + leaf("PhneNb")
        address = leaf("TwnNm") + leaf("Ctry")
        parts = [leaf("Nm"), f"<PstlAdr>{address}</PstlAdr>", leaf("CtryOfRes")]
        parts.append(f"<Id><PrvtId><Othr>{leaf('Id')}</Othr></PrvtId></Id>")
        parts.append(f"<CtctDtls>{contact}</CtctDtls>")
        return f"<{tag}>{''.join(draw(st.permutations(parts)))}</{tag}>"

    ccy = draw(st.sampled_from(['Ccy="AUD"', "Ccy='USD'", 'Ccy=""', 'Ccy="A&amp;B"', ""]))
    amount = draw(st.sampled_from([f"<IntrBkSttlmAmt {ccy}>{i}.5</IntrBkSttlmAmt>", ""]))
    ids = leaf("EndToEndId", draw(st.sampled_from([f"E{i}", "NOTPROVIDED"]))) + leaf(
        "TxId", draw(st.sampled_from([f"T{i}", "NOTPROVIDED"]))
    )
    memo = "".join(leaf("Ustrd") for _ in range(draw(st.integers(0, 3))))
    parts = [
        f"<PmtId>{ids}</PmtId>",
        amount,
        leaf("AccptncDtTm", "2024-01-02T03:04:05Z"),
        leaf("IntrBkSttlmDt", "2024-01-02"),
        agent("InstgAgt"),
        party("Dbtr"),
        f"<DbtrAcct><Id>{leaf('IBAN')}<Othr>{leaf('Id')}</Othr></Id></DbtrAcct>",
        agent("DbtrAgt"),
        agent("CdtrAgt"),
        party("Cdtr"),
        f"<CdtrAcct><Id>{leaf('IBAN')}<Othr>{leaf('Id')}</Othr></Id></CdtrAcct>",
        f"<RmtInf>{memo}<Strd><CdtrRefInf>{leaf('Ref')}</CdtrRefInf></Strd></RmtInf>",
    ]
    start = draw(st.sampled_from(["<CdtTrfTxInf>", "<CdtTrfTxInf\n>"]))
    gap = draw(st.sampled_from(["", "\n", "\n    "]))
    return f"{gap}{start}{gap.join(parts)}</CdtTrfTxInf>"


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), n=st.integers(1, 12), range_bytes=st.sampled_from([300, 2000, 100_000]))
def test_random_transactions_read_as_the_sequential_reader_reads_them(
    tmp_path: Path, data: st.DataObject, n: int, range_bytes: int
) -> None:
    body = "".join(data.draw(transaction(i)) for i in range(n))
    text = document(body)
    if data.draw(st.booleans()):  # Windows line ends
        text = text.replace("\n", "\r\n")
    path = write(tmp_path, text)
    expected = rows_of(path, workers=1)
    got, hows = read_in_process(path, range_bytes)
    if "refused" not in hows:  # a refused range sends the real read to the sequential reader
        assert got == expected
    else:
        assert got == expected[: len(got)]


def test_windows_line_ends_are_scanned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    body = txs(30).replace('<IntrBkSttlmAmt Ccy="AUD">4.50</IntrBkSttlmAmt>', "")
    text = document(body.replace("<Ustrd>month 5</Ustrd>", "<Ustrd>two\nlines</Ustrd>"))
    rows = same_as_sequential(write(tmp_path, text.replace("\n", "\r\n")), caplog, refused=False)
    assert paths(caplog) - {"tree"} == {"scan"}
    assert rows[5]["memo"] == "school fees two\nlines"
    assert "XML line" in str(rows[4]["_error"])
