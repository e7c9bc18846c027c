"""Orchestration the CLI, the benches and the tests share: worlds prepared, training, the demo.

The stages are the core's own (``simulate``, ``ingest``, ``resolve``, ``detect``, ``evaluate``,
``export``); this module chains them. ``bantay train`` and ``bantay demo`` parse their options, call
what is here and print; ``bench/`` and ``tests/`` call the same functions.

Training crosses the wall that ``detect`` keeps: a simulated world's truth is read through
``evaluate`` and handed to ``detect.train`` as labels, here and never inside ``detect``.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # the heavy stages are imported where they run: `bantay --help` stays quick
    from bantay.detect.scan import ScanResult
    from bantay.detect.train import TrainingWorld

# --- worlds: simulate → ingest → resolve ----------------------------------------------------------

#: Training worlds draw these parameters at random around the built-in profile (each an assumption:
#: the detector should not depend on one setting of the generator). (section, name, low, high).
RANDOMISED_PARAMETERS: tuple[tuple[str, str, float, float], ...] = (
    ("family", "same_surname_share", 0.6, 0.95),
    ("family", "diaspora_share", 0.6, 0.95),
    ("family", "inlaw_share", 0.15, 0.5),
    ("family", "amount_median_usd", 150.0, 400.0),
    ("family", "skip_month_prob", 0.03, 0.2),
    ("partner", "payments_per_month", 1.5, 4.0),
    ("partner", "amount_median_usd", 70.0, 180.0),
    ("card", "vpn_subscriber_share", 0.03, 0.15),
    ("card", "token_buyer_share", 0.02, 0.1),
    ("card", "travel_trips_per_year", 0.2, 0.8),
    ("osec", "amount_median_aud", 30.0, 70.0),
    ("osec", "session_count_mu", 0.0, 0.6),
    ("osec", "memo_share", 0.2, 0.5),
    ("osec", "even_amount_share", 0.4, 0.75),
    ("osec", "vpn_prob", 0.2, 0.5),
    ("osec", "tokens_prob", 0.15, 0.45),
    ("osec", "travel_prob", 0.3, 0.6),
    ("facilitators", "shared_phone_share", 0.4, 0.8),
    ("facilitators", "family_recipient_share", 0.15, 0.45),
)


def randomised_profile(base: str, rng: Any) -> str:
    """A profile YAML extending ``base`` with :data:`RANDOMISED_PARAMETERS` drawn from ``rng``.

    Role shares vary too (offenders 1–3%, family senders 25–40%), so that worlds differ in
    prevalence as well as in behaviour.
    """
    from bantay.simulate.profiles import load_profile

    params: dict[str, dict[str, Any]] = {}
    reason = "randomised for training (bantay train --simulate); range chosen, not measured"
    for section, name, lo, hi in RANDOMISED_PARAMETERS:
        value = round(float(rng.uniform(lo, hi)), 3)
        params.setdefault(section, {})[name] = {
            "value": value,
            "source": "assumption",
            "reason": reason,
        }
    offender = round(float(rng.uniform(0.01, 0.03)), 4)
    family = round(float(rng.uniform(0.25, 0.4)), 4)
    shares: dict[str, Any] = {
        "family_sender": family,
        "partner_sender": 0.04,
        "client_business": 0.01,
        "fraud_victim": 0.03,
        "offender": offender,
    }
    # the other populations (one-off senders, travellers, sponsors, romance-scam victims) keep the
    # base profile's shares, ranges included (each world draws them)
    base_shares = load_profile(base).parameters.population.role_shares
    lows, highs = base_shares.bounds or (base_shares.value, base_shares.value)
    middles = dict(shares)
    for role, v in base_shares.value.items():
        if role not in shares and role != "ordinary":
            middles[role] = v
            shares[role] = [lows[role], highs[role]] if lows[role] != highs[role] else v
    shares["ordinary"] = round(1.0 - sum(middles.values()), 4)
    params["population"] = {
        "role_shares": {"value": shares, "source": "assumption", "reason": reason}
    }
    doc = {
        "name": f"{base}-randomised",
        "extends": base,
        "description": f"{base} with randomised parameters (training world)",
        "parameters": params,
    }
    return str(yaml.safe_dump(doc, sort_keys=True))


def prepare_simulated_world(
    out: Path,
    profile: str,
    seed: int,
    senders: int,
    months: int,
    randomise: bool = False,
    run_resolve: bool = True,
) -> tuple[Path, Path]:
    """Simulate a world into ``out`` (unless there), ingest its manifest into ``out/workspace``
    (KYC included) and resolve entities. Returns (workspace, truth folder).

    With ``randomise`` the world's profile is :func:`randomised_profile` of ``profile`` (drawn from
    ``seed``) and is kept as ``out/profile.yaml``.
    """
    from bantay.simulate import simulate

    out.mkdir(parents=True, exist_ok=True)
    if not (out / "manifest.json").exists():
        prof = profile
        if randomise:
            path = out / "profile.yaml"
            path.write_text(randomised_profile(profile, random.Random(seed)), encoding="utf-8")
            prof = str(path)
        simulate(out, senders=senders, months=months, seed=seed, profile=prof)
    ws_dir = out / "workspace"
    done = out / "workspace.ready"
    if not done.exists():
        if ws_dir.exists():
            shutil.rmtree(ws_dir)
        load_world(out / "manifest.json", ws_dir, run_resolve)
        done.write_text("ingested and resolved\n" if run_resolve else "ingested\n")
    return ws_dir, out / "truth"


def load_world(manifest: Path, ws_dir: Path, run_resolve: bool = True) -> None:
    """A new workspace in ``ws_dir`` holding every file a world's ``manifest.json`` lists (exports,
    KYC files, rates, signals), ingested as a user would, with entities resolved (unless not
    ``run_resolve``). The world may come from another generator than Bantay's."""
    from bantay.ingest import ingest_file, read_manifest
    from bantay.workspace import init_workspace

    ws = init_workspace(ws_dir)
    try:
        for path, fmt, mapping, kind in read_manifest(manifest):
            ingest_file(ws, path, fmt=fmt, mapping=mapping, kind=kind)
        if run_resolve:
            from bantay.resolve.run import resolve as resolve_entities

            resolve_entities(ws)
    finally:
        ws.close()


