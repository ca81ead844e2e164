"""Where PostgreSQL and Redis come from: the configured URLs, or the embedded servers under var/."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from hotline.embedded import EmbeddedServices
from hotline.settings import Settings


@contextlib.contextmanager
def running_services(settings: Settings) -> Iterator[Settings]:
    """Yield settings with both service URLs set, starting embedded servers for the missing ones.

    Only when this process owns var/ does leaving the block stop the servers.
    """
    if not settings.embedded_needed:
        yield settings
        return
    embedded = EmbeddedServices(
        settings.var_path,
        postgres_port=settings.embedded.postgres_port,
        redis_port=settings.embedded.redis_port,
        timeout_s=settings.embedded.start_timeout_s,
    )
    urls = embedded.start()
    try:
        yield settings.with_services(settings.database_url or urls.database_url, settings.redis_url or urls.redis_url)
    finally:
        embedded.stop()
