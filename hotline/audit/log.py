"""Writing the audit log. One call per action, inside the action's own transaction, so an action that is
rolled back leaves no entry and an entry never describes something that did not happen.

Failed logins are the exception: the login is refused (no transaction to join), so they are written on
their own connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from starlette.requests import HTTPConnection

from hotline.queries import Q

MAX_AGENT = 300


@dataclass(frozen=True)
class Origin:
    """Where a request came from: the client address (the proxy's X-Forwarded-For when [web]
    forwarded_allow_ips trusts it, see docs/deploy.md) and the browser."""

    ip: str
    user_agent: str

    @classmethod
    def of(cls, connection: HTTPConnection) -> Origin:
        host = connection.client.host if connection.client else ""
        return cls(host, connection.headers.get("user-agent", "")[:MAX_AGENT])


CLI = Origin("命令行", "")
CLI_ACTOR = "（命令行）"  # who runs `hotline import` on the server: whoever has its shell


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str


async def record(
    conn: asyncpg.Connection,
    origin: Origin,
    actor: Actor,
    action: str,
    now: datetime,
    *,
    target: str = "",
    before: Any = None,
    after: Any = None,
) -> None:
    await conn.execute(
        Q.audit_insert, now, actor.id, actor.name, action, target, origin.ip, origin.user_agent, before, after
    )


async def record_request(
    conn: asyncpg.Connection,
    request: HTTPConnection,
    user: Any,
    action: str,
    *,
    target: str = "",
    before: Any = None,
    after: Any = None,
) -> None:
    """`record` for an API view: the signed-in `user` (hotline.auth.User), the request's origin, the app's clock."""
    now: datetime = request.app.state.clock()
    actor = Actor(user.id, user.username)
    await record(conn, Origin.of(request), actor, action, now, target=target, before=before, after=after)
