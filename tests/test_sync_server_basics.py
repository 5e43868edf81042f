"""Sync server factory: health in the seed's envelope, refusal of weak secrets."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sync_server.app import create_app
from sync_server.settings import ConfigError, ServerSettings

STRONG = "k3J9-vQ2x_Lm8pR4tW7yZ1aB5cD6eF0gH2iJ4kL6mN8oP"


def test_health_uses_the_envelope():
    client = TestClient(create_app(ServerSettings.from_env({"JWT_SECRET_KEY": STRONG})))
    body = client.get("/health", headers={"x-request-id": "abc"}).json()
    assert body["success"] is True and body["data"]["status"] == "ok"
    assert body["meta"]["request_id"] == "abc" and body["meta"]["timestamp"].endswith("Z")


def test_unknown_path_is_an_error_envelope():
    client = TestClient(create_app(ServerSettings.from_env({"JWT_SECRET_KEY": STRONG})))
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert response.json()["success"] is False and response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("secret", ["", "short", "changeme", "a" * 40])
def test_weak_or_missing_secret_is_refused(secret):
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        ServerSettings.from_env({"JWT_SECRET_KEY": secret})


def test_development_mode_allows_a_missing_secret():
    assert ServerSettings.from_env({"LMGPA_DEV": "1"}).dev_mode
