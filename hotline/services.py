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
    with supervised_services(settings) as (live, _embedded):
        yield live


@contextlib.contextmanager
def supervised_services(settings: Settings) -> Iterator[tuple[Settings, EmbeddedServices | None]]:
    """`running_services`, also yielding the embedded servers (None when both are external), whose
    `revive()` a supervisor calls to start again one that died."""
    if not settings.embedded_needed:
        yield settings, None
        return
    embedded = EmbeddedServices(
        settings.var_path,
        postgres_port=settings.embedded.postgres_port,
        redis_port=settings.embedded.redis_port,
        timeout_s=settings.embedded.start_timeout_s,
        shared_buffers=settings.embedded.postgres_shared_buffers,
    )
    urls = embedded.start()
    try:
        live = settings.with_services(settings.database_url or urls.database_url, settings.redis_url or urls.redis_url)
        yield live, embedded
    finally:
        embedded.stop()
