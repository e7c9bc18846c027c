"""pacs.008 files read in parallel: split at transaction boundaries, each range in its own process.

The sequential reader (:func:`bantay.ingest.iso20022.iter_batches`) spends three quarters of its
time in Python, walking each transaction's elements. For a large pacs.008 file with one message
(the common case: one bank's day of outgoing transfers), this module instead

1. reads the head of the file with the sequential reader's own code (document and message checks,
   the group header) and notes the chain of open elements around the first transaction
   (``Document/FIToFICstmrCdtTrf``, or inside a wrapper);
2. cuts the file into byte ranges of about ``range_bytes``, each cut just before a
   ``<CdtTrfTxInf`` start tag;
3. reads each range in a worker process, by one of two paths, into an Arrow batch of raw fields;
   the fallbacks between fields (TxId, else EndToEndId, ...; the group header's values) are then
   applied with Arrow compute, exactly as the sequential reader applies them.

The scan path (most ranges) reads the range as text, without a tree. A transaction's *skeleton*
is its tags (names, attributes and values, in order) and which of its texts are empty. The first
transaction of each skeleton is checked and mapped by lxml: its skeleton, with every text replaced
by a numbered marker, is parsed inside the chain's start and end tags and read by the sequential
reader's own extraction, which tells which text gives which field. Every transaction of that
skeleton is then matched by one regex of its literal tags, capturing those texts (entities are
decoded afterwards). The range's bytes are checked as a whole so that lxml would parse them, and
read the same texts: valid UTF-8, no character XML forbids, ``&`` only in the five predefined
entities, no ``]]>``; line ends ``\r\n`` are read as ``\n``, as lxml reads them. Ranges with
comments, processing instructions or a carriage return not before a newline after the head
(which lxml drops, merges or normalises), ``>`` inside an attribute value, or anything between
transactions but text (other than the head, checked by lxml, and the chain's end tags) go to the
tree path.

The tree path parses the range as a document of its own: the chain's start tags (with every
namespace declaration in scope), the range's bytes, the chain's end tags; one compiled XSLT
(libxslt, in C) writes every transaction's raw fields as delimited text.

Correctness does not rest on the cuts being right. A worker refuses its range (and the whole read
falls back to the sequential reader, resuming after the transactions already yielded) when the
range does not parse, when its document is not exactly one chain with transactions as direct
children of the one message, when a transaction nests another, or when the bytes hold a
character reference, a CDATA section or the delimiters' own characters (the scan path leaves any
range it cannot read exactly to the tree path, which reads or refuses it). A syntax error
therefore surfaces with the sequential reader's message (line, column, transactions read before
it); a file with several messages, or pain.001, is read sequentially. Tests compare the two
readers row for row, on both paths.
"""

from __future__ import annotations

import json
import logging
import operator
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from bantay.ingest import iso20022 as seq
from bantay.ingest import iso20022_fields as iso

__all__ = ["MIN_BYTES", "RANGE_BYTES", "default_workers", "iter_batches_parallel"]

log = logging.getLogger(__name__)

#: Files smaller than this are read sequentially (starting workers costs about a second).
MIN_BYTES: Final = 48 << 20
#: Bytes per range: about 10,000 transactions of 850 bytes; a worker peaks at ~25x this.
RANGE_BYTES: Final = 8 << 20

_FS: Final = "\ue000"  # field separator (Unicode private use: refused in the data, see _REFUSE)
_RS: Final = "\ue001"  # record separator
#: Byte strings whose presence sends a range to the sequential reader: the separators (UTF-8),
#: character references (which could spell them), CDATA (an empty one is text "" to lxml).
_CDATA: Final = b"<![CDATA["
_REFUSE: Final = (_FS.encode(), _RS.encode(), b"&#", _CDATA)
_LT, _BANG, _QUERY, _SPACE, _NL, _TAB, _CR = b"<!? \n\t\r"  # byte values
_XSL: Final = "http://www.w3.org/1999/XSL/Transform"

# The raw keys of the pacs.008 transaction spec, each with an XPath 1.0 expression relative to
# CdtTrfTxInf that selects what `Spec.extract` keeps for it. Generated from the spec itself.


#: lxml's `.text`: the first child node when it is text (comments and PIs are removed at parse,
#: CDATA is refused, so adjacent text is one node); also right for elements with children.
_TEXT: Final = "node()[1][self::text()]"
#: Marks a present attribute, so that an empty one ("") stays apart from a missing one (null).
_PRESENT: Final = "~"


def _leaf(step: str) -> str:
    # a leaf with text: `Spec.extract` skips elements with children and elements whose .text is
    # None; [1] applies per context node, and value-of then takes the first in document order.
    return f"{step}[not(*)][text()][1]"


