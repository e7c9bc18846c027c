"""A reference client for ``POST /api/reports``: what a platform's "report" button backend calls.

Standard library only, so a platform can vendor this one file. ``report(url, token, body)`` sends
one report and retries safely: the report's ``platform_report_id`` is its idempotency key, so a
retry after a lost answer is recognised as the same report (200) instead of making a second one.
It retries what may succeed later (network errors, 5xx, 429 after its ``Retry-After``) and never
what will not (401, 409, 413, 415, 422: those raise :class:`ReportRefused` at once)::

    from bantay.client import report

    receipt = report(
        "https://bantay.example.org",
        token,
        {
            "platform_report_id": "R-1",
            "category": "livestreamed_abuse",
            "reported_account": {"platform_user_id": "u123", "screen_name": "viewer9"},
            "payments": [{"wallet_id": "W-77", "amount": "25.00", "currency": "USD"}],
            "text": "report from the in-call button",
        },
    )
    receipt.report_id, receipt.status  # (17, "received") or (17, "repeat")
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bantay.errors import BantayError

#: answers worth trying again (the server may manage later)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ReportRefused(BantayError):
    """The server refused the report for good (4xx other than 429): retrying would not help."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


class ReportNotDelivered(BantayError):
    """Every attempt failed (network or server); the report may be sent again later as it is."""


@dataclass(frozen=True)
class Receipt:
    report_id: int
    platform_report_id: str
    status: str
    http_status: int


def _post(url: str, token: str, data: bytes, timeout: float) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers or {}), exc.read()


def report(
    base_url: str,
    token: str,
    body: dict[str, Any],
    *,
    attempts: int = 5,
    timeout: float = 10.0,
    backoff_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    send: Callable[[str, str, bytes, float], tuple[int, dict[str, str], bytes]] = _post,
) -> Receipt:
    """Send one report to ``base_url`` (the Bantay server), retrying safely; its receipt."""
    if not body.get("platform_report_id"):
        raise ValueError("a report needs its platform_report_id (the idempotency key)")
    url = base_url.rstrip("/") + "/api/reports"
    data = json.dumps(body, separators=(",", ":")).encode()
    last = "no attempt made"
    for i in range(max(1, attempts)):
        wait = backoff_s * (2**i)
        try:
            status, headers, raw = send(url, token, data, timeout)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            last = f"network: {exc}"
        else:
            if status in (200, 201):
                got = json.loads(raw)
                return Receipt(
                    int(got["report_id"]),
                    str(got["platform_report_id"]),
                    str(got["status"]),
                    status,
                )
            try:
                detail: Any = json.loads(raw).get("detail", raw.decode(errors="replace"))
            except (ValueError, AttributeError):
                detail = raw.decode(errors="replace")[:500]
            if status not in RETRY_STATUSES:
                raise ReportRefused(status, detail)
            last = f"HTTP {status}: {detail}"
            retry_after = {k.lower(): v for k, v in headers.items()}.get("retry-after", "")
            if retry_after.isdigit():
                wait = max(wait, float(retry_after))
        if i + 1 < attempts:
            sleep(wait)
    raise ReportNotDelivered(f"report {body['platform_report_id']} not delivered: {last}")
