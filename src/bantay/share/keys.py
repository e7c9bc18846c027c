"""The keys of sharing, kept in the workspace's ``share/`` folder (files mode 600).

- **The consortium key** (32 random bytes, hex): shared out of band by the members, it keys every
  protected identifier (:mod:`bantay.share.protect`). A member may hold several (rotation): new
  bundles use the *current* one, bundles made under an older one are still read while its file is
  kept. Files ``share/consortium/<key id>.key`` and ``share/consortium/current``.
- **This institution's signing key** (Ed25519, PKCS#8 PEM) and its name: every bundle is signed.
  Files ``share/signing.key``, ``share/institution``.
- **Trusted issuers**: the public keys of the members whose bundles are accepted, one file each,
  ``share/trusted/<institution>.json`` (as :func:`public_card` writes them).
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bantay.errors import BantayError
from bantay.share.protect import b64, key_id, unb64
from bantay.workspace import private_file

FOLDER: Final = "share"
_INSTITUTION: Final = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_KEY_ID: Final = re.compile(r"^k-[0-9a-f]{16}$")


class ShareError(BantayError):
    """Sharing refused a request: a key, a bundle or a ledger is missing or wrong."""


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    private_file(path)
    path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Keys:
    """One workspace's sharing keys."""

    folder: Path

    @classmethod
    def of(cls, workspace: Path) -> Keys:
        return cls(Path(workspace) / FOLDER)

    # ---- consortium keys ----------------------------------------------------------------------

    @property
    def _consortium(self) -> Path:
        return self.folder / "consortium"

    def consortium_ids(self) -> list[str]:
        if not self._consortium.is_dir():
            return []
        return sorted(p.stem for p in self._consortium.glob("k-*.key"))

    def current_id(self) -> str | None:
        f = self._consortium / "current"
        return f.read_text(encoding="utf-8").strip() if f.exists() else None

    def consortium_key(self, kid: str | None = None) -> tuple[str, bytes]:
        """(key id, key): the current key, or the one named ``kid``."""
        want = kid or self.current_id()
        if want is None:
            raise ShareError(
                f"no consortium key in {self._consortium}: make one (bantay share keys "
                "--new-consortium-key) or load the one your consortium shares (--consortium-key FILE)"
            )
        if not _KEY_ID.match(want):
            raise ShareError(f"{want!r} is not a consortium key id (k- and 16 hex digits)")
        path = self._consortium / f"{want}.key"
        if not path.exists():
            raise ShareError(
                f"consortium key {want} is not in {self._consortium} (this workspace holds "
                f"{', '.join(self.consortium_ids()) or 'none'})"
            )
        key = _read_key(path)
        if key_id(key) != want:
            raise ShareError(f"{path}: holds another key than its name says")
        return want, key

    def add_consortium_key(self, key: bytes, make_current: bool = True) -> str:
        if len(key) < 32:
            raise ShareError(f"a consortium key has 32 bytes or more (got {len(key)})")
        kid = key_id(key)
        _write_private(self._consortium / f"{kid}.key", key.hex() + "\n")
        if make_current:
            _write_private(self._consortium / "current", kid + "\n")
        return kid

    def new_consortium_key(self) -> str:
        return self.add_consortium_key(secrets.token_bytes(32))

    def load_consortium_key(self, path: Path) -> str:
        return self.add_consortium_key(_read_key(Path(path)))

    def save_consortium_key(self, out: Path) -> Path:
        """Write the current key to ``out`` (mode 600) to hand to another member out of band."""
        _, key = self.consortium_key()
        _write_private(Path(out), key.hex() + "\n")
        return Path(out)

    # ---- the signing key ----------------------------------------------------------------------

    def institution(self) -> str | None:
        f = self.folder / "institution"
        return f.read_text(encoding="utf-8").strip() if f.exists() else None

    def make_signing_key(self, institution: str) -> Ed25519PublicKey:
        """Make this institution's signing key once; later calls keep it (and its name)."""
        check_institution(institution)
        have = self.institution()
        if have is not None and have != institution:
            raise ShareError(
                f"this workspace signs as {have!r}; it cannot also sign as {institution!r}"
            )
        path = self.folder / "signing.key"
        if not path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            _write_private(path, pem.decode("ascii"))
            _write_private(self.folder / "institution", institution + "\n")
        return self.signing_key().public_key()

    def signing_key(self) -> Ed25519PrivateKey:
        path = self.folder / "signing.key"
        if not path.exists():
            raise ShareError(
                f"no signing key in {self.folder}: make one with bantay share keys --institution NAME"
            )
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ShareError(f"{path}: not an Ed25519 private key")
        return key

    def public_card(self) -> dict[str, str]:
        """What other members need to trust this institution's bundles: its name and public key."""
        inst = self.institution()
        if inst is None:
            raise ShareError(
                f"no signing key in {self.folder}: bantay share keys --institution NAME"
            )
        raw = (
            self.signing_key()
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        return {"institution": inst, "ed25519": b64(raw)}

    # ---- trusted issuers ----------------------------------------------------------------------

    @property
    def _trusted(self) -> Path:
        return self.folder / "trusted"

    def trust(self, card_path: Path) -> str:
        """Trust the issuer whose public card (from ``--public-card``) is at ``card_path``."""
        p = Path(card_path)
        try:
            card = json.loads(p.read_text(encoding="utf-8"))
            inst = str(card["institution"])
            raw = unb64(str(card["ed25519"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ShareError(
                f"{p}: not a public card (JSON with institution and ed25519): {exc}"
            ) from exc
        check_institution(inst)
        if len(raw) != 32:
            raise ShareError(f"{p}: an Ed25519 public key has 32 bytes (got {len(raw)})")
        _write_private(self._trusted / f"{inst}.json", json.dumps(card, sort_keys=True) + "\n")
        return inst

    def trusted(self) -> dict[str, bytes]:
        """Issuer name -> raw Ed25519 public key; this institution trusts itself."""
        out: dict[str, bytes] = {}
        if self._trusted.is_dir():
            for f in sorted(self._trusted.glob("*.json")):
                card = json.loads(f.read_text(encoding="utf-8"))
                out[str(card["institution"])] = unb64(str(card["ed25519"]))
        own = self.institution()
        if own is not None and (self.folder / "signing.key").exists():
            out[own] = unb64(self.public_card()["ed25519"])
        return out


def check_institution(name: str) -> None:
    if not _INSTITUTION.match(name):
        raise ShareError(
            f"institution {name!r}: 1-64 characters, lower-case letters, digits and _ . - "
            "(e.g. harbour_bank)"
        )


def _read_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="utf-8").strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError) as exc:
        raise ShareError(f"{path}: not a consortium key (hex digits): {exc}") from exc
    if len(key) < 32:
        raise ShareError(f"{path}: a consortium key has 32 bytes or more (got {len(key)})")
    return key


def verify_signature(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
