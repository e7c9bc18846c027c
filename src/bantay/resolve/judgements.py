"""Analysts' judgements: "same" or "not same" between two records or entities, stored as data.

A judgement names who decided, when and why. It is honoured on every resolution run and takes effect
at once (the stored pairs are re-clustered, no model runs). Undoing one sets ``deleted_at`` and
``deleted_by``: the row stays, so the history of decisions is never lost.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Literal

from bantay.resolve import ResolveError
from bantay.resolve.run import first_row
from bantay.workspace import Workspace

Verdict = Literal["same", "not_same"]


@dataclass(frozen=True)
class Judgement:
    judgement_id: str
    ref_a: str
    ref_b: str
    party_record_id_a: str
    party_record_id_b: str
    verdict: str
    user_name: str
    reason: str
    created_at: dt.datetime
    deleted_at: dt.datetime | None
    deleted_by: str | None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def resolve_ref(ws: Workspace, ref: str) -> str:
    """The party record a reference names: a party_record_id, ``INSTITUTION:CUSTOMER_REF``, or an
    entity id (its first record by identifier). Raises ResolveError naming what was tried."""
    ref = ref.strip()
    if not ref:
        raise ResolveError("an empty reference names no record")
    row = first_row(
        ws.con.execute(
            "SELECT party_record_id FROM party_records WHERE party_record_id = ? LIMIT 1", [ref]
        )
    )
    if row:
        return str(row[0])
    inst, sep, cref = ref.partition(":")
    if sep:
        rows = ws.con.execute(
            "SELECT DISTINCT party_record_id FROM party_records "
            "WHERE institution = ? AND customer_ref = ? ORDER BY 1",
            [inst, cref],
        ).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
        if len(rows) > 1:
            ids = ", ".join(str(r[0]) for r in rows[:5])
            raise ResolveError(
                f"{ref} names {len(rows)} party records ({ids}); give one party_record_id"
            )
    row = first_row(
        ws.con.execute("SELECT min(party_record_id) FROM entity_members WHERE entity_id = ?", [ref])
    )
    if row and row[0] is not None:
        return str(row[0])
    raise ResolveError(
        f"no party record, INSTITUTION:CUSTOMER_REF or entity is called {ref!r} in {ws.path}"
    )


def add_judgement(
    ws: Workspace, ref_a: str, ref_b: str, verdict: Verdict, user: str, reason: str
) -> Judgement:
    """Record a judgement (it takes effect on the next clustering; see :func:`judge`)."""
    if verdict not in ("same", "not_same"):
        raise ResolveError(f"verdict must be same or not_same, got {verdict!r}")
    if not user.strip():
        raise ResolveError("a judgement needs the name of who decides (--by)")
    if not reason.strip():
        raise ResolveError("a judgement needs a reason (--why)")
    a, b = resolve_ref(ws, ref_a), resolve_ref(ws, ref_b)
    if a == b:
        raise ResolveError(f"{ref_a} and {ref_b} are the same party record ({a})")
    j = Judgement(
        judgement_id="J" + secrets.token_hex(6),
        ref_a=ref_a,
        ref_b=ref_b,
        party_record_id_a=a,
        party_record_id_b=b,
        verdict=verdict,
        user_name=user.strip(),
        reason=reason.strip(),
        created_at=_utcnow(),
        deleted_at=None,
        deleted_by=None,
    )
    ws.con.execute(
        "INSERT INTO judgements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            j.judgement_id,
            j.ref_a,
            j.ref_b,
            j.party_record_id_a,
            j.party_record_id_b,
            j.verdict,
            j.user_name,
            j.reason,
            j.created_at,
            None,
            None,
        ],
    )
    return j


def list_judgements(ws: Workspace, include_undone: bool = False) -> list[Judgement]:
    where = "" if include_undone else " WHERE deleted_at IS NULL"
    rows = ws.con.execute(
        "SELECT judgement_id, ref_a, ref_b, party_record_id_a, party_record_id_b, verdict, "
        f"user_name, reason, created_at, deleted_at, deleted_by FROM judgements{where} "
        "ORDER BY created_at, judgement_id"
    ).fetchall()
    return [Judgement(*r) for r in rows]


def undo_judgement(ws: Workspace, judgement_id: str, user: str) -> Judgement:
    """Mark a judgement undone (``deleted_at``/``deleted_by``); the row is kept."""
    if not user.strip():
        raise ResolveError("undoing a judgement needs the name of who decides (--by)")
    row = first_row(
        ws.con.execute("SELECT deleted_at FROM judgements WHERE judgement_id = ?", [judgement_id])
    )
    if row is None:
        raise ResolveError(f"no judgement {judgement_id!r}; see `bantay resolve judgements`")
    if row[0] is not None:
        raise ResolveError(f"judgement {judgement_id} was already undone at {row[0]}")
    ws.con.execute(
        "UPDATE judgements SET deleted_at = ?, deleted_by = ? WHERE judgement_id = ?",
        [_utcnow(), user.strip(), judgement_id],
    )
    return next(j for j in list_judgements(ws, True) if j.judgement_id == judgement_id)


def judge(
    ws: Workspace, ref_a: str, ref_b: str, verdict: Verdict, user: str, reason: str
) -> Judgement:
    """Record a judgement and re-cluster at once, so entities reflect it."""
    from bantay.resolve.run import recluster

    j = add_judgement(ws, ref_a, ref_b, verdict, user, reason)
    recluster(ws)
    return j


def undo(ws: Workspace, judgement_id: str, user: str) -> Judgement:
    """Undo a judgement and re-cluster at once."""
    from bantay.resolve.run import recluster

    j = undo_judgement(ws, judgement_id, user)
    recluster(ws)
    return j
