"""Sharing what one institution knows with others, without handing over personal data.

A member exports the outcomes its supervisors confirmed as a signed bundle of opinions about
*protected* identifiers (keyed hashes, name Bloom-filter encodings: :mod:`bantay.share.protect`);
another member imports it, matches it against its own party records with the same consortium key
and gets signals (with the issuer, bundle and opinion as provenance) that ``bantay scan --signals``
seeds from. See ``docs/sharing.md`` for what a bundle reveals and to whom.

Modules: :mod:`~bantay.share.protect` (encodings), :mod:`~bantay.share.keys` (consortium and
signing keys, trusted issuers), :mod:`~bantay.share.bundle` (the signed file),
:mod:`~bantay.share.exchange` (export, import, revoke, list).
"""

from __future__ import annotations

from bantay.share.bundle import BundleRefused
from bantay.share.keys import Keys, ShareError

__all__ = ["BundleRefused", "Keys", "ShareError"]
