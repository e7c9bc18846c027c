"""Issue 17's attacks, replayed: each one is refused (and stays refused).

1 approvals freeze their subject · 2 the audit chain (truncation, rewriting: tests/cases/test_audit.py
replays all five tamperings; two through the API here) · 3 actions outside the record · 4 per-case
access · 5 bodies before authentication · 6 CSV formula injection · 7 500s on malformed parameters
(and tests/web/test_fuzz.py) · 8 security headers · 9 login throttling · and the smaller ones:
file modes, the last admin, closed cases, a 3 MB CSV field, XML errors.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from sqlalchemy import select

from bantay.cases import audit
from bantay.cases.db import open_workflow
from bantay.cases.models import AuditEntry
from bantay.cases.synthetic import build
from bantay.cli import app as cli
from bantay.csvsafe import neutral
from bantay.export import fincen
from bantay.export.case import CaseData
from bantay.web.app import create_app
from bantay.web.middleware import BodyLimit
from bantay.web.settings import WebSettings

PASSWORD = "correct horse battery"  # as in conftest.py
PAYER = "E000000000000"
OTHER_PAYER = "E000000000002"
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "bantay" / "web" / "templates"


def _post(c: TestClient, csrf: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return c.post(path, json=body or {}, headers={"X-CSRF-Token": csrf})


def _case(c: TestClient, csrf: str, entity: str = PAYER) -> int:
    r = _post(
        c,
        csrf,
        "/api/cases",
        {"title": "ring", "members": [{"side": "payer", "entity_id": entity}]},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _audit(settings: WebSettings) -> list[tuple[str, str, str, str]]:
    con = sqlite3.connect(settings.db_url().removeprefix("sqlite:///"))
    rows = con.execute(
        "SELECT username, action, object_id, detail FROM web_audit_log ORDER BY id"
    ).fetchall()
    con.close()
    return [tuple(map(str, r)) for r in rows]  # type: ignore[misc]


# ---- 1. an approval freezes what was approved ---------------------------------------------------


def test_approved_decision_does_not_cover_members_added_later(make_client: Any) -> None:
    ana, a = make_client("ana")
    sam, s = make_client("sam")
    cid = _case(ana, a)
    _post(
        ana,
        a,
        f"/api/cases/{cid}/decisions",
        {"decision": "confirmed", "rationale": "P01 and P05 fire"},
    )
    assert _post(sam, s, f"/api/cases/{cid}/review", {"approve": True}).status_code == 200
    # the attack: a member that does not exist, 100,000 characters long; then one that does
    r = _post(ana, a, f"/api/cases/{cid}/members", {"side": "payer", "entity_id": "X" * 100_000})
    assert r.status_code == 413  # over the route's body limit, refused before parsing
    r = _post(ana, a, f"/api/cases/{cid}/members", {"side": "payer", "entity_id": "X" * 10_000})
    assert r.status_code == 422 and "entity_id" in r.text
    r = _post(ana, a, f"/api/cases/{cid}/members", {"side": "payer", "entity_id": "E-made-up"})
    assert r.status_code == 422 and "no payer entity" in r.json()["detail"]
    r = _post(ana, a, f"/api/cases/{cid}/members", {"side": "payer", "entity_id": OTHER_PAYER})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "open" and body["decisions"][-1]["current"] is False
    # closing on the old approval is refused; the labels hold nothing from it
    r = _post(ana, a, f"/api/cases/{cid}/close")
    assert r.status_code == 409 and "changed after decision" in r.json()["detail"]
    assert sam.get("/api/exports/labels.csv").text == "side,entity_id,label\n"
    # a new decision over both members, reviewed, closes and labels both
    _post(
        ana,
        a,
        f"/api/cases/{cid}/decisions",
        {"decision": "confirmed", "rationale": "both pay the same facilitator"},
    )
    _post(sam, s, f"/api/cases/{cid}/review", {"approve": True})
    assert _post(ana, a, f"/api/cases/{cid}/close").json()["outcome"] == "confirmed"
    assert sam.get("/api/exports/labels.csv").text == (
        f"side,entity_id,label\npayer,{PAYER},true\npayer,{OTHER_PAYER},true\n"
    )
    trail = [a for _, a, o, _ in _audit_from(sam) if o == str(cid)]
    assert "case_member_added" in trail


def _audit_from(c: TestClient) -> list[tuple[str, str, str, str]]:
    rows = c.get("/api/audit", params={"limit": 1000}).json()["data"]
    return [(r["username"], r["action"], r["object_id"], r["detail"]) for r in reversed(rows)]


def test_a_pending_review_is_reopened_by_a_change(make_client: Any) -> None:
    ana, a = make_client("ana")
    sam, s = make_client("sam")
    cid = _case(ana, a)
    _post(
        ana,
        a,
        f"/api/cases/{cid}/decisions",
        {"decision": "confirmed", "rationale": "P01 and P05 fire"},
    )
    _post(ana, a, f"/api/cases/{cid}/members", {"side": "payer", "entity_id": OTHER_PAYER})
    r = _post(sam, s, f"/api/cases/{cid}/review", {"approve": True})
    assert r.status_code == 409 and "no longer covers" in r.json()["detail"]


# ---- 2. the audit chain: truncation and rewriting through the API ------------------------------


def test_truncation_after_a_checkpoint_is_reported(make_client: Any, settings: WebSettings) -> None:
    ana, _ = make_client("ana")
    for _ in range(5):
        ana.get(f"/api/entities/payer/{PAYER}")
    with open_workflow(settings.workspace, settings.db_url()) as wf, wf.session() as db:
        audit.checkpoint(db)
    con = sqlite3.connect(settings.db_url().removeprefix("sqlite:///"))
    con.execute("DROP TRIGGER web_audit_log_no_delete")
    con.execute("DELETE FROM web_audit_log WHERE id > (SELECT max(id) - 3 FROM web_audit_log)")
    con.commit()
    con.close()
    sam, _ = make_client("sam")
    r = sam.get("/api/audit/verify").json()
    assert r["ok"] is False and r["findings"][0]["kind"] == "truncated"


def test_rewriting_with_the_public_hash_is_reported(
    make_client: Any, settings: WebSettings
) -> None:
    import datetime as dt
    import hashlib
    import json

    ana, _ = make_client("ana")
    ana.get(f"/api/entities/payer/{PAYER}")
    con = sqlite3.connect(settings.db_url().removeprefix("sqlite:///"))
    con.execute("DROP TRIGGER web_audit_log_no_update")
    prev = "0" * 64
    rows = con.execute(
        "SELECT id, at, user_id, username, action, object_type, object_id, detail FROM web_audit_log ORDER BY id"
    ).fetchall()
    for i, *f in rows:
        f[0] = dt.datetime.fromisoformat(f[0]).isoformat()
        h = hashlib.sha256(
            json.dumps([prev, *f], separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()
        con.execute("UPDATE web_audit_log SET prev_hash = ?, hash = ? WHERE id = ?", [prev, h, i])
        prev = h
    con.commit()
    con.close()
    sam, _ = make_client("sam")
    r = sam.get("/api/audit/verify").json()
    assert r["ok"] is False and r["findings"][0]["kind"] == "re-hashed"


# ---- 3. every change and every refusal is in the record ----------------------------------------


def test_cli_user_changes_and_refusals_are_audited(
    make_client: Any, settings: WebSettings, tmp_path: Path
) -> None:
    ws = build(tmp_path / "ws", n_alerts=10, big_entity_tx=10)
    w = ["-w", str(ws)]
    r = CliRunner()
    assert (
        r.invoke(
            cli, ["users", "add", "ana", "--role", "admin", "--password", "x" * 12, *w]
        ).exit_code
        == 0
    )
    assert r.invoke(cli, ["users", "add", "bob", "--password", "x" * 12, *w]).exit_code == 0
    assert r.invoke(cli, ["users", "set-role", "bob", "supervisor", *w]).exit_code == 0
    assert r.invoke(cli, ["users", "disable", "bob", *w]).exit_code == 0
    with open_workflow(ws) as wf, wf.session() as db:
        rows = db.execute(select(AuditEntry)).scalars().all()
        got = [(e.username.startswith("cli:"), e.action, e.object_id) for e in rows]
        assert got == [
            (True, "user_created", "ana"),
            (True, "user_created", "bob"),
            (True, "user_role_set", "bob"),
            (True, "user_disabled", "bob"),
        ]
        assert audit.verify(db).ok
    # a refused request (403) from the web app is an entry too
    ana, _ = make_client("ana")
    assert ana.get("/api/audit").status_code == 403
    assert ana.post("/api/cases", json={"title": "no csrf"}).status_code == 403
    refused = [r for r in _audit(settings) if r[1] == "refused"]
    assert [(u, o) for u, _, o, _ in refused] == [
        ("ana", "GET /api/audit"),
        ("ana", "POST /api/cases"),
    ]
    assert "CSRF" in refused[1][3]


# ---- 4. per-case access ------------------------------------------------------------------------


def test_other_analysts_read_but_do_not_act(make_client: Any, settings: WebSettings) -> None:
    ana, a = make_client("ana")
    bob, b = make_client("bob")
    cid = _case(ana, a)
    assert bob.get(f"/api/cases/{cid}").status_code == 200
    for path, body in [
        ("comments", {"body": "mine now"}),
        ("members", {"side": "payer", "entity_id": OTHER_PAYER}),
        ("decisions", {"decision": "false_positive", "rationale": "closing it for ana"}),
        ("close", {}),
        ("assign", {"assignee": "bob", "reason": "taking it over"}),
    ]:
        r = _post(bob, b, f"/api/cases/{cid}/{path}", body)
        assert r.status_code == 403, (path, r.text)
    # the owner assigns bob, with a reason (audited); then bob acts
    r = _post(
        ana, a, f"/api/cases/{cid}/assign", {"assignee": "bob", "reason": "bob knows the bank"}
    )
    assert r.json()["assignees"] == ["bob"] and r.json()["owner"] == "ana"
    assert _post(bob, b, f"/api/cases/{cid}/comments", {"body": "on it"}).status_code == 201
    entry = [r for r in _audit(settings) if r[1] == "case_assigned"][-1]
    assert "bob knows the bank" in entry[3]
    # a supervisor hands the case over
    sam, s = make_client("sam")
    r = _post(
        sam, s, f"/api/cases/{cid}/assign", {"assignees": [], "owner": "bob", "reason": "ana left"}
    )
    assert r.json()["owner"] == "bob" and r.json()["assignees"] == []
    assert _post(ana, a, f"/api/cases/{cid}/comments", {"body": "still mine?"}).status_code == 403


# ---- 5. request bodies: limited before anything reads them ---------------------------------------


def test_body_limit_before_authentication(client: TestClient) -> None:
    # declared: refused on the header, the body is never read
    r = client.post(
        "/api/cases",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": str(200 << 20)},
    )
    assert r.status_code == 413
    # not declared (chunked): cut off at the limit (TestClient hands the body over whole)
    r = client.post(
        "/api/cases",
        content=iter([b"x" * (1 << 20)] * 3),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413


def test_a_chunked_body_is_read_no_further_than_the_limit() -> None:
    """At the ASGI level (as uvicorn feeds it): 200 chunks of 1 MB are offered, two are taken."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * (1 << 20), "more_body": pulled < 200}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    async def reads_everything(scope: Any, rcv: Any, snd: Any) -> None:
        while (await rcv()).get("more_body"):
            pass

    scope = {"type": "http", "method": "POST", "path": "/api/cases", "headers": []}
    asyncio.run(BodyLimit(reads_everything, default=64 << 10)(scope, receive, send))  # type: ignore[arg-type]
    assert pulled == 1 and sent[0]["status"] == 413


