"""Shared fixtures: one synthetic workspace per session, a fresh workflow database per test."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    # Starlette asks for httpx2; the TestClient works the same with httpx (filterwarnings=error)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from bantay.cases import services
from bantay.cases.db import open_workflow
from bantay.cases.security import use_cheap_hashing
from bantay.cases.synthetic import build
from bantay.web.app import create_app
from bantay.web.settings import WebSettings

use_cheap_hashing()

SECRET = "test-secret-0123456789-abcdefghijklmnop"
PASSWORD = "correct horse battery"
USERS = {
    "ana": "analyst",
    "bob": "analyst",
    "sam": "supervisor",
    "sue": "supervisor",
    "root": "admin",
}


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("web") / "ws", n_alerts=300, big_entity_tx=400)


@pytest.fixture
def settings(workspace: Path, tmp_path: Path) -> WebSettings:
    s = WebSettings(
        workspace=workspace,
        secret_key=SECRET,  # type: ignore[arg-type]
        database_url=f"sqlite:///{tmp_path / 'workflow.sqlite'}",
        login_max_failures=3,
    )
    with open_workflow(s.workspace, s.db_url()) as wf, wf.session() as db:
        for name, role in USERS.items():
            services.add_user(db, services.Actor.operator(), name, PASSWORD, role)
    return s


@pytest.fixture
def client(settings: WebSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def login(c: TestClient, username: str) -> str:
    """Log ``c`` in as ``username``; returns the CSRF token."""
    r = c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    token: str = r.json()["csrf_token"]
    return token


@pytest.fixture
def make_client(settings: WebSettings) -> Iterator[object]:
    """Another client on the same app state (a second user in another browser)."""
    app = create_app(settings)
    clients: list[TestClient] = []

    def make(username: str) -> tuple[TestClient, str]:
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        return c, login(c, username)

    yield make
    for c in clients:
        c.__exit__(None, None, None)
