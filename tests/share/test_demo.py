"""The two-institution demo (bantay.pipeline.share_demo) on a small world, and the split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bantay.errors import InputFileError
from bantay.pipeline import load_institutions, share_demo
from bantay.workspace import open_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("share-demo")
    return out, share_demo(out, seed=3, senders=2500, months=4)


def test_each_institution_holds_only_its_own(demo: tuple[Path, object]) -> None:
    out, _ = demo
    for ws_dir, inst in ((out / "a", "quicksend"), (out / "b", "cashbridge")):
        with open_workspace(ws_dir, read_only=True) as ws:
            tx = {
                r[0]
                for r in ws.con.execute("SELECT DISTINCT institution FROM transactions").fetchall()
            }
            pr = {
                r[0]
                for r in ws.con.execute("SELECT DISTINCT institution FROM party_records").fetchall()
            }
            n_signals = ws.con.execute(
                "SELECT count(*) FROM signals WHERE signal_source NOT LIKE 'share:%'"
            ).fetchone()
        assert tx == {inst} and pr == {inst}
        assert n_signals == (0,)  # the world's public signal list is left out


def test_the_demo_shares_only_matches(demo: tuple[Path, object]) -> None:
    out, d = demo
    assert d.confirmed > 0 and d.opinions == d.confirmed  # type: ignore[attr-defined]
    assert d.values_not_held == 0  # type: ignore[attr-defined]
    assert 0.0 <= d.payer_recall_before <= 1.0  # type: ignore[attr-defined]
    assert 0.0 <= d.payer_recall_after <= 1.0  # type: ignore[attr-defined]
    doc = json.loads((out / "bundle.json").read_text())
    assert doc["payload"]["issuer"] == "quicksend"
    with open_workspace(out / "b", read_only=True) as ws:
        (n,) = ws.con.execute(
            "SELECT count(*) FROM signals WHERE signal_source LIKE 'share:quicksend:%'"
        ).fetchone() or (0,)
    assert n == d.signals  # type: ignore[attr-defined]


def test_an_unknown_institution_is_named(tmp_path: Path, demo: tuple[Path, object]) -> None:
    out, _ = demo
    with pytest.raises(InputFileError, match="no institution nobank"):
        load_institutions(
            out / "world" / "manifest.json", tmp_path / "ws", ["nobank"], run_resolve=False
        )


def test_the_demo_bundle_holds_none_of_the_issuers_identifiers(demo: tuple[Path, object]) -> None:
    """Every raw phone, account, e-mail, document and name of institution A, as written and as
    normalised (and each name word of six letters or more), searched byte for byte in its bundle."""
    from bantay.resolve.normalize import (
        name_tokens,
        normalize_email,
        normalize_identifier,
        normalize_phone,
    )

    out, _ = demo
    data = (out / "bundle.json").read_bytes()
    with open_workspace(out / "a", read_only=True) as ws:
        rows = ws.con.execute(
            "SELECT party_record_id, customer_ref, name, phone, email, account_id, id_document, "
            "coalesce(residence_country, nationality) FROM party_records"
        ).fetchall()
        entities = [r[0] for r in ws.con.execute("SELECT entity_id FROM entities").fetchall()]
    forms: set[str] = set(entities)
    for rec_id, ref, name, phone, email, account, doc, country in rows:
        forms.update(v for v in (rec_id, ref, name, phone, email, account, doc) if v)
        forms.update(t for t in name_tokens(name) if len(t) >= 6)
        for v in (
            normalize_phone(phone, country),
            normalize_email(email),
            normalize_identifier(account),
            normalize_identifier(doc),
        ):
            if v:
                forms.update((v, v.lstrip("+")))
    assert len(forms) > 500
    found = [f for f in forms if len(f) >= 6 and f.encode() in data]
    assert found == []
