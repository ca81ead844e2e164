"""Every login in the audit log, successful or not, with where it came from."""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.requests import HTTPConnection

from hotline.audit.log import Actor, Origin, record
from hotline.auth import User
from hotline.errors import ApiError
from hotline.queries import Q


async def recorded_login(
    request: HTTPConnection, username: str, kind: str, attempt: Awaitable[tuple[str, User]]
) -> tuple[str, User]:
    """The login `attempt` (whatever checks it makes), and its outcome recorded on a connection of its own:
    a refusal under the username that was tried, with its status."""
    state = request.app.state
    origin = Origin.of(request)
    try:
        token, user = await attempt
    except ApiError as exc:
        async with state.pool.acquire() as conn, conn.transaction():
            await conn.execute(Q.audit_without_wal_flush)
            refused = {"status": exc.status, "code": exc.code}
            await record(conn, origin, Actor(None, username), "login.failure", state.clock(), target=username,
                         after=refused)  # fmt: skip
        raise
    async with state.pool.acquire() as conn:
        await record(conn, origin, Actor(user.id, user.username), "login.success", state.clock(), target=user.username,
                     after={"kind": kind})  # fmt: skip
    return token, user
