"""Sources that run on Ray nodes in the tests (importable there: picklable by reference)."""

from __future__ import annotations

import os
import time

import ray

TAG = 8
"""Bytes of node id at the start of every 32-byte block of a ``NodeTaggedSource``."""
DIE = 7
"""A read of exactly this many bytes kills the entropy actor's process (a real actor death)."""
HANG = 9
"""A read of exactly this many bytes hangs for a minute (a stuck device, a frozen node)."""


def node_tag(node_id: str) -> bytes:
    """The tag a ``NodeTaggedSource`` on node ``node_id`` puts in front of every block."""
    return bytes.fromhex(node_id)[:TAG]


class NodeTaggedSource:
    """OS CSPRNG bytes whose every 32-byte block starts with the reading node's id.

    Lets a test see, in the contributions a request is mixed from, which machine each came
    from. Only for tests (the tag is not secret; the remaining 24 bytes per block are). A
    read of ``DIE`` bytes ends the process, as a crashed or OOM-killed actor would.
    """

    def read(self, n: int) -> bytes:
        if n == DIE:
            os._exit(1)
        if n == HANG:
            time.sleep(60)
        tag = node_tag(ray.get_runtime_context().get_node_id())
        blocks = [tag + os.urandom(32 - TAG) for _ in range((n + 31) // 32)]
        return b"".join(blocks)[:n]


class StuckSource:
    """A broken generator: always zeros (fails the repetition count test on the node)."""

    def read(self, n: int) -> bytes:
        return bytes(n)
