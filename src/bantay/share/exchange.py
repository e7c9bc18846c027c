"""Export, import, revoke and list signal bundles; each export, import and revocation is audited.

- :func:`export_bundle`: the entities of **reviewed, closed cases** (:func:`bantay.cases.services.
  dispositions`: a supervisor approved the closing decision, four eyes) become opinions: confirmed
  ones ``positive``, reviewed false positives ``negative`` when asked for. Each entity's party
  records give its protected identifiers (:mod:`bantay.share.protect`); an entity none of whose
  records has a usable identifier is named in the result and the audit entry, not dropped silently.
  Entries revoked since (:func:`revoke`) are listed as revocations instead.
- :func:`import_bundle`: the bundle is checked (:func:`bantay.share.bundle.read_bundle`), this
  workspace's party records are encoded with the same key and matched (keyed tokens by equality in
  DuckDB, names by Dice within country and year of birth), and every match of a ``seed`` or
  ``positive`` opinion becomes a row of the ``signals`` table through the ordinary signals ingest
  (a CSV in ``share/imports/``, so the rows carry ingest provenance), with the issuer, bundle,
  entry, opinion, confidence and expiry. The value of each signal is *this* workspace's own
  identifier: an import adds nothing to the workspace that it did not hold, except the fact of the
  match. The bundle's revocations remove the signals earlier bundles of the same issuer made from
  those entries (named in the audit entry).

Ledgers (JSON lines, append-only) in ``share/``: ``exports.jsonl``, ``imports.jsonl``,
``revocations.jsonl``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd

from bantay.cases import audit
from bantay.cases.db import open_workflow
from bantay.cases.services import dispositions
from bantay.share.bundle import (
    SIGNAL_OPINIONS,
    Bundle,
    Opinion,
    iso,
    parse_time,
    read_bundle,
    sign,
    utcnow,
)
from bantay.share.keys import FOLDER, Keys, ShareError
from bantay.share.protect import (
    CLK_BITS,
    CLK_K,
    CLK_Q,
    DEFAULT_DICE,
    DerivedKeys,
    ExactHasher,
    NameEncoder,
    b64,
    dice_matrix,
    name_record,
    normalise,
    unb64,
)
from bantay.workspace import open_workspace, private_file

Progress = Callable[[str, int, int], None]

#: Identifier type in a bundle -> the party_records column it comes from.
COLUMNS: Final = {
    "phone": "phone",
    "account": "account_id",
    "email": "email",
    "id_document": "id_document",
}
#: Case side -> the role its confirmed entities have in a bundle.
ROLE_OF_SIDE: Final = {"payer": "payer", "beneficiary": "facilitator"}
DEFAULT_DAYS: Final = 180
DEFAULT_CONFIDENCE: Final = 0.9


def _noop(step: str, done: int, total: int) -> None:
    del step, done, total


def _ledger(workspace: Path, name: str) -> Path:
    return Path(workspace) / FOLDER / name


def _append(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    private_file(path)
    with path.open("a", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, sort_keys=True) + "\n")


def read_ledger(workspace: Path, name: str) -> list[dict[str, Any]]:
    path = _ledger(workspace, name)
    if not path.exists():
        return []
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError as exc:
            raise ShareError(f"{path}:{i}: not a JSON line ({exc})") from exc
    return out


def _audit(
    workspace: Path,
    db_url: str | None,
    username: str,
    action: str,
    object_id: str,
    detail: dict[str, Any],
) -> None:
    with open_workflow(Path(workspace), db_url) as wf, wf.session() as db:
        audit.record(
            db,
            user_id=None,
            username=username[:64],
            action=action,
            object_type="bundle",
            object_id=object_id,
            detail=detail,
        )


def entry_id(keys: DerivedKeys, issuer: str, side: str, entity: str) -> str:
    """A stable, opaque id of an issuer's opinion about one entity (so it can be revoked later)."""
    msg = f"{issuer}\x1f{side}\x1f{entity}".encode()
    return "e-" + hmac.new(keys.entry, msg, hashlib.sha256).hexdigest()[:24]


# ---- export ------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    bundle_id: str
    path: Path
    opinions: int
    identifiers: int
    names: int
    revocations: int
    #: (side, entity_id) of confirmed entities with no usable identifier (not in the bundle)
    without_identifiers: list[tuple[str, str]] = field(default_factory=list)