def world_paths(world: Path) -> tuple[Path, Path]:
    """(workspace, truth folder) of a prepared world folder."""
    ws = world / "workspace" if (world / "workspace").is_dir() else world
    truth = world / "truth"
    return ws, truth


# --- training -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedWorld:
    """One randomised world that ``bantay train --simulate`` makes: its profile, seed, senders."""

    profile: str
    seed: int
    senders: int

    @property
    def name(self) -> str:
        return f"{self.profile}-{self.seed}-{self.senders}"


def training_plan(simulate: int, evasive: int, seed: int, senders: int) -> list[PlannedWorld]:
    """The randomised worlds to simulate: ``simulate`` baseline and ``evasive`` evasive ones, each
    with 0.75–1.5× ``senders`` (drawn from ``seed``), interleaved so that the calibration worlds
    (the last quarter) mix both profiles."""
    rng = random.Random(seed)
    plan = [("baseline", seed + i) for i in range(simulate)]
    plan += [("evasive", seed + 1000 + i) for i in range(evasive)]
    plan.sort(key=lambda ps: (ps[1] - seed) % 1000 * 2 + (ps[0] == "evasive"))
    return [PlannedWorld(p, s, int(senders * rng.uniform(0.75, 1.5))) for p, s in plan]


def simulated_training_world(
    out: Path,
    profile: str,
    seed: int,
    senders: int,
    months: int,
    use_signals: bool,
) -> TrainingWorld:
    """One randomised world, prepared and scanned without a model, joined with its truth labels."""
    from bantay.detect.scan import scan
    from bantay.detect.train import training_world
    from bantay.evaluate.detection import labels as truth_labels
    from bantay.workspace import open_workspace

    ws_path, truth = prepare_simulated_world(out, profile, seed, senders, months, randomise=True)
    with open_workspace(ws_path) as ws:
        r = scan(ws, model=None, use_signals=use_signals, write=False)
        tl = truth_labels(ws, truth)
    return training_world(out.name, profile, r, {"payer": tl.payer, "beneficiary": tl.beneficiary})


