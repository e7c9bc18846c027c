"""A signal bundle: opinions about protected identifiers, signed by the institution that issues it.

The file is JSON::

    {"bantay_share": 1,
     "payload": {"bundle_id", "issuer", "created", "expires", "key_id", "encoding",
                 "opinions": [{"entry_id", "opinion", "role", "confidence", "created", "expires",
                               "identifiers": [{"type", "token"}],
                               "names": [{"clk", "country", "yob"}]}],
                 "revocations": [{"entry_id", "revoked"}]},
     "signature": {"alg": "ed25519", "public_key", "value"}}

Opinions follow ThreatExchange's ``SignalOpinion`` categories: ``seed`` (an investigation lead),
``positive`` (confirmed), ``negative`` (confirmed not), ``disputed``. The signature covers the
payload's canonical JSON (sorted keys, no spaces, ASCII), so the file may be re-indented but any
change to a value breaks it. :func:`read_bundle` refuses, each with its own message, a file that
is not a bundle, an unsigned one, one whose signature does not verify (tampered, or signed by
another key than the issuer's trusted one), one from an issuer not trusted, one made under a
consortium key this workspace does not hold, and an expired one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from bantay.share.keys import Keys, ShareError, verify_signature
from bantay.share.protect import b64, unb64

FORMAT: Final = 1
OPINIONS: Final = ("seed", "positive", "negative", "disputed")
#: opinions that become signals on import (the others are recorded as matches only)
SIGNAL_OPINIONS: Final = ("seed", "positive")
ROLES: Final = ("facilitator", "payer", "mule", "associate")
MAX_BYTES: Final = 2 << 30


class BundleRefused(ShareError):
    """A bundle that is not accepted: unsigned, tampered, untrusted, expired or wrongly keyed."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, where: str) -> dt.datetime:
    try:
        t = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError) as exc:
        raise BundleRefused(f"{where}: {text!r} is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)") from exc
    return t.replace(tzinfo=dt.UTC)


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


@dataclass
class Opinion:
    entry_id: str
    opinion: str
    role: str
    confidence: float
    created: str
    expires: str
    identifiers: list[dict[str, str]] = field(default_factory=list)
    names: list[dict[str, str | None]] = field(default_factory=list)


@dataclass
class Bundle:
    bundle_id: str
    issuer: str
    created: str
    expires: str
    key_id: str
    encoding: dict[str, Any]
    opinions: list[Opinion]
    revocations: list[dict[str, str]]

    def payload(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id,
            "issuer": self.issuer,
            "created": self.created,
            "expires": self.expires,
            "key_id": self.key_id,
            "encoding": self.encoding,
            "opinions": [o.__dict__ for o in self.opinions],
            "revocations": self.revocations,
        }


def sign(bundle: Bundle, keys: Keys) -> bytes:
    """The bundle file's bytes, signed with the workspace's signing key."""
    payload = bundle.payload()
    sk = keys.signing_key()
    card = keys.public_card()
    doc = {
        "bantay_share": FORMAT,
        "payload": payload,
        "signature": {
            "alg": "ed25519",
            "public_key": card["ed25519"],
            "value": b64(sk.sign(canonical(payload))),
        },
    }
    return (json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=True) + "\n").encode()


def _opinion(raw: Any, i: int) -> Opinion:
    where = f"opinion {i + 1}"
    if not isinstance(raw, dict):
        raise BundleRefused(f"{where}: not an object")
    try:
        o = Opinion(
            entry_id=str(raw["entry_id"]),
            opinion=str(raw["opinion"]),
            role=str(raw["role"]),
            confidence=float(raw["confidence"]),
            created=str(raw["created"]),
            expires=str(raw["expires"]),
            identifiers=[
                {"type": str(x["type"]), "token": str(x["token"])} for x in raw["identifiers"]
            ],
            names=[
                {
                    "clk": str(x["clk"]),
                    "country": str(x["country"]),
                    "yob": None if x.get("yob") is None else str(x["yob"]),
                }
                for x in raw["names"]
            ],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleRefused(f"{where}: missing or malformed field ({exc})") from exc
    if o.opinion not in OPINIONS:
        raise BundleRefused(f"{where}: opinion {o.opinion!r} is not one of {', '.join(OPINIONS)}")
    if o.role not in ROLES:
        raise BundleRefused(f"{where}: role {o.role!r} is not one of {', '.join(ROLES)}")
    if not 0.0 <= o.confidence <= 1.0:
        raise BundleRefused(f"{where}: confidence {o.confidence} is not between 0 and 1")
    parse_time(o.created, f"{where} created")
    parse_time(o.expires, f"{where} expires")
    return o


def read_bundle(path: Path, keys: Keys, now: dt.datetime | None = None) -> Bundle:
    """The bundle at ``path`` once its signature, issuer, key and expiry are checked."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise BundleRefused(f"{p}: larger than {MAX_BYTES:,} bytes")
        doc = json.loads(p.read_bytes())
    except OSError as exc:
        raise BundleRefused(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    except ValueError as exc:
        raise BundleRefused(f"{p}: not a bundle (not JSON: {exc})") from exc
    if not isinstance(doc, dict) or doc.get("bantay_share") != FORMAT:
        raise BundleRefused(f"{p}: not a bantay share bundle of format {FORMAT}")
    payload = doc.get("payload")
    if not isinstance(payload, dict):
        raise BundleRefused(f"{p}: the bundle has no payload")
    sig = doc.get("signature")
    if not isinstance(sig, dict) or not sig.get("value"):
        raise BundleRefused(f"{p}: the bundle is unsigned; only signed bundles are imported")
    issuer = str(payload.get("issuer", ""))
    trusted = keys.trusted()
    if issuer not in trusted:
        raise BundleRefused(
            f"{p}: issuer {issuer!r} is not trusted here (trusted: "
            f"{', '.join(sorted(trusted)) or 'none'}); add its public card with "
            "bantay share keys --trust CARD"
        )
    try:
        signature = unb64(str(sig["value"]))
    except ValueError as exc:
        raise BundleRefused(f"{p}: the signature is not base64") from exc
    if sig.get("alg") != "ed25519" or not verify_signature(
        trusted[issuer], signature, canonical(payload)
    ):
        raise BundleRefused(
            f"{p}: the signature does not verify with {issuer}'s trusted key: the bundle was "
            "altered after signing, or signed by another key"
        )
    held = keys.consortium_ids()
    kid = str(payload.get("key_id", ""))
    if kid not in held:
        raise BundleRefused(
            f"{p}: made under consortium key {kid}, which this workspace does not hold (it holds "
            f"{', '.join(held) or 'none'}); its identifiers cannot be matched"
        )
    now = now or utcnow()
    expires = parse_time(str(payload.get("expires", "")), f"{p}: expires")
    if expires <= now:
        raise BundleRefused(f"{p}: expired on {iso(expires)}; ask {issuer} for a current bundle")
    opinions = payload.get("opinions")
    revocations = payload.get("revocations")
    if not isinstance(opinions, list) or not isinstance(revocations, list):
        raise BundleRefused(f"{p}: opinions and revocations must be lists")
    return Bundle(
        bundle_id=str(payload.get("bundle_id", "")),
        issuer=issuer,
        created=str(payload.get("created", "")),
        expires=iso(expires),
        key_id=kid,
        encoding=dict(payload.get("encoding") or {}),
        opinions=[_opinion(o, i) for i, o in enumerate(opinions)],
        revocations=[
            {"entry_id": str(r.get("entry_id")), "revoked": str(r.get("revoked"))}
            for r in revocations
            if isinstance(r, dict)
        ],
    )
