"""OpenTelemetry export of a network's metrics (the ``otel`` extra: the API package only).

``AlaraInstruments(net)`` registers asynchronous instruments on a meter; the application's
SDK and exporter (whatever it installed) call them at each collection. See
``docs/operating.md``.
"""

from __future__ import annotations

from alara.otel._instruments import AlaraInstruments

__all__ = ["AlaraInstruments"]
