"""Triage of alerts without a case: assign, close with a reason code, confirm, reopen; "my queue".

Most alerts never need a case: an analyst reads the reasons, finds the family remittances they
are, and closes the alert with a reason code. Each step is a row of ``web_alert_triage`` (an
append-only history) and an audit entry, written in one transaction; an alert's state is its
latest step. Rules, whoever calls:

- anyone may take an open alert (assign it to themselves); assigning to somebody else, and
  reopening an alert somebody else closed, needs the supervisor role;
- closing needs a reason code (:data:`REASON_CODES`); an analyst closes alerts that are unassigned
  or assigned to them; at most :data:`MAX_BULK` alerts in one step;
- a closing whose reason gives a training label (the ``explained_*`` codes: not an offender)
  becomes a label only once a supervisor other than the user who closed it has confirmed it
  (:func:`confirm`; four eyes, like a case's reviewed outcome). Reopening an alert voids its
  confirmation: a later closing needs a new one. :func:`triage_labels` gives the confirmed
  closings; a reviewed case outcome for the same entity overrides them
  (:func:`bantay.cases.services.dispositions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bantay.cases.db import writing
from bantay.cases.models import AlertTriage, User
from bantay.cases.services import (
    MAX_ALERT_ID,
    MAX_NOTE,
    _entry,
    get_user,
    has_role,
    require_role,
    text_field,
)
from bantay.errors import Conflict, Forbidden, Invalid

#: reason code -> (what it means, the training label it gives: False = not an offender, None = none)
REASON_CODES: dict[str, tuple[str, bool | None]] = {
    "explained_family": ("Explained: family support (relationship and pattern consistent)", False),
    "explained_business": ("Explained: business, payroll or merchant activity", False),
    "explained_customer": ("Explained by the customer's documented answers", False),
    "duplicate": ("Duplicate of another alert or entity under review", None),
    "data_error": ("Data error (wrong mapping, test or corrected record)", None),
    "insufficient_information": ("Not enough information to act on; no further action", None),
}
MAX_BULK = 500


class AlertCatalog(Protocol):
    """What triage asks of the analytics: the latest scan's alerts by id."""

    def alerts(self, alert_ids: list[str]) -> dict[str, dict[str, Any]]: ...


@dataclass(frozen=True)
class AlertState:
    alert_id: str
    side: str
    entity_id: str
    state: str  # open | closed
    assignee: str | None
    reason_code: str | None
    #: who closed it (when closed), else who took the latest step
    by: str
    at: str
    #: the user id of who closed it (when closed)
    closed_by_id: int | None = None
    #: the supervisor who confirmed the current closing (None: not confirmed, or not closed)
    confirmed_by: str | None = None

    @property
    def gives_label(self) -> bool:
        """Closed with a reason code that gives a training label (confirmed or not)."""
        return self.state == "closed" and label_of(self.reason_code) is not None

    @property
    def awaiting_confirmation(self) -> bool:
        """Closed with a label-giving reason, and no supervisor has confirmed it yet."""
        return self.gives_label and self.confirmed_by is None

    @property
    def confirmation(self) -> str:
        """For the queue: ``awaiting``, ``confirmed``, or '' (no label to confirm)."""
        if not self.gives_label:
            return ""
        return "awaiting" if self.confirmed_by is None else "confirmed"


def label_of(reason_code: str | None) -> bool | None:
    """The training label a closing's reason code gives (None: none)."""
    return REASON_CODES[reason_code][1] if reason_code in REASON_CODES else None


def _ids(alert_ids: list[str]) -> list[str]:
    ids = sorted(
        {text_field(a, "alert_id", max_len=MAX_ALERT_ID, single_line=True) for a in alert_ids}
    )
    if not ids:
        raise Invalid("alert_ids: choose at least one alert")
    if len(ids) > MAX_BULK:
        raise Invalid(f"alert_ids: at most {MAX_BULK} alerts in one step")
    return ids


def _checked(alerts: AlertCatalog, ids: list[str]) -> dict[str, dict[str, Any]]:
    found = alerts.alerts(ids)
    missing = [a for a in ids if a not in found]
    if missing:
        raise Invalid(f"alert_ids: not alerts of the latest scan: {', '.join(missing[:5])}")
    return found


def _optional_note(note: str) -> str:
    text = note.strip()
    if len(text) > MAX_NOTE:
        raise Invalid(f"note: at most {MAX_NOTE:,} characters")
    return text


def _write_step(
    db: Session,
    user: User,
    entity_of: dict[str, tuple[str, str]],
    event: str,
    details: dict[str, Any],
    per_alert: dict[str, dict[str, Any]] | None = None,
    target: str = "alerts",
    **step: Any,
) -> None:
    """One triage step on each alert of ``entity_of`` (alert -> (side, entity_id)), with the
    fields ``step`` and the alert's own ``per_alert``, and the step's one audit entry, in the
    caller's transaction; the entry's target is ``target`` (``alert`` for a step on one alert
    by its nature, such as a reopening)."""
    ids = list(entity_of)
    for a, (side, entity_id) in entity_of.items():
        fields = {**step, **(per_alert or {}).get(a, {})}
        db.add(AlertTriage(alert_id=a, side=side, entity_id=entity_id, user_id=user.id, **fields))
    db.flush()
    _entry(db, user, event, target, ",".join(ids)[:300], details)


