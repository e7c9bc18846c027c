"""Bundles that must be refused, each with a message that says why."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tests.share.conftest import signals

from bantay.share.bundle import BundleRefused, read_bundle
from bantay.share.exchange import export_bundle, import_bundle
from bantay.share.keys import Keys


def _export(a: Path, out: Path, **kw: object) -> Path:
    export_bundle(a, out, **kw)  # type: ignore[arg-type]
    return out


def _rewrite(path: Path, change: object) -> Path:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)  # type: ignore[operator]
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_good_bundle_reads(banks: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = banks
    bundle = read_bundle(_export(a, tmp_path / "b.json"), Keys.of(b))
    assert bundle.issuer == "bank_a"
    assert len(bundle.opinions) == 2


def test_reindenting_keeps_the_signature(banks: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = banks
    p = _rewrite(_export(a, tmp_path / "b.json"), lambda d: None)
    assert read_bundle(p, Keys.of(b)).issuer == "bank_a"


@pytest.mark.parametrize(
    "field",
    ["token", "opinion", "confidence", "expires", "issuer_entry"],
)
def test_a_tampered_bundle_is_refused(banks: tuple[Path, Path], tmp_path: Path, field: str) -> None:
    a, b = banks

    def change(doc: dict) -> None:  # type: ignore[type-arg]
        op = doc["payload"]["opinions"][0]
        if field == "token":
            t = op["identifiers"][0]["token"]
            op["identifiers"][0]["token"] = ("0" if t[0] != "0" else "1") + t[1:]
        elif field == "opinion":
            op["opinion"] = "negative"
        elif field == "confidence":
            op["confidence"] = 1.0
        elif field == "expires":
            doc["payload"]["expires"] = "2099-01-01T00:00:00Z"
        else:
            doc["payload"]["opinions"].append(dict(op, entry_id="e-added"))

    p = _rewrite(_export(a, tmp_path / "b.json"), change)
    with pytest.raises(BundleRefused, match="signature does not verify with bank_a's trusted key"):
        read_bundle(p, Keys.of(b))
    # and nothing was loaded
    with pytest.raises(BundleRefused):
        import_bundle(b, p)
    assert signals(b) == []


def test_an_unsigned_bundle_is_refused(banks: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = banks
    p = _rewrite(_export(a, tmp_path / "b.json"), lambda d: d.pop("signature"))
    with pytest.raises(BundleRefused, match="unsigned"):
        read_bundle(p, Keys.of(b))


def test_a_bundle_signed_by_another_key_is_refused(
    banks: tuple[Path, Path], tmp_path: Path
) -> None:
    """Someone with their own key who calls themselves bank_a is not bank_a."""
    a, b = banks
    impostor = tmp_path / "impostor"
    k = Keys.of(impostor)
    k.make_signing_key("bank_a")
    k.load_consortium_key(tmp_path / "consortium.key")
    # the impostor's bundle: bank A's payload re-signed with the impostor's key
    p = _export(a, tmp_path / "b.json")
    doc = json.loads(p.read_text())
    from bantay.share.bundle import canonical
    from bantay.share.protect import b64

    doc["signature"]["value"] = b64(k.signing_key().sign(canonical(doc["payload"])))
    doc["signature"]["public_key"] = k.public_card()["ed25519"]
    p.write_text(json.dumps(doc))
    with pytest.raises(BundleRefused, match="signature does not verify"):
        read_bundle(p, Keys.of(b))


def test_an_untrusted_issuer_is_refused(banks: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = banks
    c = tmp_path / "c"
    kc = Keys.of(c)
    kc.make_signing_key("bank_c")
    kc.load_consortium_key(tmp_path / "consortium.key")
    with pytest.raises(BundleRefused, match="issuer 'bank_a' is not trusted here"):
        read_bundle(_export(a, tmp_path / "b.json"), kc)


def test_an_expired_bundle_is_refused(banks: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = banks
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    p = _export(a, tmp_path / "b.json", now=past, days=3)
    with pytest.raises(BundleRefused, match="expired on"):
        read_bundle(p, Keys.of(b))
    # read as of a time it was valid, it is accepted
    assert read_bundle(p, Keys.of(b), now=past + dt.timedelta(days=1)).issuer == "bank_a"


def test_a_wrongly_keyed_bundle_is_refused(banks: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = banks
    Keys.of(a).new_consortium_key()  # A rotates; B does not hold the new key
    with pytest.raises(BundleRefused, match="which this workspace does not hold"):
        read_bundle(_export(a, tmp_path / "b.json"), Keys.of(b))


def test_not_a_bundle(banks: tuple[Path, Path], tmp_path: Path) -> None:
    _, b = banks
    p = tmp_path / "x.json"
    p.write_text("phone,+639171234567\n")
    with pytest.raises(BundleRefused, match="not JSON"):
        read_bundle(p, Keys.of(b))
    p.write_text('{"hello": 1}')
    with pytest.raises(BundleRefused, match="not a bantay share bundle"):
        read_bundle(p, Keys.of(b))
    with pytest.raises(BundleRefused, match="cannot be read"):
        read_bundle(tmp_path / "missing.json", Keys.of(b))
