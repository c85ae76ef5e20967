"""Django views: the health endpoint of the process network behind ``alara.secrets``."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from alara.integrations._health import check_health
from alara.sync import blocking_network

__all__ = ["health"]


def health(request: HttpRequest) -> JsonResponse:
    """200 while ``alara.secrets``'s network serves, 503 with the reason while it does not.

    The first call starts that network in this process, as a first ``alara.secrets`` call
    would: a health check is a fair first user.
    """
    answer = check_health(blocking_network())
    return JsonResponse(answer.body(), status=answer.code)