def _records(workspace: Path, entities: list[str]) -> pd.DataFrame:
    """The party records of ``entities`` (resolved members; an unresolved payer is its record)."""
    cols = (
        "party_record_id, name, given_name, family_name, date_of_birth, nationality, "
        "residence_country, phone, email, account_id, id_document"
    )
    with open_workspace(Path(workspace), read_only=True) as ws:
        ws.con.register("_wanted", pd.DataFrame({"entity_id": entities}, dtype=object))
        try:
            return ws.con.execute(
                f"""SELECT m.entity_id, {cols} FROM party_records p
                    JOIN entity_members m USING (party_record_id)
                    WHERE m.entity_id IN (SELECT entity_id FROM _wanted)
                    UNION ALL
                    SELECT p.party_record_id AS entity_id, {cols} FROM party_records p
                    WHERE p.party_record_id IN (SELECT entity_id FROM _wanted)
                      AND p.party_record_id NOT IN (SELECT party_record_id FROM entity_members)"""
            ).fetchdf()
        finally:
            ws.con.unregister("_wanted")


def _str(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    s = str(v).strip()
    return s or None


def _country(r: Any) -> str | None:
    return _str(r.residence_country) or _str(r.nationality)


def protect_entity(
    rows: pd.DataFrame, hasher: ExactHasher, names: NameEncoder
) -> tuple[list[dict[str, str]], list[dict[str, str | None]]]:
    """The protected identifiers and names of one entity's party records (deduplicated)."""
    ids: dict[tuple[str, str], None] = {}
    nm: dict[tuple[str, str, str | None], None] = {}
    for r in rows.itertuples(index=False):
        for kind, col in COLUMNS.items():
            value = normalise(kind, _str(getattr(r, col)), _country(r))
            if value:
                ids[(kind, hasher.token(kind, value))] = None
        rec = name_record(
            _str(r.name), _country(r), r.date_of_birth, _str(r.given_name), _str(r.family_name)
        )
        if rec is not None:
            clk = b64(names.clk(rec.key, rec.country))
            yob = names.yob_token(rec.country, rec.yob) if rec.yob is not None else None
            nm[(clk, names.country_token(rec.country), yob)] = None
    return (
        [{"type": k, "token": t} for k, t in sorted(ids)],
        [{"clk": c, "country": k, "yob": y} for c, k, y in sorted(nm, key=str)],
    )


def export_bundle(
    workspace: Path,
    out: Path,
    *,
    username: str = "cli",
    db_url: str | None = None,
    days: int = DEFAULT_DAYS,
    confidence: float = DEFAULT_CONFIDENCE,
    negatives: bool = False,
    now: dt.datetime | None = None,
) -> ExportResult:
    """Write a signed bundle of the workspace's reviewed outcomes to ``out``; audited."""
    from bantay.export.case import write_atomic

    ws = Path(workspace)
    keys = Keys.of(ws)
    issuer = keys.institution()
    if issuer is None:
        raise ShareError(f"no signing key in {keys.folder}: bantay share keys --institution NAME")
    kid, key = keys.consortium_key()
    if not 0.0 < confidence <= 1.0:
        raise ShareError(f"--confidence {confidence}: between 0 (exclusive) and 1")
    if days < 1:
        raise ShareError(f"--days {days}: a bundle is valid for at least one day")
    derived = DerivedKeys.of(key)
    hasher = ExactHasher(derived)
    encoder = NameEncoder(derived)
    with open_workflow(ws, db_url) as wf, wf.session() as db:
        outcomes = [(s, e, lab) for s, e, lab in dispositions(db) if lab or negatives]
    revoked = {str(r["entry_id"]): str(r["revoked"]) for r in read_ledger(ws, "revocations.jsonl")}
    now = now or utcnow()
    created, expires = iso(now), iso(now + dt.timedelta(days=days))
    records = _records(ws, sorted({e for _, e, _ in outcomes}))
    by_entity = dict(tuple(records.groupby("entity_id"))) if not records.empty else {}
    opinions: list[Opinion] = []
    missing: list[tuple[str, str]] = []
    exported: list[dict[str, Any]] = []
    bundle_id = "b-" + uuid.uuid4().hex
    for side, ent, label in outcomes:
        eid = entry_id(derived, issuer, side, ent)
        if eid in revoked:
            continue
        rows = by_entity.get(ent)
        ids, names = ([], []) if rows is None else protect_entity(rows, hasher, encoder)
        if not ids and not names:
            missing.append((side, ent))
            continue
        opinions.append(
            Opinion(
                entry_id=eid,
                opinion="positive" if label else "negative",
                role=ROLE_OF_SIDE[side],
                confidence=confidence,
                created=created,
                expires=expires,
                identifiers=ids,
                names=names,
            )
        )
        exported.append({"bundle_id": bundle_id, "entry_id": eid, "side": side, "entity_id": ent})
    bundle = Bundle(
        bundle_id=bundle_id,
        issuer=issuer,
        created=created,
        expires=expires,
        key_id=kid,
        encoding={
            "exact": "hmac-sha256(type 0x1f normalised value)",
            "names": {"type": "clk", "bits": CLK_BITS, "k": CLK_K, "q": CLK_Q, "salt": "country"},
        },
        opinions=opinions,
        revocations=[{"entry_id": e, "revoked": t} for e, t in sorted(revoked.items())],
    )
    body = sign(bundle, keys)
    write_atomic(Path(out), body)
    result = ExportResult(
        bundle_id=bundle_id,
        path=Path(out),
        opinions=len(opinions),
        identifiers=sum(len(o.identifiers) for o in opinions),
        names=sum(len(o.names) for o in opinions),
        revocations=len(revoked),
        without_identifiers=missing,
    )
    _append(_ledger(ws, "exports.jsonl"), [{**r, "at": created} for r in exported])
    _audit(
        ws,
        db_url,
        username,
        "share_export",
        bundle_id,
        {
            "target": str(Path(out).resolve()),
            "sha256": hashlib.sha256(body).hexdigest(),
            "key_id": kid,
            "expires": expires,
            "opinions": [f"{r['side']}:{r['entity_id']}={r['entry_id']}" for r in exported],
            "revocations": sorted(revoked),
            "without_identifiers": [f"{s}:{e}" for s, e in missing],
        },
    )
    return result


# ---- revoke ------------------------------------------------------------------------------------


def revoke(
    workspace: Path,
    entries: list[str],
    reason: str,
    *,
    username: str = "cli",
    db_url: str | None = None,
) -> list[str]:
    """Withdraw this institution's opinions ``entries`` (entry ids, or ``side:entity_id``): the
    next bundle lists them as revocations, and importers remove the signals they made from them."""
    ws = Path(workspace)
    if not entries:
        raise ShareError("name at least one entry to revoke (an entry id, or side:entity_id)")
    if not reason.strip():
        raise ShareError("a revocation needs a reason (--reason)")
    exported = read_ledger(ws, "exports.jsonl")
    by_entity = {f"{r['side']}:{r['entity_id']}": str(r["entry_id"]) for r in exported}
    known = {str(r["entry_id"]) for r in exported}
    ids: list[str] = []
    for e in entries:
        eid = by_entity.get(e, e)
        if eid not in known:
            raise ShareError(
                f"{e!r} is not an entry this workspace exported (bantay share list shows them)"
            )
        ids.append(eid)
    already = {str(r["entry_id"]) for r in read_ledger(ws, "revocations.jsonl")}
    new = sorted(set(ids) - already)
    at = iso(utcnow())
    _append(
        _ledger(ws, "revocations.jsonl"),
        [{"entry_id": e, "revoked": at, "reason": reason.strip()} for e in new],
    )
    _audit(
        ws,
        db_url,
        username,
        "share_revoke",
        ",".join(new)[:300] or "-",
        {"entries": new, "already_revoked": sorted(set(ids) & already), "reason": reason.strip()},
    )
    return new


def withdraw_bundle(
    workspace: Path,
    bundle_id: str,
    reason: str,
    *,
    username: str = "cli",
    db_url: str | None = None,
) -> list[str]:
    """The importer's side: remove every signal an imported bundle made (its issuer's signing key
    was stolen, or the bundle was sent in error). Returns the removed signal ids; audited."""
    ws = Path(workspace)
    if not reason.strip():
        raise ShareError("withdrawing a bundle needs a reason (--reason)")
    rows = [r for r in read_ledger(ws, "imports.jsonl") if r.get("bundle_id") == bundle_id]
    if not rows:
        raise ShareError(
            f"bundle {bundle_id!r} was not imported into this workspace (bantay share list)"
        )
    issuer = str(rows[0]["issuer"])
    source = f"share:{issuer}:{bundle_id}"
    with open_workspace(ws) as w:
        gone = [
            str(s)
            for (s,) in w.con.execute(
                "SELECT signal_id FROM signals WHERE signal_source = ? ORDER BY 1", [source]
            ).fetchall()
        ]
        w.con.execute("DELETE FROM signals WHERE signal_source = ?", [source])
    _append(
        _ledger(ws, "withdrawn.jsonl"),
        [{"bundle_id": bundle_id, "issuer": issuer, "at": iso(utcnow()), "reason": reason}],
    )
    _audit(
        ws,
        db_url,
        username,
        "share_withdraw",
        bundle_id,
        {"issuer": issuer, "removed_signals": gone, "reason": reason.strip()},
    )
    return gone


# ---- import ------------------------------------------------------------------------------------


@dataclass
class Match:
    entry_id: str
    opinion: str
    role: str
    matched_on: str
    party_record_id: str
    identifier_type: str
    value: str
    dice: float | None = None


@dataclass
class ImportResult:
    bundle_id: str
    issuer: str
    opinions: int
    matches: list[Match]
    signals: int
    quarantined: int
    revoked_signals: list[str]
    #: matches of negative or disputed opinions: recorded, not made into signals
    not_signalled: int

    @property
    def matched_entries(self) -> int:
        return len({m.entry_id for m in self.matches})


#: (party_record_id, type, value, region) of every exact identifier of the party records
LOCAL_IDENTIFIERS: Final = " UNION ALL ".join(
    f"""SELECT party_record_id, '{kind}' AS type, {col} AS value,
               coalesce(residence_country, nationality) AS region
        FROM party_records WHERE nullif(trim({col}), '') IS NOT NULL"""
    for kind, col in COLUMNS.items()
)


def exact_matches(
    con: duckdb.DuckDBPyConnection,
    identifiers_sql: str,
    bundle: pd.DataFrame,
    hasher: ExactHasher,
) -> pd.DataFrame:
    """The keyed-hash match: rows (entry_id, party_record_id, type, normalised) where a local
    identifier's token equals a bundle token of the same type.

    ``identifiers_sql`` selects (party_record_id, type, value, region); ``bundle`` has
    (entry_id, type, token). Each distinct (type, value, region) is normalised
    (:func:`bantay.share.protect.normalise`: the resolver's normalisation), keyed-hashed and
    probed in a hash table of the bundle's tokens, once, in one pass; only the values that match
    go back to DuckDB, which joins them to the records that hold them."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _share_ids AS
            SELECT party_record_id, type, value,
                   CASE WHEN type = 'phone' THEN coalesce(region, '') ELSE '' END AS region
            FROM ({identifiers_sql})"""
    )
    wanted: dict[tuple[str, bytes], list[str]] = {}
    for e, t, k in zip(bundle["entry_id"], bundle["type"], bundle["token"], strict=True):
        try:
            wanted.setdefault((str(t), bytes.fromhex(str(k))), []).append(str(e))
        except ValueError as exc:
            raise ShareError(f"bundle entry {e}: token {k!r} is not hexadecimal") from exc
    kinds = {t for t, _ in wanted}
    hits: list[tuple[str, str, str, str, str]] = []
    for kind in sorted(kinds):
        probe = hasher.prefixed(kind)
        distinct = con.execute(
            "SELECT DISTINCT value, region FROM _share_ids WHERE type = ?", [kind]
        ).fetchnumpy()
        for v, r in zip(distinct["value"].tolist(), distinct["region"].tolist(), strict=True):
            n = normalise(kind, v, r or None)
            if n is None:
                continue
            h = probe.copy()
            h.update(n.encode("utf-8"))
            entries = wanted.get((kind, h.digest()))
            if entries:
                hits += [(e, kind, v, r, n) for e in entries]
    hit = pd.DataFrame(hits, columns=["entry_id", "type", "value", "region", "normalised"])
    con.register("_share_hits", hit)
    try:
        return con.execute(
            """SELECT DISTINCT h.entry_id, i.party_record_id, h.type, h.normalised
               FROM _share_hits h JOIN _share_ids i USING (type, value, region)
               ORDER BY 1, 2, 3"""
        ).fetchdf()
    finally:
        con.unregister("_share_hits")
        con.execute("DROP TABLE IF EXISTS _share_ids")


