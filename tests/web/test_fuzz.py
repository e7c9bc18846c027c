"""Every route's parameters, fuzzed: malformed values get a 4xx naming what is wrong, never a 500.

Issue 17 found 500s (and dropped connections) from ``after=[1,2]``, 23-digit integers and
``case_id=abc``; this walks every route of the app (JSON API and pages), draws hostile values for
its path, query, body and form parameters, and sends them as an admin with an API token (so the
requests get past authentication and CSRF to the validation being tested). Bounded: a fixed number
of examples per route, so the suite stays fast.
"""

from __future__ import annotations

import os
import warnings
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.routing import APIRoute
    from fastapi.testclient import TestClient

from bantay.web.app import create_app
from bantay.web.settings import WebSettings

#: examples per route in the suite; BANTAY_FUZZ_EXAMPLES=200 for a longer run by hand
EXAMPLES_PER_ROUTE = int(os.environ.get("BANTAY_FUZZ_EXAMPLES", "20"))
PASSWORD = "correct horse battery"  # as in conftest.py

SPECIAL = [
    "1" * 23,
    "-" + "9" * 30,
    "0",
    "-1",
    "[1,2]",
    '["x", 1]',
    "[null, null]",
    '{"a": 1}',
    "null",
    "1e309",
    "NaN",
    "true",
    "",
    " ",
    "\x00",
    "%00",
    "../../etc/passwd",
    "' OR 1=1 --",
    "E000000000000",
    "payer",
    "beneficiary",
    "confirmed",
    "score",
    "\u202e\u0000😀" * 5,
    "x" * 5000,
]
SCALARS = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=40),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
)
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**25), max_value=10**25),
        st.floats(allow_nan=False, allow_infinity=False),
        SCALARS,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(SCALARS, inner, max_size=3)
    ),
    max_leaves=6,
)


def _params(fields: list[Any]) -> list[str]:
    return [f.alias for f in fields]


def _body_fields(route: APIRoute) -> tuple[list[str], bool]:
    """Names of the body's fields, and whether they are form fields (else one JSON model)."""
    names: list[str] = []
    form = False
    for f in route.dependant.body_params:
        info = f.field_info
        if type(info).__name__ == "Form":
            form = True
            names.append(f.alias)
        else:
            ann = f.field_info.annotation
            names += list(getattr(ann, "model_fields", {}) or [f.alias])
    return names, form


def _routes(app: Any) -> list[tuple[str, str, APIRoute]]:
    """(method, full path, route) of every FastAPI route, those of included routers too."""
    found: list[tuple[str, APIRoute]] = []
    for r in app.routes:
        if isinstance(r, APIRoute):
            found.append((r.path, r))
        elif hasattr(r, "effective_route_contexts"):  # an included router (FastAPI 0.16x)
            for ctx in r.effective_route_contexts():
                if isinstance(ctx.original_route, APIRoute):
                    found.append((ctx.path or ctx.original_route.path, ctx.original_route))
    return [(m, path, r) for path, r in found for m in sorted(r.methods - {"HEAD"})]


def _fuzz_route(
    c: TestClient,
    headers: dict[str, str],
    method: str,
    full_path: str,
    route: APIRoute,
    errors: list[tuple[str, str, int, str]],
) -> None:
    """Send EXAMPLES_PER_ROUTE requests with drawn parameters to one route; collect any 5xx."""
    path_names = _params(route.dependant.path_params)
    query_names = _params(route.dependant.query_params)
    body_names, form = _body_fields(route)

    @examples(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        path=st.fixed_dictionaries({n: SCALARS for n in path_names}),
        query=st.fixed_dictionaries({}, optional={n: SCALARS for n in query_names}),
        body=st.one_of(
            st.fixed_dictionaries({}, optional={n: JSON_VALUES for n in body_names}),
            JSON_VALUES,
        ),
        formdata=st.fixed_dictionaries({}, optional={n: SCALARS for n in body_names}),
    )
    def one(
        path: dict[str, str], query: dict[str, str], body: Any, formdata: dict[str, str]
    ) -> None:
        url = full_path
        for k, v in path.items():
            url = url.replace("{" + k + "}", quote(v, safe="") or "x")
        kw: dict[str, Any] = {"params": query, "headers": headers, "follow_redirects": False}
        if method != "GET":
            if form:
                kw["data"] = formdata
            else:
                kw["json"] = body
        try:
            resp = c.request(method, url, **kw)
        except Exception as exc:  # a server error, raised by the test client: keep its cause
            errors.append((method, url[:120], 500, f"{exc!r} with {kw!r}"[:600]))
            return
        if resp.status_code >= 500:
            errors.append((method, url[:120], resp.status_code, resp.text[:200]))

    one()


def test_no_route_answers_500(settings: WebSettings) -> None:
    app = create_app(settings)
    errors: list[tuple[str, str, int, str]] = []
    with TestClient(app) as c:
        r = c.post("/api/auth/login", json={"username": "root", "password": PASSWORD})
        csrf = r.json()["csrf_token"]
        token = c.post(
            "/api/auth/tokens", json={"name": "fuzz"}, headers={"X-CSRF-Token": csrf}
        ).json()["token"]
        c.cookies.clear()
        routes = _routes(app)
        assert len(routes) > 30  # the whole app, not a corner of it
        for method, full_path, route in routes:
            _fuzz_route(c, {"Authorization": f"Bearer {token}"}, method, full_path, route, errors)
    assert errors == [], errors[:5]
