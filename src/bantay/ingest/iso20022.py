"""ISO 20022 credit transfers (pacs.008, pain.001): a streaming reader and a streaming writer.

The reader turns each credit-transfer transaction (``CdtTrfTxInf``) into one row of raw strings
named by canonical Transaction field, in Arrow record batches, for the ingest loader to validate,
load or quarantine. It streams the file with ``lxml.etree.iterparse``, clearing every transaction
once read, so memory stays flat however large the file.

Accepted layouts, detected from the namespace of each message (any version)::

    <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.NN">  FIToFICstmrCdtTrf
    <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.NN">   CstmrCdtTrfInitn

either as the root, or inside any wrapper element, one or many, each optionally preceded by a
business application header (``AppHdr``). Any other ISO 20022 message, an XML file without such
a message, an empty file, a file that is not XML, a DTD (entity-expansion guard) or a syntax error
anywhere (a truncated file) raises :class:`~bantay.errors.InputFileError` naming the file and, for
syntax errors, the line and column and the number of transactions read before it; the caller must
then refuse the whole file.

Where each field comes from, as element paths relative to ``CdtTrfTxInf`` (``GrpHdr/`` and
``PmtInf/`` mark the group header and, in pain.001, the payment information block), where "BIC" is
``FinInstnId/BICFI`` (``FinInstnId/BIC`` in older versions), else ``FinInstnId/Nm``:

- transaction_id: pacs.008 ``PmtId/TxId``, else ``PmtId/EndToEndId``, else ``PmtId/InstrId``, else
  ``PmtId/UETR``; pain.001 ``PmtId/EndToEndId``, else ``PmtId/InstrId``, else
  ``{PmtInf/PmtInfId}/{n}`` (the n-th transaction of the block).
- institution: pacs.008 ``InstgAgt`` BIC, else ``GrpHdr/InstgAgt`` BIC, else ``DbtrAgt`` BIC;
  pain.001 ``PmtInf/DbtrAgt`` BIC.
- timestamp: pacs.008 ``AccptncDtTm``, else ``GrpHdr/CreDtTm``, else ``IntrBkSttlmDt``, else
  ``GrpHdr/IntrBkSttlmDt``; pain.001 ``PmtInf/ReqdExctnDt/DtTm``, else ``GrpHdr/CreDtTm``, else
  ``PmtInf/ReqdExctnDt/Dt`` (``PmtInf/ReqdExctnDt`` itself before version 08). Raw: a date-time
  with or without offset, or a bare date.
- amount, currency: pacs.008 ``IntrBkSttlmAmt`` and its ``Ccy``; pain.001 ``Amt/InstdAmt`` and its
  ``Ccy``.
- payer_*: pacs.008 ``Dbtr``, ``DbtrAcct``; pain.001 ``PmtInf/Dbtr``, ``PmtInf/DbtrAcct``.
  beneficiary_*: ``Cdtr``, ``CdtrAcct``; beneficiary_institution: ``CdtrAgt`` BIC.
- on either side: name ``Nm``; account ``…Acct/Id/IBAN``, else ``…Acct/Id/Othr/Id``; country
  ``PstlAdr/Ctry``, else ``CtryOfRes``; city ``PstlAdr/TwnNm``; phone ``CtctDtls/MobNb``, else
  ``CtctDtls/PhneNb``; payer_ref ``Dbtr/Id/PrvtId/Othr/Id``, else ``Dbtr/Id/OrgId/Othr/Id``.
- memo: ``RmtInf/Ustrd`` joined by a space, else ``RmtInf/Strd/CdtrRefInf/Ref`` joined by a space.
- channel: ``bank_transfer``.

``NOTPROVIDED`` (the ISO placeholder) counts as absent for identifiers, accounts and agents.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
from lxml import etree

from bantay.errors import InputFileError
from bantay.ingest.iso20022_fields import (
    CHANNEL,
    COLUMNS,
    FIELDS,
    HEAD_NS,
    ISO_NS_PREFIX,
    NOTPROVIDED,
    PACS008_NS,
    PACS008_RE,
    PAIN001_NS,
    PAIN001_RE,
    PARSER_OPTIONS,
    SCHEMA,
    WRAPPER_TAG,
    MessageSpecs,
    local_name,
    ns_of,
    specs_for,
)
from bantay.schema import field_list

__all__ = [
    "COLUMNS",
    "FIELDS",
    "SCHEMA",
    "iter_batches",
    "iter_sequential",
    "sniff",
    "write_pacs008",
    "write_pain001",
]

_SNIFF_BYTES: Final = 1 << 16

# --------------------------------------------------------------------------------------------------
# Reader


def _first(*values: Any) -> Any:
    for v in values:
        if v is not None and v != NOTPROVIDED:
            return v
    return None


def _joined(values: list[str] | None) -> str | None:
    return " ".join(values) if values else None


def sniff(path: Path) -> None:
    """Refuse, with a clear reason, files that are empty, not XML, compressed or declare a DTD."""
    try:
        with path.open("rb") as f:
            head = f.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise InputFileError(f"{path}: file does not exist") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory, not an ISO 20022 XML file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    if not head.strip():
        raise InputFileError(f"{path}: file is empty (expected an ISO 20022 XML message)")
    for magic, what in (
        (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
        (b"\x1f\x8b", "gzip-compressed"),
        (b"BZh", "bzip2-compressed"),
        (b"\xfd7zXZ", "xz-compressed"),
        (b"%PDF", "a PDF document"),
        (b"PAR1", "a Parquet file"),
    ):
        if head.startswith(magic):
            raise InputFileError(
                f"{path}: is {what}, not an ISO 20022 XML file; extract or convert it first"
            )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    start = text.lstrip()
    if not start.startswith("<"):
        first_line = start.splitlines()[0][:60] if start else ""
        raise InputFileError(
            f"{path}: is not XML (it begins {first_line!r}; a CSV or other text file?); "
            "expected an ISO 20022 pacs.008 or pain.001 XML message"
        )
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise InputFileError(
            f"{path}: declares a DTD (<!DOCTYPE/<!ENTITY>); ISO 20022 messages have none, and "
            "Bantay refuses DTDs to guard against entity-expansion attacks"
        )


class _Columns:
    """Rows of the batch being built (tuples, transposed into columns once per batch)."""

    __slots__ = ("add", "rows")

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.add = self.rows.append

    @property
    def n(self) -> int:
        return len(self.rows)

    def batch(self) -> pa.RecordBatch:
        columns = zip(*self.rows, strict=True)
        arrays = [pa.array(col, type=f.type) for col, f in zip(columns, SCHEMA, strict=True)]
        return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)


@dataclass(slots=True)
class _State:
    path: Path
    n: int = 0  # transactions read so far
    specs: MessageSpecs | None = None
    grp: dict[str, Any] = field(default_factory=dict)
    pmt: dict[str, Any] | None = None
    pmt_n: int = 0
    messages: int = 0


def _row_pacs008(st: _State, t: dict[str, Any], sourceline: int | None) -> tuple[Any, ...]:
    g = st.grp
    errors = []
    txid = _first(t.get("txid"), t.get("e2eid"), t.get("instrid"), t.get("uetr"))
    if txid is None:
        errors.append("PmtId has no TxId, EndToEndId, InstrId or UETR")
    if "amount_el" not in t:
        errors.append("no IntrBkSttlmAmt element (FIToFICstmrCdtTrf/CdtTrfTxInf/IntrBkSttlmAmt)")
    return (
        txid,
        _first(
            t.get("iagt_bic"),
            t.get("iagt_nm"),
            g.get("iagt_bic"),
            g.get("iagt_nm"),
            t.get("dagt_bic"),
            t.get("dagt_nm"),
        ),
        _first(t.get("accptnc"), g.get("credttm"), t.get("sttlmdt"), g.get("sttlmdt")),
        t.get("amount"),
        t.get("currency"),
        CHANNEL,
        t.get("d_id"),
        t.get("d_name"),
        _first(t.get("d_iban"), t.get("d_othr")),
        _first(t.get("d_ctry"), t.get("d_res")),
        t.get("d_city"),
        _first(t.get("d_mob"), t.get("d_phne")),
        t.get("c_name"),
        _first(t.get("c_iban"), t.get("c_othr")),
        _first(t.get("cagt_bic"), t.get("cagt_nm")),
        _first(t.get("c_ctry"), t.get("c_res")),
        t.get("c_city"),
        _first(t.get("c_mob"), t.get("c_phne")),
        _joined(t.get("ustrd")) or _joined(t.get("sref")),
        st.n,
        _error(st, errors, sourceline),
    )


def _row_pain001(st: _State, t: dict[str, Any], sourceline: int | None) -> tuple[Any, ...]:
    g = st.grp
    p = st.pmt or {}
    errors = []
    txid = _first(t.get("e2eid"), t.get("instrid"))
    if txid is None:
        pmtinfid = p.get("pmtinfid")
        if pmtinfid is None:
            errors.append("PmtId has no EndToEndId or InstrId, and PmtInf has no PmtInfId")
        else:
            txid = f"{pmtinfid}/{st.pmt_n}"
    if "amount_el" not in t:
        errors.append("no Amt/InstdAmt element (CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf/Amt/InstdAmt)")
    return (
        txid,
        _first(p.get("dagt_bic"), p.get("dagt_nm")),
        _first(p.get("exdttm"), g.get("credttm"), p.get("exdt")),
        t.get("amount"),
        t.get("currency"),
        CHANNEL,
        p.get("d_id"),
        p.get("d_name"),
        _first(p.get("d_iban"), p.get("d_othr")),
        _first(p.get("d_ctry"), p.get("d_res")),
        p.get("d_city"),
        _first(p.get("d_mob"), p.get("d_phne")),
        t.get("c_name"),
        _first(t.get("c_iban"), t.get("c_othr")),
        _first(t.get("cagt_bic"), t.get("cagt_nm")),
        _first(t.get("c_ctry"), t.get("c_res")),
        t.get("c_city"),
        _first(t.get("c_mob"), t.get("c_phne")),
        _joined(t.get("ustrd")) or _joined(t.get("sref")),
        st.n,
        _error(st, errors, sourceline),
    )


def _error(st: _State, errors: list[str], sourceline: int | None) -> str | None:
    if not errors:
        return None
    where = f"transaction {st.n}" + (f" (XML line {sourceline})" if sourceline else "")
    return f"{where}: " + "; ".join(errors)


def _drop_before(elem: Any) -> None:
    """Free ``elem``'s content and everything already read before it, up to the root."""
    elem.clear(keep_tail=False)
    node = elem
    while node is not None:
        parent = node.getparent()
        if parent is None:
            break
        while node.getprevious() is not None:
            del parent[0]
        node = parent