def name_matches(
    local: pd.DataFrame, bundle: pd.DataFrame, threshold: float
) -> list[tuple[int, int, float]]:
    """(local row, bundle row, Dice) of name filters at or above ``threshold``, compared within
    one country token and, where both sides have one, one year-of-birth token. Both frames have
    columns ``clk`` (packed bytes), ``country``, ``yob`` (token or None)."""
    out: list[tuple[int, int, float]] = []
    if local.empty or bundle.empty:
        return out
    for country, b in bundle.groupby("country", sort=False):
        loc = local[local["country"] == country]
        if loc.empty:
            continue
        a = np.stack(b["clk"].to_list())
        m = np.stack(loc["clk"].to_list())
        d = dice_matrix(a, m)
        by = b["yob"].to_numpy(dtype=object)
        ly = loc["yob"].to_numpy(dtype=object)
        bi, li = np.nonzero(d >= threshold)
        for i, j in zip(bi, li, strict=True):
            if by[i] is not None and ly[j] is not None and by[i] != ly[j]:
                continue
            out.append((int(loc.index[j]), int(b.index[i]), float(d[i, j])))
    return out


def _local_names(con: duckdb.DuckDBPyConnection, encoder: NameEncoder) -> pd.DataFrame:
    rows = con.execute(
        """SELECT party_record_id, name, given_name, family_name, date_of_birth, city,
                  coalesce(residence_country, nationality) AS country
           FROM party_records
           WHERE coalesce(name, given_name, family_name) IS NOT NULL
             AND coalesce(residence_country, nationality) IS NOT NULL"""
    ).fetchdf()
    recs = []
    for r in rows.itertuples(index=False):
        rec = name_record(
            _str(r.name), _str(r.country), r.date_of_birth, _str(r.given_name), _str(r.family_name)
        )
        if rec is None:
            continue
        name = _str(r.name) or " ".join(x for x in (_str(r.given_name), _str(r.family_name)) if x)
        recs.append(
            {
                "party_record_id": r.party_record_id,
                "display": name,
                "city": _str(r.city) or "",
                "clk": encoder.clk(rec.key, rec.country),
                "country": encoder.country_token(rec.country),
                "yob": None if rec.yob is None else encoder.yob_token(rec.country, rec.yob),
            }
        )
    return pd.DataFrame(
        recs, columns=["party_record_id", "display", "city", "clk", "country", "yob"]
    )