def labelled_world(
    world: Path, profile: str, use_signals: bool, labels: Path | None = None
) -> tuple[TrainingWorld, ScanResult]:
    """A prepared world folder scanned without a model and joined with its labels: the analyst's
    dispositions CSV (``side,entity_id,label``, optionally ``weight``) if given, else its truth."""
    import pandas as pd

    from bantay.detect.scan import scan
    from bantay.detect.train import training_world
    from bantay.workspace import open_workspace

    ws_path, truth = world_paths(world)
    with open_workspace(ws_path) as ws:
        r = scan(ws, model=None, use_signals=use_signals, write=False)
        if labels is not None:
            lab = pd.read_csv(labels, dtype={"entity_id": str})
            lab["label"] = lab["label"].astype(str).str.lower().isin(["1", "true", "yes"])
            side_labels = {s: lab[lab["side"] == s] for s in ("payer", "beneficiary")}
        else:
            from bantay.evaluate.detection import labels as truth_labels

            tl = truth_labels(ws, truth)
            side_labels = {"payer": tl.payer, "beneficiary": tl.beneficiary}
    return training_world(str(world), profile, r, side_labels), r


# --- the demo -----------------------------------------------------------------------------------

#: The demo's reporting settings, stored in its workspace with `bantay config` (so that the web
#: app's goAML export works as started by the demo): a made-up reporting entity and user code, and
#: synthetic institution codes for the simulated institutions. All invented for the synthetic
#: world; a real deployment sets its FIU registration and its institutions' BICs or codes.
DEMO_REPORTING = {
    "goaml.rentity_id": "7",
    "goaml.reporting_user_code": "DEMO01",
    "institution.harbour_bank.swift": "HRBBGB2L",
    "institution.harbour_bank.name": "Harbour Bank",
    "institution.maple_bank.swift": "MAPLCATT",
    "institution.maple_bank.name": "Maple Bank",
    "institution.rhein_bank.swift": "RHEIDEFF",
    "institution.rhein_bank.name": "Rhein Bank",
    "institution.quicksend.code": "MSB-QS-0001",
    "institution.quicksend.name": "QuickSend Remittance",
    "institution.cashbridge.code": "MSB-CB-0002",
    "institution.cashbridge.name": "CashBridge",
    "institution.pesopal.code": "EMI-PP-0003",
    "institution.pesopal.name": "PesoPal",
}
#: The report indicator the demo's analyst gives a case whose alerts are model scores alone (no
#: fired indicator maps to a goAML code, and a goAML report needs one): outbound transfers with no
#: apparent lawful purpose to higher-risk countries (export/goaml_indicators.toml).
DEMO_ANALYST_CODE = "FOWNB"


@dataclass(frozen=True)
class DemoStep:
    """One step of ``bantay demo``: its title and the ``bantay`` command it runs."""

    title: str
    args: list[str]


def demo_steps(
    world: Path, workspace: Path, senders: int, months: int, seed: int, profile: str
) -> list[DemoStep]:
    """The demo's steps 1–6, each a ``bantay`` command (the demo is a client of the commands)."""
    ws = str(workspace)
    return [
        DemoStep(
            "1 · simulate a world",
            [
                "simulate",
                "--out",
                str(world),
                "--senders",
                str(senders),
                "--months",
                str(months),
                "--seed",
                str(seed),
                "--profile",
                profile,
            ],
        ),
        DemoStep("2 · create a workspace", ["init", ws]),
        DemoStep(
            "3 · ingest every export, KYC file, rate table and signal list",
            ["ingest", "--manifest", str(world / "manifest.json"), "-w", ws],
        ),
        DemoStep("4 · resolve who is who", ["resolve", "-w", ws]),
        DemoStep(
            "  · a video-call platform's user reports come in (some true, some false)",
            ["reports", "simulate", "--world", str(world), "--seed", str(seed), "-w", ws],
        ),
        DemoStep("  · link the reports to the money", ["reports", "link", "-w", ws]),
        DemoStep("5 · scan: indicators, network, model", ["scan", "-w", ws]),
        DemoStep(
            "6 · the top payer alerts and their reasons",
            ["alerts", "-w", ws, "--top", "2", "--side", "payer"],
        ),
        DemoStep(
            "  · the top beneficiary alert",
            ["alerts", "-w", ws, "--top", "1", "--side", "beneficiary"],
        ),
    ]


def evaluate_step(world: Path, workspace: Path) -> DemoStep:
    """The demo's step 7: the scan judged against the world's hidden truth."""
    return DemoStep(
        "7 · how good was that? (against the world's hidden truth)",
        ["evaluate", "--truth", str(world / "truth"), "-w", str(workspace)],
    )


@dataclass(frozen=True)
class MonthRow:
    month: Any  # the month's first instant (a datetime)
    payments: int
    total: float
    beneficiaries: int
    night: float | None  # share paid 18:00-03:00 payer-local; None where no local time is known


