"""Entity resolution: who is who across name variants, accounts and institutions.

``normalize`` (names, phones, identifiers) → ``features`` (the columns compared) → ``model`` (the
Splink model: comparisons, blocking, priors, training) → ``run`` (full and incremental runs, the
output tables) → ``cluster`` (connected components honouring judgements) → ``judgements`` and
``explain`` (an analyst's view).
"""

from __future__ import annotations

from bantay.errors import BantayError


class ResolveError(BantayError):
    """Entity resolution cannot run on this workspace as it is (the message says why)."""


__all__ = ["ResolveError"]