def match_bundle(
    workspace: Path, bundle: Bundle, key: bytes, dice: float, progress: Progress = _noop
) -> list[Match]:
    """Every match of the bundle's opinions with this workspace's party records."""
    derived = DerivedKeys.of(key)
    hasher = ExactHasher(derived)
    encoder = NameEncoder(derived)
    ops = {o.entry_id: o for o in bundle.opinions}
    btok = pd.DataFrame(
        [(o.entry_id, x["type"], x["token"]) for o in bundle.opinions for x in o.identifiers],
        columns=["entry_id", "type", "token"],
    )
    bnames = pd.DataFrame(
        [
            (
                o.entry_id,
                np.frombuffer(unb64(str(n["clk"])), dtype=np.uint8),
                n["country"],
                n["yob"],
            )
            for o in bundle.opinions
            for n in o.names
        ],
        columns=["entry_id", "clk", "country", "yob"],
    )
    for i, c in enumerate(bnames["clk"]):
        if len(c) != CLK_BITS // 8:
            raise ShareError(
                f"bundle {bundle.bundle_id}: name filter {i + 1} is not {CLK_BITS} bits"
            )
    matches: list[Match] = []
    with open_workspace(Path(workspace), read_only=True) as ws:
        progress("match identifiers", 0, 3)
        exact = exact_matches(ws.con, LOCAL_IDENTIFIERS, btok, hasher)
        progress("encode names", 1, 3)
        for r in exact.itertuples(index=False):
            o = ops[str(r.entry_id)]
            matches.append(
                Match(o.entry_id, o.opinion, o.role, str(r.type), str(r.party_record_id),
                      str(r.type), str(r.normalised))
            )  # fmt: skip
        progress("match names", 2, 3)
        lnames = _local_names(ws.con, encoder)
    for li, bi, d in name_matches(lnames, bnames, dice):
        o = ops[str(bnames.at[bi, "entry_id"])]
        lr = lnames.loc[li]
        matches.append(
            Match(o.entry_id, o.opinion, o.role, "name", str(lr["party_record_id"]),
                  "name_city", f"{lr['display']}|{lr['city']}", round(d, 4))
        )  # fmt: skip
    progress("done", 3, 3)
    return matches


