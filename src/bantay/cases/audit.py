"""The audit trail: an append-only, keyed hash chain of views of personal data, decisions, exports.

Each entry's ``hash`` is an HMAC-SHA256, under a key kept *outside* the workflow database, of the
previous entry's hash and the entry's own fields. Someone who can write the database but not read
the key cannot make a valid entry: altering, inserting or re-hashing entries shows, and so does
deleting one (the next entry's link breaks). Removing the *last* entries leaves a shorter chain that
is still whole, so :func:`checkpoint` writes the count and head hash, keyed, to a file outside the
database (an operator ships it to write-once storage); :func:`verify` compares the log with every
checkpoint and names what it finds: ``altered``, ``deleted``, ``inserted``, ``truncated``,
``re-hashed``. The database also refuses UPDATE and DELETE on the table (a trigger).

The key: ``$BANTAY_AUDIT_KEY`` (32+ characters), else the file ``$BANTAY_AUDIT_KEY_FILE``, else
``audit.key`` beside the SQLite file (created once, mode 600, when the log is empty). Checkpoints:
``$BANTAY_AUDIT_CHECKPOINTS``, else ``audit-checkpoints.jsonl`` beside the key. One is written
every :data:`CHECKPOINT_EVERY` entries, when the web app stops, and by ``bantay audit checkpoint``.

A log written before entries were keyed (plain SHA-256) is kept: when such a log is opened without
a key, its chain is checked, a key is made and a keyed ``audit_keyed`` entry anchors the old chain's
count and head; :func:`verify` checks the entries before the anchor as plain SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from bantay.cases.db import in_write, writing
from bantay.cases.models import AuditEntry, utcnow
from bantay.errors import WorkspaceError
from bantay.workspace import private_file

GENESIS = "0" * 64
KEY_ENV = "BANTAY_AUDIT_KEY"
KEY_FILE_ENV = "BANTAY_AUDIT_KEY_FILE"
CHECKPOINTS_ENV = "BANTAY_AUDIT_CHECKPOINTS"
KEY_FILE = "audit.key"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"
KEY_MIN_LENGTH = 32
#: a checkpoint is written after every this many entries
CHECKPOINT_EVERY = 100
#: the PostgreSQL advisory lock that serialises appends
_PG_LOCK = 7_243_001
#: the action of the entry that anchors a log written before entries were keyed
KEYED_ACTION = "audit_keyed"


@dataclass(frozen=True)
class AuditConfig:
    """Where the audit key comes from and where checkpoints go."""

    key: bytes = field(repr=False)
    checkpoints: Path
    key_source: str

    @staticmethod
    def key_missing(folder: Path) -> bool:
        """No key in the environment and no key file yet."""
        if os.environ.get(KEY_ENV):
            return False
        return not Path(os.environ.get(KEY_FILE_ENV) or Path(folder) / KEY_FILE).exists()

    @classmethod
    def locate(cls, folder: Path, *, create: bool) -> AuditConfig:
        """The key from the environment or its file in ``folder`` (made when ``create``)."""
        folder = Path(folder)
        checkpoints = Path(os.environ.get(CHECKPOINTS_ENV) or folder / CHECKPOINT_FILE)
        raw = os.environ.get(KEY_ENV)
        if raw:
            if len(raw) < KEY_MIN_LENGTH:
                raise WorkspaceError(f"${KEY_ENV} has {len(raw)} characters; use {KEY_MIN_LENGTH}+")
            return cls(raw.encode(), checkpoints, f"${KEY_ENV}")
        path = Path(os.environ.get(KEY_FILE_ENV) or folder / KEY_FILE)
        if not path.exists():
            if not create:
                raise WorkspaceError(
                    f"the audit log has entries but its key {path} is missing: restore the key "
                    f"file (or set ${KEY_ENV}); without it the log cannot be verified or extended"
                )
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32) + "\n")
        key = path.read_text().strip()
        if len(key) < KEY_MIN_LENGTH:
            raise WorkspaceError(
                f"the audit key {path} is shorter than {KEY_MIN_LENGTH} characters"
            )
        return cls(key.encode(), checkpoints, str(path))


def config(db: Session) -> AuditConfig:
    cfg = db.info.get("audit")
    if not isinstance(cfg, AuditConfig):
        raise RuntimeError("a workflow session without an audit key: open it with open_workflow")
    return cfg


def _payload(
    prev_hash: str,
    at: dt.datetime,
    user_id: int | None,
    username: str,
    action: str,
    object_type: str,
    object_id: str,
    detail: str,
) -> bytes:
    return json.dumps(
        [prev_hash, at.isoformat(), user_id, username, action, object_type, object_id, detail],
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def entry_mac(key: bytes, e: AuditEntry) -> str:
    """The keyed hash an entry must carry."""
    p = _payload(
        e.prev_hash, e.at, e.user_id, e.username, e.action, e.object_type, e.object_id, e.detail
    )
    return hmac.new(key, b"bantay-audit-v2\0" + p, hashlib.sha256).hexdigest()


def legacy_hash(e: AuditEntry) -> str:
    """The plain SHA-256 of entries written before keys (kept only to verify such logs)."""
    p = _payload(
        e.prev_hash, e.at, e.user_id, e.username, e.action, e.object_type, e.object_id, e.detail
    )
    return hashlib.sha256(p).hexdigest()


def starts_legacy(conn: Connection) -> bool:
    """Whether the log's first entry was written with plain SHA-256 (before keys)."""
    if log_is_empty(conn):
        return False
    with Session(bind=conn) as s:
        first = s.execute(select(AuditEntry).order_by(AuditEntry.id).limit(1)).scalar_one()
        return legacy_hash(first) == first.hash