def _sides(found: dict[str, dict[str, Any]], ids: list[str]) -> dict[str, tuple[str, str]]:
    return {a: (str(found[a]["side"]), str(found[a]["entity_id"])) for a in ids}


def states(db: Session, ids: list[str] | None = None) -> dict[str, AlertState]:
    """Each triaged alert's state (all of them when ``ids`` is None)."""
    q = select(AlertTriage).order_by(AlertTriage.id)
    if ids is not None:
        q = q.where(AlertTriage.alert_id.in_(ids))
    names = {u.id: u.username for u in db.execute(select(User)).scalars()}
    out: dict[str, AlertState] = {}
    for t in db.execute(q).scalars():
        prev = out.get(t.alert_id)
        state = prev.state if prev else "open"
        assignee = prev.assignee if prev else None
        reason = prev.reason_code if prev else None
        by = prev.by if prev and state == "closed" else names.get(t.user_id, "?")
        closer = prev.closed_by_id if prev and state == "closed" else None
        confirmed = prev.confirmed_by if prev and state == "closed" else None
        if t.action == "assign":
            assignee = names.get(t.assignee_id) if t.assignee_id else None
        elif t.action == "close":
            state, reason, by = "closed", t.reason_code, names.get(t.user_id, "?")
            closer, confirmed = t.user_id, None
        elif t.action == "confirm":
            confirmed = names.get(t.user_id, "?")
        elif t.action == "reopen":
            # a reopened alert's confirmation is void: a later closing needs a new one
            state, reason, by = "open", None, names.get(t.user_id, "?")
            closer, confirmed = None, None
        out[t.alert_id] = AlertState(
            t.alert_id,
            t.side,
            t.entity_id,
            state,
            assignee,
            reason,
            by,
            str(t.at),
            closer,
            confirmed,
        )
    return out


def version(db: Session) -> tuple[int, int]:
    """Changes whenever a triage step is written (for the in-memory queue)."""
    n, last = db.execute(select(func.count(), func.max(AlertTriage.id))).one()
    return int(n), int(last or 0)


def queue_states(db: Session) -> dict[str, tuple[str, str, str]]:
    """alert_id -> (state, assignee user name or '', confirmation) for the in-memory queue
    (confirmation: ``awaiting``, ``confirmed`` or '', :attr:`AlertState.confirmation`)."""
    return {a: (s.state, s.assignee or "", s.confirmation) for a, s in states(db).items()}


def can_confirm(user: User, state: AlertState | None) -> bool:
    """Whether :func:`confirm` would accept ``user``'s confirmation of the alert's closing now
    (so pages offer it only then)."""
    return (
        state is not None
        and has_role(user, "supervisor")
        and state.awaiting_confirmation
        and state.closed_by_id != user.id
    )


def assign(
    db: Session,
    user: User,
    alert_ids: list[str],
    assignee: str | None,
    *,
    alerts: AlertCatalog,
) -> list[str]:
    """Assign alerts to ``assignee`` (None: unassign). Returns the alert ids."""
    ids = _ids(alert_ids)
    found = _checked(alerts, ids)
    with writing(db):
        target = get_user(db, assignee) if assignee else None
        if target is not None and not target.active:
            raise Invalid(f"assignee: {target.username} is disabled")
        if (target is None or target.id != user.id) and not has_role(user, "supervisor"):
            raise Forbidden("an analyst takes alerts for themselves; a supervisor assigns others")
        current = states(db, ids)
        if not has_role(user, "supervisor"):
            taken = [
                a
                for a in ids
                if current.get(a) and current[a].assignee not in (None, user.username)
            ]
            if taken:
                raise Forbidden(f"alert {taken[0]} is assigned to {current[taken[0]].assignee}")
        _write_step(
            db,
            user,
            _sides(found, ids),
            "alert_assigned",
            {"alerts": ids, "assignee": target.username if target else None},
            action="assign",
            assignee_id=target.id if target else None,
        )
    return ids


