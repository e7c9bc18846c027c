"""The analyst web app (``bantay serve``): alert queue, entity pages, cases, roles and audit trail.

HTTP only: routers, templates, request dependencies, request and response models, middleware.
The workflow itself (users, sessions, cases, decisions, the audit log, the workflow database) is
:mod:`bantay.cases`, which the command line and the exports call too; the analytics tables are
read from ``bantay.duckdb`` read-only through :mod:`bantay.cases.analytics`.
"""

from __future__ import annotations

from bantay.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from bantay.web.app import create_app

        return create_app
    raise AttributeError(name)