def _key_exprs(spec: dict[str, tuple[int, Any]]) -> list[tuple[str, str, str]]:
    """(key, kind, XPath) for every key the transaction spec can produce, in a fixed order."""
    out: list[tuple[str, str, str]] = []
    for local, (kind, arg) in spec.items():
        if kind in (iso.SECTION, iso.PARTY_SECTION):
            by_key: dict[str, list[str]] = {}
            for tag, key in arg.items():
                if kind == iso.PARTY_SECTION and tag == "Nm":
                    step = f"m:{local}/m:Nm"  # the party's own name, not CtctDtls/Nm
                else:
                    step = f"m:{local}/descendant::m:{tag}"
                by_key.setdefault(key, []).append(_leaf(step))
            for key, steps in by_key.items():
                out.append((key, "first", " | ".join(steps)))
        elif kind == iso.LEAF:
            out.append((arg, "value", f"m:{local}[last()]/{_TEXT}"))
        elif kind == iso.AMOUNT:
            out.append(("amount_el", "exists", f"m:{local}"))
            out.append(("amount", "value", f"m:{local}[last()]/{_TEXT}"))
            out.append(("currency", "attribute", f"m:{local}[last()]/@Ccy"))
        elif kind == iso.MULTI:
            for tag, key in arg.items():
                out.append((key, "join", f"m:{local}/descendant::m:{tag}/{_TEXT}"))
        else:  # pragma: no cover - pain.001 kinds; this module reads pacs.008 only
            raise ValueError(f"unsupported spec kind {kind} for {local}")
    return out


_KEYS: Final = {key: (kind, expr) for key, kind, expr in _key_exprs(iso.PACS008_TX)}
_GRP: Final = "grp:"  # a group header value, the same for every transaction of the message

#: The columns as composed from the raw keys: iso20022._row_pacs008 as data. "first" is
#: iso20022._first (the first present value that is not NOTPROVIDED), "value" the raw value,
#: "join" the first of the joined lists that is not empty. The last column is the amount
#: element's presence (for the error), not a field.
_OUTPUTS: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("transaction_id", "first", ("txid", "e2eid", "instrid", "uetr")),
    (
        "institution",
        "first",
        ("iagt_bic", "iagt_nm", "grp:iagt_bic", "grp:iagt_nm", "dagt_bic", "dagt_nm"),
    ),
    ("timestamp", "first", ("accptnc", "grp:credttm", "sttlmdt", "grp:sttlmdt")),
    ("amount", "value", ("amount",)),
    ("currency", "value", ("currency",)),
    ("payer_ref", "value", ("d_id",)),
    ("payer_name", "value", ("d_name",)),
    ("payer_account", "first", ("d_iban", "d_othr")),
    ("payer_country", "first", ("d_ctry", "d_res")),
    ("payer_city", "value", ("d_city",)),
    ("payer_phone", "first", ("d_mob", "d_phne")),
    ("beneficiary_name", "value", ("c_name",)),
    ("beneficiary_account", "first", ("c_iban", "c_othr")),
    ("beneficiary_institution", "first", ("cagt_bic", "cagt_nm")),
    ("beneficiary_country", "first", ("c_ctry", "c_res")),
    ("beneficiary_city", "value", ("c_city",)),
    ("beneficiary_phone", "first", ("c_mob", "c_phne")),
    ("memo", "join", ("ustrd", "sref")),
    ("amount_el", "value", ("amount_el",)),
)


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _select(key: str) -> str:
    """XSLT that writes raw key `key`'s value (nothing when absent)."""
    kind, expr = _KEYS[key]
    if kind == "exists":
        return f'<xsl:if test="{expr}">1</xsl:if>'
    if kind == "attribute":
        return f'<xsl:for-each select="{expr}">{_PRESENT}<xsl:value-of select="."/></xsl:for-each>'
    if kind == "join":
        return (
            f'<xsl:for-each select="{expr}"><xsl:if test="position() &gt; 1">'
            '<xsl:text> </xsl:text></xsl:if><xsl:value-of select="."/></xsl:for-each>'
        )
    return f'<xsl:value-of select="{expr}"/>'


def _column(col: int, how: str, keys: tuple[str, ...], grp: dict[str, Any]) -> str:
    """XSLT that writes one output column; `grp` values are baked in as literal text."""
    if how == "value":
        return _select(keys[0])
    if how == "join":  # the first list that has an element with text
        return (
            f'<xsl:choose><xsl:when test="{_KEYS[keys[0]][1]}">{_select(keys[0])}</xsl:when>'
            f"<xsl:otherwise>{_select(keys[1])}</xsl:otherwise></xsl:choose>"
        )
    # nested: each candidate's string is computed once, the next only when it is absent or
    # NOTPROVIDED (a selected node always has text, so "" means absent)
    out = ""
    for i, key in reversed(list(enumerate(keys))):
        if key.startswith(_GRP):
            value = grp.get(key.removeprefix(_GRP))
            if value is not None and value != iso.NOTPROVIDED:
                out = f"<xsl:text>{_xml_text(value)}</xsl:text>"
            continue
        v = f"c{col}k{i}"
        out = (
            f'<xsl:variable name="{v}" select="string({_KEYS[key][1]})"/><xsl:choose>'
            f"<xsl:when test=\"${v} != '' and ${v} != '{iso.NOTPROVIDED}'\">"
            f'<xsl:value-of select="${v}"/></xsl:when><xsl:otherwise>{out}</xsl:otherwise>'
            "</xsl:choose>"
        )
    return out


