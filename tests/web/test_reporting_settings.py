"""Reporting settings in the app (issue 18, item 1): an administrator sets what `bantay config`
sets, each change audited, and a freshly started app's goAML export uses them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bantay.cases.synthetic import build
from bantay.export import settings as reporting


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace of its own: this test writes its reporting settings."""
    return build(tmp_path / "ws", n_alerts=20, big_entity_tx=20)


def test_admin_sets_reporting_and_the_export_uses_it(make_client: Any, workspace: Path) -> None:
    root, r_csrf = make_client("root")
    sam, s_csrf = make_client("sam")
    cid = sam.post(
        "/api/cases",
        json={"title": "t", "members": [{"side": "payer", "entity_id": "E000000000000"}]},
        headers={"X-CSRF-Token": s_csrf},
    ).json()["id"]
    # not set yet: the export says what to set
    r = sam.post(f"/api/exports/cases/{cid}/goaml", headers={"X-CSRF-Token": s_csrf})
    assert r.status_code == 422 and "goaml.rentity_id" in r.json()["detail"]
    # supervisors read the reports, administrators set who files them
    body = {"key": "goaml.rentity_id", "value": "7"}
    assert (
        sam.post("/api/settings/reporting", json=body, headers={"X-CSRF-Token": s_csrf}).status_code
        == 403
    )
    assert sam.get("/admin/reporting").status_code == 403
    r = root.post("/api/settings/reporting", json=body, headers={"X-CSRF-Token": r_csrf})
    assert r.status_code == 200 and r.json()["goaml.rentity_id"] == "7"
    page = root.get("/admin/reporting").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    r = root.post(
        "/admin/reporting",
        data={"csrf_token": token.group(1), "key": "goaml.reporting_user_code", "value": "ANA01"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert reporting.flat(workspace)["goaml.reporting_user_code"] == "ANA01"  # the file itself
    bad = root.post(
        "/api/settings/reporting",
        json={"key": "goaml.colour", "value": "blue"},
        headers={"X-CSRF-Token": r_csrf},
    )
    assert bad.status_code == 422
    r = sam.post(f"/api/exports/cases/{cid}/goaml", headers={"X-CSRF-Token": s_csrf})
    assert r.status_code == 200, r.text
    rep = ET.fromstring(r.content)
    assert rep.findtext("rentity_id") == "7"
    changes = root.get("/api/audit", params={"action": "setting_changed"}).json()["data"]
    assert [(c["object_id"], c["username"]) for c in changes] == [
        ("goaml.reporting_user_code", "root"),
        ("goaml.rentity_id", "root"),
    ]
