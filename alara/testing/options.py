"""The options a test network accepts: ``create_network``'s keywords, ``seed`` and ``default``.

``seed=S`` gives every worker a ``SeededSource`` (streams of ``S``); ``default=True`` makes the
network the module-level default (``alara.use_network``) for the test, so code that calls
``await alara.token_hex()`` draws from it.

Checked before anything starts, so a typo in a marker (``workres=5``) is a clear error naming
the option instead of a ``TypeError`` from deep inside a fixture.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import alara
from alara.testing.seeded import seeded_sources

__all__ = ["PLUGIN_OPTIONS", "allowed_options", "check_options", "network_from_options"]

PLUGIN_OPTIONS = frozenset({"seed", "default"})
"""Options the plugin handles itself; every other one goes to ``create_network``."""


def allowed_options() -> frozenset[str]:
    """The settings a network accepts (``NetworkOptions``' fields) and the plugin's own."""
    names = {field.name for field in dataclasses.fields(alara.NetworkOptions)}
    return frozenset(names | PLUGIN_OPTIONS)


def check_options(options: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``options`` as a dict, if every name is known and ``seed`` is not mixed with ``sources``.

    Raises:
        TypeError: an unknown option; ``where`` says where it was written.
        ValueError: both ``seed`` and ``sources``.
    """
    allowed = allowed_options()
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"{where}: unknown option(s) {', '.join(unknown)}; "
                        f"allowed: {', '.join(sorted(allowed))}")
    if "seed" in options and "sources" in options:
        raise ValueError(f"{where}: give seed or sources, not both")
    if type(options.get("default", False)) is not bool:
        raise TypeError(f"{where}: default must be a bool, "
                        f"got {type(options['default']).__name__}")
    return dict(options)


def network_from_options(options: Mapping[str, Any]) -> alara.Network:
    """A new, not started network: ``seed=S`` becomes one seeded source per worker.

    ``default`` is not the network's business (the fixture applies it) and is dropped.

    Raises:
        TypeError, ValueError: from ``create_network`` or ``SeededSource``, unchanged.
        InsecureSourceError: ``seed`` outside pytest, unless allowed.
    """
    options = dict(options)
    options.pop("default", None)
    if "seed" in options:
        seed = options.pop("seed")
        workers = options.get("workers")
        options["sources"] = seeded_sources(seed, 3 if workers is None else workers)
    return alara.create_network(**options)
