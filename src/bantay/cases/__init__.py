"""The analysts' workflow: cases, decisions, reviews, users, the audit log, the workflow database.

One core that the web app (``bantay serve``), the command line (``bantay users``, ``bantay audit``,
``bantay export case``) and the exports all call:

- :mod:`bantay.cases.db`: the workflow database (SQLite by default, PostgreSQL by URL), Alembic
  migrations, and :func:`~bantay.cases.db.writing`, the one-transaction write that takes the
  database's write lock (``BEGIN IMMEDIATE``) so changes from several processes never interleave;
- :mod:`bantay.cases.models`: the tables (documented in ``docs/data-model.md``);
- :mod:`bantay.cases.services`: users, logins, cases, decisions, reviews, labels, with their rules;
- :mod:`bantay.cases.audit`: the keyed, hash-chained audit trail, its checkpoints and verification;
- :mod:`bantay.cases.analytics`: read-only access to detection outputs for the queue and cases.

Errors are :class:`bantay.errors.WorkflowError` subclasses; the web app maps them to HTTP codes.
"""

from __future__ import annotations

from bantay.cases.db import Workflow, open_workflow, writing

__all__ = ["Workflow", "open_workflow", "writing"]
