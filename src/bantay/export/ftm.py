"""FollowTheMoney entities from a case, as JSON lines loadable into Aleph (``alephclient write-entities``).

Each payment becomes a ``Payment`` between two parties (``Person`` where a record says it is a
natural person, ``Company`` for a card merchant, else ``LegalEntity``), with the ``BankAccount`` on
each side (owned by its party: ``Ownership``), and ``Address`` / ``Identification`` where the party
records have them. Ids are :meth:`EntityProxy.make_id` of stable Bantay keys (entity, party record,
account, transaction), so the same case exported twice gives the same ids and two cases that share a
party share its entity. Every entity is checked with the library (schema validation, required
properties, references resolving within the file) before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from followthemoney.types import registry

from bantay.export.case import CaseData, ExportError, iso, load_case, record_export, write_atomic

NS = "bantay"
_PERSON_FIELDS = ("given_name", "family_name", "date_of_birth", "sex")
_ACCT = re.compile(r"[^0-9A-Z]")


def _amount(v: Any) -> str:
    """A decimal amount without trailing zeros (``113.790000`` -> ``113.79``)."""
    text = format(Decimal(str(v)).normalize(), "f")
    return text


def _norm_account(v: Any) -> str:
    return _ACCT.sub("", str(v).upper())


class _Builder:
    def __init__(self, data: CaseData) -> None:
        self.data = data
        self.by_id: dict[str, EntityProxy] = {}
        self.records = {str(r["party_record_id"]): r for r in data.records}
        self.by_entity: dict[str, list[dict[str, Any]]] = {}
        for rid, r in self.records.items():
            if rid in data.entity_of:
                self.by_entity.setdefault(data.entity_of[rid], []).append(r)
        self.problems: list[str] = []
        self.members = {(s, e) for s, e in data.members}
        self.fired = {(v.side, v.entity_id): v.fired for v in data.views}
        self.filled: set[str] = set()

    def _get(self, schema: str, *key: str) -> EntityProxy:
        proxy = model.make_entity(schema)
        proxy.make_id(NS, *key)
        assert proxy.id is not None
        found = self.by_id.get(proxy.id)
        if found is not None:
            return found
        self.by_id[proxy.id] = proxy
        return proxy

    def party(self, t: dict[str, Any], side: str) -> EntityProxy | None:
        """The payer or beneficiary of ``t``: its resolved entity, else its party record."""
        rec_id = t[f"{side}_record_id"]
        merchant = t.get("merchant_name") if side == "beneficiary" else None
        account = t[f"{side}_account"]
        if rec_id and str(rec_id) in self.data.entity_of:
            key: tuple[str, ...] = ("entity", side, self.data.entity_of[str(rec_id)])
        elif rec_id:
            key = ("record", str(rec_id))
        elif account:
            key = ("account-holder", side, _norm_account(account))
        elif merchant:
            key = ("merchant", str(merchant))
        else:
            key = ("name", side, str(t[f"{side}_name"] or ""))
        entity_id = key[2] if key[0] == "entity" else None
        records = self._records_of(entity_id, rec_id)
        if merchant:
            schema = "Company"
        elif any(r.get(f) for r in records for f in _PERSON_FIELDS):
            schema = "Person"
        else:
            schema = "LegalEntity"
        p = self._get(schema, *key)  # a party seen before keeps its first schema
        country = t[f"{side}_country"]
        if country:
            p.add("country", country)
        if t[f"{side}_name"]:
            p.add("name", t[f"{side}_name"])
        if merchant:
            p.add("name", merchant)
        if t.get(f"{side}_phone"):
            p.add("phone", t[f"{side}_phone"])
        if entity_id is not None and (side, entity_id) in self.members and not p.has("notes"):
            fired = ", ".join(self.fired.get((side, entity_id), [])) or "none recorded"
            p.add(
                "notes",
                f"Bantay case {self.data.case_id} member: {side} entity {entity_id}; "
                f"indicators fired: {fired}",
            )
        if p.id not in self.filled:
            self.filled.add(str(p.id))
            for r in records:
                self._from_record(p, r)
        if not p.has("name"):
            for fallback in (account, t.get(f"{side}_phone")):
                if fallback:
                    p.add("name", str(fallback))
                    break
        if not p.has("name"):
            self.problems.append(
                f"transaction {t['institution']}/{t['transaction_id']}: {side} has no name, "
                "account or phone (FtM parties need a name)"
            )
            return None
        return p

    def _records_of(self, entity_id: str | None, rec_id: Any) -> list[dict[str, Any]]:
        if entity_id is not None:
            return self.by_entity.get(entity_id, [])
        r = self.records.get(str(rec_id)) if rec_id else None
        return [r] if r else []

    def _from_record(self, p: EntityProxy, r: dict[str, Any]) -> None:
        if r.get("residence_country"):
            p.add("country", r["residence_country"])
        if r.get("name"):
            p.add("name", r["name"])
        for col, prop in (
            ("phone", "phone"),
            ("email", "email"),
            ("address", "address"),
        ):
            if r.get(col):
                p.add(prop, r[col])
        if p.schema.is_a("Person"):
            for col, prop in (
                ("given_name", "firstName"),
                ("family_name", "lastName"),
                ("date_of_birth", "birthDate"),
                ("nationality", "nationality"),
                ("sex", "gender"),
            ):
                if r.get(col):
                    p.add(prop, iso(r[col]) if col == "date_of_birth" else r[col])
        if r.get("address") or r.get("city"):
            a = self._get("Address", "address", str(r["party_record_id"]))
            full = ", ".join(str(x) for x in (r.get("address"), r.get("city")) if x)
            a.add("full", full)
            if r.get("city"):
                a.add("city", r["city"])
            if r.get("residence_country"):
                a.add("country", r["residence_country"])
            p.add("addressEntity", a.id)
        if r.get("id_document"):
            kind, _, number = str(r["id_document"]).partition(":")
            if not number:
                kind, number = "", kind
            i = self._get("Identification", "identification", str(r["party_record_id"]))
            i.add("holder", p.id)
            i.add("number", number)
            if kind:
                i.add("type", kind)
            if r.get("nationality") and kind == "passport":
                i.add("country", r["nationality"])

    def account(
        self, t: dict[str, Any], side: str, owner: EntityProxy | None
    ) -> EntityProxy | None:
        number = t[f"{side}_account"]
        if not number:
            return None
        bank = t["institution"] if side == "payer" else t.get("beneficiary_institution")
        a = self._get("BankAccount", "account", str(bank or ""), _norm_account(number))
        a.add("accountNumber", str(number))
        if bank:
            a.add("bankName", str(bank))
        if owner is not None:
            o = self._get("Ownership", "ownership", str(owner.id), str(a.id))
            o.add("owner", owner.id)
            o.add("asset", a.id)
        return a

    def payment(self, t: dict[str, Any]) -> None:
        payer = self.party(t, "payer")
        bene = self.party(t, "beneficiary")
        payer_acct = self.account(t, "payer", payer)
        bene_acct = self.account(t, "beneficiary", bene)
        if payer is None or bene is None:
            return
        p = self._get("Payment", "payment", str(t["institution"]), str(t["transaction_id"]))
        p.add("payer", payer.id)
        p.add("beneficiary", bene.id)
        if payer_acct is not None:
            p.add("payerAccount", payer_acct.id)
        if bene_acct is not None:
            p.add("beneficiaryAccount", bene_acct.id)
        p.add("amount", _amount(t["amount"]))
        p.add("currency", t["currency"])
        if t.get("amount_reporting") is not None and self.data.currency == "USD":
            p.add("amountUsd", _amount(t["amount_reporting"]))
        p.add("date", iso(t["ts_utc"]))
        if t.get("memo"):
            p.add("purpose", t["memo"])
        inds = self.data.indicators_of(t)
        p.add(
            "description",
            f"{t['channel']} payment at {t['institution']}"
            + (f"; evidence for {', '.join(inds)}" if inds else ""),
        )
        p.add("transactionNumber", str(t["transaction_id"]))
        p.add("recordId", f"{t['institution']}/{t['transaction_id']}")


def build_entities(data: CaseData) -> list[EntityProxy]:
    """The case's parties, accounts, ownerships, addresses, identifications and payments."""
    b = _Builder(data)
    for t in data.evidence:
        b.payment(t)
    if b.problems:
        shown = "\n  ".join(b.problems[:20])
        more = f"\n  ... and {len(b.problems) - 20} more" if len(b.problems) > 20 else ""
        raise ExportError(
            f"case {data.case_id}: {len(b.problems)} part(ies) lack required FtM fields:\n"
            f"  {shown}{more}"
        )
    order = {
        s: i
        for i, s in enumerate(
            (
                "Person",
                "Company",
                "LegalEntity",
                "Address",
                "Identification",
                "BankAccount",
                "Ownership",
            )
        )
    }
    # parties, then what hangs off them, then payments; within a kind, in order of appearance
    return sorted(b.by_id.values(), key=lambda e: order.get(e.schema.name, len(order)))