def money_over_time(workspace: Path) -> tuple[str, list[MonthRow]] | None:
    """Of the ten highest payer alerts, the one with the most payments (it draws best), and its
    payments month by month; None without payer alerts."""
    from bantay.detect.read_model import top_alerts
    from bantay.workspace import open_workspace

    with open_workspace(workspace, read_only=True) as ws:
        tables = {r[0] for r in ws.con.execute("SHOW TABLES").fetchall()}
        if "alerts" not in tables:
            return None
        if "entity_members" in tables:
            members = "SELECT party_record_id FROM entity_members WHERE entity_id = ?"
        else:
            members = "SELECT ?"
        # of the ten best-ranked payer alerts, the one with the most non-card payments
        best: tuple[int, str] | None = None
        for alert in top_alerts(ws.con, side="payer", top=10):
            row = ws.con.execute(
                "SELECT count(*) FROM transactions WHERE channel <> 'card' AND payer_record_id IN "
                f"({members})",
                [alert["entity_id"]],
            ).fetchone()
            n = int(row[0]) if row else 0
            if best is None or n > best[0]:
                best = (n, alert["entity_id"])
        if best is None:
            return None
        top = (best[1],)
        members = f"{members} UNION SELECT ?"
        rows = ws.con.execute(
            f"""
            SELECT date_trunc('month', ts_utc) AS m, count(*) AS n,
                   sum(amount_reporting)::DOUBLE AS total,
                   count(DISTINCT beneficiary_record_id) AS bens,
                   avg(CAST(hour(local_time) >= 18 OR hour(local_time) < 3 AS INTEGER))
                     AS night
            FROM transactions
            WHERE payer_record_id IN ({members}) AND channel <> 'card'
            GROUP BY ALL ORDER BY m
            """,
            [top[0], top[0]],
        ).fetchall()
    return str(top[0]), [
        MonthRow(m, int(n), float(total or 0), int(bens), night)
        for m, n, total, bens, night in rows
    ]


def mapped_codes(workspace: Path, case_id: int) -> list[str]:
    """The goAML codes the case's fired indicators map to (as shipped)."""
    from bantay.export.case import load_case
    from bantay.export.goaml import default_indicator_map

    codes = default_indicator_map()
    return [c for ind in load_case(workspace, case_id).fired for c in codes.get(ind, [])]


def store_demo_reporting(workspace: Path) -> Path:
    """Store :data:`DEMO_REPORTING` in the workspace's reporting settings; returns their file."""
    from bantay.export.settings import reporting_path, set_reporting

    for key, value in DEMO_REPORTING.items():
        set_reporting(workspace, key, value)
    return reporting_path(workspace)


@dataclass(frozen=True)
class DemoReport:
    """One report the demo exports from its case: format, file and extra ``export case`` options."""

    format: str
    path: Path
    extra: Sequence[str]

    def args(self, workspace: Path, case_id: int) -> list[str]:
        """The ``bantay export case`` command that writes it."""
        base = ["export", "case", str(case_id), "-w", str(workspace), "--format", self.format]
        return [*base, "--out", str(self.path), *self.extra]


def demo_reports(folder: Path, case_id: int, analyst_code: bool) -> list[DemoReport]:
    """The demo case's reports in every format, into ``folder``; with ``analyst_code`` the goAML
    report is filed under :data:`DEMO_ANALYST_CODE` (no fired indicator maps to a goAML code)."""
    goaml = ["--indicator", DEMO_ANALYST_CODE] if analyst_code else []
    return [
        DemoReport("goaml", folder / f"case{case_id}-goaml-str.xml", goaml),
        DemoReport("fincen", folder / f"case{case_id}-fincen-sar.txt", []),
        DemoReport("ftm", folder / f"case{case_id}-followthemoney.jsonl", []),
        DemoReport("pack", folder / f"case{case_id}-referral-pack.html", []),
    ]


# --- the two-sided demo: a simulated platform's reports ------------------------------------------


def load_demo_reports(world: Path, workspace: Path, secret: str, seed: int = 0) -> int:
    """The simulated platform's reports on ``world`` (:mod:`bantay.simulate.platform`) received
    into ``workspace``'s workflow database as that platform (added once), each validated by the
    intake's schema and audited as the API would; how many were new."""
    from sqlalchemy import select

    from bantay.cases.db import open_workflow
    from bantay.cases.models import Platform
    from bantay.reports.model import parse_report
    from bantay.reports.store import add_platform, receive
    from bantay.simulate.platform import PLATFORM, platform_reports

    bodies = platform_reports(world, seed=seed)
    new = 0
    with open_workflow(workspace) as wf, wf.session() as db:
        p = db.execute(select(Platform).where(Platform.name == PLATFORM)).scalar_one_or_none()
        if p is None:
            p, _token = add_platform(db, secret, "demo", PLATFORM)
        for b in bodies:
            new += int(receive(db, p, parse_report(b)).created)
    return new