def iter_batches(
    path: Path,
    batch_size: int = 50_000,
    *,
    workers: int | None = None,
    min_bytes: int | None = None,
    range_bytes: int | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream the credit transfers of an ISO 20022 pacs.008 or pain.001 file as Arrow batches.

    Every column is a raw string (see :data:`SCHEMA`) except ``line``, the 1-based number of the
    transaction in the file (int64), and ``_error``, set when the transaction is structurally
    unusable (e.g. it has no amount element): the row must then be quarantined with that reason.
    Raises :class:`InputFileError` for a file that cannot be read as a whole, possibly after some
    batches were yielded (a syntax error in the middle): the caller must then refuse the whole file.
    How many batches come before the error depends on how far the libxml2 build reads ahead, so the
    message names only what does not: the line and column of the fault.

    A one-message pacs.008 file of at least ``min_bytes`` (default 48 MiB) is read by ``workers``
    processes (default: the CPU count, at most 4; 1 reads sequentially), each parsing a range of
    about ``range_bytes`` (see :mod:`bantay.ingest.iso20022_parallel`); the rows are the same.
    """
    path = Path(path)
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    from bantay.ingest import iso20022_parallel as par

    n_workers = par.default_workers() if workers is None else workers
    if n_workers > 1:
        sniff(path)
        if path.stat().st_size >= (par.MIN_BYTES if min_bytes is None else min_bytes):
            batches = par.iter_batches_parallel(
                path, batch_size, n_workers, par.RANGE_BYTES if range_bytes is None else range_bytes
            )
            if batches is not None:
                yield from batches
                return
    yield from iter_sequential(path, batch_size)


def iter_sequential(path: Path, batch_size: int, skip: int = 0) -> Iterator[pa.RecordBatch]:
    """The sequential reader; ``skip`` transactions are counted but not extracted or yielded."""
    sniff(path)
    st = _State(path)
    cols = _Columns()
    tags = (
        "{*}Document",
        "{*}FIToFICstmrCdtTrf",
        "{*}CstmrCdtTrfInitn",
        "{*}GrpHdr",
        "{*}PmtInf",
        "{*}CdtTrfTxInf",
    )
    # An open file (not the name) so that it is closed however the iteration ends.
    with path.open("rb") as source:
        context = etree.iterparse(
            source,
            events=("start", "end"),
            tag=tags,
            **PARSER_OPTIONS,
        )
        elem: Any = None
        try:
            for event, elem in context:
                tag: str = elem.tag
                local = local_name(tag)
                if local == "CdtTrfTxInf":
                    if event == "start":
                        continue
                    specs = st.specs
                    if specs is None or tag != specs.tx_tag:
                        continue  # not a transaction of the message being read
                    st.n += 1
                    if st.n <= skip:
                        if specs.pmtinf is not None:
                            if st.pmt is None:  # before the header is dropped below
                                st.pmt = specs.pmtinf.extract(elem.getparent())
                            st.pmt_n += 1
                        elem.clear(keep_tail=False)
                        parent = elem.getparent()
                        while elem.getprevious() is not None:
                            del parent[0]
                        continue
                    if specs.pmtinf is not None:
                        if st.pmt is None:
                            st.pmt = specs.pmtinf.extract(elem.getparent())
                        st.pmt_n += 1
                        cols.add(_row_pain001(st, specs.tx.extract(elem), elem.sourceline))
                    else:
                        cols.add(_row_pacs008(st, specs.tx.extract(elem), elem.sourceline))
                    elem.clear(keep_tail=False)
                    parent = elem.getparent()
                    while elem.getprevious() is not None:
                        del parent[0]
                    if cols.n >= batch_size:
                        yield cols.batch()
                        cols = _Columns()
                elif event == "start":
                    if local == "Document":
                        _check_document(path, tag)
                    elif local in ("FIToFICstmrCdtTrf", "CstmrCdtTrfInitn"):
                        st.specs = _message_specs(path, tag)
                        st.grp = {}
                        st.messages += 1
                    elif local == "PmtInf":
                        st.pmt = None
                        st.pmt_n = 0
                elif local == "GrpHdr":
                    if st.specs is not None and tag == st.specs.grphdr_tag:
                        st.grp = st.specs.grphdr.extract(elem)
                elif local in ("FIToFICstmrCdtTrf", "CstmrCdtTrfInitn"):
                    st.specs = None
                elif local in ("Document", "PmtInf"):
                    if local == "PmtInf":
                        st.pmt = None
                    _drop_before(elem)
        except etree.XMLSyntaxError as exc:
            line, column = exc.position
            at = f"line {line}, column {column}" if line else "end of file"
            raise InputFileError(
                f"{path}: malformed XML at {at}: {_msg_without_position(exc.msg)} "
                "(the file is refused as a whole)"
            ) from None
        finally:
            # The parser and its tree go here, by reference count, while the file is open: an
            # error's traceback keeps this frame alive in a reference cycle, and the parser then
            # went to the garbage collector, which crashed in it now and then (whole-suite runs,
            # "Fatal Python error: Aborted" inside a later collection). The root is read first.
            root = context.root if st.messages == 0 else None
            elem = None
            context = None
        if st.messages == 0:
            found = (
                f"root element <{_clark_to_text(root.tag)}>" if root is not None else "no element"
            )
            root = None
            raise InputFileError(
                f"{path}: no pacs.008 (FIToFICstmrCdtTrf) or pain.001 (CstmrCdtTrfInitn) message "
                f"found; {found}"
            )
        if cols.n:
            yield cols.batch()


def _clark_to_text(tag: str) -> str:
    ns = ns_of(tag)
    return f"{local_name(tag)} xmlns={ns!r}" if ns else local_name(tag)


def _msg_without_position(msg: str) -> str:
    return re.sub(r",? line \d+, column \d+$", "", msg or "syntax error")


def _describe_ns(ns: str) -> str:
    if ns.startswith(ISO_NS_PREFIX):
        return f"ISO 20022 {ns.removeprefix(ISO_NS_PREFIX)}"
    return repr(ns) if ns else "no namespace"


def _check_document(path: Path, tag: str) -> None:
    ns = ns_of(tag)
    if specs_for(ns) is None:
        raise InputFileError(
            f"{path}: <Document> of {_describe_ns(ns)}; Bantay reads pacs.008.001.* "
            "(FIToFICstmrCdtTrf) and pain.001.001.* (CstmrCdtTrfInitn) only"
        )


def _message_specs(path: Path, tag: str) -> MessageSpecs:
    ns = ns_of(tag)
    local = local_name(tag)
    specs = specs_for(ns)
    expected = "pacs.008" if local == "FIToFICstmrCdtTrf" else "pain.001"
    if specs is None or specs.kind != expected:
        raise InputFileError(
            f"{path}: <{local}> in {_describe_ns(ns)}; expected the namespace "
            f"{ISO_NS_PREFIX}{expected}.001.NN"
        )
    return specs


# --------------------------------------------------------------------------------------------------
# Writer

_IBAN_RE: Final = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC_RE: Final = re.compile(r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_USTRD_MAX: Final = 140


def _text(v: object) -> str | None:
    """A row value as XML text; None and "" are absent."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return format(v, "f")
    s = str(v)
    return s or None


def _split_memo(memo: str) -> list[str]:
    """Split a memo into Ustrd chunks of at most 140 characters that join back with one space."""
    chunks: list[str] = []
    while len(memo) > _USTRD_MAX:
        cut = memo.rfind(" ", 1, _USTRD_MAX + 1)
        if cut <= 0:  # no space to split at: hard split (joining adds a space)
            chunks.append(memo[:_USTRD_MAX])
            memo = memo[_USTRD_MAX:]
        else:
            chunks.append(memo[:cut])
            memo = memo[cut + 1 :]
    chunks.append(memo)
    return chunks


class _Writer:
    """Writes the elements of one namespace to an open ``etree.xmlfile``, element by element."""

    def __init__(self, xf: Any, ns: str) -> None:
        self.xf = xf
        self.ns = ns
        self._tags: dict[str, str] = {}
        # Versions before pacs.008.001.04 / pain.001.001.04 name the BIC element "BIC".
        version = int(ns.rsplit(".", 1)[1]) if ns.startswith(ISO_NS_PREFIX) else 99
        self.bic = "BICFI" if version >= 4 else "BIC"

    def q(self, local: str) -> str:
        tag = self._tags.get(local)
        if tag is None:
            tag = self._tags[local] = f"{{{self.ns}}}{local}"
        return tag

    def el(self, local: str, attrib: Mapping[str, str] | None = None, *, root: bool = False) -> Any:
        """Context manager writing ``<local>…</local>``."""
        nsmap = {None: self.ns} if root else None
        return self.xf.element(self.q(local), attrib or {}, nsmap=nsmap)

    def leaf(self, local: str, text: str | None) -> None:
        """``<local>text</local>``, only when text is given."""
        if text is not None:
            with self.xf.element(self.q(local)):
                self.xf.write(text)

    def path(self, locals_: str, text: str | None) -> None:
        """``<a><b><c>text</c></b></a>`` for ``a/b/c``, only when text is given."""
        if text is None:
            return
        head, _, rest = locals_.partition("/")
        if not rest:
            self.leaf(head, text)
            return
        with self.el(head):
            self.path(rest, text)

    def nl(self) -> None:
        self.xf.write("\n")

    def agent(self, local: str, bic_or_name: str | None) -> None:
        with self.el(local), self.el("FinInstnId"):
            if bic_or_name is None:
                self.path("Othr/Id", NOTPROVIDED)
            elif _BIC_RE.match(bic_or_name):
                self.leaf(self.bic, bic_or_name)
            else:
                self.leaf("Nm", bic_or_name)

    def party(self, local: str, row: _Row, side: str) -> None:
        with self.el(local):
            self.leaf("Nm", _text(row.get(f"{side}_name")))
            city, ctry = _text(row.get(f"{side}_city")), _text(row.get(f"{side}_country"))
            if city is not None or ctry is not None:
                with self.el("PstlAdr"):
                    self.leaf("TwnNm", city)
                    self.leaf("Ctry", ctry)
            if side == "payer":
                self.path("Id/PrvtId/Othr/Id", _text(row.get("payer_ref")))
            self.path("CtctDtls/MobNb", _text(row.get(f"{side}_phone")))

    def account(self, local: str, account: str | None) -> None:
        if account is None:
            return
        with self.el(local), self.el("Id"):
            if _IBAN_RE.match(account):
                self.leaf("IBAN", account)
            else:
                self.path("Othr/Id", account)

    def amount(self, local: str, row: _Row) -> None:
        amount, currency = _text(row.get("amount")), _text(row.get("currency"))
        if not amount or not currency:
            # never invent a value: a message without amount or currency would misstate the row
            raise ValueError(
                f"transaction {row.get('transaction_id')!r}: amount and currency are required"
            )
        with self.el(local, {"Ccy": currency}):
            self.xf.write(amount)

    def remittance(self, memo: str | None) -> None:
        if memo is None:
            return
        with self.el("RmtInf"):
            for chunk in _split_memo(memo):
                self.leaf("Ustrd", chunk)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


#: NbOfTxs of a message whose size is unknown until written: patched in place afterwards, padded
#: with whitespace between elements (legal XML), so one message can be streamed in a single pass.
_NB_PLACEHOLDER: Final = "0" * 15
_PMTINF_MAX: Final = 10_000

_Row = Mapping[str, object]
#: Writes one message (rows, count if known) to an open xmlfile; returns the number written.
_MessageWriter = Callable[[Any, Iterator[_Row], str, int | None], int]


def _blocks(rows: Iterable[_Row], size: int) -> Iterator[tuple[_Row, ...]]:
    it = iter(rows)
    while block := tuple(itertools.islice(it, size)):
        yield block


def _write_app_header(xf: Any, msg_id: str, sender: str, msg_def: str, created: str) -> None:
    w = _Writer(xf, HEAD_NS)
    with w.el("AppHdr", root=True):
        for local in ("Fr", "To"):
            if _BIC_RE.match(sender):
                w.path(f"{local}/FIId/FinInstnId/BICFI", sender)
            else:
                w.path(f"{local}/OrgId/Nm", sender)
        w.leaf("BizMsgIdr", msg_id)
        w.leaf("MsgDefIdr", msg_def)
        w.leaf("CreDt", created)
    w.nl()


def _grp_hdr_start(w: _Writer, msg_id: str, created: str, n: int | None) -> None:
    w.leaf("MsgId", msg_id)
    w.leaf("CreDtTm", created)
    w.leaf("NbOfTxs", _NB_PLACEHOLDER if n is None else str(n))


def write_pacs008(
    rows: Iterable[_Row],
    path: Path,
    msg_id: str,
    instructing_bic: str,
    batch_per_message: int | None = None,
    *,
    namespace: str = PACS008_NS,
    app_header: bool = False,
    created: str | None = None,
) -> int:
    """Write rows with canonical Transaction keys as pacs.008 (FIToFICstmrCdtTrf); return the count.

    Streamed: rows are consumed as they are written (one message of ``batch_per_message`` rows at a
    time when given), so 10M rows need no more memory than a few. One message without header is
    written as a bare ``<Document>``; several messages, or ``app_header=True`` (a BAH ``AppHdr``
    before each ``Document``), are wrapped in one ``<Messages>`` root. ``instructing_bic`` is the
    group header's instructing agent; a row whose ``institution`` differs gets its own
    transaction-level ``InstgAgt``. ``transaction_id`` is written as ``EndToEndId`` and ``TxId``,
    ``timestamp`` as ``AccptncDtTm``; None and "" values are left out.
    """
    if not PACS008_RE.match(namespace):
        raise ValueError(f"not a pacs.008 namespace: {namespace}")
    created = created or _now()

    def message(xf: Any, rows: Iterator[_Row], mid: str, n: int | None) -> int:
        w = _Writer(xf, namespace)
        count = 0
        with w.el("Document", root=True):
            w.nl()
            with w.el("FIToFICstmrCdtTrf"):
                w.nl()
                with w.el("GrpHdr"):
                    _grp_hdr_start(w, mid, created, n)
                    w.path("SttlmInf/SttlmMtd", "INDA")
                    w.agent("InstgAgt", instructing_bic)
                w.nl()
                for row in rows:
                    _pacs008_tx(w, row, instructing_bic)
                    w.nl()
                    count += 1
            w.nl()
        return count

    return _write(
        path,
        rows,
        batch_per_message,
        msg_id,
        app_header,
        instructing_bic,
        namespace,
        created,
        message,
    )


def _pacs008_tx(w: _Writer, row: _Row, instructing_bic: str) -> None:
    txid = _text(row.get("transaction_id"))
    institution = _text(row.get("institution"))
    with w.el("CdtTrfTxInf"):
        with w.el("PmtId"):
            w.leaf("EndToEndId", txid or NOTPROVIDED)
            w.leaf("TxId", txid)
        w.amount("IntrBkSttlmAmt", row)
        w.leaf("AccptncDtTm", _text(row.get("timestamp")))
        w.leaf("ChrgBr", "SHAR")
        if institution is not None and institution != instructing_bic:
            w.agent("InstgAgt", institution)
        w.party("Dbtr", row, "payer")
        w.account("DbtrAcct", _text(row.get("payer_account")))
        w.agent("DbtrAgt", institution or instructing_bic)
        w.agent("CdtrAgt", _text(row.get("beneficiary_institution")))
        w.party("Cdtr", row, "beneficiary")
        w.account("CdtrAcct", _text(row.get("beneficiary_account")))
        w.remittance(_text(row.get("memo")))


_PAIN_PAYER_KEYS: Final = field_list(
    "transactions",
    "institution",
    "timestamp",
    "payer_ref",
    "payer_name",
    "payer_account",
    "payer_country",
    "payer_city",
    "payer_phone",
    inputs=True,
)


def write_pain001(
    rows: Iterable[_Row],
    path: Path,
    msg_id: str,
    initiating_party: str,
    batch_per_message: int | None = None,
    *,
    namespace: str = PAIN001_NS,
    app_header: bool = False,
    created: str | None = None,
) -> int:
    """Write rows with canonical Transaction keys as pain.001 (CstmrCdtTrfInitn); return the count.

    Consecutive rows with the same payer, institution (the debtor agent) and timestamp share one
    payment information block (``PmtInf``, at most 10,000 transactions), whose
    ``ReqdExctnDt/DtTm`` is the timestamp (a date ``ReqdExctnDt`` before pain.001.001.08).
    ``transaction_id`` is written as ``InstrId`` and ``EndToEndId``. Otherwise as
    :func:`write_pacs008`, ``initiating_party`` being the name of the group header's ``InitgPty``.
    """
    if not PAIN001_RE.match(namespace):
        raise ValueError(f"not a pain.001 namespace: {namespace}")
    version = int(namespace.rsplit(".", 1)[1])
    created = created or _now()

    def payer_key(row: _Row) -> tuple[str | None, ...]:
        return tuple(_text(row.get(k)) for k in _PAIN_PAYER_KEYS)

    def message(xf: Any, rows: Iterator[_Row], mid: str, n: int | None) -> int:
        w = _Writer(xf, namespace)
        count = 0
        with w.el("Document", root=True):
            w.nl()
            with w.el("CstmrCdtTrfInitn"):
                w.nl()
                with w.el("GrpHdr"):
                    _grp_hdr_start(w, mid, created, n)
                    w.path("InitgPty/Nm", initiating_party)
                w.nl()
                n_pmt = 0
                for _, group in itertools.groupby(rows, key=payer_key):
                    for block in _blocks(group, _PMTINF_MAX):
                        n_pmt += 1
                        _pain001_pmtinf(w, block, f"{mid}-{n_pmt}", version)
                        w.nl()
                        count += len(block)
            w.nl()
        return count

    return _write(
        path,
        rows,
        batch_per_message,
        msg_id,
        app_header,
        initiating_party,
        namespace,
        created,
        message,
    )


def _pain001_pmtinf(w: _Writer, rows: tuple[_Row, ...], pmtinf_id: str, version: int) -> None:
    first = rows[0]
    ts = _text(first.get("timestamp"))
    with w.el("PmtInf"):
        w.leaf("PmtInfId", pmtinf_id)
        w.leaf("PmtMtd", "TRF")
        w.leaf("NbOfTxs", str(len(rows)))
        if version < 8:
            w.leaf("ReqdExctnDt", (ts or _now())[:10])
        elif ts is not None and "T" in ts:
            w.path("ReqdExctnDt/DtTm", ts)
        else:
            w.path("ReqdExctnDt/Dt", ts or _now()[:10])
        w.party("Dbtr", first, "payer")
        w.account("DbtrAcct", _text(first.get("payer_account")) or NOTPROVIDED)
        w.agent("DbtrAgt", _text(first.get("institution")))
        for row in rows:
            txid = _text(row.get("transaction_id"))
            with w.el("CdtTrfTxInf"):
                with w.el("PmtId"):
                    w.leaf("InstrId", txid)
                    w.leaf("EndToEndId", txid or NOTPROVIDED)
                with w.el("Amt"):
                    w.amount("InstdAmt", row)
                w.agent("CdtrAgt", _text(row.get("beneficiary_institution")))
                w.party("Cdtr", row, "beneficiary")
                w.account("CdtrAcct", _text(row.get("beneficiary_account")))
                w.remittance(_text(row.get("memo")))


def _write(
    path: Path,
    rows: Iterable[_Row],
    batch_per_message: int | None,
    msg_id: str,
    app_header: bool,
    sender: str,
    namespace: str,
    created: str,
    message: _MessageWriter,
) -> int:
    if batch_per_message is not None and batch_per_message < 1:
        raise ValueError("batch_per_message must be at least 1 (or None for one message)")
    path = Path(path)
    msg_def = namespace.removeprefix(ISO_NS_PREFIX)
    it = iter(rows)
    count = 0
    wrapper_ns = ns_of(WRAPPER_TAG)
    with etree.xmlfile(str(path), encoding="utf-8") as xf:
        xf.write_declaration()
        if batch_per_message is None:
            # One message, streamed; its NbOfTxs is patched in once the count is known.
            if app_header:
                with xf.element(WRAPPER_TAG, nsmap={None: wrapper_ns}):
                    xf.write("\n")
                    _write_app_header(xf, msg_id, sender, msg_def, created)
                    count = message(xf, it, msg_id, None)
                    xf.write("\n")
            else:
                count = message(xf, it, msg_id, None)
        else:
            first = list(itertools.islice(it, batch_per_message))
            second = list(itertools.islice(it, batch_per_message))
            if not app_header and not second:
                count = message(xf, iter(first), msg_id, len(first))
            else:
                chunks = itertools.chain(
                    (first, second) if second else (first,),
                    iter(lambda: list(itertools.islice(it, batch_per_message)), []),
                )
                with xf.element(WRAPPER_TAG, nsmap={None: wrapper_ns}):
                    xf.write("\n")
                    for i, chunk in enumerate(chunks, start=1):
                        mid = f"{msg_id}-{i}" if second else msg_id
                        if app_header:
                            _write_app_header(xf, mid, sender, msg_def, created)
                        count += message(xf, iter(chunk), mid, len(chunk))
                        xf.write("\n")
    if batch_per_message is None:
        _patch_count(path, count)
    return count


def _patch_count(path: Path, count: int) -> None:
    """Replace the NbOfTxs placeholder near the start of ``path`` by ``count``, same length."""
    placeholder = f"<NbOfTxs>{_NB_PLACEHOLDER}</NbOfTxs>".encode()
    actual = f"<NbOfTxs>{count}</NbOfTxs>".encode().ljust(len(placeholder))
    with path.open("r+b") as f:
        head = f.read(_SNIFF_BYTES)
        at = head.find(placeholder)
        if at < 0:  # pragma: no cover - the header is always written within the first bytes
            raise RuntimeError(f"{path}: NbOfTxs placeholder not found")
        f.seek(at)
        f.write(actual)