@dataclass(frozen=True, slots=True)
class _Chain:
    """The open elements around the transactions: (namespace, local name, prefix) outermost first,
    the last being the message (FIToFICstmrCdtTrf); `nsmaps` are their in-scope declarations."""

    elements: tuple[tuple[str, str, str | None], ...]
    nsmaps: tuple[tuple[tuple[str | None, str], ...], ...]
    tx_prefix: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "elements": [list(e) for e in self.elements],
            "nsmaps": [[list(kv) for kv in m] for m in self.nsmaps],
            "tx_prefix": self.tx_prefix,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Chain:
        return cls(
            tuple((e[0], e[1], e[2]) for e in data["elements"]),
            tuple(tuple((kv[0], kv[1]) for kv in m) for m in data["nsmaps"]),
            data["tx_prefix"],
        )

    @property
    def ns(self) -> str:
        return self.elements[-1][0]

    def start_tags(self) -> bytes:
        parts = ['<?xml version="1.0" encoding="UTF-8"?>']
        for (_, local, prefix), nsmap in zip(self.elements, self.nsmaps, strict=True):
            decls = "".join(
                f' xmlns="{_attr(uri)}"' if p is None else f' xmlns:{p}="{_attr(uri)}"'
                for p, uri in nsmap
            )
            parts.append(f"<{prefix + ':' if prefix else ''}{local}{decls}>")
        return "".join(parts).encode()

    def end_tags(self) -> bytes:
        return "".join(
            f"</{prefix + ':' if prefix else ''}{local}>"
            for _, local, prefix in reversed(self.elements)
        ).encode()

    def path(self) -> str:
        """XPath from the document root to the message element, with prefixes c0, c1, ..."""
        return "".join(
            f"/c{i}:{local}" if uri else f"/*[local-name() = '{local}' and namespace-uri() = '']"
            for i, (uri, local, _) in enumerate(self.elements)
        )

    def namespaces(self) -> dict[str, str]:
        ns = {f"c{i}": uri for i, (uri, _, _) in enumerate(self.elements) if uri}
        ns["m"] = self.ns
        return ns


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _stylesheet(chain: _Chain, grp: dict[str, Any]) -> bytes:
    ns = chain.namespaces()
    decls = " ".join(f'xmlns:{p}="{_attr(uri)}"' for p, uri in ns.items())
    body = f"<xsl:text>{_FS}</xsl:text>".join(
        _column(c, how, keys, grp) for c, (_, how, keys) in enumerate(_OUTPUTS)
    )
    return (
        f'<xsl:stylesheet version="1.0" xmlns:xsl="{_XSL}" {decls}>'
        '<xsl:output method="text" encoding="UTF-8"/>'
        f'<xsl:template match="/"><xsl:for-each select="{chain.path()}/m:CdtTrfTxInf">'
        f"{body}<xsl:text>{_RS}</xsl:text>"
        "</xsl:for-each></xsl:template></xsl:stylesheet>"
    ).encode()


# --------------------------------------------------------------------------------------------------
# Worker side

_PARSER: etree.XMLParser | None = None
_XSLT_CACHE: dict[tuple[_Chain, str], etree.XSLT] = {}


def _parser() -> etree.XMLParser:
    global _PARSER
    if _PARSER is None:  # the sequential reader's options, for the same trees
        _PARSER = etree.XMLParser(**iso.PARSER_OPTIONS)
    return _PARSER


@dataclass(slots=True)
class _RangeResult:
    n: int  # transactions in the range
    newlines: int  # b"\n" in the range's bytes
    columns: list[pa.Array] | None  # FIELDS (without line and _error), or None: refused
    errors: list[tuple[int, int | None, str]]  # (index in range, line in range, reasons)
    refused: str | None = None
    how: str = ""  # "scan" or "tree": which path read the range


def _refuse(newlines: int, why: str) -> _RangeResult:
    return _RangeResult(0, newlines, None, [], why)


