from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.valkey import Valkey


@pytest.fixture
async def valkey() -> AsyncIterator[Valkey]:
    """A private valkey the test may pause (SIGSTOP) without touching the session's Redis."""
    directory = Path(tempfile.mkdtemp(prefix="faults-valkey-"))
    server = Valkey(directory, persistent=False)
    await server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
