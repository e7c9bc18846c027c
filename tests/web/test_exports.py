"""Case exports from the web app: supervisors only, CSRF-checked, audited with the file's hash."""

from __future__ import annotations

import io
import json
import sqlite3
import warnings
import zipfile
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from bantay.export import goaml
from bantay.web.app import create_app
from bantay.web.settings import WebSettings

PASSWORD = "correct horse battery"  # as in conftest.py


def login(c: TestClient, username: str) -> str:
    r = c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    token: str = r.json()["csrf_token"]
    return token


@pytest.fixture
def app_settings(settings: WebSettings, tmp_path: Path) -> WebSettings:
    fiu = tmp_path / "fiu.toml"
    fiu.write_text('[reporting_entity]\nrentity_id = 7\nreporting_user_code = "ANA01"\n')
    return settings.model_copy(update={"goaml_settings": fiu, "goaml_xsd": goaml.DEFAULT_XSD})


@pytest.fixture
def web(app_settings: WebSettings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as c:
        csrf = login(c, "ana")
        body = {"title": "one payer", "members": [{"side": "payer", "entity_id": "E000000000000"}]}
        r = c.post("/api/cases", json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201, r.text
        r = c.post("/api/cases", json={"title": "empty"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201, r.text
        c.post("/api/auth/logout", headers={"X-CSRF-Token": csrf})
        c.cookies.clear()
        yield c


def _last_audit(settings: WebSettings) -> tuple[str, str, str, dict[str, object]]:
    url = settings.db_url().removeprefix("sqlite:///")
    row = (
        sqlite3.connect(url)
        .execute(
            "SELECT action, username, object_id, detail FROM web_audit_log ORDER BY id DESC LIMIT 1"
        )
        .fetchone()
    )
    return row[0], row[1], row[2], json.loads(row[3])


def test_needs_login_and_the_supervisor_role(web: TestClient) -> None:
    assert web.post("/api/exports/cases/1/ftm").status_code == 401
    csrf = login(web, "ana")
    r = web.post("/api/exports/cases/1/ftm", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403
    assert "needs the supervisor role" in r.json()["detail"]
    page = web.get("/cases/1")
    assert page.status_code == 200 and 'id="export-ftm"' not in page.text
    r = web.post("/cases/1/export/ftm", data={"csrf_token": csrf})
    assert r.status_code == 403


def test_csrf_checked(web: TestClient) -> None:
    csrf = login(web, "sam")
    assert web.post("/api/exports/cases/1/ftm").status_code == 403
    assert web.post("/cases/1/export/ftm", data={"csrf_token": "wrong"}).status_code == 403
    assert web.post("/cases/1/export/ftm", data={"csrf_token": csrf}).status_code == 200


@pytest.mark.parametrize("fmt", ["ftm", "pack", "fincen", "goaml"])
def test_each_format_downloads_and_is_audited(
    web: TestClient, app_settings: WebSettings, fmt: str
) -> None:
    csrf = login(web, "sam")
    r = web.post(f"/api/exports/cases/1/{fmt}", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    name = r.headers["content-disposition"].split('filename="')[1].rstrip('"')
    assert name.startswith("bantay-case-1-")
    body = r.content
    if fmt == "ftm":
        assert r.headers["content-type"] == "application/x-ndjson"
        assert all(json.loads(x)["schema"] for x in body.decode().splitlines())
    elif fmt == "pack":
        assert body.startswith(b"<!doctype html>") and b"by sam" in body
    elif fmt == "fincen":
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        assert names == [
            "bantay-case-1-fincen-narrative.txt",
            "bantay-case-1-fincen-transactions.csv",
        ]
    else:
        assert b"<rentity_id>7</rentity_id>" in body and b"<indicator>FOWNB</indicator>" in body
    action, username, object_id, detail = _last_audit(app_settings)
    assert (action, username, object_id) == ("case_exported", "sam", "1")
    assert detail == {
        "format": fmt,
        "path": f"download:{name}",
        "sha256": sha256(body).hexdigest(),
        "bytes": len(body),
    }


def test_clear_errors(web: TestClient, settings: WebSettings) -> None:
    csrf = login(web, "sam")
    h = {"X-CSRF-Token": csrf}
    r = web.post("/api/exports/cases/999/pack", headers=h)
    assert r.status_code == 404 and r.json()["detail"] == "no case 999"
    r = web.post("/api/exports/cases/2/pack", headers=h)
    assert r.status_code == 409 and "has no members" in r.json()["detail"]
    assert web.post("/api/exports/cases/1/pdf", headers=h).status_code == 422
    page = web.post("/cases/999/export/pack", data={"csrf_token": csrf})
    assert page.status_code == 404 and "no case 999" in page.text


def test_goaml_without_reporting_entity_settings(settings: WebSettings) -> None:
    with TestClient(create_app(settings)) as c:
        csrf = login(c, "sam")
        h = {"X-CSRF-Token": csrf}
        body = {"title": "x", "members": [{"side": "payer", "entity_id": "E000000000000"}]}
        assert c.post("/api/cases", json=body, headers=h).status_code == 201
        r = c.post("/api/exports/cases/1/goaml", headers=h)
        assert r.status_code == 422
        assert "bantay config goaml.rentity_id" in r.json()["detail"]
        assert "BANTAY_WEB_GOAML_SETTINGS" in r.json()["detail"]
        # as `bantay demo` leaves it: the reporting settings stored in the workspace
        from bantay.export.goaml import validate
        from bantay.export.settings import reporting_path, set_reporting

        set_reporting(settings.workspace, "goaml.rentity_id", "7")
        set_reporting(settings.workspace, "goaml.reporting_user_code", "DEMO01")
        try:
            r = c.post("/api/exports/cases/1/goaml", headers=h)
        finally:
            reporting_path(settings.workspace).unlink()
        assert r.status_code == 200, r.text
        validate(r.content)
        assert b"<rentity_id>7</rentity_id>" in r.content


def test_case_page_offers_the_four_formats_to_supervisors(web: TestClient) -> None:
    csrf = login(web, "sam")
    page = web.get("/cases/1")
    for fmt in ("goaml", "fincen", "ftm", "pack"):
        assert f'action="/cases/1/export/{fmt}"' in page.text
        assert f'id="export-{fmt}"' in page.text
    r = web.post("/cases/1/export/pack", data={"csrf_token": csrf})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "attachment" in r.headers["content-disposition"]


def test_api_token_exports_without_csrf(web: TestClient) -> None:
    csrf = login(web, "sam")
    token = web.post("/api/auth/tokens", json={"name": "fiu"}, headers={"X-CSRF-Token": csrf})
    raw = token.json()["token"]
    web.cookies.clear()
    r = web.post("/api/exports/cases/1/ftm", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 200
