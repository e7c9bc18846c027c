"""Library logs go to the workspace's log file while a command runs (bantay.logs)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bantay.logs import NotEstimated, log_path, workspace_log

SPLINK_WARNING = "WARNING:\nLevel same city on comparison city not observed in dataset, unable to train m value\n"


def test_records_go_to_the_file_and_handlers_come_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    splink = logging.getLogger("splink")
    before = (list(splink.handlers), splink.level, splink.propagate)
    with workspace_log(tmp_path) as found:
        logging.getLogger("splink.internals.em").warning(SPLINK_WARNING)
        logging.getLogger("splink.internals.em").warning(SPLINK_WARNING)  # counted once
        logging.getLogger("bantay.ingest.x").warning("parallel read failed")
        logging.getLogger("elsewhere").debug("not ours")
    text = log_path(tmp_path).read_text(encoding="utf-8")
    assert "unable to train m value" in text and "parallel read failed" in text
    assert "not ours" not in text
    captured = capsys.readouterr()
    assert "unable to train" not in captured.err + captured.out
    assert (list(splink.handlers), splink.level, splink.propagate) == before
    assert found.items == {("city", "same city", "m")}
    line = found.summary(log_path(tmp_path))
    assert line is not None and line.startswith(
        "Splink could not estimate 1 parameter on 1 comparison ("
    )


def test_nothing_to_say_when_everything_was_estimated(tmp_path: Path) -> None:
    found = NotEstimated()
    found.add("Iteration 3: largest change in params was 0.01")
    assert found.summary(log_path(tmp_path)) is None