def _read_range(
    path: str, start: int, end: int, chain: _Chain, first: bool, last: bool, grp: dict[str, Any]
) -> _RangeResult:
    """Parse bytes [start, end) of `path` (see the module docstring); runs in a worker."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    newlines = data.count(b"\n")
    # bytes.find runs at about 1 GB/s, slower still for needles starting with the frequent "<":
    # numpy finds the rare bytes, then checks what follows or precedes them
    a = np.frombuffer(data, np.uint8)
    marks = np.flatnonzero((a == _BANG) | (a == _QUERY))
    marks = marks[marks > 0]
    markup = marks[a[marks - 1] == _LT] - 1  # offsets of "<!" and "<?"
    for needle in _REFUSE:
        if (len(markup) and needle in data) if needle == _CDATA else _has(a, needle):
            return _refuse(newlines, f"contains {needle!r}")
    # characters below U+0020 other than tab, newline and carriage return: left to lxml
    controls = np.flatnonzero(a < 0)  # none, unless counted below
    if np.count_nonzero(a < _SPACE) != newlines + data.count(b"\t") + data.count(b"\r"):
        controls = np.flatnonzero((a < _SPACE) & (a != _NL) & (a != _TAB) & (a != _CR))
    scanned = _scan_range(data, a, chain, first, last, grp, markup, controls)
    if scanned is not None:
        columns, errors = scanned
        return _RangeResult(len(columns[0]), newlines, columns, errors, how="scan")
    return _tree_range(data, newlines, chain, first, last, grp)


def _has(a: npt.NDArray[np.uint8], *needles: bytes) -> bool:
    """Whether bytes `a` hold one of `needles`, of one length and first byte, a rare one."""
    size = len(needles[0])
    first = np.flatnonzero(a[: len(a) - size + 1] == needles[0][0])
    for needle in needles:
        at = first
        for k in range(1, size):
            at = at[a[at + k] == needle[k]]
        if len(at):
            return True
    return False


def _check_message(root: Any, chain: _Chain, first: bool) -> tuple[Any, str | None]:
    """The message element of a range's (or head's) tree, or why the tree is refused."""
    message = root.xpath(chain.path(), namespaces=chain.namespaces())
    if len(message) != 1:
        return None, "not exactly one message"
    # every level of the chain exactly once (xpath above matched one path, but a level could
    # repeat with an empty sibling: count each level's elements of the chain's name)
    node = message[0]
    while node is not None:
        parent = node.getparent()
        if parent is not None and len(parent.findall(node.tag)) != 1:
            return None, f"{node.tag} repeated"
        node = parent
    tx, other, grp_hdr = (
        f"{{{chain.ns}}}{local}" for local in ("CdtTrfTxInf", "SplmtryData", "GrpHdr")
    )
    header = first  # a group header is read before the first transaction only (see _read_head)
    for child in message[0]:
        tag = child.tag
        if tag == tx:
            header = False
        elif tag != other and not (header and tag == grp_hdr):
            return None, "message holds other elements"
    return message[0], None


def _tree_range(
    data: bytes, newlines: int, chain: _Chain, first: bool, last: bool, grp: dict[str, Any]
) -> _RangeResult:
    """The range parsed by lxml, its fields written as text by one compiled XSLT."""
    doc = (b"" if first else chain.start_tags()) + data + (b"" if last else chain.end_tags())
    try:
        root = etree.fromstring(doc, _parser())
    except etree.XMLSyntaxError as exc:
        return _refuse(newlines, f"syntax error: {exc}")
    message, why = _check_message(root, chain, first)
    if why is not None:
        return _refuse(newlines, why)
    txs = message.findall(f"{{{chain.ns}}}CdtTrfTxInf")
    n = len(txs)
    if data.count(b"CdtTrfTxInf") != 2 * n:  # nested, self-closed, in a comment or in text
        return _refuse(newlines, "CdtTrfTxInf other than the message's transactions")
    cache_key = (chain, json.dumps(grp, sort_keys=True))
    transform = _XSLT_CACHE.get(cache_key)
    if transform is None:
        transform = _XSLT_CACHE[cache_key] = etree.XSLT(etree.XML(_stylesheet(chain, grp)))
    text = str(transform(root))
    del root, message
    rows = text.split(_RS)
    rows.pop()  # after the last separator
    if len(rows) != n:  # pragma: no cover - guarded by _REFUSE
        return _refuse(newlines, f"{len(rows)} rows from {n} transactions")
    fields = list(zip(*(r.split(_FS) for r in rows), strict=True)) if rows else []
    raw = {
        name: _nullify(pa.array(col, pa.string()))
        for (name, _, _), col in zip(_OUTPUTS, fields or [()] * len(_OUTPUTS), strict=True)
    }
    raw["currency"] = pc.utf8_slice_codeunits(raw["currency"], len(_PRESENT))
    columns, errors = _compose(raw, lambda i: txs[i].sourceline)
    return _RangeResult(n, newlines, columns, errors, how="tree")


# --------------------------------------------------------------------------------------------------
# Scan path: the range as text, each transaction matched by the regex of its skeleton

#: The raw keys, in the order of a scanned row.
_RAW_KEYS: Final = tuple(_KEYS)
#: Keys whose value a plan holds as read by lxml (attribute values, presence), not as raw text.
_CONST_KEYS: Final = frozenset({"currency", "amount_el"})
_PIECES: Final = re.compile(r"(<[^>]*>)")
_SKELETON: Final = re.compile(r">[^<]+<")
_NAME: Final = r"[^\s/<>=\"'!?][^\s/<>=\"']*"
_TAG_OK: Final = re.compile(
    rf"<{_NAME}(?:\s+{_NAME}\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*\s*/?>|</{_NAME}\s*>"
)
_MARKER: Final = re.compile(f"{_FS}(\\d+){_RS}")
#: "&" that does not start one of the five predefined entities (character references are
#: refused before, see _REFUSE).
_BAD_AMP: Final = re.compile(r"&(?!(?:lt|gt|amp|quot|apos);)")
_ENTITIES: Final = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))
#: Text nodes above libxml2's limit without huge_tree are errors: leave such ranges to lxml.
_SCAN_MAX: Final = 9_000_000
_RECENT: Final = 4  # plans tried in turn before a transaction's skeleton is computed


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to read transactions with one skeleton: the same tags, attributes included, in the
    same order, with the same texts empty or not. `regex` matches such a transaction and
    captures the texts that hold fields; `get` picks the row of raw keys from the captures
    followed by `consts` (values that do not depend on the texts); `joins` are (position, captures)
    of list keys read from several texts; `line_at` the offset of the start tag's ">"."""

    regex: re.Pattern[str]
    get: Callable[[tuple[Any, ...]], tuple[Any, ...]]
    consts: tuple[Any, ...]
    joins: tuple[tuple[int, tuple[int, ...]], ...]
    line_at: int
    present: frozenset[int]  # positions of the keys that are not always null