def close(
    db: Session,
    user: User,
    alert_ids: list[str],
    reason_code: str,
    note: str = "",
    *,
    alerts: AlertCatalog,
) -> list[str]:
    """Close open alerts with a reason code (one or many: bulk close). Returns the alert ids."""
    if reason_code not in REASON_CODES:
        raise Invalid(f"reason_code: one of {', '.join(REASON_CODES)}")
    text = _optional_note(note)
    ids = _ids(alert_ids)
    found = _checked(alerts, ids)
    with writing(db):
        current = states(db, ids)
        done = [a for a in ids if a in current and current[a].state == "closed"]
        if done:
            raise Conflict(f"alert {done[0]} is already closed (reopen it first)")
        if not has_role(user, "supervisor"):
            others = [
                a for a in ids if a in current and current[a].assignee not in (None, user.username)
            ]
            if others:
                raise Forbidden(
                    f"alert {others[0]} is assigned to {current[others[0]].assignee}: "
                    "they or a supervisor close it"
                )
        _write_step(
            db,
            user,
            _sides(found, ids),
            "alert_closed",
            {
                "alerts": ids,
                "entities": [f"{found[a]['side']}:{found[a]['entity_id']}" for a in ids],
                "reason_code": reason_code,
                "note": text or None,
            },
            action="close",
            reason_code=reason_code,
            note=text or None,
        )
    return ids


def reopen(db: Session, user: User, alert_id: str, note: str, *, alerts: AlertCatalog) -> None:
    """Reopen a closed alert (whoever closed it, or a supervisor), with a note.

    A confirmation of the closing is void from then on: the alert gives no training label until it
    is closed again and that closing is confirmed."""
    (a,) = _ids([alert_id])
    found = _checked(alerts, [a])
    why = text_field(note, "note", max_len=MAX_NOTE, min_len=5)
    with writing(db):
        current = states(db, [a]).get(a)
        if current is None or current.state != "closed":
            raise Conflict(f"alert {a} is not closed")
        if current.by != user.username and not has_role(user, "supervisor"):
            raise Forbidden("an alert is reopened by who closed it or by a supervisor")
        _write_step(
            db,
            user,
            _sides(found, [a]),
            "alert_reopened",
            {"note": why, "voided_confirmation_by": current.confirmed_by},
            target="alert",
            action="reopen",
            note=why,
        )


def confirm(db: Session, user: User, alert_ids: list[str], note: str = "") -> list[str]:
    """Confirm closings (bulk: up to :data:`MAX_BULK`), so that they become training labels.

    A supervisor confirms alerts closed with a label-giving reason code, not yet confirmed, that
    somebody else closed (four eyes). All or none: one alert that does not qualify refuses the
    step. Each confirmation is a ``confirm`` step (carrying the reason code it confirms) and the
    step has one audit entry. Returns the alert ids."""
    require_role(user, "supervisor")
    text = _optional_note(note)
    ids = _ids(alert_ids)
    with writing(db):
        current = states(db, ids)
        for a in ids:
            s = current.get(a)
            if s is None or s.state != "closed":
                raise Conflict(f"alert {a} is not closed: only a closing is confirmed")
            if not s.gives_label:
                raise Conflict(
                    f"alert {a} was closed as {s.reason_code}, which gives no training label: "
                    "there is nothing to confirm"
                )
            if s.confirmed_by is not None:
                raise Conflict(f"alert {a}'s closing is already confirmed by {s.confirmed_by}")
            if s.closed_by_id == user.id:
                raise Forbidden(
                    f"you closed alert {a}: a supervisor other than who closed it confirms the "
                    "closing (four eyes)"
                )
        _write_step(
            db,
            user,
            {a: (current[a].side, current[a].entity_id) for a in ids},
            "alert_closing_confirmed",
            {
                "alerts": ids,
                "entities": [f"{current[a].side}:{current[a].entity_id}" for a in ids],
                "closings": {a: [current[a].by, current[a].reason_code] for a in ids},
                "note": text or None,
            },
            per_alert={a: {"reason_code": current[a].reason_code} for a in ids},
            action="confirm",
            note=text or None,
        )
    return ids


def history(db: Session, side: str, entity_id: str) -> list[dict[str, Any]]:
    """Every triage step on the entity's alerts (this scan's and earlier ones), oldest first."""
    names = {u.id: u.username for u in db.execute(select(User)).scalars()}
    rows = db.execute(
        select(AlertTriage)
        .where(AlertTriage.side == side, AlertTriage.entity_id == entity_id)
        .order_by(AlertTriage.id)
    ).scalars()
    return [
        {
            "alert_id": t.alert_id,
            "action": t.action,
            "assignee": names.get(t.assignee_id) if t.assignee_id else None,
            "reason_code": t.reason_code,
            "reason": REASON_CODES[t.reason_code][0] if t.reason_code in REASON_CODES else None,
            "note": t.note,
            "by": names.get(t.user_id, "?"),
            "at": t.at,
        }
        for t in rows
    ]


def triage_labels(db: Session) -> dict[tuple[str, str], bool]:
    """(side, entity_id) -> label from each alert whose current closing gives one and was
    confirmed by a supervisor other than who closed it (:func:`confirm`); unconfirmed closings,
    and closings of reopened alerts, give none."""
    out: dict[tuple[str, str], bool] = {}
    for s in states(db).values():
        label = label_of(s.reason_code)
        if s.state == "closed" and s.confirmed_by is not None and label is not None:
            out[(s.side, s.entity_id)] = label
    return out