def check(entities: Iterable[EntityProxy | dict[str, Any]]) -> None:
    """Raise :class:`ExportError` naming every entity the library rejects or that points nowhere.

    Each entity is re-read from its dict with ``model.get_proxy(..., cleaned=False)``, validated by
    its schema (every value must parse as its type), must have its required properties, must not
    be of an abstract schema, and every entity-typed value must be the id of an entity in the set.
    """
    dicts = [e.to_dict() if isinstance(e, EntityProxy) else e for e in entities]
    ids = {d.get("id") for d in dicts}
    problems: list[str] = []
    for n, d in enumerate(dicts, 1):
        where = f"entity {n} ({d.get('schema')} {d.get('id')})"
        try:
            proxy = model.get_proxy(d, cleaned=False)
        except InvalidData as exc:
            problems.append(f"{where}: {exc}")
            continue
        if not proxy.id:
            problems.append(f"{where}: no id")
        if proxy.schema.abstract:
            problems.append(f"{where}: schema {proxy.schema.name} is abstract")
        try:
            proxy.schema.validate(d)  # type: ignore[arg-type]
        except InvalidData as exc:
            problems.append(f"{where}: {exc} {exc.errors}")
        for name in sorted(proxy.schema.required):
            if not proxy.get(name):
                problems.append(f"{where}: required property {name} is missing")
        for prop, value in proxy.itervalues():
            if prop.type == registry.entity and value not in ids:
                problems.append(f"{where}: {prop.name} points to {value}, not in the file")
    if problems:
        shown = "\n  ".join(problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise ExportError(f"{len(problems)} FtM problem(s):\n  {shown}{more}")


def to_jsonl(entities: Iterable[EntityProxy]) -> bytes:
    """One entity per line, ``id`` first (as ``ftm`` writes them)."""
    lines = []
    for e in entities:
        d = e.to_dict()
        lines.append(
            json.dumps({"id": d.pop("id"), **d}, ensure_ascii=False, separators=(",", ":"))
        )
    return ("\n".join(lines) + "\n").encode()


def render(data: CaseData) -> bytes:
    """The checked JSON lines of a case."""
    entities = build_entities(data)
    check(entities)
    return to_jsonl(entities)


def export_ftm(
    workspace: Path,
    case_id: int,
    out: Path,
    username: str = "cli",
    db_url: str | None = None,
    payments: str = "evidence",
) -> int:
    """Build, check, write and audit; returns the number of entities written."""
    body = render(load_case(workspace, case_id, db_url, payments))
    write_atomic(out, body)
    record_export(workspace, case_id, "ftm", out, body, username, db_url)
    return body.count(b"\n")