def test_a_20_mb_comment_is_refused(make_client: Any) -> None:
    ana, a = make_client("ana")
    cid = _case(ana, a)
    assert (
        _post(ana, a, f"/api/cases/{cid}/comments", {"body": "x" * (20 << 20)}).status_code == 413
    )
    r = _post(ana, a, f"/api/cases/{cid}/comments", {"body": "x" * 10_001})
    assert r.status_code == 422 and "body" in r.text


# ---- 6. CSV cells are not formulas ----------------------------------------------------------------


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://x","y")', "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx"]
)
def test_formula_cells_neutralised(cell: str) -> None:
    assert neutral(cell) == "'" + cell
    assert neutral("-12.50") == "-12.50" and neutral(-3) == -3 and neutral("Anna") == "Anna"


def test_fincen_transactions_csv_is_safe() -> None:
    tx = {c: "" for c in fincen.CSV_COLUMNS} | {
        "beneficiary_name": '=HYPERLINK("http://x","click")',
        "amount": "-5",
    }
    data = CaseData(
        case_id=1, title="t", members=[], transactions=[tx], currency="USD", evidence=[tx]
    )
    row = next(csv.DictReader(io.StringIO(fincen.transactions_csv(data))))
    assert row["beneficiary_name"] == '\'=HYPERLINK("http://x","click")'
    assert row["amount"] == "-5"