_PLANS: dict[tuple[_Chain, str], _Plan | None] = {}
_PLANS_MAX: Final = 1_000  # skeletons kept by a worker (a plan holds a compiled regex)
#: A range with more skeletons than this (an attribute unique to each transaction, say) is read
#: as a tree: making a plan (lxml, a regex) costs as much as reading ~30 transactions that way.
_RANGE_PLANS_MAX: Final = 100


def _make_plan(tx: str, chain: _Chain) -> _Plan | None:
    """The plan for transactions shaped as `tx` (one transaction's text), or None when it cannot
    be scanned. Which text gives which field is found by the sequential reader's own extraction,
    run by lxml on the skeleton with each text replaced by a numbered marker."""
    pieces = _PIECES.split(tx)
    tags, texts = pieces[1::2], pieces[2::2]
    if pieces[0] or texts[-1] or not all(_TAG_OK.fullmatch(tag) for tag in tags):
        return None  # e.g. ">" in an attribute value: the pieces are not the tags
    marked = "".join(
        tag + (f"{_FS}{k}{_RS}" if text else "")
        for k, (tag, text) in enumerate(zip(tags, texts, strict=True))
    )
    try:
        root = etree.fromstring(chain.start_tags() + marked.encode() + chain.end_tags(), _parser())
    except etree.XMLSyntaxError:
        return None
    specs = iso.specs_for(chain.ns)
    message = root.xpath(chain.path(), namespaces=chain.namespaces())
    if specs is None or len(message) != 1 or len(message[0]) != 1:
        return None
    elem = message[0][0]
    starts = sum(1 for tag in tags if not tag.startswith("</"))
    if elem.tag != specs.tx_tag or starts != sum(1 for _ in elem.iter()):
        return None  # not a transaction, or the pieces are not its elements' tags
    found = specs.tx.extract(elem)

    def slot(value: Any) -> int | None:
        m = _MARKER.fullmatch(value) if isinstance(value, str) else None
        return int(m.group(1)) if m else None

    sources: dict[str, tuple[int, ...] | Any] = {}
    for key in _RAW_KEYS:
        value = found.get(key)
        if key in _CONST_KEYS or value is None:
            sources[key] = "1" if value is True else value
            continue
        slots = [slot(v) for v in value] if isinstance(value, list) else [slot(value)]
        if None in slots:  # pragma: no cover - a text is always one marker
            return None
        sources[key] = tuple(s for s in slots if s is not None)
    wanted = sorted({s for v in sources.values() if isinstance(v, tuple) for s in v})
    group = {s: i for i, s in enumerate(wanted)}
    parts = []
    for k, (tag, text) in enumerate(zip(tags, texts, strict=True)):
        parts.append(re.escape(tag))
        if text:
            parts.append("([^<]+)" if k in group else "[^<]+")
    consts: list[Any] = []
    index: list[int] = []
    joins: list[tuple[int, tuple[int, ...]]] = []
    for pos, key in enumerate(_RAW_KEYS):
        source = sources[key]
        if isinstance(source, tuple) and len(source) == 1:
            index.append(group[source[0]])
            continue
        if isinstance(source, tuple):
            joins.append((pos, tuple(group[s] for s in source)))
            source = None
        index.append(len(wanted) + len(consts))
        consts.append(source)
    return _Plan(
        re.compile("".join(parts)),
        operator.itemgetter(*index),
        tuple(consts),
        tuple(joins),
        len(tags[0]) - 1,
        frozenset(at for at, key in enumerate(_RAW_KEYS) if sources[key] is not None),
    )


def _plan_at(text: str, pos: int, chain: _Chain, close: str) -> _Plan | None:
    """The plan for the transaction starting at `pos`, made once per skeleton."""
    end = text.find(close, pos)
    end = text.find(">", end) if end >= 0 else -1
    if end < 0:
        return None
    tx = text[pos : end + 1]
    key = (chain, _SKELETON.sub(">\x00<", tx))
    if key not in _PLANS:
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[key] = _make_plan(tx, chain)
    return _PLANS[key]


