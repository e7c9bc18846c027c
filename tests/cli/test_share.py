"""bantay share keys|export|import|list|revoke, as a user runs them, between two banks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.share.conftest import A_ROWS, B_ROWS, _workspace, confirm_cases, signals


def bantay(*args: str | Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("bantay")
    return subprocess.run(
        [str(exe), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": ""},
    )


def ok(*args: str | Path) -> str:
    r = bantay(*args)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def test_two_banks_share_through_the_command_line(tmp_path: Path) -> None:
    a = _workspace(tmp_path / "a" / "ws", "bank_a", A_ROWS)
    b = _workspace(tmp_path / "b" / "ws", "bank_b", B_ROWS)
    confirm_cases(a)
    key, card_a, card_b = tmp_path / "consortium.key", tmp_path / "a.json", tmp_path / "b.json"
    out = ok("share", "keys", "-w", a, "--institution", "bank_a", "--new-consortium-key",
             "--save-consortium-key", key, "--public-card", card_a)  # fmt: skip
    assert "signing as bank_a" in out and "new consortium key k-" in out
    ok("share", "keys", "-w", b, "--institution", "bank_b", "--consortium-key", key,
       "--public-card", card_b, "--trust", card_a)  # fmt: skip
    out = ok("share", "keys", "-w", a, "--trust", card_b)
    assert "trusted: bank_a, bank_b" in out

    bundle = tmp_path / "bundle.json"
    out = ok("share", "export", "-w", a, "--out", bundle)
    assert "2 opinions" in out and bundle.exists()
    out = ok("share", "import", bundle, "-w", b)
    assert "2 matched" in out and "5 signals loaded" in out and "bank_b:B2" in out
    assert len(signals(b)) == 5
    out = ok("share", "list", "-w", b)
    assert "bank_a" in out and "imported" in out

    out = ok("share", "revoke", "payer:E-P1", "--reason", "case reopened", "-w", a)
    assert "revoked 1 entry" in out
    again = tmp_path / "bundle2.json"
    out = ok("share", "export", "-w", a, "--out", again)
    assert "1 opinions" in out and "1 revocations" in out
    out = ok("share", "import", again, "-w", b)
    assert "2 signals removed by revocations" in out
    assert "case reopened" in ok("share", "list", "-w", a)

    # refusals: one line, exit 2
    r = bantay("share", "import", bundle, "-w", b)
    assert r.returncode == 2 and "already imported" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    tampered = tmp_path / "tampered.json"
    tampered.write_text(bundle.read_text().replace('"positive"', '"negative"', 1))
    r = bantay("share", "import", tampered, "-w", b)
    assert r.returncode == 2 and "signature does not verify" in r.stderr
    r = bantay("share", "revoke", "payer:E-P9", "--reason", "x", "-w", a)
    assert r.returncode == 2 and "not an entry this workspace exported" in r.stderr
    r = bantay("share", "keys", "-w", a, "--institution", "Bank A")
    assert r.returncode == 2 and "institution 'Bank A'" in r.stderr

    # the importer withdraws the second bundle (say its issuer's key was stolen)
    second = json.loads(again.read_text())["payload"]["bundle_id"]
    out = ok("share", "revoke", "--bundle", second, "--reason", "key stolen", "-w", b)
    assert f"withdrew bundle {second}" in out
    assert "imported bundles withdrawn" in ok("share", "list", "-w", b)
    r = bantay("share", "revoke", "payer:E-P1", "-w", a)
    assert r.returncode == 2 and "needs a reason" in r.stderr


def test_simulate_splits_a_world_between_institutions(tmp_path: Path) -> None:
    out = tmp_path / "world"
    ok("simulate", "--out", out, "--senders", "300", "--months", "2", "--seed", "1",
       "--workspace-for", "quicksend", "--workspace-for", "cashbridge")  # fmt: skip
    from bantay.workspace import open_workspace

    for inst in ("quicksend", "cashbridge"):
        with open_workspace(out / "workspaces" / inst, read_only=True) as ws:
            got = ws.con.execute(
                "SELECT DISTINCT institution FROM party_records UNION "
                "SELECT DISTINCT institution FROM transactions"
            ).fetchall()
        assert got == [(inst,)]
    r = bantay("simulate", "--out", tmp_path / "w2", "--senders", "300", "--months", "1",
               "--workspace-for", "nobank")  # fmt: skip
    assert r.returncode == 2 and "no institution nobank" in r.stderr
