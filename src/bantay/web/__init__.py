"""The analyst web app (``bantay serve``): alert queue, entity pages, cases, roles and audit trail.

Workflow state (users, sessions, cases, decisions, the audit log) lives in the workspace's
``workflow.sqlite`` (or a PostgreSQL database by configuration) through SQLAlchemy, with Alembic
migrations; the analytics tables are read from ``bantay.duckdb`` read-only.
"""

from __future__ import annotations

from bantay.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]


def __getattr__(name: str) -> object:
    if name == "create_app":
        from bantay.web.app import create_app

        return create_app
    raise AttributeError(name)