def _scan_range(
    data: bytes,
    a: npt.NDArray[np.uint8],
    chain: _Chain,
    first: bool,
    last: bool,
    grp: dict[str, Any],
    markup: npt.NDArray[np.intp],
    controls: npt.NDArray[np.intp],
) -> tuple[list[pa.Array], list[tuple[int, int | None, str]]] | None:
    """The range's columns and errors read without a tree, or None: read it with lxml.

    Each transaction is matched by its skeleton's regex (see `_Plan`); a skeleton is checked
    once, by lxml, in the chain's context. Texts are checked for the whole range: valid UTF-8,
    no character XML forbids, "&" only in predefined entities, no comment, processing
    instruction, CDATA or carriage return but in "\r\n" (which lxml would drop, merge or
    normalise; "\r\n" is read as "\n"), so that lxml would parse the range, and read the same
    texts, as this scan does. `a` is `data` as a numpy array; `markup` and `controls` are the
    offsets of "<!" and "<?", and of characters below U+0020 other than tab, newline and
    carriage return (the scan reads none after the head)."""
    if len(data) >= _SCAN_MAX:
        return None
    qname = f"{chain.tx_prefix}:CdtTrfTxInf" if chain.tx_prefix else "CdtTrfTxInf"
    start = re.search(f"<{re.escape(qname)}[\\s>]".encode(), data)
    if start is None:
        return None
    pos = start.start()
    if (len(markup) and markup[-1] >= pos) or (len(controls) and controls[-1] >= pos):
        return None
    if _has(a, b"]]>") or _has(a, b"\xef\xbf\xbe", b"\xef\xbf\xbf"):
        return None  # "]]>" in text, U+FFFE, U+FFFF
    returns = data.count(b"\r")
    if returns and returns != data.count(b"\r\n"):
        return None  # a carriage return alone is a line end to lxml
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if first:  # the head: the document's start and the group header, checked by lxml
        pos = len(data[:pos].decode("utf-8"))
        try:
            head = etree.fromstring(text[:pos].encode() + chain.end_tags(), _parser())
        except etree.XMLSyntaxError:
            return None
        if _check_message(head, chain, True)[1] is not None:
            return None
    elif pos != 0:
        return None
    entities = "&" in text
    if entities and _BAD_AMP.search(text, pos):
        return None
    close = f"</{qname}"
    opening = f"<{qname}"
    rows: list[Any] = []
    lines_at: list[int] = []
    recent: list[_Plan] = []
    used: set[_Plan] = set()  # every plan of the range: each starts as a miss
    while True:
        for plan in recent:
            m = plan.regex.match(text, pos)
            if m is not None:
                break
        else:
            found = _plan_at(text, pos, chain, close)
            m = found.regex.match(text, pos) if found is not None else None
            if found is None or m is None:
                return None
            plan = found
            recent.insert(0, plan)
            del recent[_RECENT:]
            used.add(plan)
            if len(used) > _RANGE_PLANS_MAX:
                return None
        values = m.groups() + plan.consts
        row: Any = plan.get(values)
        if plan.joins:
            row = list(row)
            for at, captures in plan.joins:
                row[at] = " ".join(values[c] for c in captures)
        rows.append(row)
        lines_at.append(pos + plan.line_at)
        pos = m.end()
        pos = text.find("<", pos)
        if pos < 0 or not text.startswith(opening, pos):
            break
    if last:
        if pos < 0 or not _is_trailer(text[pos:], chain):
            return None
    elif pos >= 0:
        return None  # something other than transactions
    if text.count("CdtTrfTxInf") != 2 * len(rows):  # nested, in a comment or in text
        return None
    n = len(rows)
    present = {at for plan in used for at in plan.present}
    raw = (
        {
            key: pa.array(col, pa.string()) if at in present else pa.nulls(n, pa.string())
            for at, (key, col) in enumerate(zip(_RAW_KEYS, zip(*rows, strict=True), strict=True))
        }
        if rows
        else {key: pa.nulls(0, pa.string()) for key in _RAW_KEYS}
    )
    for key in _RAW_KEYS:
        if key not in _CONST_KEYS and (entities or returns):
            raw[key] = _unescape(raw[key], entities, returns > 0)
    outputs = _outputs(raw, grp, iso.NOTPROVIDED in text)
    return _compose(outputs, lambda i: text.count("\n", 0, lines_at[i]) + 1)


def _is_trailer(rest: str, chain: _Chain) -> bool:
    """Whether `rest` (after the last transaction) is the chain's end tags, then whitespace."""
    pieces = _PIECES.split(rest)
    tags = pieces[1::2]
    names = [f"{p}:{local}" if p else local for _, local, p in reversed(chain.elements)]
    return (
        len(tags) == len(names)
        and all(re.fullmatch(f"</{re.escape(n)}\\s*>", t) for n, t in zip(names, tags, strict=True))
        and not pieces[-1].strip(" \t\n\r")
    )


def _unescape(a: pa.Array, entities: bool, returns: bool) -> pa.Array:
    """Texts as lxml reads them: "\r\n" as "\n" (`returns`), entities decoded (`entities`)."""
    if returns and pc.any(pc.match_substring(a, "\r")).as_py():
        a = pc.replace_substring(a, "\r\n", "\n")
    if entities and pc.any(pc.match_substring(a, "&")).as_py():
        for entity, char in _ENTITIES:  # &amp; last, so that "&amp;lt;" stays "&lt;"
            a = pc.replace_substring(a, entity, char)
    return a


def _outputs(
    raw: dict[str, pa.Array], grp: dict[str, Any], notprovided: bool
) -> dict[str, pa.Array]:
    """The _OUTPUTS columns from raw key columns: iso20022._row_pacs008 in Arrow compute.
    `notprovided`: whether any text may be NOTPROVIDED (else no column is searched for it)."""
    null = pa.scalar(None, pa.string())
    out = {}
    for name, how, keys in _OUTPUTS:
        if how == "value":
            out[name] = raw[keys[0]]
        elif how == "join":  # each key's texts are joined already
            out[name] = pc.coalesce(raw[keys[0]], raw[keys[1]])
        else:
            candidates: list[Any] = []
            for key in keys:
                if key.startswith(_GRP):
                    value = grp.get(key.removeprefix(_GRP))
                    if value is not None and value != iso.NOTPROVIDED:
                        candidates.append(pa.scalar(value, pa.string()))
                else:
                    a = raw[key]
                    if notprovided:
                        a = pc.if_else(pc.equal(a, iso.NOTPROVIDED), null, a)
                    candidates.append(a)
            out[name] = pc.coalesce(*candidates) if len(candidates) > 1 else candidates[0]
    return out


