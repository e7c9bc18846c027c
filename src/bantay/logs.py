"""Library logs into the workspace's log file, and what Splink could not estimate in one line.

Splink and Bantay's own modules log through :mod:`logging`. A command that works on a workspace
wraps its work in :func:`workspace_log`: for as long as it runs, the records of the ``splink`` and
``bantay`` loggers are appended to ``<workspace>/bantay.log`` instead of reaching the terminal
(Splink would print each level it could not train, about a hundred lines), and the parameters
Splink could not estimate are counted so that the command can print one line about them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bantay.workspace import private_file

#: The workspace's log file (created, mode 600, when a command first logs into it).
LOG_FILE = "bantay.log"
#: Loggers whose records go to the file while :func:`workspace_log` is active.
LIBRARY_LOGGERS = ("splink", "bantay")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Splink 5 (internals/expectation_maximisation.py): "Level {label} on comparison {name} not
# observed in dataset, unable to train {m|u} value"
_NOT_OBSERVED = re.compile(
    r"Level (?P<level>.+?) on comparison (?P<comparison>\S+) not observed in dataset, "
    r"unable to train (?P<param>[mu]) value"
)


def log_path(workspace: Path) -> Path:
    """The workspace's log file."""
    return Path(workspace) / LOG_FILE


@dataclass
class NotEstimated:
    """The (comparison, level, m or u) parameters Splink could not train: the level never
    occurred among the pairs it trained on, so the value stays at its prior or default."""

    items: set[tuple[str, str, str]] = field(default_factory=set)

    def add(self, message: str) -> None:
        m = _NOT_OBSERVED.search(message)
        if m is not None:
            self.items.add((m["comparison"], m["level"], m["param"]))

    def summary(self, log_file: Path) -> str | None:
        """One line for the terminal, or None when every parameter was estimated."""
        if not self.items:
            return None
        n, n_comparisons = len(self.items), len({c for c, _, _ in self.items})
        return (
            f"Splink could not estimate {n} parameter{'s' if n != 1 else ''} on {n_comparisons} "
            f"comparison{'s' if n_comparisons != 1 else ''} (levels its training pairs never "
            f"showed keep their starting values); see {log_file}"
        )


class _Collect(logging.Handler):
    def __init__(self, sink: NotEstimated) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.add(record.getMessage())


@contextmanager
def workspace_log(workspace: Path, level: int = logging.INFO) -> Iterator[NotEstimated]:
    """Send the library loggers' records to ``<workspace>/bantay.log`` while the block runs.

    Their own handlers (Splink's default one prints to standard error) are set aside meanwhile
    and put back afterwards, with the loggers' levels and propagation. Yields the parameters
    Splink reported it could not estimate (:meth:`NotEstimated.summary`).
    """
    # the records can name values from the data: the file is the workspace's, mode 600
    Path(workspace).mkdir(parents=True, exist_ok=True)
    path = private_file(log_path(workspace))
    to_file = logging.FileHandler(path, encoding="utf-8", delay=True)
    to_file.setFormatter(logging.Formatter(FORMAT))
    found = NotEstimated()
    collect = _Collect(found)
    saved = []
    for name in LIBRARY_LOGGERS:
        lg = logging.getLogger(name)
        saved.append((lg, list(lg.handlers), lg.level, lg.propagate))
        lg.handlers = [to_file, collect]
        lg.propagate = False
        if lg.level == logging.NOTSET or lg.level > level:
            lg.setLevel(level)
    try:
        yield found
    finally:
        for lg, handlers, lvl, propagate in saved:
            lg.handlers = handlers
            lg.setLevel(lvl)
            lg.propagate = propagate
        to_file.close()
