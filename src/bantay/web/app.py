"""The app factory: ``create_app(settings)`` wires the workflow database, analytics and routers.

HTTP only: the workflow (cases, users, audit) is :mod:`bantay.cases`; errors from it are mapped
to status codes here (:mod:`bantay.web.errors`), and every refused (403) request is audited.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bantay import __version__
from bantay.cases import audit
from bantay.cases.analytics import Analytics
from bantay.cases.db import open_workflow
from bantay.cases.services import refused
from bantay.errors import BantayError, NotAuthenticated, Throttled, WorkspaceError
from bantay.web.errors import message_of, status_of
from bantay.web.middleware import KIB, BodyLimit, SecurityHeaders, parse_proxies
from bantay.web.routers import (
    alerts,
    auth,
    cases,
    entities,
    exports,
    pages,
    payments,
    reporting,
    reports,
    search,
    users,
)
from bantay.web.routers import audit as audit_router
from bantay.web.settings import WebSettings

HERE = Path(__file__).parent


def _operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids: the endpoint function's name."""
    return route.name


#: the collector's thresholds while the app serves (young, middle, old generation)
WEB_GC_THRESHOLD = (20_000, 20, 20)


def create_app(settings: WebSettings, serving: bool = False) -> FastAPI:
    """The app over ``settings.workspace``. ``serving``: the app is the process (``bantay
    serve``), so it may tune the process's garbage collector (see the lifespan); an app built
    inside another process (a test client) leaves it alone."""
    workflow = open_workflow(settings.workspace, settings.db_url())
    analytics = Analytics(settings.workspace)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # build the in-memory queue and lookup maps before the first request, not during it
        analytics.ensure_queue()
        if not serving:
            yield
        else:
            # what start-up built lives as long as the app: out of the collector's sight, so that
            # a full collection does not walk a million alerts in the middle of a request (those
            # pauses made the intake's p99 230 ms at 500 reports/s; bench/bench_report_intake.py);
            # and collections of the young far apart: a request makes thousands of short-lived
            # objects (validation, ORM rows), which the default threshold (700) collected several
            # times a request
            gc.collect()
            gc.freeze()
            before = gc.get_threshold()
            gc.set_threshold(*WEB_GC_THRESHOLD)
            try:
                yield
            finally:
                gc.set_threshold(*before)
                gc.unfreeze()
        analytics.close()
        # a checkpoint of the audit log as the app leaves it (none over a broken log: verify
        # reports that one)
        with workflow.session() as db, contextlib.suppress(WorkspaceError):
            audit.checkpoint(db)
        workflow.dispose()

    app = FastAPI(
        title="Bantay",
        version=__version__,
        description="Alert queue, entity views, cases and audit trail for OSEC payment analysis.",
        generate_unique_id_function=_operation_id,
        lifespan=lifespan,
        # the API page is the app's own (/docs, pages.py): no Swagger UI or ReDoc from a CDN
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.workflow = workflow
    app.state.engine = workflow.engine
    app.state.sessions = workflow.sessions
    app.state.analytics = analytics
    app.state.proxies = parse_proxies(settings.trusted_proxies)

    @app.exception_handler(BantayError)
    async def _bantay_error(request: Request, exc: BantayError) -> Response:
        status = status_of(exc)
        message = message_of(exc)
        is_api = request.url.path.startswith("/api/")
        if status == 403:
            with workflow.session() as db:
                refused(
                    db,
                    getattr(request.state, "actor", None),
                    f"{request.method} {request.url.path}",
                    {"reason": message[:500]},
                )
        if isinstance(exc, NotAuthenticated) and not is_api and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        headers: dict[str, str] = {}
        if isinstance(exc, NotAuthenticated):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, Throttled):
            headers["Retry-After"] = str(exc.retry_after)
        if not is_api:
            return pages.error_page(request, status, message, headers)
        return JSONResponse({"detail": message}, status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # unknown paths and methods: the app's error page for a browser, JSON for the API
        headers = dict(exc.headers or {})
        wants_html = "text/html" in request.headers.get("accept", "")
        if request.url.path.startswith("/api/") or not wants_html:
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return pages.error_page(request, exc.status_code, message, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # a page's bad parameter: the app's error page, saying which; the API keeps FastAPI's JSON
        wants_html = "text/html" in request.headers.get("accept", "")
        if request.url.path.startswith("/api/") or not wants_html:
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', '')}"
            for e in exc.errors()[:5]
        )
        return pages.error_page(request, 422, problems[:500], {})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for r in (
        auth,
        alerts,
        entities,
        payments,
        search,
        cases,
        audit_router,
        exports,
        users,
        reporting,
        reports,
    ):
        app.include_router(r.router, prefix="/api")
    app.include_router(pages.router)
    app.include_router(reports.pages_router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # outermost last: headers on every response, the body limit before anything reads the body
    app.add_middleware(BodyLimit, default=settings.max_body_kib * KIB)
    app.add_middleware(SecurityHeaders)
    return app
