"""A sync web-style example: a pool of 8 request handlers, each minting a session token with
``alara.secrets.token_urlsafe()``, as a Django or Flask app running in threads would.

The handlers share the process-wide network (here replaced by one whose sources count their
reads); calls that arrive while a round is in flight are served by the next round together,
so the workers are asked far fewer times than there are requests.
"""

from __future__ import annotations

import string
from concurrent.futures import ThreadPoolExecutor

import alara
from alara import BlockingNetwork
from tests.native.sources import CountingSource

URLSAFE = set(string.ascii_letters + string.digits + "-_")
REQUESTS = 400


def handle_login(request_id: int) -> dict[str, object]:
    """What a view would do: mint a session token and answer."""
    return {"request": request_id, "session": alara.secrets.token_urlsafe()}


def test_eight_handler_threads_get_distinct_tokens_served_in_rounds() -> None:
    sources = [CountingSource() for _ in range(3)]
    with BlockingNetwork(sources=sources) as net, alara.use_blocking_network(net):
        handle_login(-1)  # warm-up: every worker has started once this is answered
        for source in sources:
            source.reset()
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(handle_login, range(REQUESTS)))
        rounds = sources[0].reads
        assert [source.reads for source in sources] == [rounds] * 3

    tokens = [str(response["session"]) for response in responses]
    assert len(set(tokens)) == REQUESTS
    assert all(len(token) == 43 for token in tokens)  # 32 bytes, base64 without padding
    assert all(set(token) <= URLSAFE for token in tokens)
    assert 1 <= rounds < REQUESTS  # batched: fewer rounds than requests