def log_is_empty(conn: Connection) -> bool:
    if not inspect(conn).has_table(AuditEntry.__tablename__):
        return True
    return conn.execute(select(AuditEntry.id).limit(1)).first() is None


def append(
    db: Session,
    *,
    user_id: int | None,
    username: str,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's write transaction (:func:`~bantay.cases.db.writing`).

    The change it records and the entry commit together; the write lock taken at the start of the
    transaction keeps the chain linear across processes.
    """
    if not in_write(db):
        raise RuntimeError("audit entries are appended inside writing(db)")
    cfg = config(db)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    last = db.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    e = AuditEntry(
        at=utcnow(),
        user_id=user_id,
        username=username[:64],
        action=action[:32],
        object_type=object_type[:32],
        object_id=object_id[:300],
        detail=json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), default=str),
        prev_hash=last or GENESIS,
        hash="",
    )
    e.hash = entry_mac(cfg.key, e)
    db.add(e)
    db.flush()
    if e.id % CHECKPOINT_EVERY == 0:
        after = db.info.setdefault("after_write", [])
        if checkpoint not in after:
            after.append(checkpoint)
    return e


def append_many(db: Session, entries: list[dict[str, Any]]) -> list[int]:
    """Append several entries, chained in order, inside the caller's write transaction: what
    :func:`append` does for each, with one read of the chain's head and one bulk insert (the
    report intake writes a batch of reports this way). Each entry is a mapping of ``user_id``,
    ``username``, ``action``, ``object_type``, ``object_id`` and ``detail``; returns their ids."""
    if not in_write(db):
        raise RuntimeError("audit entries are appended inside writing(db)")
    if not entries:
        return []
    cfg = config(db)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    db.flush()
    head = db.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    last_id, prev = (int(head[0]), str(head[1])) if head else (0, GENESIS)
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for i, x in enumerate(entries, start=1):
        e = AuditEntry(
            id=last_id + i,
            at=at,
            user_id=x.get("user_id"),
            username=str(x["username"])[:64],
            action=str(x["action"])[:32],
            object_type=str(x["object_type"])[:32],
            object_id=str(x["object_id"])[:300],
            detail=json.dumps(
                x.get("detail") or {}, sort_keys=True, separators=(",", ":"), default=str
            ),
            prev_hash=prev,
            hash="",
        )
        e.hash = prev = entry_mac(cfg.key, e)
        rows.append(
            {c: getattr(e, c) for c in ("id", "at", "user_id", "username", "action")}
            | {
                c: getattr(e, c)
                for c in ("object_type", "object_id", "detail", "prev_hash", "hash")
            }
        )
    db.execute(insert(AuditEntry), rows)
    ids = [r["id"] for r in rows]
    if any(i % CHECKPOINT_EVERY == 0 for i in ids):
        after = db.info.setdefault("after_write", [])
        if checkpoint not in after:
            after.append(checkpoint)
    return ids


def record(
    db: Session,
    *,
    user_id: int | None,
    username: str,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in its own write transaction (or the caller's, when inside one)."""
    with writing(db):
        return append(
            db,
            user_id=user_id,
            username=username,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
        )


