"""Prometheus export of a network's metrics (the ``prometheus`` extra).

``registry.register(AlaraCollector(net))`` and every scrape reads the network's counters and
pool state at that moment: ``alara_requests_total{outcome}``,
``alara_request_duration_seconds``, ``alara_served_bytes_total``,
``alara_source_contributions_total{worker,kind}``,
``alara_health_test_failures_total{worker,test}``, ``alara_quarantines_total{worker}``,
``alara_worker_restarts_total{worker}``, ``alara_sources{state}``, ``alara_sources_required``,
``alara_waiting_requests``, ``alara_event_loop_lag_seconds``, ``alara_cluster_nodes{state}``
and ``alara_build_info{version}``. See ``docs/operating.md``.
"""

from __future__ import annotations

from alara.prometheus._collector import AlaraCollector

__all__ = ["AlaraCollector"]
