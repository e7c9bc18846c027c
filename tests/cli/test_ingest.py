"""bantay ingest, quarantine and status: field faults are reported beside rows read, loaded and
quarantined, and listed with file, line, field, reason and raw value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bantay.workspace import init_workspace

KYC = (
    "institution,customer_ref,name,date_of_birth,sex,email\n"
    "KYC,C1,Ann Lee,1856-86-18,female,\n"  # line 2: impossible date of birth
    "KYC,C2,Bo Diaz,1970-01-02,t2227949966,\n"  # line 3: sex outside the enumeration
    "KYC,C3,,1980-05-05,,cy@example.org\n"  # line 4: no name, loads
    "KYC,C4,,,,\n"  # line 5: identifies no one
)


def bantay(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("bantay")
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, check=False, env=env)


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[Path, str, Path]:
    ws = tmp_path / "ws"
    init_workspace(ws).close()
    kyc = tmp_path / "kyc.csv"
    kyc.write_text(KYC, encoding="utf-8")
    done = bantay("ingest", str(kyc), "--kind", "parties", "-w", str(ws))
    assert done.returncode == 0, done.stderr
    return ws, done.stdout, kyc


def test_the_ingest_summary_counts_field_faults_by_field_and_reason(
    loaded: tuple[Path, str, Path],
) -> None:
    _ws, out, kyc = loaded
    text = " ".join(out.split())  # as wrapped to the terminal's width
    assert "read 4, loaded 3, quarantined 1 in" in text
    assert "field faults: 2 value(s) left empty in 2 loaded row(s)" in text
    assert "field faults by field and reason" in text
    rows = [" ".join(line.replace("│", " ").split()) for line in out.splitlines()]
    assert "date_of_birth unparseable_date 1" in rows
    assert "sex invalid_value 1" in rows
    assert "no_identifier 1" in rows
    assert f"bantay quarantine --only faults --file {kyc}" in text


def test_quarantine_lists_rows_and_field_faults(loaded: tuple[Path, str, Path]) -> None:
    ws, _out, kyc = loaded
    both = bantay("quarantine", "-w", str(ws))
    assert both.returncode == 0, both.stderr
    assert "Quarantined rows" in both.stdout and "Field faults" in both.stdout
    rows = [" ".join(line.replace("│", " ").split()) for line in both.stdout.splitlines()]
    assert any(r.startswith(f"{kyc} 5 no_identifier the customer has no usable") for r in rows)
    assert any(
        r.startswith(f"{kyc} 2 date_of_birth unparseable_date") and r.endswith("1856-86-18")
        for r in rows
    )
    assert any(
        r.startswith(f"{kyc} 3 sex invalid_value") and r.endswith("t2227949966") for r in rows
    )

    faults = bantay("quarantine", "--only", "faults", "--reason", "invalid_value", "-w", str(ws))
    assert faults.returncode == 0, faults.stderr
    assert "Quarantined rows" not in faults.stdout and "t2227949966" in faults.stdout
    assert "1856-86-18" not in faults.stdout

    only_rows = bantay("quarantine", "--only", "rows", "--file", str(kyc), "-w", str(ws))
    assert only_rows.returncode == 0, only_rows.stderr
    assert "no_identifier" in only_rows.stdout and "Field faults" not in only_rows.stdout

    bad = bantay("quarantine", "--only", "everything", "-w", str(ws))
    assert bad.returncode == 2 and "use rows or faults" in bad.stderr


def test_status_shows_field_faults(loaded: tuple[Path, str, Path]) -> None:
    ws, _out, _kyc = loaded
    st = bantay("status", "-w", str(ws))
    assert st.returncode == 0, st.stderr
    assert "Field faults by field and reason" in st.stdout
    rows = [" ".join(line.replace("│", " ").split()) for line in st.stdout.splitlines()]
    assert "parties date_of_birth unparseable_date 1" in rows