# ---- checkpoints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    at: str
    count: int
    head: str
    head_id: int | None

    def body(self) -> dict[str, Any]:
        return {"at": self.at, "count": self.count, "head": self.head, "head_id": self.head_id}

    def mac(self, key: bytes) -> str:
        msg = json.dumps(self.body(), sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(key, b"bantay-checkpoint-v1\0" + msg, hashlib.sha256).hexdigest()


def _head(db: Session) -> Checkpoint:
    n = int(db.execute(select(func.count()).select_from(AuditEntry)).scalar_one())
    last = db.execute(
        select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    return Checkpoint(
        at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        count=n,
        head=str(last[1]) if last else GENESIS,
        head_id=int(last[0]) if last else None,
    )


def _write_checkpoint(cfg: AuditConfig, cp: Checkpoint) -> None:
    private_file(cfg.checkpoints)
    line = json.dumps({**cp.body(), "mac": cp.mac(cfg.key)}, sort_keys=True)
    with open(cfg.checkpoints, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def checkpoint(db: Session) -> Checkpoint:
    """Write the log's count and head hash, keyed, to the checkpoint file; return it.

    Only a log that continues the last checkpoint is checkpointed (its head is still there, and
    every entry since carries the key): a checkpoint never blesses a log cut back or rewritten.
    """
    cfg = config(db)
    with writing(db):
        _check_continues(db, cfg)
        cp = _head(db)
        _write_checkpoint(cfg, cp)
    return cp


def _check_continues(db: Session, cfg: AuditConfig) -> None:
    """Refuse (WorkspaceError) when the log does not extend the last signed checkpoint."""
    last = None
    for c in reversed(read_checkpoints(cfg.checkpoints)):
        try:
            cp = Checkpoint(str(c["at"]), int(c["count"]), str(c["head"]), c.get("head_id"))
        except (KeyError, TypeError, ValueError):
            continue
        if hmac.compare_digest(cp.mac(cfg.key), str(c.get("mac", ""))):
            last = cp
            break
    prev = GENESIS
    start = 0
    if last is not None and last.count:
        n = db.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.id <= (last.head_id or 0))
        ).scalar_one()
        head = db.get(AuditEntry, last.head_id) if last.head_id is not None else None
        if head is None or head.hash != last.head or n != last.count:
            raise WorkspaceError(
                f"the audit log does not continue its last checkpoint ({last.at}, {last.count:,} "
                "entries): no new checkpoint written; run `bantay audit verify`"
            )
        prev, start = head.hash, head.id
    legacy = _legacy_span(db, cfg.key)
    q = select(AuditEntry).where(AuditEntry.id > start).order_by(AuditEntry.id)
    for n, e in enumerate(db.execute(q).scalars(), (last.count if last else 0) + 1):
        good = (legacy_hash(e) if n <= legacy else entry_mac(cfg.key, e)) == e.hash
        if not good or e.prev_hash != prev:
            raise WorkspaceError(
                f"the audit log is broken at entry {e.id} (since the last checkpoint): no new "
                "checkpoint written; run `bantay audit verify`"
            )
        prev = e.hash


def read_checkpoints(path: Path) -> list[dict[str, Any]]:
    if not Path(path).exists():
        return []
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            row = {"unreadable": True}
        row["line"] = n
        out.append(row)
    return out


# ---- legacy (unkeyed) logs ---------------------------------------------------------------------


def key_legacy_log(db: Session) -> int:
    """Anchor a log written with plain SHA-256 under the key: check it, then one keyed entry.

    Returns the number of legacy entries anchored (0 when there is nothing to do). Refuses a
    legacy chain that does not verify: it is reported, never blessed.
    """
    with writing(db):
        anchored = db.execute(
            select(AuditEntry.id).where(AuditEntry.action == KEYED_ACTION).limit(1)
        ).first()
        if anchored is not None:
            return 0
        prev = GENESIS
        n = 0
        for e in db.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
            n += 1
            if e.prev_hash != prev or legacy_hash(e) != e.hash:
                raise WorkspaceError(
                    f"the audit log (written before entries were keyed) is broken at entry {e.id}; "
                    "it is not re-keyed: keep the database as evidence and investigate"
                )
            prev = e.hash
        append(
            db,
            user_id=None,
            username="bantay",
            action=KEYED_ACTION,
            object_type="audit_log",
            object_id="legacy",
            detail={"legacy_entries": n, "legacy_head": prev},
        )
        return n


# ---- verification ------------------------------------------------------------------------------

#: what :func:`verify` can find, in the words it reports
KINDS = ("altered", "deleted", "inserted", "truncated", "re-hashed", "checkpoint")


@dataclass
class Finding:
    kind: str
    entry_id: int | None
    message: str


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    first_bad_id: int | None = None
    problem: str = ""
    findings: list[Finding] = field(default_factory=list)
    checkpoints: int = 0

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(f.kind for f in self.findings))


@dataclass
class _Run:
    """Consecutive entries whose keyed hash does not hold."""

    first_id: int
    before: str  # stored hash of the entry before the run (or GENESIS)
    last_hash: str
    n: int = 1


def _legacy_span(db: Session, key: bytes) -> int:
    """How many leading entries are legacy (unkeyed): those before a valid ``audit_keyed`` entry."""
    for e in db.execute(
        select(AuditEntry).where(AuditEntry.action == KEYED_ACTION).order_by(AuditEntry.id)
    ).scalars():
        if entry_mac(key, e) == e.hash:
            try:
                return int(json.loads(e.detail).get("legacy_entries", 0))
            except (ValueError, AttributeError):
                return 0
    return 0


