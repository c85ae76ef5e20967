"""Command line: ``alara demo``, ``alara bytes N``, ``alara stream``, ``alara sources``,
``alara check`` (``python -m alara`` too).

Bad input and a network that refuses end in one line on stderr (``alara bytes: ...``) and a
non-zero status, never a traceback: the command is used in scripts and health checks.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

import anyio

import alara
from alara import _cli_sources
from alara._check import run_check
from alara._demo import run_demo, show_lifecycle_logs
from alara.entropy import (
    DEFAULT_REKEY_BYTES,
    MAX_BYTES,
    MAX_KEYED,
    MAX_REKEY_BYTES,
    MAX_WORKERS,
    create_network,
)

__all__ = ["main"]

STREAM_CHUNK = 1 << 16


def _positive(limit: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be an integer in [1, {limit}], got {text!r}")
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error in one line (``alara bytes: argument n: ...``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="alara", description=__doc__)
    parser.add_argument("--version", action="version", version=f"alara {alara.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("check", help="test every source and the default pool; exit 1 if "
                                      "this machine cannot serve")
    demo = commands.add_parser("demo", help="draw output, kill a worker, watch it restart")
    demo.add_argument("--workers", type=_positive(MAX_WORKERS), default=5)
    demo.add_argument("--quiet", action="store_true", help="do not print lifecycle log events")
    demo.add_argument("--ray", action="store_true",
                      help="a 3-node Ray cluster on this machine: remote workers, the cluster "
                           "view, a node lost and back (needs the ray extra)")
    one = commands.add_parser("bytes", help="print N mixed random bytes as hex")
    one.add_argument("n", type=_positive(MAX_BYTES))
    one.add_argument("--workers", type=_positive(MAX_WORKERS), default=3)
    stream = commands.add_parser("stream", help="write mixed output to stdout (for test batteries)")
    stream.add_argument("--workers", type=_positive(MAX_WORKERS), default=None,
                        help="pool size (default 3, or one per source)")
    stream.add_argument("--bytes", type=_positive(1 << 62), default=None, dest="total",
                        help="stop after this many bytes (default: until the pipe closes)")
    stream.add_argument("--chunk", type=_positive(MAX_BYTES), default=STREAM_CHUNK,
                        help="bytes per request")
    stream.add_argument("--sources-from", metavar="MODULE:CALLABLE", default=None,
                        help="a callable returning the list of EntropySource objects to use")
    stream.add_argument("--min-sources", type=_positive(MAX_WORKERS), default=None,
                        help="serve from at least this many sources (default: all of them; "
                             "fewer trades security for availability, see docs/security.md)")
    stream.add_argument("--keyed", action="store_true",
                        help="serve from the network's keyed generator (what the drop-ins "
                             "use), in pieces a key's blocks serve, instead of a round per "
                             "chunk")
    stream.add_argument("--rekey-bytes", type=_positive(MAX_REKEY_BYTES),
                        default=DEFAULT_REKEY_BYTES,
                        help="with --keyed: output per key (default %(default)s)")
    stream.add_argument("--no-health", action="store_true",
                        help="no health tests or quarantine: hostile sources stay in the mix "
                             "(to test the mixer alone)")
    _cli_sources.add_parser(commands)
    return parser


def _load_sources(spec: str) -> list[Any]:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise SystemExit("alara stream: --sources-from must look like MODULE:CALLABLE")
    sys.path.insert(0, os.getcwd())
    factory = getattr(importlib.import_module(module_name), attribute)
    return list(factory())


async def _stream(args: argparse.Namespace) -> None:
    options: dict[str, Any] = {"health": None, "quarantine_after": None} if args.no_health else {}
    try:  # a bad --sources-from or --workers is a usage error, not a crash
        sources = _load_sources(args.sources_from) if args.sources_from else None
        network = create_network(args.workers, sources=sources, min_sources=args.min_sources,
                                 **options)
    except (ImportError, AttributeError, TypeError, ValueError) as error:
        raise SystemExit(f"alara stream: {error}") from None
    # Written from a worker thread (anyio): a slow reader blocks the pipe, never the loop.
    out = anyio.wrap_file(sys.stdout.buffer)
    left = args.total
    async with network as net:
        draw: Callable[[int], Awaitable[bytes]] = net.random_bytes
        if args.keyed:
            try:
                draw = _pieces(net.keyed(rekey_bytes=args.rekey_bytes).random_bytes)
            except ValueError as error:
                raise SystemExit(f"alara stream: {error}") from None
        while left is None or left > 0:
            size = args.chunk if left is None else min(args.chunk, left)
            await out.write(await draw(size))
            await out.flush()
            if left is not None:
                left -= size


def _pieces(draw: Callable[[int], Awaitable[bytes]]) -> Callable[[int], Awaitable[bytes]]:
    """``draw`` for any size, called for at most ``MAX_KEYED`` bytes at a time (larger
    requests to a keyed view take a round of their own, which is not what is tested)."""
    async def pieces(n: int) -> bytes:
        return b"".join([await draw(min(MAX_KEYED, n - start))
                         for start in range(0, n, MAX_KEYED)])

    return pieces


def _ray_demo() -> None:
    try:  # imported only here: the core and `make demo` never load Ray
        from alara.ray.demo import run_ray_demo
    except ImportError as error:
        raise SystemExit(f"alara demo --ray needs the ray extra: pip install 'alara-entropy[ray]' "
                         f"({error})") from None
    run_ray_demo()


async def _bytes(args: argparse.Namespace) -> None:
    async with create_network(args.workers) as net:
        print((await net.random_bytes(args.n)).hex())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``alara`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            return asyncio.run(run_check())
        if args.command == "demo":
            if not args.quiet:
                show_lifecycle_logs()
            if args.ray:
                _ray_demo()
            else:
                asyncio.run(run_demo(args.workers))
        elif args.command == "bytes":
            asyncio.run(_bytes(args))
        elif args.command == "sources":
            _cli_sources.run(args)
        else:
            asyncio.run(_stream(args))
    except BrokenPipeError:
        # The reader went away (``| head -c``): a normal end for a stream. Point stdout at
        # /dev/null so the interpreter's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except alara.AlaraError as error:  # the network refused: say why, in one line
        print(f"alara {args.command}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0
