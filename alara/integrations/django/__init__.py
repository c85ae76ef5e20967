"""Django: an app for ``INSTALLED_APPS``, a health view, and Django's random strings on alara.

::

    INSTALLED_APPS = [..., "alara.integrations.django"]
    # urls.py
    from alara.integrations.django.views import health
    urlpatterns = [path("health", health)]

Sync views use ``alara.secrets`` directly (``alara.secrets.token_urlsafe(32)``): its process
network starts on first use, in whichever process makes that call, so a pre-forking server
(gunicorn ``--preload``) loads the application without starting anything it would have to
share with its workers. The app starts nothing either; ``python manage.py check`` reports
malformed ``ALARA_*`` environment variables (``alara.NetworkOptions.from_environment``)
before a first request would.
"""

from __future__ import annotations

import alara.secrets

__all__ = ["RANDOM_STRING_CHARS", "get_random_string"]

RANDOM_STRING_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
"""Django's default alphabet for ``get_random_string``."""


def get_random_string(length: int, allowed_chars: str = RANDOM_STRING_CHARS) -> str:
    """``django.utils.crypto.get_random_string``, with every character drawn by
    ``alara.secrets.choice``: for session keys, reset tokens and the like in your own code
    (Django's own calls are left as they are; nothing is patched).

    Raises:
        TypeError: ``length`` is not an int or ``allowed_chars`` is not a str.
        ValueError: ``length`` is negative or ``allowed_chars`` is empty.
    """
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"length must be an int, got {type(length).__name__}")
    if length < 0:
        raise ValueError(f"length must be at least 0, got {length}")
    if not isinstance(allowed_chars, str):
        raise TypeError(f"allowed_chars must be a str, got {type(allowed_chars).__name__}")
    if not allowed_chars:
        raise ValueError("allowed_chars must not be empty")
    return "".join(alara.secrets.choice(allowed_chars) for _ in range(length))
