"""Requests in flight when the network closes, or past their deadline: what callers get.

``close()`` lets every request already made finish (the docs promise it); a request whose own
deadline passed while it waited (overload, slow sources) fails with ``RequestTimeoutError``,
which says so, not with a ``WorkerDiedError`` claiming a worker is "not running".
"""

from __future__ import annotations

import asyncio

import pytest

from alara import OsSource, RequestTimeoutError
from alara.errors import AlaraError, WorkerDiedError
from alara.testing.sources import AsyncSource, SlowSource
from tests.entropy.bounded import bounded_network


async def test_close_lets_every_request_in_flight_finish() -> None:
    async with bounded_network(sources=[SlowSource(0.02), AsyncSource(), OsSource()]) as net:
        requests = [asyncio.ensure_future(net.random_bytes(32)) for _ in range(200)]
        await asyncio.sleep(0)  # one loop step: every request has been made (none answered)
        assert not any(request.done() for request in requests)
        async with asyncio.timeout(10):
            await net.close()
        results = await asyncio.gather(*requests, return_exceptions=True)
    assert [type(result) for result in results] == [bytes] * 200
    assert len(set(results)) == 200


async def test_close_waits_for_rounds_that_wait_for_a_restart() -> None:
    """A request in flight whose worker crashed is retried on the replacement, even while
    the network is closing."""
    async with bounded_network(sources=[SlowSource(0.02), OsSource()]) as net:
        requests = [asyncio.ensure_future(net.random_bytes(32)) for _ in range(20)]
        await asyncio.sleep(0)
        net.get_nodes()[1].kill("chaos")  # not a source failure: restarted
        async with asyncio.timeout(10):
            await net.close()
        results = await asyncio.gather(*requests, return_exceptions=True)
    assert [type(result) for result in results] == [bytes] * 20


async def test_requests_after_close_are_refused_at_once() -> None:
    async with bounded_network(2) as net:
        await net.close()
        with pytest.raises(AlaraError, match="closed"):
            await net.random_bytes(32)


async def test_a_caller_that_waited_past_its_deadline_gets_a_request_timeout() -> None:
    """Overload: every round takes 0.15 s (a slow, honest source) and each request may take
    0.2 s; the callers queued behind the first rounds run out of time while waiting. Nothing
    died, and the error says so."""
    async with bounded_network(sources=[SlowSource(0.15), OsSource()], timeout=0.2) as net:
        results = await asyncio.gather(*(_spaced(net, index) for index in range(6)),
                                       return_exceptions=True)
    timeouts = [result for result in results if isinstance(result, RequestTimeoutError)]
    assert timeouts
    assert not [result for result in results if isinstance(result, WorkerDiedError)]
    message = str(timeouts[0])
    assert "not running" not in message
    assert "deadline" in message
    assert "timeout=0.2" in message
    assert "worker-0" in message
    assert isinstance(timeouts[0], TimeoutError)  # ``except TimeoutError`` catches it too


async def _spaced(net: object, index: int) -> bytes:
    """A request made at loop step ``index``: callers that queue behind each other's rounds."""
    for _ in range(index):
        await asyncio.sleep(0)
    assert hasattr(net, "random_bytes")
    data: bytes = await net.random_bytes(32)
    return data
