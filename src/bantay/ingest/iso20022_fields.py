"""The ISO 20022 field table: what each reader takes from a credit transfer, and where from.

One public table for both readers, the sequential one (:mod:`bantay.ingest.iso20022`) and the
parallel one (:mod:`bantay.ingest.iso20022_parallel`): the canonical fields a transaction yields
(:data:`FIELDS`, :data:`SCHEMA`), and per message kind the elements read under ``CdtTrfTxInf``, the
group header and the payment information block, each with the kind of extraction (:data:`LEAF`,
:data:`SECTION`, …) and the raw keys it yields. :func:`specs_for` binds the table to a message's
namespace (any version). How raw keys become fields is documented in :mod:`bantay.ingest.iso20022`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa

from bantay.schema import field_list

__all__ = [
    "AMOUNT",
    "CHANNEL",
    "COLUMNS",
    "DATE",
    "FIELDS",
    "GRPHDR",
    "LEAF",
    "MULTI",
    "NESTED_AMOUNT",
    "NOTPROVIDED",
    "PACS008_TX",
    "PAIN001_TX",
    "PARSER_OPTIONS",
    "PARTY_SECTION",
    "PMTINF",
    "SCHEMA",
    "SECTION",
    "MessageSpecs",
    "Spec",
    "local_name",
    "ns_of",
    "specs_for",
]

ISO_NS_PREFIX: Final = "urn:iso:std:iso:20022:tech:xsd:"
PACS008_RE: Final = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:pacs\.008\.001\.\d+$")
PAIN001_RE: Final = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:pain\.001\.001\.\d+$")
PACS008_NS: Final = ISO_NS_PREFIX + "pacs.008.001.08"
PAIN001_NS: Final = ISO_NS_PREFIX + "pain.001.001.09"
HEAD_NS: Final = "urn:iso:std:iso:20022:tech:xsd:head.001.001.02"
#: Wrapper written around several messages (or a header and its message); any wrapper is read.
WRAPPER_TAG: Final = "{urn:bantay:iso20022:messages}Messages"
NOTPROVIDED: Final = "NOTPROVIDED"
#: lxml parser options of every reader: no entities, DTDs or network; comments and PIs dropped
#: (so `.text` is one text node); the parallel reader parses with the same, for the same trees.
PARSER_OPTIONS: Final[dict[str, bool]] = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}

#: Canonical fields produced for each transaction, in order, all raw strings.
FIELDS: Final = field_list(
    "transactions",
    "transaction_id",
    "institution",
    "timestamp",
    "amount",
    "currency",
    "channel",
    "payer_ref",
    "payer_name",
    "payer_account",
    "payer_country",
    "payer_city",
    "payer_phone",
    "beneficiary_name",
    "beneficiary_account",
    "beneficiary_institution",
    "beneficiary_country",
    "beneficiary_city",
    "beneficiary_phone",
    "memo",
    inputs=True,
)
#: All columns of a batch: the canonical fields, ``line`` (1-based transaction number in the file)
#: and ``_error`` (null, or why the transaction is structurally unusable: quarantine it so).
COLUMNS: Final = (*FIELDS, "line", "_error")
SCHEMA: Final = pa.schema(
    [pa.field(f, pa.string()) for f in FIELDS]
    + [pa.field("line", pa.int64(), nullable=False), pa.field("_error", pa.string())]
)
CHANNEL: Final = "bank_transfer"

# Extraction: for speed, an element's direct children are dispatched by tag to a handler, and each
# "section" (a party, an account, an agent, PmtId, RmtInf) is scanned in one C-driven ``iter()``
# over its descendants, keeping the first leaf of each wanted tag (document order; the schema's
# sequence puts the wanted element first where a tag repeats within a section).

LEAF, AMOUNT, SECTION, PARTY_SECTION, MULTI, NESTED_AMOUNT, DATE = range(7)

_PARTY = {
    "Nm": "name",  # only the party's own Nm (not CtctDtls/Nm): checked by parent
    "TwnNm": "city",
    "Ctry": "ctry",
    "CtryOfRes": "res",
    "MobNb": "mob",
    "PhneNb": "phne",
    "Id": "id",  # the leaf Id: Id/PrvtId/Othr/Id or Id/OrgId/Othr/Id
}
_ACCOUNT = {"IBAN": "iban", "Id": "othr"}  # the leaf Id: Id/Othr/Id
_AGENT = {"BICFI": "bic", "BIC": "bic", "Nm": "nm"}
_PMTID = {"InstrId": "instrid", "EndToEndId": "e2eid", "TxId": "txid", "UETR": "uetr"}
_RMTINF = {"Ustrd": "ustrd", "Ref": "sref"}  # Ustrd, Strd/CdtrRefInf/Ref: every occurrence


def _section(prefix: str, spec: Mapping[str, str]) -> tuple[int, dict[str, str]]:
    return PARTY_SECTION if spec is _PARTY else SECTION, {k: prefix + v for k, v in spec.items()}


_TX_COMMON: dict[str, tuple[int, Any]] = {
    "PmtId": (SECTION, _PMTID),
    "CdtrAgt": _section("cagt_", _AGENT),
    "Cdtr": _section("c_", _PARTY),
    "CdtrAcct": _section("c_", _ACCOUNT),
    "RmtInf": (MULTI, _RMTINF),
}
PACS008_TX: Final[dict[str, tuple[int, Any]]] = {
    **_TX_COMMON,
    "IntrBkSttlmAmt": (AMOUNT, None),
    "IntrBkSttlmDt": (LEAF, "sttlmdt"),
    "AccptncDtTm": (LEAF, "accptnc"),
    "InstgAgt": _section("iagt_", _AGENT),
    "Dbtr": _section("d_", _PARTY),
    "DbtrAcct": _section("d_", _ACCOUNT),
    "DbtrAgt": _section("dagt_", _AGENT),
}
PAIN001_TX: Final[dict[str, tuple[int, Any]]] = {**_TX_COMMON, "Amt": (NESTED_AMOUNT, "InstdAmt")}
GRPHDR: Final[dict[str, tuple[int, Any]]] = {
    "MsgId": (LEAF, "msgid"),
    "CreDtTm": (LEAF, "credttm"),
    "IntrBkSttlmDt": (LEAF, "sttlmdt"),
    "InstgAgt": _section("iagt_", _AGENT),
}
PMTINF: Final[dict[str, tuple[int, Any]]] = {
    "PmtInfId": (LEAF, "pmtinfid"),
    # a date before pain.001.001.08, then a choice of Dt | DtTm
    "ReqdExctnDt": (DATE, {"Dt": "exdt", "DtTm": "exdttm"}),
    "Dbtr": _section("d_", _PARTY),
    "DbtrAcct": _section("d_", _ACCOUNT),
    "DbtrAgt": _section("dagt_", _AGENT),
}


class Spec:
    """An extraction spec bound to one namespace: tags compared as full ``{ns}local`` strings."""

    __slots__ = ("name_tag", "stop_tag", "top")

    def __init__(self, ns: str, spec: Mapping[str, tuple[int, Any]]) -> None:
        def q(local: str) -> str:
            return f"{{{ns}}}{local}"

        self.top: dict[str, tuple[int, Any]] = {}
        for local, (kind, arg) in spec.items():
            if isinstance(arg, Mapping):
                arg = {q(k): v for k, v in arg.items()}
            elif kind == NESTED_AMOUNT:
                arg = q(arg)
            self.top[q(local)] = (kind, arg)
        self.name_tag = q("Nm")
        # PmtInf: the header ends where the transactions begin.
        self.stop_tag = q("CdtTrfTxInf")

    def extract(self, elem: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        top = self.top
        for child in elem:
            tag = child.tag
            handler = top.get(tag)
            if handler is None:
                if tag == self.stop_tag:
                    break
                continue
            kind, arg = handler
            if kind == SECTION:
                for el in child.iter():
                    key = arg.get(el.tag)
                    if key is None or key in out or len(el):
                        continue
                    text = el.text
                    if text is not None:
                        out[key] = text
            elif kind == PARTY_SECTION:
                name_tag = self.name_tag
                for el in child.iter():
                    key = arg.get(el.tag)
                    if key is None or key in out or len(el):
                        continue
                    text = el.text
                    # the party's own Nm, not CtctDtls/Nm
                    if text is not None and (el.tag != name_tag or el.getparent() is child):
                        out[key] = text
            elif kind == LEAF:
                out[arg] = child.text
            elif kind == AMOUNT:
                out["amount_el"] = True
                out["amount"] = child.text
                out["currency"] = child.get("Ccy")
            elif kind == MULTI:
                for el in child.iter():
                    key = arg.get(el.tag)
                    if key is not None and el.text is not None:
                        out.setdefault(key, []).append(el.text)
            elif kind == NESTED_AMOUNT:
                for el in child:
                    if el.tag == arg:
                        out["amount_el"] = True
                        out["amount"] = el.text
                        out["currency"] = el.get("Ccy")
                        break
            elif kind == DATE:
                if len(child):
                    for el in child:
                        key = arg.get(el.tag)
                        if key is not None:
                            out[key] = el.text
                else:
                    out["exdt"] = child.text
        return out


@dataclass(slots=True)
class MessageSpecs:
    kind: str  # "pacs.008" | "pain.001"
    ns: str
    tx: Spec
    grphdr: Spec
    pmtinf: Spec | None
    tx_tag: str = ""
    grphdr_tag: str = ""

    def __post_init__(self) -> None:
        self.tx_tag = f"{{{self.ns}}}CdtTrfTxInf"
        self.grphdr_tag = f"{{{self.ns}}}GrpHdr"


_BOUND: dict[str, MessageSpecs] = {}


def specs_for(ns: str) -> MessageSpecs | None:
    specs = _BOUND.get(ns)
    if specs is None:
        if PACS008_RE.match(ns):
            specs = MessageSpecs("pacs.008", ns, Spec(ns, PACS008_TX), Spec(ns, GRPHDR), None)
        elif PAIN001_RE.match(ns):
            specs = MessageSpecs(
                "pain.001", ns, Spec(ns, PAIN001_TX), Spec(ns, GRPHDR), Spec(ns, PMTINF)
            )
        else:
            return None
        _BOUND[ns] = specs
    return specs


def ns_of(tag: str) -> str:
    return tag[1 : tag.index("}")] if tag[:1] == "{" else ""


def local_name(tag: str) -> str:
    return tag[tag.index("}") + 1 :] if tag[:1] == "{" else tag
