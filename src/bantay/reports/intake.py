"""Group commit for the intake: reports from concurrent requests written in shared transactions.

Each report must be stored and audited before its sender hears 201, and SQLite takes one writer at
a time. One writer thread takes every report waiting when it is free (up to :data:`MAX_BATCH`) and
writes them in one transaction (:func:`bantay.reports.store.receive_many`: one lookup of the ids,
one insert, one chained run of audit entries); each request waits for its own report's outcome.
Under load, reports share commits; alone, a report is written at once.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from bantay.cases.db import session_scope
from bantay.errors import WorkflowError
from bantay.reports.store import PlatformLike, Received, receive_many

MAX_BATCH = 256
#: how long a request waits for its report's commit before giving up (the report may still land;
#: the platform's retry with the same id is then a repeat)
WAIT_S = 30.0

_Item = tuple[PlatformLike, BaseModel, "Future[Received]"]


class Intake:
    """The writer thread and its queue; :meth:`submit` from any thread."""

    def __init__(self, sessions: sessionmaker[Session], max_batch: int = MAX_BATCH) -> None:
        self.sessions = sessions
        self.max_batch = max_batch
        self._q: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.reports = 0

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="report-intake", daemon=True)
                self._thread.start()

    def submit(self, platform: PlatformLike, report: BaseModel) -> Future[Received]:
        """Queue ``report`` (validated) from ``platform``: a future of its receipt, or of what
        refused it (``await asyncio.wrap_future(...)`` from async code)."""
        self._start()
        fut: Future[Received] = Future()
        self._q.put((platform, report, fut))
        return fut

    def receive(self, platform: PlatformLike, report: BaseModel) -> Received:
        """:meth:`submit` and wait."""
        return self.submit(platform, report).result(timeout=WAIT_S)

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._q.put(None)
            self._thread.join(timeout=WAIT_S)

    def _run(self) -> None:
        while True:
            first = self._q.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    nxt = self._q.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Item]) -> None:
        try:
            with session_scope(self.sessions) as db:
                results = receive_many(db, [(p, r) for p, r, _ in batch])
        except BaseException as exc:
            for _, _, fut in batch:
                fut.set_exception(exc)
            return
        self.batches += 1
        self.reports += len(batch)
        for (_, _, fut), got in zip(batch, results, strict=True):
            if isinstance(got, WorkflowError):
                fut.set_exception(got)
            else:
                fut.set_result(got)
