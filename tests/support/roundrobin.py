"""A small TCP round-robin in front of several web processes, as a load balancer would stand in front of
several hosts: each new connection goes to the next backend, bytes are copied both ways."""

from __future__ import annotations

import asyncio
import contextlib
import itertools


class RoundRobin:
    def __init__(self, backends: list[int]):
        self._next = itertools.cycle(backends)
        self._server: asyncio.Server | None = None
        self.connections: dict[int, int] = dict.fromkeys(backends, 0)

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        port = next(self._next)
        self.connections[port] += 1
        try:
            backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_copy(client_reader, backend_writer), _copy(backend_reader, client_writer))


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()
