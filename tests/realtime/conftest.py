from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.realtime.board import BoardServer


@pytest.fixture
def board(redis_url: str) -> Iterator[Callable[..., BoardServer]]:
    """Start board servers (each a web process: its own Hub and port); stopped afterwards."""
    started: list[BoardServer] = []

    def start(**options: Any) -> BoardServer:
        server = BoardServer(redis_url, **options).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()