def verify(db: Session) -> VerifyResult:
    """Walk the chain, then hold it against every checkpoint; name each kind of tampering found.

    - ``altered``: an entry's fields no longer match its keyed hash, the next entry still links to it
    - ``deleted``: an entry links to a hash that is not the previous entry's (entries removed)
    - ``inserted``: entries without a valid keyed hash that the chain skips over
    - ``re-hashed``: consecutive entries whose hashes were recomputed without the key
    - ``truncated``: fewer entries than a checkpoint counted, or its head is gone
    - ``checkpoint``: a checkpoint line that does not carry the key's signature, or one the log
      no longer matches for a reason found in the chain
    """
    cfg = config(db)
    key = cfg.key
    cps = read_checkpoints(cfg.checkpoints)
    want = {int(c["count"]) for c in cps if isinstance(c.get("count"), int)}
    at_count: dict[int, str] = {}
    findings: list[Finding] = []
    legacy = _legacy_span(db, key)

    def close_run(run: _Run, next_prev: str | None) -> None:
        if next_prev is not None and next_prev == run.before:
            findings.append(
                Finding(
                    "inserted",
                    run.first_id,
                    f"{run.n} entr{'y' if run.n == 1 else 'ies'} from id {run.first_id} inserted: "
                    "not made with the audit key, and the chain skips over them",
                )
            )
        elif run.n == 1 and (next_prev is None or next_prev == run.last_hash):
            findings.append(
                Finding(
                    "altered",
                    run.first_id,
                    f"entry {run.first_id} altered: its fields do not match its keyed hash",
                )
            )
        else:
            findings.append(
                Finding(
                    "re-hashed",
                    run.first_id,
                    f"{run.n} entr{'y' if run.n == 1 else 'ies'} from id {run.first_id} re-hashed: "
                    "hashes recomputed without the audit key (the chain was rewritten)",
                )
            )

    prev_hash = GENESIS
    prev_id: int | None = None
    run: _Run | None = None
    n = 0
    for e in db.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        n += 1
        if n in want:
            at_count[n] = e.hash
        good = (legacy_hash(e) if n <= legacy else entry_mac(key, e)) == e.hash
        linked = e.prev_hash == prev_hash
        if good:
            if run is not None:
                close_run(run, e.prev_hash)
                run = None
            elif not linked:
                after = f"after entry {prev_id}" if prev_id is not None else "at the start"
                findings.append(
                    Finding(
                        "deleted",
                        e.id,
                        f"entries deleted {after}: entry {e.id} links to a hash that is not "
                        "its predecessor's (entries removed)",
                    )
                )
        elif run is None:
            run = _Run(e.id, prev_hash, e.hash)
        else:
            run.n += 1
            run.last_hash = e.hash
        prev_hash = e.hash
        prev_id = e.id
    if run is not None:
        close_run(run, None)

    chain_broken = bool(findings)
    for c in cps:
        where = f"checkpoint line {c['line']} of {cfg.checkpoints}"
        try:
            cp = Checkpoint(str(c["at"]), int(c["count"]), str(c["head"]), c.get("head_id"))
            signed = hmac.compare_digest(cp.mac(key), str(c["mac"]))
        except (KeyError, TypeError, ValueError):
            signed = False
        if not signed:
            findings.append(Finding("checkpoint", None, f"{where} is not signed with the key"))
            continue
        if chain_broken and (n < cp.count or (cp.count and at_count.get(cp.count) != cp.head)):
            # already explained by what the chain shows; say that the checkpoint agrees
            findings.append(
                Finding(
                    "checkpoint",
                    cp.head_id,
                    f"the log no longer matches {where} ({cp.at}: {cp.count:,} entries), as "
                    "the findings above explain",
                )
            )
        elif n < cp.count:
            findings.append(
                Finding(
                    "truncated",
                    cp.head_id,
                    f"log truncated: {where} ({cp.at}) counted {cp.count:,} entries, the log has "
                    f"{n:,} ({cp.count - n:,} removed from the end)",
                )
            )
        elif cp.count and at_count.get(cp.count) != cp.head:
            findings.append(
                Finding(
                    "truncated",
                    cp.head_id,
                    f"entry {cp.count:,} is not the head recorded by {where} ({cp.at}): the log "
                    "was cut back and written again",
                )
            )
    findings.sort(key=lambda f: (f.entry_id is None, f.entry_id or 0))
    if not findings:
        return VerifyResult(True, n, checkpoints=len(cps))
    return VerifyResult(
        False,
        n,
        first_bad_id=findings[0].entry_id,
        problem="; ".join(f.message for f in findings[:20]),
        findings=findings,
        checkpoints=len(cps),
    )