def _nullify(a: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)


def _compose(
    raw: dict[str, pa.Array], sourceline: Callable[[int], int | None]
) -> tuple[list[pa.Array], list[tuple[int, int | None, str]]]:
    """The columns in FIELDS order, and the transactions that cannot be loaded (with why);
    `sourceline(i)`: the line, within the range's document, of transaction i's start tag."""
    n = len(raw["amount"])
    columns = []
    for name in iso.FIELDS:
        if name == "channel":
            columns.append(pa.array([iso.CHANNEL] * n, pa.string()))
        else:
            columns.append(raw[name])
    errors: list[tuple[int, int | None, str]] = []
    missing_id = pc.is_null(raw["transaction_id"])
    missing_amount = pc.is_null(raw["amount_el"])
    bad = pc.or_(missing_id, missing_amount)
    if pc.any(bad).as_py():  # rare: a per-row loop
        ids = missing_id.to_pylist()
        amounts = missing_amount.to_pylist()
        for i in pc.indices_nonzero(bad).to_pylist():
            reasons = []
            if ids[i]:
                reasons.append("PmtId has no TxId, EndToEndId, InstrId or UETR")
            if amounts[i]:
                reasons.append(
                    "no IntrBkSttlmAmt element (FIToFICstmrCdtTrf/CdtTrfTxInf/IntrBkSttlmAmt)"
                )
            errors.append((i, sourceline(i), "; ".join(reasons)))
    return columns, errors


# --------------------------------------------------------------------------------------------------
# Main side


@dataclass(slots=True)
class _Head:
    chain: _Chain
    grp: dict[str, Any]


_XML_DECL_ENCODING: Final = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)")


def _read_head(path: Path) -> _Head | None:
    """The chain and group header of a one-message pacs.008 file, or None: read it sequentially."""
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    m = _XML_DECL_ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
    if m and m.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    grp: dict[str, Any] = {}
    specs: iso.MessageSpecs | None = None
    with path.open("rb") as source:
        context = etree.iterparse(
            source,
            events=("start", "end"),
            **iso.PARSER_OPTIONS,
        )
        elem: Any = None
        try:
            for event, elem in context:
                local = iso.local_name(elem.tag)
                if event == "start" and local == "FIToFICstmrCdtTrf":
                    specs = iso.specs_for(iso.ns_of(elem.tag))
                    if specs is None or specs.kind != "pacs.008":
                        return None
                elif event == "start" and local == "CstmrCdtTrfInitn":
                    return None
                elif event == "end" and specs is not None and elem.tag == specs.grphdr_tag:
                    grp = specs.grphdr.extract(elem)
                elif event == "start" and local == "CdtTrfTxInf":
                    if specs is None or elem.tag != specs.tx_tag:
                        return None
                    parent = elem.getparent()
                    if parent is None or parent.tag != f"{{{specs.ns}}}FIToFICstmrCdtTrf":
                        return None
                    ancestors = []
                    node = parent
                    while node is not None:
                        ancestors.append(node)
                        node = node.getparent()
                    ancestors.reverse()
                    chain = _Chain(
                        tuple(
                            (iso.ns_of(a.tag), iso.local_name(a.tag), a.prefix) for a in ancestors
                        ),
                        tuple(
                            tuple(sorted(a.nsmap.items(), key=lambda kv: kv[0] or ""))
                            for a in ancestors
                        ),
                        elem.prefix,
                    )
                    return _Head(chain, grp)
        except etree.XMLSyntaxError:
            return None
        finally:
            # freed here, by reference count, not by the garbage collector (see the sequential
            # reader, iso20022.iter_sequential)
            elem = parent = node = None
            ancestors = []
            context = None
    return None


def _cuts(path: Path, size: int, chain: _Chain, range_bytes: int) -> list[int]:
    """Byte offsets where ranges start: 0, then just before a <CdtTrfTxInf start tag."""
    prefix = re.escape(chain.tx_prefix.encode() + b":") if chain.tx_prefix else b""
    pattern = re.compile(b"<" + prefix + rb"CdtTrfTxInf[\s>]")
    cuts = [0]
    window = 1 << 16
    with path.open("rb") as f:
        target = range_bytes
        while target < size:
            f.seek(target)
            buf = f.read(window)
            m = pattern.search(buf)
            while m is None and len(buf) == window:  # a transaction longer than the window
                more = f.read(window)
                if not more:
                    break
                buf += more
                m = pattern.search(buf)
            if m is None:
                break
            cut = target + m.start()
            if cut > cuts[-1]:
                cuts.append(cut)
            target = max(cut + 1, cuts[-1] + range_bytes)
    return cuts


