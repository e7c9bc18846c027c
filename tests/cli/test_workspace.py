"""bantay config: the workspace's settings, shown and set, each value checked first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bantay.errors import WorkspaceError
from bantay.workspace import init_workspace, open_workspace


def bantay(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("bantay")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, check=False)


def test_config_lists_sets_and_refuses(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    init_workspace(ws).close()
    shown = bantay("config", "-w", str(ws))
    assert shown.returncode == 0, shown.stderr
    assert "scan_memory_limit" in shown.stdout and "DuckDB" in shown.stdout
    done = bantay("config", "scan_memory_limit", "1GB", "-w", str(ws))
    assert done.returncode == 0, done.stderr
    with open_workspace(ws, read_only=True) as w:
        assert w.settings["scan_memory_limit"] == "1GB"
    bad = bantay("config", "scan_memory_limit", "lots", "-w", str(ws))
    assert bad.returncode == 2 and "not a memory size" in bad.stderr + bad.stdout
    unknown = bantay("config", "colour", "-w", str(ws))
    assert unknown.returncode == 2 and "unknown setting 'colour'" in unknown.stderr + unknown.stdout


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("rate_max_age_days", "a week", "whole number of days"),
        ("max_amount_reporting", "-5", "positive amount"),
        ("reporting_currency", "XYZ", "not an ISO 4217 currency code"),
        ("ingest_memory_limit", "8 parsecs", "not a memory size"),
    ],
)
def test_bad_setting_values_are_refused(tmp_path: Path, key: str, value: str, message: str) -> None:
    with init_workspace(tmp_path / "ws") as ws:
        before = ws.settings[key]
        with pytest.raises(WorkspaceError, match=message):
            ws.set_setting(key, value)
        assert ws.settings[key] == before


def test_reporting_currency_is_fixed_once_transactions_are_loaded(tmp_path: Path) -> None:
    with init_workspace(tmp_path / "ws") as ws:
        ws.set_setting("reporting_currency", "aud")
        assert ws.reporting_currency == "AUD"
        ws.con.execute(
            "INSERT INTO transactions (transaction_id, institution, ts_utc, amount, currency, "
            "amount_reporting, channel, payer_record_id, ingest_id, source, file, line) VALUES "
            "('T1', 'BANK', TIMESTAMP '2026-01-01', 10, 'AUD', 10, 'bank_transfer', 'BANK:1', "
            "'test', 'test', 'test.csv', 2)"
        )
        with pytest.raises(WorkspaceError, match="already converted to AUD"):
            ws.set_setting("reporting_currency", "USD")
