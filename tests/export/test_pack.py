"""Referral pack: one self-contained, escaped HTML file with the case, reasons, charts and trail."""

from __future__ import annotations

import json
import re
import sqlite3
from hashlib import sha256
from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

from bantay.cli import app
from bantay.export import pack
from bantay.export.case import load_case
from bantay.workspace import SQLITE_FILE

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def test_structure(case_ws: Path) -> None:
    data = load_case(case_ws, 1)
    html = pack.render(data, "tester").decode()
    for section in (
        'id="summary"',
        'id="reasons"',
        'id="transactions"',
        'id="decisions"',
        'id="trail"',
    ):
        assert section in html
    # per member: indicator table with its source, charts and the network picture
    assert html.count('id="money-chart"') == html.count('id="heatmap"') == 2
    assert html.count('id="network-graph"') == 2
    assert "P01_low_value_sea" in html and "austrac-2019" in html
    assert "den size 3" in html
    assert "n_unrel_payments" in html
    # every payment of the evidence; the card spending is left out and said so
    assert html.count("<tr><td>2024-") >= len(data.evidence)
    for t in data.evidence:
        assert f"{t['institution']} / {t['transaction_id']}<" in html
    for t in data.left_out:
        assert f"{t['institution']} / {t['transaction_id']}<" not in html
    assert "not evidence of any indicator" in html
    assert "Pattern matches the published indicators." in html
    assert "approved by sam" in html
    assert "Payments every week at night, local time." in html
    for action in ("case_created", "comment", "decision", "review"):
        assert f"<td>{action}</td>" in html
    assert "Generated" in html and "by tester" in html


def test_no_external_references(case_ws: Path) -> None:
    html = pack.render(load_case(case_ws, 1)).decode()
    tags = _parse(html)
    assert not {"script", "link", "img", "iframe", "object", "embed", "a"} & set(tags.tags)
    assert [a for a, _ in tags.attrs if a in ("href", "src", "srcset", "action")] == []
    assert not re.search(r"https?://|url\(|@import|//[a-z]", html, re.I)


def test_hostile_names_are_escaped(case_ws: Path) -> None:
    data = load_case(case_ws, 1)
    data.transactions[0]["payer_name"] = HOSTILE
    data.title = HOSTILE
    data.decisions[0]["rationale"] = HOSTILE
    node = data.views[0].network["nodes"][0]
    node["name"] = HOSTILE
    html = pack.render(data).decode()
    tags = _parse(html)
    assert "script" not in tags.tags and "img" not in tags.tags
    assert "onerror" not in {a for a, _ in tags.attrs}
    assert "&lt;script&gt;alert(" in html
    assert html.count("&lt;script&gt;") >= 3


def test_cli_writes_and_audits(case_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack.html"
    r = CliRunner().invoke(
        app, ["export", "case", "1", "-w", str(case_ws), "--format", "pack", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    body = out.read_bytes()
    assert body.startswith(b"<!doctype html>")
    row = (
        sqlite3.connect(case_ws / SQLITE_FILE)
        .execute("SELECT action, detail FROM web_audit_log ORDER BY id DESC LIMIT 1")
        .fetchone()
    )
    detail = json.loads(row[1])
    assert row[0] == "case_exported"
    assert detail["format"] == "pack" and detail["sha256"] == sha256(body).hexdigest()