def import_bundle(
    workspace: Path,
    path: Path,
    *,
    username: str = "cli",
    db_url: str | None = None,
    dice: float = DEFAULT_DICE,
    now: dt.datetime | None = None,
    progress: Progress = _noop,
) -> ImportResult:
    """Check, match and load a bundle (see the module's docstring); audited."""
    from bantay.ingest import ingest_file

    ws_path = Path(workspace)
    keys = Keys.of(ws_path)
    if not 0.0 < dice <= 1.0:
        raise ShareError(f"--dice {dice}: between 0 (exclusive) and 1")
    try:
        bundle = read_bundle(Path(path), keys, now)
        done = {str(r["bundle_id"]) for r in read_ledger(ws_path, "imports.jsonl")}
        if bundle.bundle_id in done:
            raise ShareError(f"{path}: bundle {bundle.bundle_id} is already imported")
    except ShareError as exc:
        _audit_refusal(ws_path, db_url, username, Path(path), str(exc))
        raise
    _, key = keys.consortium_key(bundle.key_id)
    matches = match_bundle(ws_path, bundle, key, dice, progress)
    # signals: one per (identifier type, value) of this workspace; entries and ways joined
    source = f"share:{bundle.issuer}:{bundle.bundle_id}"
    ops = {o.entry_id: o for o in bundle.opinions}
    wanted: dict[tuple[str, str], list[Match]] = {}
    for m in matches:
        if m.opinion in SIGNAL_OPINIONS:
            wanted.setdefault((m.identifier_type, m.value), []).append(m)
    rows = []
    for (kind, value), ms in sorted(wanted.items()):
        best = max(ms, key=lambda m: (ops[m.entry_id].confidence, m.entry_id))
        o = ops[best.entry_id]
        entries = sorted({m.entry_id for m in ms})
        how = sorted({m.matched_on + (f" dice {m.dice}" if m.dice is not None else "") for m in ms})
        rows.append(
            {
                "identifier_type": kind,
                "value": value,
                "role": o.role,
                "signal_source": source,
                "confidence": f"{o.confidence:g}",
                "expires": min(
                    parse_time(o.expires, "expires"), parse_time(bundle.expires, "expires")
                )
                .date()
                .isoformat(),
                "note": f"{o.opinion} opinion of {bundle.issuer}, bundle {bundle.bundle_id}, "
                f"entries {' '.join(entries)}; matched on {', '.join(how)}",
            }
        )
    folder = ws_path / FOLDER / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = private_file(folder / f"{bundle.bundle_id}.csv")
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(
            fh,
            ["identifier_type", "value", "role", "signal_source", "confidence", "expires", "note"],
        )
        w.writeheader()
        w.writerows(rows)
    signals = quarantined = 0
    revoked_ids: list[str] = []
    with open_workspace(ws_path) as ws:
        if rows:
            rep = ingest_file(ws, csv_path, fmt="csv", kind="signals", source=source)
            signals, quarantined = rep.rows_loaded, rep.rows_quarantined
        revoked_ids = _apply_revocations(ws.con, ws_path, bundle)
    ledger = [
        {
            "bundle_id": bundle.bundle_id,
            "issuer": bundle.issuer,
            "entry_id": m.entry_id,
            "opinion": m.opinion,
            "matched_on": m.matched_on,
            "party_record_id": m.party_record_id,
            "signal_id": _signal_id(source, m.identifier_type, m.value)
            if m.opinion in SIGNAL_OPINIONS
            else None,
            "at": iso(utcnow()),
        }
        for m in matches
    ]
    if not ledger:
        ledger = [{"bundle_id": bundle.bundle_id, "issuer": bundle.issuer, "entry_id": None,
                   "at": iso(utcnow())}]  # fmt: skip
    _append(_ledger(ws_path, "imports.jsonl"), ledger)
    result = ImportResult(
        bundle_id=bundle.bundle_id,
        issuer=bundle.issuer,
        opinions=len(bundle.opinions),
        matches=matches,
        signals=signals,
        quarantined=quarantined,
        revoked_signals=revoked_ids,
        not_signalled=sum(m.opinion not in SIGNAL_OPINIONS for m in matches),
    )
    _audit(
        ws_path,
        db_url,
        username,
        "share_import",
        bundle.bundle_id,
        {
            "source": str(Path(path).resolve()),
            "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
            "issuer": bundle.issuer,
            "key_id": bundle.key_id,
            "opinions": len(bundle.opinions),
            "matched_entries": result.matched_entries,
            "matches": [f"{m.entry_id}:{m.matched_on}:{m.party_record_id}" for m in matches],
            "signals_loaded": signals,
            "signals_quarantined": quarantined,
            "revoked_signals": revoked_ids,
            "dice": dice,
        },
    )
    return result


