"""A simulated video-call platform beside the simulated money: the reports its report button sends.

The other side of the two-sided demo. The platform hosts some of the simulated offenders' paid
sessions; a share of them is reported (by a user, a moderator or an automated classifier), and each
report carries what such a platform sees of the payment: the viewer's phone (a top-up or a wallet
tied to it) and, sometimes, the phone the money went to. Reports also come about people who did
nothing (false reports: a grudge, a mistake), and some carry a wallet no bank knows (no link).

Everything is generated from the world's truth; the reports carry no truth field (no role, no
label), only what a platform would send, so the detector cannot read the answer in them. Texts are
neutral and fixed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import random
from pathlib import Path
from typing import Any

PLATFORM = "ExampleCall"
REPORTER_TYPES = ("user", "user", "moderator", "automated")
TEXTS = {
    "true": (
        "report from the in-call button during a paid session",
        "moderator flagged a paid private session",
        "automated review flagged a paid private session",
    ),
    "false": (
        "user report, no reason given",
        "reported after a dispute over a refund",
        "user report, reason unclear",
    ),
}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _viewer_id(person: str, salt: str) -> str:
    return "viewer-" + hashlib.sha256(f"{salt}|{person}".encode()).hexdigest()[:10]


def _z(ts: str, minutes: int = 0) -> str:
    t = dt.datetime.fromisoformat(ts.replace("Z", "")) + dt.timedelta(minutes=minutes)
    return t.replace(microsecond=0).isoformat() + "Z"


def platform_reports(
    world: Path,
    *,
    reported_share: float = 0.4,
    false_per_true: float = 1.0,
    unlinked_per_true: float = 0.3,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Reports for ``world`` (a simulated world's folder): a ``reported_share`` of the offenders
    reported on one or two of their paid sessions, ``false_per_true`` false reports about
    ordinary senders for each true one, and ``unlinked_per_true`` reports whose wallet no bank
    knows. Deterministic for a seed."""
    truth = Path(world) / "truth"
    persons = {p["person_id"]: p for p in _read(truth / "persons.csv")}
    rng = random.Random(seed)
    sessions: dict[str, list[dict[str, str]]] = {}
    legit: set[str] = set()
    for t in _read(truth / "transactions.csv"):
        if t["flow"] == "osec_payment":
            sessions.setdefault(t["payer_person_id"], []).append(t)
        elif t["flow"] in ("family_remittance", "inlaw_remittance", "family_topup"):
            legit.add(t["payer_person_id"])
    offenders = sorted(sessions)
    reported = sorted(rng.sample(offenders, round(len(offenders) * reported_share)))
    out: list[dict[str, Any]] = []

    def add(kind: str, person: str, ts: str, payments: list[dict[str, Any]], cat: str) -> None:
        n = len(out) + 1
        body: dict[str, Any] = {
            "platform_report_id": f"SIM-{n:05d}",
            "platform": PLATFORM,
            "category": cat,
            "reporter_type": rng.choice(REPORTER_TYPES),
            "incident_at": _z(ts),
            "received_at": _z(ts, rng.randint(2, 90)),
            "reported_account": {
                "platform_user_id": _viewer_id(person, str(seed)),
                "screen_name": f"viewer{n}",
            },
            "session": {
                "session_id": f"call-{n:05d}",
                "client": PLATFORM,
                "start": _z(ts, -rng.randint(1, 20)),
            },
            "payments": payments,
            "text": rng.choice(TEXTS[kind]),
        }
        if kind == "true" and rng.random() < 0.3:
            body["ongoing"] = True
        out.append(body)

    for person in reported:
        phone = persons[person].get("phone_e164", "")
        for s in rng.sample(sessions[person], min(len(sessions[person]), rng.choice((1, 1, 2)))):
            pays: list[dict[str, Any]] = [
                {
                    "phone": phone,
                    "amount": s["amount"],
                    "currency": s["currency"],
                    "at": _z(s["ts_utc"]),
                }
            ]
            fac = persons.get(s["beneficiary_person_id"], {}).get("phone_e164", "")
            if fac and rng.random() < 0.5:
                pays.append({"phone": fac, "amount": s["amount"], "currency": s["currency"]})
            add("true", person, s["ts_utc"], pays, "livestreamed_abuse")
    n_true = len(out)
    innocents = sorted(legit - set(offenders))
    for person in rng.sample(innocents, min(len(innocents), round(n_true * false_per_true))):
        ts = f"2024-0{rng.randint(1, 6)}-1{rng.randint(0, 9)}T2{rng.randint(0, 3)}:00:00"
        pays = [
            {"phone": persons[person].get("phone_e164", ""), "amount": "20.00", "currency": "USD"}
        ]
        add("false", person, ts, pays, rng.choice(("other", "online_enticement")))
    for i in range(round(n_true * unlinked_per_true)):
        ts = f"2024-0{rng.randint(1, 6)}-2{rng.randint(0, 8)}T1{rng.randint(0, 9)}:30:00"
        add("false", f"unknown-{i}", ts, [{"wallet_id": f"EW-{rng.randrange(10**8):08d}"}], "other")
    for b in out:  # a phone the person has none of is no identifier
        b["payments"] = [
            {k: v for k, v in p.items() if v}
            for p in b["payments"]
            if p.get("phone") or p.get("wallet_id")
        ] or [{"wallet_id": "EW-none"}]
    return out
