"""The URLs of the Django test project: the health view and a sync view on alara.secrets."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

import alara.secrets
from alara.integrations.django import get_random_string
from alara.integrations.django.views import health


def token(request: HttpRequest) -> JsonResponse:
    """A plain sync view: a token from ``alara.secrets`` and a Django-style random string."""
    return JsonResponse({"token": alara.secrets.token_urlsafe(32),
                         "code": get_random_string(12)})


urlpatterns = [path("health", health), path("token", token)]