def _audit_refusal(ws: Path, db_url: str | None, username: str, path: Path, reason: str) -> None:
    """An audit entry for a bundle that was refused (who tried to import what, and why)."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = None
    _audit(
        ws,
        db_url,
        username,
        "share_refused",
        path.name[:300],
        {"source": str(path.resolve()), "sha256": digest, "reason": reason},
    )


def _signal_id(source: str, kind: str, value: str) -> str:
    """The id the signals ingest gives a row (``engine._signal_pass2``)."""
    return f"{source}:{hashlib.md5(f'{kind}|{value}'.encode()).hexdigest()}"


def _apply_revocations(con: duckdb.DuckDBPyConnection, ws: Path, bundle: Bundle) -> list[str]:
    """Remove the signals earlier bundles of the issuer made from entries it now revokes, unless
    another entry still asserts the same signal. Returns the removed signal ids."""
    revoked = {r["entry_id"] for r in bundle.revocations}
    if not revoked:
        return []
    rows = [r for r in read_ledger(ws, "imports.jsonl") if r.get("issuer") == bundle.issuer]
    doomed = {
        str(r["signal_id"]) for r in rows if r.get("entry_id") in revoked and r.get("signal_id")
    }
    kept = {
        str(r["signal_id"]) for r in rows if r.get("entry_id") not in revoked and r.get("signal_id")
    }
    gone = sorted(doomed - kept)
    if gone:
        present = {
            str(s)
            for (s,) in con.execute(
                "SELECT signal_id FROM signals WHERE list_contains(?, signal_id)", [gone]
            ).fetchall()
        }
        gone = sorted(present)
        con.execute("DELETE FROM signals WHERE list_contains(?, signal_id)", [gone])
    return gone


# ---- list --------------------------------------------------------------------------------------


@dataclass
class Overview:
    institution: str | None
    consortium_keys: list[str]
    current_key: str | None
    trusted: list[str]
    exports: list[dict[str, Any]]
    imports: list[dict[str, Any]]
    revocations: list[dict[str, Any]]
    withdrawn: list[dict[str, Any]] = field(default_factory=list)


def overview(workspace: Path) -> Overview:
    """What this workspace shares: keys, trusted issuers, bundles out and in, revocations."""
    ws = Path(workspace)
    keys = Keys.of(ws)
    exports: dict[str, dict[str, Any]] = {}
    for r in read_ledger(ws, "exports.jsonl"):
        e = exports.setdefault(r["bundle_id"], {"bundle_id": r["bundle_id"], "at": r["at"],
                                                "entries": []})  # fmt: skip
        e["entries"].append(f"{r['entry_id']} ({r['side']}:{r['entity_id']})")
    imports: dict[str, dict[str, Any]] = {}
    for r in read_ledger(ws, "imports.jsonl"):
        i = imports.setdefault(
            r["bundle_id"],
            {"bundle_id": r["bundle_id"], "issuer": r["issuer"], "at": r["at"], "matches": 0,
             "entries": set()},
        )  # fmt: skip
        if r.get("entry_id"):
            i["matches"] += 1
            i["entries"].add(r["entry_id"])
    return Overview(
        institution=keys.institution(),
        consortium_keys=keys.consortium_ids(),
        current_key=keys.current_id(),
        trusted=sorted(keys.trusted()),
        exports=list(exports.values()),
        imports=[{**v, "entries": len(v["entries"])} for v in imports.values()],
        revocations=read_ledger(ws, "revocations.jsonl"),
        withdrawn=read_ledger(ws, "withdrawn.jsonl"),
    )
