"""Settings of the default networks, read from environment variables.

The module-level API (``await alara.token_hex()``) and ``alara.secrets`` start their network
on first use, with no code to configure it; an operator sizes it from the environment
instead, the way a deployment sets everything else:

==============================  =======  ===========================================
variable                        type     ``Network`` argument (default if unset)
==============================  =======  ===========================================
``ALARA_WORKERS``               int      ``workers`` (3)
``ALARA_MIN_SOURCES``           int      ``min_sources`` (the network's default)
``ALARA_TIMEOUT``               float    ``timeout``, seconds (the network's default)
``ALARA_CONTRIBUTION_TIMEOUT``  float    ``contribution_timeout``, seconds (ditto)
==============================  =======  ===========================================

The variables are read when a default network starts, so a test can set them first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from alara.entropy import Network

__all__ = ["VARIABLES", "default_network_options", "network_from_environment"]

VARIABLES: dict[str, tuple[str, type[int] | type[float]]] = {
    "ALARA_WORKERS": ("workers", int),
    "ALARA_MIN_SOURCES": ("min_sources", int),
    "ALARA_TIMEOUT": ("timeout", float),
    "ALARA_CONTRIBUTION_TIMEOUT": ("contribution_timeout", float),
}
"""Each variable, the ``Network`` argument it sets and the type it is parsed as."""


def default_network_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``Network`` keyword arguments the set variables ask for (unset ones are absent).

    Raises:
        ValueError: a variable is not a number of its type; the message names it.
    """
    environ = os.environ if environ is None else environ
    options: dict[str, Any] = {}
    for variable, (argument, kind) in VARIABLES.items():
        text = environ.get(variable)
        if text is None or not text.strip():
            continue
        try:
            options[argument] = kind(text)
        except ValueError:
            raise ValueError(
                f"{variable} must be {'an int' if kind is int else 'a number'}, got {text!r}"
            ) from None
    return options


def network_from_environment(environ: Mapping[str, str] | None = None) -> Network:
    """A new (not started) network configured by the environment variables.

    Raises:
        ValueError: a variable is malformed or out of its argument's range; the message
            names the variables that were set.
    """
    environ = os.environ if environ is None else environ
    options = default_network_options(environ)
    try:
        return Network(**options)
    except (TypeError, ValueError) as error:
        shown = ", ".join(
            f"{variable}={environ[variable]!r}"
            for variable, (argument, _) in VARIABLES.items() if argument in options
        )
        raise ValueError(f"alara settings from the environment ({shown}): {error}") from None
