"""The Django app, end to end: settings, app loading, system checks, views through Django's
test client (a real request cycle, in process)."""

from __future__ import annotations

from collections.abc import Iterator

import django
import pytest
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.test import Client

import alara
from alara.integrations.django import RANDOM_STRING_CHARS, get_random_string
from alara.sync import use_blocking_network


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    if not settings.configured:
        settings.configure(
            INSTALLED_APPS=["alara.integrations.django"],
            ROOT_URLCONF="tests.integrations.django_urls",
            ALLOWED_HOSTS=["testserver"],
            SECRET_KEY="not-a-secret",
            DEBUG=False,
        )
        django.setup()
    with alara.BlockingNetwork(2) as net, use_blocking_network(net):
        yield Client()


def test_sync_views_use_alara_secrets_and_the_health_view_says_so(client: Client) -> None:
    answers = [client.get("/token").json() for _ in range(5)]
    assert len({answer["token"] for answer in answers}) == 5
    assert all(len(answer["code"]) == 12 for answer in answers)
    assert all(set(answer["code"]) <= set(RANDOM_STRING_CHARS) for answer in answers)
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json()["running"] == 2


def test_the_app_is_loaded_and_checks_the_environment(
        client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    config = apps.get_app_config("alara")
    assert type(config).__name__ == "AlaraConfig"
    config.ready()  # Django may call it again (its test runner does): nothing changes
    assert [error for error in checks.run_checks() if error.id.startswith("alara")] == []
    monkeypatch.setenv("ALARA_WORKERS", "0")
    [error] = [error for error in checks.run_checks() if error.id.startswith("alara")]
    assert error.id == "alara.E001"
    assert "workers" in error.msg


def test_get_random_string_checks_its_arguments() -> None:
    assert get_random_string(0) == ""
    assert set(get_random_string(64, "ab")) <= {"a", "b"}
    with pytest.raises(ValueError, match="length must be at least 0"):
        get_random_string(-1)
    with pytest.raises(TypeError, match="length must be an int"):
        get_random_string(True)
    with pytest.raises(ValueError, match="allowed_chars must not be empty"):
        get_random_string(3, "")
