"""``check_health``: 200 while the pool serves, 503 with the reason while not, and back."""

from __future__ import annotations

import pytest

import alara
from alara import OsSource
from alara.integrations import check_health
from tests.doubles.switch import SwitchSource, quarantine
from tests.entropy.bounded import bounded_network


async def test_health_flips_to_503_when_degraded_and_back_when_readmitted() -> None:
    switch = SwitchSource()
    async with bounded_network(sources=[OsSource(), OsSource(), switch]) as net:
        healthy = check_health(net)
        assert (healthy.code, healthy.reason) == (200, None)
        assert healthy.body() == {"serving": True, "reason": None, "running": 3,
                                  "restarting": 0, "required": 3, "quarantined": []}
        await quarantine(net, switch)
        degraded = check_health(net)
        assert degraded.code == 503
        assert degraded.reason is not None
        assert "worker-2 quarantined" in degraded.reason
        assert degraded.body()["quarantined"] == ["worker-2"]
        switch.broken = False  # the device is fixed; the operator re-admits it
        await net.readmit("worker-2")
        recovered = check_health(net)
        assert (recovered.code, recovered.body()["running"]) == (200, 3)
        await net.random_bytes(32)


async def test_health_is_back_when_the_pool_is_above_its_floor_again() -> None:
    switches = [SwitchSource(), SwitchSource()]
    async with bounded_network(sources=[OsSource(), *switches], min_sources=2) as net:
        await quarantine(net, *switches)
        assert check_health(net).code == 503
        await net.add_worker()  # another source: the pool is back above its floor
        recovered = check_health(net)
        assert (recovered.code, recovered.body()["running"]) == (200, 2)


async def test_a_closed_network_is_unhealthy() -> None:
    net = await alara.create_network(1)
    await net.close()
    health = check_health(net)
    assert (health.code, health.reason) == (503, "network is closed")


def test_a_blocking_network_is_checked_from_its_caller_thread() -> None:
    with alara.BlockingNetwork(2) as net:
        assert check_health(net).code == 200
    assert check_health(net).code == 503


def test_anything_else_is_refused() -> None:
    with pytest.raises(TypeError, match="network must be a Network or a BlockingNetwork"):
        check_health("net")  # type: ignore[arg-type]