def link_workspace(workspace: Path) -> Any:
    """``bantay reports link``: every stored report linked to the workspace's entities."""
    from bantay.cases.db import open_workflow
    from bantay.reports.link import link, report_parties
    from bantay.workspace import open_workspace

    with open_workflow(workspace) as wf, wf.session() as db:
        parties = report_parties(db)
    with open_workspace(workspace) as ws:
        return link(ws, parties)


# --- sharing between institutions (bantay share) -------------------------------------------------


def load_institutions(
    manifest: Path,
    ws_dir: Path,
    institutions: Sequence[str],
    with_signals: bool = False,
    run_resolve: bool = True,
) -> Path:
    """A new workspace in ``ws_dir`` holding what ``institutions`` hold of a world: their own
    exports and KYC files (their customers and those customers' payments), the rate tables, and
    the world's signal list only ``with_signals``. Entities resolved unless not ``run_resolve``."""
    import json

    from bantay.errors import InputFileError
    from bantay.ingest import ingest_file, read_manifest
    from bantay.workspace import init_workspace

    entries = json.loads(Path(manifest).read_text(encoding="utf-8"))["files"]
    known = {str(e.get("institution")) for e in entries if e.get("institution")}
    unknown = set(institutions) - known
    if unknown:
        raise InputFileError(
            f"{manifest}: no institution {', '.join(sorted(unknown))} (the world has "
            f"{', '.join(sorted(known))})"
        )
    ws = init_workspace(ws_dir)
    try:
        for e, (path, fmt, mapping, kind) in zip(entries, read_manifest(manifest), strict=True):
            inst = e.get("institution")
            keep = inst in institutions or kind == "rates" or (kind == "signals" and with_signals)
            if keep:
                ingest_file(ws, path, fmt=fmt, mapping=mapping, kind=kind)
        if run_resolve:
            from bantay.resolve.run import resolve as resolve_entities

            resolve_entities(ws)
    finally:
        ws.close()
    return Path(ws_dir)


@dataclass(frozen=True)
class ShareDemo:
    """What the two-institution demo measured (:func:`share_demo`)."""

    institution_a: str
    institution_b: str
    bundle: Path
    confirmed: int
    opinions: int
    matched_entries: int
    signals: int
    #: B's positives (truth) and Bantay's recall among B's top 2 x positives, before and after
    payer_positives: int
    payer_recall_before: float
    payer_recall_after: float
    beneficiary_positives: int
    beneficiary_recall_before: float
    beneficiary_recall_after: float
    #: signal values B received that it did not hold itself (normalised): must be 0
    values_not_held: int


def _confirm_outcomes(ws_dir: Path, truth: Path, limit: int) -> int:
    """Institution A's analysts at work, simulated: the top alerts (2 x the positives, per side)
    that the world's truth says are offenders are confirmed in a case each, reviewed by a
    supervisor and closed. Returns the number of cases closed as confirmed."""
    from bantay.cases import services
    from bantay.cases.analytics import Analytics
    from bantay.cases.db import open_workflow
    from bantay.evaluate.detection import labels, side_frame
    from bantay.workspace import open_workspace

    picked: list[tuple[str, str]] = []
    with open_workspace(ws_dir, read_only=True) as ws:
        lab = labels(ws, truth)
        for side, frame in (("beneficiary", lab.beneficiary), ("payer", lab.payer)):
            df = side_frame(ws, side, frame).sort_values(
                ["score", "entity_id"], ascending=[False, True], kind="mergesort"
            )
            top = df.head(2 * max(int(df["label"].sum()), 1))
            picked += [(side, str(e)) for e in top.loc[top["label"], "entity_id"]]
    picked = picked[:limit]
    an = Analytics(ws_dir)
    op = services.Actor.operator()
    try:
        with open_workflow(ws_dir) as wf, wf.session() as db:
            users = {u.username: u for u in services.list_users(db)}
            ana = users.get("demo-analyst") or services.add_user(
                db, op, "demo-analyst", "bantay-demo-only", "analyst"
            )
            sup = users.get("demo-supervisor") or services.add_user(
                db, op, "demo-supervisor", "bantay-demo-only", "supervisor"
            )
            for side, ent in picked:
                c = services.create_case(db, ana, f"{side} {ent}", [(side, ent, None)], entities=an)
                services.decide(db, ana, c.id, "confirmed", "Confirmed in the simulated demo.")
                services.review(db, sup, c.id, True, "Agreed (simulated demo).")
                services.close(db, ana, c.id)
    finally:
        an.close()
    return len(picked)


