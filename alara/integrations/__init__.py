"""Framework integrations: one network per application, and a health endpoint.

Each submodule imports its framework, so import only the one you use:
``alara.integrations.starlette`` (Starlette and FastAPI), ``alara.integrations.aiohttp``,
``alara.integrations.django`` (an app for ``INSTALLED_APPS``). ``check_health`` is the
framework-free core of their health endpoints. See ``docs/operating.md``.
"""

from __future__ import annotations

from alara.integrations._health import Health, check_health

__all__ = ["Health", "check_health"]
