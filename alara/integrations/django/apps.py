"""The Django app configuration of ``alara.integrations.django``."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks

import alara

__all__ = ["AlaraConfig", "check_environment"]


class AlaraConfig(AppConfig):  # type: ignore[misc]  # Django ships no type hints
    """Registers a system check of the ``ALARA_*`` variables; starts nothing.

    ``ready()`` may run more than once (Django's test runner does): registering the same
    check function twice is a no-op for Django's registry, so it stays idempotent.
    """

    name = "alara.integrations.django"
    label = "alara"
    verbose_name = "alara"

    def ready(self) -> None:
        """Register ``check_environment`` with Django's system checks."""
        checks.register(check_environment)


def check_environment(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """An error per malformed ``ALARA_*`` variable, found without starting a network."""
    try:
        alara.NetworkOptions.from_environment()
    except ValueError as error:
        return [checks.Error(str(error), hint="see alara.NetworkOptions.from_environment",
                             id="alara.E001")]
    return []
