"""Bantay: find the payers and facilitators of livestreamed child sexual abuse in payment data."""

__version__ = "0.1.0"
