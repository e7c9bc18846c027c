"""Every format refuses an unknown case and an empty one with a clear message, writing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bantay.cli import app
from bantay.export.case import EmptyCase, UnknownCase

FORMATS = ["goaml", "fincen", "ftm", "pack"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("case_id", "error", "message"),
    [
        (999, UnknownCase, "no case 999 in sqlite:///"),
        (2, EmptyCase, "case 2 has no members: add a payer or beneficiary first"),
        (3, EmptyCase, "case 3 is empty: its members have no transactions"),
    ],
)
def test_unknown_and_empty_cases(
    case_ws: Path, tmp_path: Path, fmt: str, case_id: int, error: type, message: str
) -> None:
    out = tmp_path / f"out.{fmt}"
    args = ["export", "case", str(case_id), "-w", str(case_ws), "--format", fmt]
    r = CliRunner().invoke(app, [*args, "--out", str(out), "--rentity-id", "7"])
    assert r.exit_code != 0
    assert isinstance(r.exception, error)
    assert message in str(r.exception)
    assert list(tmp_path.iterdir()) == []


def test_unknown_format(case_ws: Path, tmp_path: Path) -> None:
    args = ["export", "case", "1", "-w", str(case_ws), "--format", "pdf"]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "x")])
    assert r.exit_code != 0
    assert "unknown format 'pdf'; use goaml, fincen, ftm, pack or cybertip" in str(r.exception)
