"""Server settings from environment variables (names as in the seed's .env template)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

MIN_SECRET_LENGTH = 32
WEAK_SECRETS = {"secret", "changeme", "change-me", "your-secret-key", "jwt-secret", "development"}
DEV_SECRET = "development-only-secret-do-not-use-in-production-0123456789"


class ConfigError(ValueError):
    """The server refuses to start with this configuration."""


@dataclass(frozen=True)
class ServerSettings:
    """Everything the server reads from its environment."""

    jwt_secret_key: str = ""
    database_url: str = "sqlite:///lmgpa-server.sqlite3"
    cors_origins: list[str] = field(default_factory=list)
    rate_limit_per_minute: int = 100  # guarded auth calls (login, register, refresh, reset) per client address
    session_timeout_hours: int = 720  # a device unused this long must sign in again
    access_token_minutes: int = 15
    login_failures_allowed: int = 5  # per account and per address within login_window_minutes
    login_window_minutes: int = 15
    dev_mode: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> ServerSettings:
        """Read JWT_SECRET_KEY, DATABASE_URL, CORS_ORIGINS, RATE_LIMIT_PER_MINUTE, SESSION_TIMEOUT_HOURS,
        ACCESS_TOKEN_MINUTES, LOGIN_FAILURES_ALLOWED, LOGIN_WINDOW_MINUTES, LMGPA_DEV."""
        env = os.environ if env is None else env
        values = dict(
            jwt_secret_key=env.get("JWT_SECRET_KEY", ""),
            database_url=env.get("DATABASE_URL", cls.database_url),
            cors_origins=[o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()],
            rate_limit_per_minute=int(env.get("RATE_LIMIT_PER_MINUTE", "100")),
            session_timeout_hours=int(env.get("SESSION_TIMEOUT_HOURS", "720")),
            access_token_minutes=int(env.get("ACCESS_TOKEN_MINUTES", "15")),
            login_failures_allowed=int(env.get("LOGIN_FAILURES_ALLOWED", "5")),
            login_window_minutes=int(env.get("LOGIN_WINDOW_MINUTES", "15")),
            dev_mode=env.get("LMGPA_DEV", "") == "1",
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values).validated()

    def validated(self) -> ServerSettings:
        """Refuse a missing or weak secret unless in explicit development mode."""
        secret = self.jwt_secret_key
        weak = len(secret) < MIN_SECRET_LENGTH or secret.lower() in WEAK_SECRETS or len(set(secret)) < 8
        if weak and not self.dev_mode:
            raise ConfigError(
                f"JWT_SECRET_KEY is missing or weak (needs {MIN_SECRET_LENGTH}+ random characters); generate one with "
                "python -c \"import secrets; print(secrets.token_urlsafe(48))\", or start with --dev for local testing"
            )
        return self

    @property
    def signing_key(self) -> str:
        """The JWT key: the configured one, or a fixed development key in development mode only."""
        return self.jwt_secret_key or DEV_SECRET
