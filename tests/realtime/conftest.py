from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.support.board import BoardServer


@pytest.fixture
async def board(redis_url: str) -> AsyncIterator[Callable[..., Awaitable[BoardServer]]]:
    """Start board servers (each a web process: its own Hub and port); stopped afterwards."""
    started: list[BoardServer] = []

    async def start(**options: Any) -> BoardServer:
        server = BoardServer(redis_url, **options)
        started.append(server)
        return await server.start()

    yield start
    for server in reversed(started):
        server.stop()
