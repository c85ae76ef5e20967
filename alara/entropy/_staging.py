"""Where a large output's blocks wait for the one final copy: off the heap, freed off the loop.

A large output (over ``THREAD_JOIN``) is made of 256 KiB blocks computed one per loop step,
and must end as one ``bytes``. Keeping the blocks as ``bytes`` in a list and joining them
makes freeing them the problem: the C allocator hands a large run of freed heap back to the
system in one go (one ``free`` stalled the loop 150 ms for 1 GiB of blocks), and a freed
32 MiB memory mapping costs ~5 ms to unmap. So on Linux each block is written, as soon as it
is made, into an anonymous in-memory file (``memfd_create``: never on disk, closed on exec);
one ``pread`` in a worker thread makes the output (the system call copies with the GIL
released), and the same thread closes the file, so its pages are freed off the loop too.
Where ``memfd_create`` is missing or refused, the blocks are kept in a list, joined in a
worker thread (``bytes.join`` drops the GIL for ``bytes`` items) and freed a few per step.
"""

from __future__ import annotations

import asyncio
import os
from typing import Protocol

import anyio.to_thread

from alara.entropy._pausing import pause

__all__ = ["FREE_SLICE", "Stage", "open_stage"]

FREE_SLICE = 16
"""Blocks freed per loop step by the list fallback (16 x 256 KiB)."""


class Stage(Protocol):
    """Collects the blocks of one output in order; ``take()`` gives them back as one ``bytes``.

    Use it once, in a ``try``/``finally`` that calls ``discard()``: a request cancelled
    half-way must not leak the blocks already written.
    """

    def add(self, block: bytes) -> None:
        """Append ``block`` (a few hundred KiB at most: bounded work on the loop)."""

    async def take(self) -> bytes:
        """All the blocks, joined, made and freed without holding the loop."""

    def discard(self) -> None:
        """Free what is held (a no-op after ``take()``); never blocks the loop for long."""


class _FileStage:
    """Blocks written to an anonymous in-memory file (Linux ``memfd_create``)."""

    __slots__ = ("_fd", "_size")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._size = 0

    def add(self, block: bytes) -> None:
        written = os.write(self._fd, block)
        while written < len(block):  # a regular file takes it all; a signal could split it
            written += os.write(self._fd, memoryview(block)[written:])
        self._size += written

    async def take(self) -> bytes:
        fd, self._fd = self._fd, -1
        return await anyio.to_thread.run_sync(_read_and_close, fd, self._size)

    def discard(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            _close_in_background(fd)


class _ListStage:
    """Blocks kept in a list (where there is no ``memfd_create``)."""

    __slots__ = ("_blocks",)

    def __init__(self) -> None:
        self._blocks: list[bytes] = []

    def add(self, block: bytes) -> None:
        self._blocks.append(block)

    async def take(self) -> bytes:
        blocks = self._blocks
        output = await anyio.to_thread.run_sync(b"".join, blocks)
        while blocks:
            del blocks[-FREE_SLICE:]
            await pause()
        return output

    def discard(self) -> None:
        self._blocks = []


def open_stage() -> Stage:
    """A ``Stage`` backed by an in-memory file where the system has one, else by a list."""
    create = getattr(os, "memfd_create", None)
    if create is not None:
        try:
            return _FileStage(create("alara-output", os.MFD_CLOEXEC))
        except OSError:  # refused (e.g. by a seccomp filter) or out of descriptors
            pass
    return _ListStage()


def _read_and_close(fd: int, size: int) -> bytes:
    """In a worker thread: the file's ``size`` bytes as one ``bytes``; then close the file."""
    try:
        output = os.pread(fd, size, 0)
        if len(output) == size:
            return output
        pieces = [output]
        done = len(output)
        while done < size:  # Linux reads at most ~2 GiB at once; never short below that
            piece = os.pread(fd, size - done, done)
            if not piece:
                raise OSError(f"staging file ended at {done} of {size} bytes")
            pieces.append(piece)
            done += len(piece)
        return b"".join(pieces)
    finally:
        os.close(fd)


def _close_in_background(fd: int) -> None:
    """Close ``fd`` in the loop's default executor, not awaited (a cancelled request cannot
    wait; closing a file of many MiB frees its pages, which takes milliseconds). With no
    executor left (the loop is shutting down), close it here: never leak the file."""
    try:
        asyncio.get_running_loop().run_in_executor(None, os.close, fd)
    except RuntimeError:  # no running loop, or its executor is shut down
        os.close(fd)
