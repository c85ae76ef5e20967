"""alara embedded in an asyncio server: one network shared by every connection handler."""

from __future__ import annotations

import asyncio

import alara


async def test_a_tcp_server_serves_tokens_from_one_shared_network() -> None:
    async with alara.create_network(3) as net:

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            size = int((await reader.readline()).decode())
            writer.write((await net.random_bytes(size)).hex().encode() + b"\n")
            await writer.drain()
            writer.close()
            await writer.wait_closed()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]

        async def client(size: int) -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"{size}\n".encode())
            await writer.drain()
            line = await reader.readline()
            writer.close()
            await writer.wait_closed()
            return bytes.fromhex(line.decode())

        async with server, asyncio.timeout(10):
            tokens = await asyncio.gather(*(client(16 + i % 3) for i in range(40)))
        assert [len(token) for token in tokens] == [16 + i % 3 for i in range(40)]
        assert len(set(tokens)) == 40
        assert len(net.get_nodes()) == 3  # the pool served every connection and is whole