# ---- 7. malformed parameters: 422 naming the field, never 500 -------------------------------------


def test_malformed_parameters_are_422(make_client: Any) -> None:
    sam, s = make_client("sam")
    big = "1" * 23
    for path, params, field in [
        ("/api/alerts", {"after": "[1,2]"}, "after"),
        ("/api/alerts", {"after": '["x", 3]'}, "after"),
        ("/api/cases", {"offset": big}, "offset"),
        ("/api/audit", {"before": big}, "before"),
        (f"/api/cases/{big}", {}, "case_id"),
    ]:
        r = sam.get(path, params=params)
        assert r.status_code == 422 and field in r.text, (path, r.status_code, r.text)
    r = sam.post(
        f"/entities/payer/{PAYER}/case",
        data={"case_id": "abc", "csrf_token": s},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "case_id" in r.text


# ---- 8. headers on pages with personal data ---------------------------------------------------------


def test_security_headers(make_client: Any) -> None:
    sam, _ = make_client("sam")
    for path in ["/alerts", f"/entities/payer/{PAYER}", "/api/alerts", "/login"]:
        h = sam.get(path).headers
        assert "frame-ancestors 'none'" in h["content-security-policy"], path
        assert "script-src 'self';" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "no-referrer"
        assert h["cache-control"] == "no-store" and h["x-frame-options"] == "DENY"


def test_templates_have_no_inline_script() -> None:
    for f in TEMPLATES.glob("*.html"):
        text = f.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f.name
        assert not re.search(r"\son[a-z]+\s*=", text), f.name
        assert "javascript:" not in text, f.name


# ---- 9. login throttling ---------------------------------------------------------------------------


def _client_at(settings: WebSettings, host: str) -> TestClient:
    return TestClient(create_app(settings), client=(host, 50000))


def test_rotating_x_forwarded_for_does_not_escape_throttling(settings: WebSettings) -> None:
    with _client_at(settings, "127.0.0.1") as c:
        codes = [
            c.post(
                "/api/auth/login",
                json={"username": "ana", "password": "wrong!"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(6)
        ]
    assert codes == [401, 401, 401, 429, 429, 429]


def test_guesses_from_elsewhere_do_not_lock_the_user_out(settings: WebSettings) -> None:
    with _client_at(settings, "198.51.100.7") as attacker:
        for _ in range(6):
            attacker.post("/api/auth/login", json={"username": "ana", "password": "wrong!"})
        r = attacker.post("/api/auth/login", json={"username": "ana", "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 20
    with _client_at(settings, "192.0.2.10") as ana:
        assert (
            ana.post("/api/auth/login", json={"username": "ana", "password": PASSWORD}).status_code
            == 200
        )


def test_forwarded_for_believed_only_from_a_configured_proxy(settings: WebSettings) -> None:
    proxied = settings.model_copy(update={"trusted_proxies": ["10.0.0.1"]})
    with _client_at(proxied, "10.0.0.1") as c:
        c.post(
            "/api/auth/login",
            json={"username": "ana", "password": "wrong!"},
            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9"},
        )
    with _client_at(proxied, "10.0.0.2") as c:
        c.post(
            "/api/auth/login",
            json={"username": "ana", "password": "wrong!"},
            headers={"X-Forwarded-For": "1.1.1.1"},
        )
    addrs = [d for _, a, _, d in _audit(settings) if a == "login_failed"]
    assert '"address":"203.0.113.9"' in addrs[0] and '"address":"10.0.0.2"' in addrs[1]


# ---- and the rest ----------------------------------------------------------------------------------


def test_last_admin_cannot_be_disabled(make_client: Any, tmp_path: Path) -> None:
    root, r = make_client("root")
    resp = root.patch("/api/users/root", json={"active": False}, headers={"X-CSRF-Token": r})
    assert resp.status_code == 409 and "last active admin" in resp.json()["detail"]
    resp = root.patch("/api/users/root", json={"role": "analyst"}, headers={"X-CSRF-Token": r})
    assert resp.status_code == 409
    ws = build(tmp_path / "ws", n_alerts=10, big_entity_tx=10)
    run = CliRunner()
    run.invoke(
        cli, ["users", "add", "adm", "--role", "admin", "--password", "x" * 12, "-w", str(ws)]
    )
    out = run.invoke(cli, ["users", "disable", "adm", "-w", str(ws)])
    assert out.exit_code != 0 and "last active admin" in str(out.exception)


def test_closed_cases_are_read_only(make_client: Any) -> None:
    ana, a = make_client("ana")
    cid = _case(ana, a)
    _post(
        ana,
        a,
        f"/api/cases/{cid}/decisions",
        {"decision": "false_positive", "rationale": "pays his mother"},
    )
    assert _post(ana, a, f"/api/cases/{cid}/close").status_code == 200
    r = _post(ana, a, f"/api/cases/{cid}/comments", {"body": "one more thing"})
    assert r.status_code == 409 and "read-only" in r.json()["detail"]


def test_a_3_mb_field_on_the_first_row_is_named(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    CliRunner().invoke(cli, ["init", str(ws)])
    f = tmp_path / "big.csv"
    f.write_text(
        "transaction_id,institution,timestamp,amount,currency,payer_name\n"
        f"T1,bank,2024-01-01T00:00:00Z,10,USD,{'x' * 3_000_000}\n"
    )
    out = CliRunner().invoke(cli, ["ingest", "-w", str(ws), str(f)])
    msg = " ".join(out.output.split())
    assert out.exit_code != 0 and "line 2 is 3,000," in msg and "header" not in msg


def test_xml_errors_end_without_a_traceback(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    CliRunner().invoke(cli, ["init", str(ws)])
    f = tmp_path / "bad.xml"
    f.write_text('<?xml version="1.0"?><Document><a></Document>')
    out = CliRunner().invoke(cli, ["ingest", "-w", str(ws), str(f)])
    msg = " ".join(out.output.split())
    assert out.exit_code != 0 and "malformed XML" in msg and "Traceback" not in msg