def iter_batches_parallel(
    path: Path,
    batch_size: int,
    workers: int,
    range_bytes: int = RANGE_BYTES,
) -> Iterator[pa.RecordBatch] | None:
    """Batches of `path` read by `workers` processes, or None when the file must be read
    sequentially (not a one-message pacs.008 in UTF-8). Falls back to the sequential reader
    mid-way, after the transactions already yielded, when a range is refused."""
    path = Path(path)
    seq.sniff(path)
    head = _read_head(path)
    if head is None or any(
        sep in str(v) for v in head.grp.values() if v is not None for sep in (_FS, _RS)
    ):
        return None
    size = path.stat().st_size
    cuts = _cuts(path, size, head.chain, range_bytes)
    if len(cuts) < 2:
        return None
    return _run(path, batch_size, workers, head, [*cuts, size])


class _Worker:
    """One `python -m bantay.ingest.iso20022_parallel` process: tasks as JSON lines on its stdin,
    one JSON line back per task on its stdout, the columns in an Arrow IPC file it writes."""

    def __init__(self, folder: Path, index: int) -> None:
        self.err_path = folder / f"worker{index}.err"
        with self.err_path.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
            )

    def send(self, task: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(task).encode() + b"\n")
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            tail = self.err_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"worker exited with {self.proc.returncode}: {tail}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _run(
    path: Path, batch_size: int, n_workers: int, head: _Head, bounds: list[int]
) -> Iterator[pa.RecordBatch]:
    n_ranges = len(bounds) - 1
    yielded = 0  # transactions yielded so far
    lines_before = 0  # newlines in the ranges already read
    refused = False
    with tempfile.TemporaryDirectory(prefix="bantay-iso20022-") as tmp:
        folder = Path(tmp)
        workers: list[_Worker] = []
        try:
            workers = [_Worker(folder, i) for i in range(min(n_workers, n_ranges))]
            sent = 0

            def send_more(upto: int) -> None:
                nonlocal sent
                while sent < min(upto, n_ranges):  # range j goes to worker j % len(workers)
                    j = sent
                    workers[j % len(workers)].send(
                        {
                            "path": str(path),
                            "start": bounds[j],
                            "end": bounds[j + 1],
                            "first": j == 0,
                            "last": j == n_ranges - 1,
                            "chain": head.chain.to_json(),
                            "grp": head.grp,
                            "out": str(folder / f"range{j}.arrow"),
                        }
                    )
                    sent += 1

            for j in range(n_ranges):
                send_more(j + 2 * len(workers))
                try:
                    answer = workers[j % len(workers)].receive()
                except Exception as exc:  # a worker died: the sequential reader takes over
                    log.warning("%s: parallel read failed (%s); reading sequentially", path, exc)
                    refused = True
                    break
                log.debug(
                    "%s: range %d read (%s) in %.2f s CPU", path, j, answer["how"], answer["cpu_s"]
                )
                if answer["refused"] is not None:
                    log.debug("%s: range %d refused (%s)", path, j, answer["refused"])
                    refused = True
                    break
                out = Path(answer["out"])
                with pa.memory_map(str(out)) as source:
                    table = pa.ipc.open_file(source).read_all()
                out.unlink()
                if table.num_rows != int(answer["n"]):  # pragma: no cover - a worker bug
                    raise RuntimeError(
                        f"{path}: range {j}: {table.num_rows} rows, {answer['n']} sent"
                    )
                errors = [(int(i), line, str(r)) for i, line, r in answer["errors"]]
                for batch in table.combine_chunks().to_batches(max_chunksize=batch_size):
                    yield _batch(batch, errors, yielded, lines_before)
                    yielded += batch.num_rows
                    errors = [(i - batch.num_rows, line, r) for i, line, r in errors]
                lines_before += int(answer["newlines"])
        finally:
            for w in workers:
                w.stop()
    if refused:
        yield from seq.iter_sequential(path, batch_size, skip=yielded)


def _batch(
    batch: pa.RecordBatch, errors: list[tuple[int, int | None, str]], offset: int, lines_before: int
) -> pa.RecordBatch:
    """A range's columns with `line` (the transaction's number in the file) and `_error`."""
    n = batch.num_rows
    line = pa.array(range(offset + 1, offset + n + 1), pa.int64())
    err: list[str | None] = [None] * n
    for i, sourceline, reasons in errors:
        if 0 <= i < n:
            where = f"transaction {offset + i + 1}" + (
                f" (XML line {lines_before + sourceline})" if sourceline else ""
            )
            err[i] = f"{where}: {reasons}"
    return pa.RecordBatch.from_arrays(
        [*batch.columns, line, pa.array(err, pa.string())], schema=iso.SCHEMA
    )


def default_workers() -> int:
    return min(os.cpu_count() or 1, 4)


def _serve() -> None:
    """Worker loop: one task per stdin line until stdin closes."""
    for line in sys.stdin.buffer:
        task = json.loads(line)
        cpu = time.process_time()
        result = _read_range(
            task["path"],
            task["start"],
            task["end"],
            _Chain.from_json(task["chain"]),
            task["first"],
            task["last"],
            task["grp"],
        )
        if result.columns is not None:
            table = pa.Table.from_arrays(
                result.columns, names=list(iso.FIELDS[: len(result.columns)])
            )
            with pa.OSFile(task["out"], "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
                w.write_table(table)
        answer = {
            "n": result.n,
            "newlines": result.newlines,
            "refused": result.refused,
            "how": result.how,
            "errors": result.errors,
            "out": task["out"],
            "cpu_s": time.process_time() - cpu,
        }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
