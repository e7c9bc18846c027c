"""The STR/SAR narrative editor (issue 18, item 2): pre-filled from the evidence, versions kept
and audited, reviewed with the decision, and used by every export instead of the generated text."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bantay.export import goaml
from bantay.web.app import create_app
from bantay.web.settings import WebSettings

PASSWORD = "correct horse battery"  # as in conftest.py
TEXT = (
    "WHO: the payer E000000000000, a customer of harbour_bank.\n\n"
    "WHAT: small remittances at night to one beneficiary, reviewed by the analyst.\n\n"
    "WHY: the pattern matches published indicators; the customer gave no explanation."
)


def _post(c: TestClient, csrf: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return c.post(path, json=body or {}, headers={"X-CSRF-Token": csrf})


@pytest.fixture
def app(settings: WebSettings, tmp_path: Path) -> Any:
    fiu = tmp_path / "fiu.toml"
    fiu.write_text('[reporting_entity]\nrentity_id = 7\nreporting_user_code = "ANA01"\n')
    return create_app(
        settings.model_copy(update={"goaml_settings": fiu, "goaml_xsd": goaml.DEFAULT_XSD})
    )


@pytest.fixture
def users(app: Any) -> Iterator[dict[str, tuple[TestClient, str]]]:
    out: dict[str, tuple[TestClient, str]] = {}
    for name in ("ana", "bob", "sam"):
        c = TestClient(app)
        c.__enter__()
        r = c.post("/api/auth/login", json={"username": name, "password": PASSWORD})
        out[name] = (c, r.json()["csrf_token"])
    yield out
    for c, _ in out.values():
        c.__exit__(None, None, None)


def _case(ana: TestClient, csrf: str) -> int:
    body = {"title": "one payer", "members": [{"side": "payer", "entity_id": "E000000000000"}]}
    r = _post(ana, csrf, "/api/cases", body)
    assert r.status_code == 201, r.text
    cid: int = r.json()["id"]
    return cid


def test_versions_are_kept_and_audited(users: dict[str, tuple[TestClient, str]]) -> None:
    ana, a_csrf = users["ana"]
    bob, b_csrf = users["bob"]
    cid = _case(ana, a_csrf)
    view = ana.get(f"/api/cases/{cid}/narrative").json()
    assert view["current"] is None and view["versions"] == []
    # the draft says who, what, when, where, why from the evidence, within goAML's 4,000
    assert view["draft"].startswith("WHO: ") and "\n\nWHY: " in view["draft"]
    assert len(view["draft"]) <= 4000
    r = _post(ana, a_csrf, f"/api/cases/{cid}/narrative", {"body": TEXT})
    assert r.status_code == 201 and r.json()["narrative"]["version"] == 1
    again = _post(ana, a_csrf, f"/api/cases/{cid}/narrative", {"body": TEXT})
    assert again.json()["narrative"]["version"] == 1  # the same text: no new version
    r = _post(ana, a_csrf, f"/api/cases/{cid}/narrative", {"body": TEXT + " Second look."})
    assert r.json()["narrative"]["version"] == 2
    versions = ana.get(f"/api/cases/{cid}/narrative").json()["versions"]
    assert [v["version"] for v in versions] == [2, 1] and versions[1]["body"] == TEXT
    # a reader does not write it; nor does anyone past goAML's limit
    assert _post(bob, b_csrf, f"/api/cases/{cid}/narrative", {"body": TEXT}).status_code == 403
    long = {"body": "x" * 4001}
    assert _post(ana, a_csrf, f"/api/cases/{cid}/narrative", long).status_code == 422
    sam, _ = users["sam"]
    saved = sam.get("/api/audit", params={"action": "narrative_saved"}).json()["data"]
    assert [e["username"] for e in saved] == ["ana", "ana"]
    assert sam.get("/api/audit/verify").json()["ok"] is True


def test_a_changed_narrative_reopens_review(users: dict[str, tuple[TestClient, str]]) -> None:
    ana, a_csrf = users["ana"]
    sam, s_csrf = users["sam"]
    cid = _case(ana, a_csrf)
    _post(ana, a_csrf, f"/api/cases/{cid}/narrative", {"body": TEXT})
    d = {"decision": "confirmed", "rationale": "the narrative says why"}
    assert _post(ana, a_csrf, f"/api/cases/{cid}/decisions", d).status_code == 201
    assert _post(sam, s_csrf, f"/api/cases/{cid}/review", {"approve": True}).status_code == 200
    assert ana.get(f"/api/cases/{cid}").json()["decisions"][-1]["narrative_version"] == 1
    assert "narrative v1" in sam.get(f"/cases/{cid}").text  # what the reviewer approved
    # edited after the approval: the decision no longer covers the case
    r = _post(ana, a_csrf, f"/api/cases/{cid}/narrative", {"body": TEXT + " Edited later."})
    assert r.json()["status"] == "open" and r.json()["decisions"][-1]["current"] is False
    assert _post(ana, a_csrf, f"/api/cases/{cid}/close").status_code == 409
    assert 'id="close-form"' not in ana.get(f"/cases/{cid}").text
    # a new decision on the new text, reviewed, closes
    assert _post(ana, a_csrf, f"/api/cases/{cid}/decisions", d).status_code == 201
    assert _post(sam, s_csrf, f"/api/cases/{cid}/review", {"approve": True}).status_code == 200
    assert _post(ana, a_csrf, f"/api/cases/{cid}/close").json()["status"] == "closed"
    closed = _post(ana, a_csrf, f"/api/cases/{cid}/narrative", {"body": TEXT})
    assert closed.status_code == 409  # a closed case is read-only


def test_every_export_uses_the_narrative(users: dict[str, tuple[TestClient, str]]) -> None:
    ana, a_csrf = users["ana"]
    sam, s_csrf = users["sam"]
    cid = _case(ana, a_csrf)

    def export(fmt: str) -> bytes:
        r = _post(sam, s_csrf, f"/api/exports/cases/{cid}/{fmt}")
        assert r.status_code == 200, r.text
        body: bytes = r.content
        return body

    def reason() -> str:
        el = ET.fromstring(export("goaml")).find("reason")
        assert el is not None and el.text
        return el.text

    generated = reason()
    assert generated.startswith(f"Bantay case {cid}")
    _post(ana, a_csrf, f"/api/cases/{cid}/narrative", {"body": TEXT})
    assert reason() == TEXT
    z = zipfile.ZipFile(io.BytesIO(export("fincen")))
    fincen = z.read(f"bantay-case-{cid}-fincen-narrative.txt").decode()
    assert TEXT in fincen and "WHO: The case concerns" not in fincen
    pack = export("pack").decode()
    section = pack[pack.index('<section id="narrative">') :]
    assert "version 1 by ana" in section
    assert "<p>WHAT: small remittances at night to one beneficiary" in section


def test_editor_page_prefilled_and_saved(users: dict[str, tuple[TestClient, str]]) -> None:
    ana, a_csrf = users["ana"]
    cid = _case(ana, a_csrf)
    page = ana.get(f"/cases/{cid}/narrative").text
    area = re.search(r'<textarea name="narrative" id="narrative"[^>]*>(.*?)</textarea>', page, re.S)
    assert area is not None and area.group(1).startswith("WHO: ")
    r = ana.post(
        f"/cases/{cid}/narrative",
        data={"csrf_token": a_csrf, "narrative": TEXT.replace("\n", "\r\n")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    case = ana.get(f"/cases/{cid}").text
    assert "Version 1 by ana" in case and "<p>WHY: the pattern matches" in case
    assert ana.get(f"/api/cases/{cid}").json()["narrative"]["body"] == TEXT  # CRLF → LF
