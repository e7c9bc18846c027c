"""Settings of the web app, from the environment (``BANTAY_WEB_*``) or arguments.

The secret key has no default: an empty, short or well-known value is refused at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bantay.workspace import SQLITE_FILE

#: Values seen in templates and tutorials; a deployment must choose its own.
KNOWN_BAD_SECRETS = frozenset(
    {"changethis", "changeme", "secret", "password", "default", "dev", "test", "insecure"}
)
SECRET_MIN_LENGTH = 32


class WebSettings(BaseSettings):
    """Everything ``create_app`` needs; nothing else is read from the environment."""

    model_config = SettingsConfigDict(env_prefix="BANTAY_WEB_", extra="forbid")

    workspace: Path = Field(description="The workspace folder (bantay.duckdb + workflow.sqlite).")
    secret_key: SecretStr = Field(
        description="Signs nothing by itself but keys token and CSRF hashing; at least 32 characters."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the workflow database; default: the workspace's SQLite file.",
    )
    cookie_secure: bool = Field(
        default=False, description="Mark the session cookie Secure (set behind HTTPS)."
    )
    session_hours: float = Field(default=12.0, gt=0, description="Session lifetime.")
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed logins of one user from one address before they wait (30 s, then "
        "doubling); ten times as many from one address over all users.",
    )
    login_window_s: int = Field(
        default=900, ge=1, description="Failures older than this (seconds) no longer count."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks of reverse proxies whose X-Forwarded-For is believed "
        "(comma-separated in the environment); nobody else's is.",
    )
    max_body_kib: int = Field(
        default=64,
        ge=1,
        le=1024 * 1024,
        description="Largest request body (KiB) of a state-changing request, checked before the "
        "body is read; login and export requests have smaller limits of their own.",
    )
    reports_per_minute: int = Field(
        default=6000,
        ge=1,
        description="Reports one platform token may send a minute (`POST /api/reports`), in "
        "bursts of up to a minute's worth; beyond it, 429 with Retry-After.",
    )
    cybertip_reporter_email: str = Field(
        default="",
        max_length=254,
        description="The reporting person's email in CyberTipline exports from the case page "
        "(the platform's NCMEC contact); without it the export says so.",
    )
    page_size: int = Field(default=50, ge=1, le=500, description="Default alert queue page size.")
    goaml_settings: Path | None = Field(
        default=None,
        description="TOML with the reporting entity (and goaml_indicators) for goAML exports.",
    )
    goaml_xsd: Path | None = Field(
        default=None, description="The FIU's goAML XSD (default: the 5.0.2 reference copy)."
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, v: object) -> object:
        if isinstance(v, str):
            return [p for p in (s.strip() for s in v.split(",")) if p]
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, v: list[str]) -> list[str]:
        import ipaddress

        for p in v:
            try:
                ipaddress.ip_network(p, strict=False)
            except ValueError as exc:
                raise ValueError(f"trusted_proxies: {p!r} is not an address or network") from exc
        return v

    @field_validator("secret_key")
    @classmethod
    def _refuse_weak_secret(cls, v: SecretStr) -> SecretStr:
        raw = v.get_secret_value()
        if not raw.strip():
            raise ValueError("BANTAY_WEB_SECRET_KEY is empty; set a random value of 32+ characters")
        if raw.lower() in KNOWN_BAD_SECRETS or len(set(raw)) < 8:
            raise ValueError("BANTAY_WEB_SECRET_KEY is a well-known default; choose a random one")
        if len(raw) < SECRET_MIN_LENGTH:
            raise ValueError(
                f"BANTAY_WEB_SECRET_KEY is {len(raw)} characters; use at least {SECRET_MIN_LENGTH}"
            )
        return v

    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.workspace / SQLITE_FILE).resolve()}"
