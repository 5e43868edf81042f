"""Server settings from environment variables (names as in the seed's .env template)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

MIN_SECRET_LENGTH = 32
WEAK_SECRETS = {"secret", "changeme", "change-me", "your-secret-key", "jwt-secret", "development"}


class ConfigError(ValueError):
    """The server refuses to start with this configuration."""


@dataclass(frozen=True)
class ServerSettings:
    """Everything the server reads from its environment."""

    jwt_secret_key: str = ""
    database_url: str = "sqlite:///lmgpa-server.sqlite3"
    cors_origins: list[str] = field(default_factory=list)
    rate_limit_per_minute: int = 100
    session_timeout_hours: int = 24
    dev_mode: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> ServerSettings:
        """Read JWT_SECRET_KEY, DATABASE_URL, CORS_ORIGINS, RATE_LIMIT_PER_MINUTE, SESSION_TIMEOUT_HOURS, LMGPA_DEV."""
        env = os.environ if env is None else env
        values = dict(
            jwt_secret_key=env.get("JWT_SECRET_KEY", ""),
            database_url=env.get("DATABASE_URL", cls.database_url),
            cors_origins=[o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()],
            rate_limit_per_minute=int(env.get("RATE_LIMIT_PER_MINUTE", "100")),
            session_timeout_hours=int(env.get("SESSION_TIMEOUT_HOURS", "24")),
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
