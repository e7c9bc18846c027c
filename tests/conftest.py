"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bantay.workspace import Workspace, init_workspace


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests that use the Spark session run last, in their own order.

    Once started, the session keeps its JVM gateway and accumulator-server threads for the rest of
    the run; twice a later Hypothesis test (tests/ingest/test_properties.py) died with "Fatal
    Python error: Aborted" while garbage-collecting with those threads up, in runs that otherwise
    passed. The cause is not found; running Spark last leaves no test behind it."""
    uses_spark = [i for i in items if "spark" in getattr(i, "fixturenames", ())]
    if uses_spark:
        chosen = set(map(id, uses_spark))
        items[:] = [i for i in items if id(i) not in chosen] + uses_spark


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (``CI`` set) a skipped test fails the run: a test that can skip silently is a test CI
    may never run. A skip CI accepts carries ``@pytest.mark.ci_may_skip(reason=...)``."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = [
        r
        for r in (reporter.stats.get("skipped", []) if reporter is not None else [])
        if "ci_may_skip" not in getattr(r, "keywords", {})
    ]
    if skipped:
        reporter.write_line("")
        reporter.write_sep("=", f"CI: {len(skipped)} unexpected skip(s) fail this run", red=True)
        for r in skipped:
            reason = r.longrepr[2] if isinstance(r.longrepr, tuple) else str(r.longrepr)
            reporter.write_line(f"{r.nodeid}: {reason}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A fresh workspace (reporting currency USD)."""
    w = init_workspace(tmp_path / "ws")
    yield w
    w.close()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`bantay demo` on a small world, run once for the tests that look at what it leaves:
    the output folder and what it printed."""
    from typer.testing import CliRunner

    from bantay.cli import app

    out = tmp_path_factory.mktemp("demo") / "demo"
    args = ["demo", "--out", str(out), "--senders", "400", "--months", "3", "--seed", "3"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, (res.output, res.exception)
    return out, res.output


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local Spark session for the whole run, set up as Splink needs (../shared/COMPAT.md).

    Detection and resolution share it: a JVM cannot take Splink's jar after it has started.
    Without Java the Spark tests skip locally; in CI (CI=true) that is a failure.
    """
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the Spark tests: install a Java runtime (see .ci/run)")
        pytest.skip("no Java runtime: the Spark tests need one")
    from bantay.engine.spark_engine import local_spark

    session = local_spark(tmp_path_factory.mktemp("spark"), cores=1, shuffle_partitions=2)
    yield session
    session.stop()
