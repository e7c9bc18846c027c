"""Navigation and layout (issue 18, items 6, 7, 9): what each page offers, where links lead,
what an unknown path or a wrong password answers, and the API page without a CDN."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from bantay.export import charts

PASSWORD = "correct horse battery"  # as in conftest.py
ENTITY = "E000000000000"
HTML = {"Accept": "text/html,application/xhtml+xml"}


def _post(c: TestClient, csrf: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return c.post(path, json=body or {}, headers={"X-CSRF-Token": csrf})


def _case(c: TestClient, csrf: str, entity: str = ENTITY) -> int:
    r = _post(
        c, csrf, "/api/cases", {"title": "t", "members": [{"side": "payer", "entity_id": entity}]}
    )
    assert r.status_code == 201, r.text
    cid: int = r.json()["id"]
    return cid


def test_wrong_password_shows_the_login_page_with_a_message(client: TestClient) -> None:
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    r = client.post(
        "/login",
        data={"username": "ana", "password": "not the password", "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("text/html")
    assert 'id="login-error"' in r.text and "wrong user name or password" in r.text
    assert 'id="login-button"' in r.text and 'value="ana"' in r.text
    # the new form carries a fresh login token that works
    again = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert again is not None
    ok = client.post(
        "/login",
        data={"username": "ana", "password": PASSWORD, "csrf_token": again.group(1)},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/alerts"


def test_close_and_review_are_offered_only_to_who_can_do_them(make_client: Any) -> None:
    ana, a_csrf = make_client("ana")
    sam, s_csrf = make_client("sam")
    cid = _case(ana, a_csrf)
    _post(
        ana,
        a_csrf,
        f"/api/cases/{cid}/decisions",
        {"decision": "confirmed", "rationale": "many small night payments"},
    )
    page = ana.get(f"/cases/{cid}").text
    assert 'id="close-form"' not in page and 'id="review-form"' not in page
    assert 'id="close-hint"' in page  # says why: a supervisor approves first
    assert 'id="review-form"' in sam.get(f"/cases/{cid}").text
    _post(sam, s_csrf, f"/api/cases/{cid}/review", {"approve": True})
    page = ana.get(f"/cases/{cid}").text
    assert 'id="close-form"' in page  # what was offered now works
    assert (
        ana.post(
            f"/cases/{cid}/close", data={"csrf_token": a_csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    # a supervisor's own decision: no review form for him, another supervisor gets one
    cid2 = _case(sam, s_csrf, "E000000000001")
    _post(
        sam,
        s_csrf,
        f"/api/cases/{cid2}/decisions",
        {"decision": "confirmed", "rationale": "pays a known den"},
    )
    assert 'id="review-form"' not in sam.get(f"/cases/{cid2}").text
    sue, _ = make_client("sue")
    assert 'id="review-form"' in sue.get(f"/cases/{cid2}").text
    # a reader (not owner or assignee) is offered neither closing nor deciding
    page = ana.get(f"/cases/{cid2}").text
    assert 'id="close-form"' not in page and 'id="decision-form"' not in page


def test_in_case_badge_links_to_the_case_and_members_have_names(make_client: Any) -> None:
    ana, a_csrf = make_client("ana")
    cid = _case(ana, a_csrf)
    entity = ana.get(f"/entities/payer/{ENTITY}").text
    assert re.search(rf'<a class="status in_case" id="entity-status" href="/cases/{cid}"', entity)
    queue = ana.get(f"/alerts?q={ENTITY}").text
    assert f'href="/cases/{cid}"' in queue
    name = ana.get(f"/api/entities/payer/{ENTITY}").json()["detail"]["entity"]["name"]
    assert name
    members = ana.get(f"/cases/{cid}").text
    assert re.search(
        rf'<ul id="members"><li><a href="/entities/payer/{ENTITY}">{re.escape(name)}</a>', members
    )


def test_favicon_and_unknown_paths(client: TestClient) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert client.get("/static/favicon.svg").status_code == 200
    page = client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert 'id="error-message"' in page.text and "no such page" in page.text
    assert client.get("/no/such/page").json() == {"detail": "Not Found"}  # not a browser
    api = client.get("/api/no/such", headers=HTML)
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_api_page_is_served_without_a_cdn(make_client: Any, client: TestClient) -> None:
    assert client.get("/docs", follow_redirects=False).status_code == 303  # logged in only
    ana, _ = make_client("ana")
    r = ana.get("/docs")
    assert r.status_code == 200
    assert "cdn." not in r.text and '<script src="/static/app.js"></script>' in r.text
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    paths = set(ana.get("/openapi.json").json()["paths"])
    listed = set(re.findall(r"<td><code>(/[^<]*)</code></td>", r.text))
    assert listed == paths
    assert ana.get("/redoc", follow_redirects=False).headers["location"] == "/docs"


def test_heatmap_has_a_colour_scale() -> None:
    m = [[0] * 24 for _ in range(7)]
    m[2][3] = 8
    svg = charts.heatmap(m, ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], True)
    assert svg.count('class="cell"') == 7 * 24
    swatches = re.findall(r'class="swatch"[^>]*fill="rgba\(44,82,130,([0-9.]+)\)"', svg)
    assert swatches[0] == "0.00" and swatches[-1] == "1.00" and len(swatches) == 5
    assert ">8</text>" in svg  # the busiest hour is the top of the scale


def test_a_bad_page_parameter_answers_the_error_page(make_client: Any) -> None:
    ana, _ = make_client("ana")
    page = ana.get("/alerts?order=sideways", headers=HTML)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "order" in page.text and 'id="error-message"' in page.text
    api = ana.get("/api/alerts?order=sideways", headers=HTML)
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "order"]


#: routes that answer without a login: logging in, the health check, the icon, the API schema
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/api/auth/login"),
    ("GET", "/healthz"),
    ("GET", "/favicon.ico"),
    ("GET", "/openapi.json"),
    ("GET", "/"),
    ("GET", "/redoc"),
}


def test_every_other_route_needs_a_login(settings: Any) -> None:
    from fastapi.routing import APIRoute

    from bantay.web.app import create_app

    app = create_app(settings)
    found: list[tuple[str, APIRoute]] = []
    for r in app.routes:  # as tests/web/test_fuzz.py walks them
        if isinstance(r, APIRoute):
            found.append((r.path, r))
        elif hasattr(r, "effective_route_contexts"):
            for ctx in r.effective_route_contexts():
                if isinstance(ctx.original_route, APIRoute):
                    found.append((ctx.path or ctx.original_route.path, ctx.original_route))
    checked = 0
    with TestClient(app) as c:
        for template, route in found:
            path = re.sub(r"\{[^}]+\}", "1", template).replace("/entities/1/", "/entities/payer/")
            for method in sorted(route.methods - {"HEAD"}):
                if (method, template) in PUBLIC:
                    continue
                resp = c.request(method, path, headers=HTML, follow_redirects=False)
                checked += 1
                if path.startswith("/api/"):
                    assert resp.status_code in (401, 403), (method, path, resp.status_code)
                else:  # a page: to the login page (GET) or refused (a state change)
                    assert resp.status_code in (303, 401, 403), (method, path, resp.status_code)
                    if resp.status_code == 303:
                        assert resp.headers["location"].startswith("/login"), (method, path)
    assert checked > 40


def test_the_entity_page_widens_its_network_by_links(make_client: Any) -> None:
    ana, _ = make_client("ana")
    page = ana.get(f"/entities/payer/{ENTITY}").text
    links = re.findall(r'<li><a href="(/entities/payer/[^"]+\?expand=[^"]+)">', page)
    assert links and 'id="widened"' not in page
    href = links[0].replace("&amp;", "&")
    wide = ana.get(href)
    assert wide.status_code == 200 and 'id="widened"' in wide.text
    # the node widened is no longer offered; the others still are
    assert href not in wide.text.replace("&amp;", "&")
    bad = ana.get(f"/entities/payer/{ENTITY}?expand=nobody")
    assert bad.status_code in (400, 422) and "expand" in bad.text