def _recalls(ws_dir: Path, truth: Path) -> tuple[int, float, int, float]:
    from bantay.evaluate.detection import evaluate
    from bantay.workspace import open_workspace

    with open_workspace(ws_dir, read_only=True) as ws:
        rep = evaluate(ws, truth)
    p, b = rep["payer"], rep["beneficiary"]
    return (
        p.n_positive,
        p.methods["Bantay"]["recall@2x"],
        b.n_positive,
        b.methods["Bantay"]["recall@2x"],
    )


def share_demo(
    out: Path,
    *,
    seed: int = 0,
    senders: int = 2000,
    months: int = 6,
    institution_a: str = "quicksend",
    institution_b: str = "cashbridge",
    confirm_limit: int = 500,
) -> ShareDemo:
    """One world split between two institutions' workspaces (``out/a``, ``out/b``): A confirms
    cases and exports a bundle; B is scanned before and after importing it, and its recall among
    its top 2 x positives is measured both times against the world's truth."""
    from bantay.detect.scan import scan
    from bantay.resolve.normalize import normalize_email, normalize_identifier, normalize_phone
    from bantay.share.exchange import export_bundle, import_bundle
    from bantay.share.keys import Keys
    from bantay.simulate import simulate
    from bantay.workspace import open_workspace

    out = Path(out)
    world = out / "world"
    if not (world / "manifest.json").exists():
        simulate(world, senders=senders, months=months, seed=seed, profile="baseline")
    truth = world / "truth"
    ws_a, ws_b = out / "a", out / "b"
    for path in (ws_a, ws_b):
        if path.exists():
            shutil.rmtree(path)
    load_institutions(world / "manifest.json", ws_a, [institution_a])
    load_institutions(world / "manifest.json", ws_b, [institution_b])
    for path in (ws_a, ws_b):
        with open_workspace(path) as ws:
            scan(ws)
    confirmed = _confirm_outcomes(ws_a, truth, confirm_limit)
    ka, kb = Keys.of(ws_a), Keys.of(ws_b)
    ka.make_signing_key(institution_a)
    kb.make_signing_key(institution_b)
    ka.new_consortium_key()
    kb.load_consortium_key(ka.save_consortium_key(out / "consortium.key"))
    card = out / f"{institution_a}.card.json"
    import json

    card.write_text(json.dumps(ka.public_card()) + "\n", encoding="utf-8")
    kb.trust(card)
    bundle = out / "bundle.json"
    exported = export_bundle(ws_a, bundle, username="demo")
    before = _recalls(ws_b, truth)
    imported = import_bundle(ws_b, bundle, username="demo")
    with open_workspace(ws_b) as ws:
        scan(ws)
        recs = ws.con.execute(
            "SELECT name, city, phone, email, account_id, id_document, "
            "coalesce(residence_country, nationality) FROM party_records"
        ).fetchall()
        got = ws.con.execute(
            "SELECT identifier_type, value FROM signals WHERE signal_source LIKE 'share:%'"
        ).fetchall()
    after = _recalls(ws_b, truth)
    held = {str(v) for r in recs for v in r[:6] if v}
    for r in recs:
        held |= {
            normalize_phone(r[2], r[6]) or "",
            normalize_email(r[3]) or "",
            normalize_identifier(r[4]) or "",
            normalize_identifier(r[5]) or "",
        }
    not_held = 0
    for kind, value in got:
        parts = str(value).split("|") if kind == "name_city" else [str(value)]
        not_held += any(p and p not in held for p in parts)
    return ShareDemo(
        institution_a=institution_a,
        institution_b=institution_b,
        bundle=bundle,
        confirmed=confirmed,
        opinions=exported.opinions,
        matched_entries=imported.matched_entries,
        signals=imported.signals,
        payer_positives=before[0],
        payer_recall_before=before[1],
        payer_recall_after=after[1],
        beneficiary_positives=before[2],
        beneficiary_recall_before=before[3],
        beneficiary_recall_after=after[3],
        values_not_held=not_held,
    )
