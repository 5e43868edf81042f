"""Server settings from environment variables (names as in the seed's .env template): every default and check here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_LENGTH = 32
WEAK_SECRETS = {"secret", "changeme", "change-me", "your-secret-key", "jwt-secret", "development"}
DEV_SECRET = "development-only-secret-do-not-use-in-production-0123456789"
DEFAULT_DATABASE_URL = "sqlite:///lmgpa-server.sqlite3"


def is_weak_secret(secret: str) -> bool:
    """Too short, a known word, or too few distinct characters (also used by `lmgpa-server check-config`)."""
    return len(secret) < MIN_SECRET_LENGTH or secret.lower() in WEAK_SECRETS or len(set(secret)) < 8


class ConfigError(ValueError):
    """The server refuses to start with this configuration."""


class DatabaseSettings(BaseSettings):
    """Where the server keeps everything: all that `lmgpa-server set-role` reads."""

    # Each field reads exactly the variable named in its alias (case-sensitive, as os.environ is on Linux).
    model_config = SettingsConfigDict(case_sensitive=True, frozen=True, extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")


class ServerSettings(DatabaseSettings):
    """Everything the server reads from its environment."""

    jwt_secret_key: str = Field("", validation_alias="JWT_SECRET_KEY")
    # Comma-separated in the environment.
    cors_origins: Annotated[list[str], NoDecode] = Field([], validation_alias="CORS_ORIGINS")
    # Guarded auth calls (login, register, refresh, reset) per client address.
    rate_limit_per_minute: int = Field(100, validation_alias="RATE_LIMIT_PER_MINUTE")
    # A device unused this long must sign in again.
    session_timeout_hours: int = Field(720, validation_alias="SESSION_TIMEOUT_HOURS")
    access_token_minutes: int = Field(15, validation_alias="ACCESS_TOKEN_MINUTES")
    # Per account and per address within login_window_minutes.
    login_failures_allowed: int = Field(5, validation_alias="LOGIN_FAILURES_ALLOWED")
    login_window_minutes: int = Field(15, validation_alias="LOGIN_WINDOW_MINUTES")
    # LMGPA_DEV=1 (set by --dev); any other value is off.
    dev_mode: bool = Field(False, validation_alias="LMGPA_DEV")
    # Request bodies: 413 above these; uploads (assignment, submission and share files, base64 in JSON) get more.
    max_body_bytes: int = Field(1024 * 1024, ge=1024, validation_alias="MAX_BODY_BYTES")
    max_upload_bytes: int = Field(64 * 1024 * 1024, ge=1024, validation_alias="MAX_UPLOAD_BYTES")
    # A client must send a whole request head this soon after connecting (or after its previous answer), and a
    # body must keep arriving: idle half-open connections are closed instead of holding the server's concurrency.
    header_timeout_seconds: float = Field(10.0, gt=0, validation_alias="HEADER_TIMEOUT_SECONDS")
    body_timeout_seconds: float = Field(30.0, gt=0, validation_alias="BODY_TIMEOUT_SECONDS")
    # Password-reset mail; without SMTP_HOST the reset token goes to the server log (development only).
    smtp_host: str = Field("", validation_alias="SMTP_HOST")
    smtp_port: int = Field(587, ge=1, le=65535, validation_alias="SMTP_PORT")
    smtp_tls: Literal["starttls", "ssl", "none"] = Field("starttls", validation_alias="SMTP_TLS")
    smtp_user: str = Field("", validation_alias="SMTP_USER")
    smtp_password: str = Field("", validation_alias="SMTP_PASSWORD")
    smtp_from: str = Field("", validation_alias="SMTP_FROM")
    # Personal sync: what one account may store (encrypted messages and media chunks together), and the folder of
    # the media chunks (empty: beside a SQLite database file, else in the user data folder; see sync/blob_store.py).
    sync_quota_bytes: int = Field(2 * 1024 ** 3, ge=0, validation_alias="SYNC_QUOTA_BYTES")
    sync_blob_dir: str = Field("", validation_alias="SYNC_BLOB_DIR")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("dev_mode", mode="before")
    @classmethod
    def _dev_flag(cls, value: object) -> object:
        return value == "1" if isinstance(value, str) else value

    @model_validator(mode="after")
    def _strong_secret(self) -> ServerSettings:
        """Refuse a missing or weak secret unless in explicit development mode."""
        if is_weak_secret(self.jwt_secret_key) and not self.dev_mode:
            raise ConfigError(
                f"JWT_SECRET_KEY is missing or weak (needs {MIN_SECRET_LENGTH}+ random characters); generate one with "
                "python -c \"import secrets; print(secrets.token_urlsafe(48))\", or start with --dev for local testing"
            )
        return self

    @model_validator(mode="after")
    def _mail_sender(self) -> ServerSettings:
        """A mail server needs a From address."""
        if self.smtp_host and "@" not in self.smtp_from:
            raise ConfigError("SMTP_FROM must be an email address when SMTP_HOST is set")
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> ServerSettings:
        """Read JWT_SECRET_KEY, DATABASE_URL, CORS_ORIGINS, RATE_LIMIT_PER_MINUTE, SESSION_TIMEOUT_HOURS,
        ACCESS_TOKEN_MINUTES, LOGIN_FAILURES_ALLOWED, LOGIN_WINDOW_MINUTES, LMGPA_DEV, MAX_BODY_BYTES, MAX_UPLOAD_BYTES,
        HEADER_TIMEOUT_SECONDS, BODY_TIMEOUT_SECONDS, SMTP_*, SYNC_QUOTA_BYTES and SYNC_BLOB_DIR from os.environ (or
        only from `env`); overrides by field name win, None ones are ignored. Raises ConfigError."""
        variables = {name: field.validation_alias for name, field in cls.model_fields.items()}
        given = {variables[name]: value for name, value in overrides.items() if value is not None}
        try:
            if env is None:
                return cls(**given)
            # model_validate skips the environment sources: only `env` and the overrides count.
            return cls.model_validate({**{k: v for k, v in env.items() if k in variables.values()}, **given})
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from None

    @property
    def signing_key(self) -> str:
        """The JWT key: the configured one, or a fixed development key in development mode only."""
        return self.jwt_secret_key or DEV_SECRET


def _explain(exc: ValidationError) -> str:
    """One line per problem, naming the environment variable."""
    lines = []
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, ConfigError):
            lines.append(str(cause))
        else:
            lines.append(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}")
    return "; ".join(lines)
