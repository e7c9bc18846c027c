"""The app factory: ``create_app(settings)`` wires the workflow database, analytics and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from bantay import __version__
from bantay.web.analytics import Analytics
from bantay.web.db import open_db
from bantay.web.errors import NotAuthenticated, Throttled, WebError
from bantay.web.routers import alerts, audit, auth, cases, entities, exports, pages, users
from bantay.web.settings import WebSettings

HERE = Path(__file__).parent


def _operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids: the endpoint function's name."""
    return route.name


def create_app(settings: WebSettings) -> FastAPI:
    engine, sessions = open_db(settings.db_url())
    analytics = Analytics(settings.workspace)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # build the in-memory queue and lookup maps before the first request, not during it
        analytics.ensure_queue()
        yield
        analytics.close()
        engine.dispose()

    app = FastAPI(
        title="Bantay",
        version=__version__,
        description="Alert queue, entity views, cases and audit trail for OSEC payment analysis.",
        generate_unique_id_function=_operation_id,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.analytics = analytics

    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError) -> Response:
        is_api = request.url.path.startswith("/api/")
        if isinstance(exc, NotAuthenticated) and not is_api and request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        headers: dict[str, str] = {}
        if isinstance(exc, NotAuthenticated):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, Throttled):
            headers["Retry-After"] = str(exc.retry_after)
        if not is_api:
            return pages.error_page(request, exc.status_code, exc.message, headers)
        return JSONResponse({"detail": exc.message}, exc.status_code, headers=headers)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for r in (auth, alerts, entities, cases, audit, exports, users):
        app.include_router(r.router, prefix="/api")
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app
