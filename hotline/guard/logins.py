"""Signing in as a use-case: the failed-login limits, the password check off the event loop, and a record of
every attempt (login_events), which administrators read in 安全 (/admin/security)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from hotline import auth
from hotline.errors import ApiError
from hotline.guard.login_limits import FailedLogins
from hotline.queries import Q

# Logins waiting for a hashing thread, per thread, before more are turned away at once (503): a flood from
# many addresses, which the per-address limit does not stop, then cannot pile up requests without bound.
QUEUE_PER_THREAD = 16
OUTCOMES = {
    "ok": "成功",
    "bad_credentials": "用户名或密码错误",
    "inactive": "账号已停用",
    "limited": "失败次数过多被拒",
}


@dataclass(frozen=True)
class Attempt:
    username: str
    password: str
    kind: str
    address: str
    at: datetime


class InFlight:
    """Logins under way in this process, counted before their first await (so a burst cannot all pass the check
    together): past what the hashing threads and their queue hold, the next ones are turned away at once."""

    def __init__(self, threads: int):
        self.most = threads * (1 + QUEUE_PER_THREAD)
        self.now = 0

    def __enter__(self) -> None:
        if self.now >= self.most:
            raise ApiError(503, "登录的人太多，请稍后再试", code="busy", headers={"Retry-After": "5"})
        self.now += 1

    def __exit__(self, *exc: object) -> None:
        self.now -= 1


async def sign_in(state: Any, attempt: Attempt) -> tuple[str, auth.User]:
    """A token and its user, or an ApiError: 401 for wrong credentials, 429 (with Retry-After) past the limits,
    503 when the password checks are already queued as deep as they may be."""
    with state.logins_in_flight:
        return await _sign_in(state, attempt)


async def _sign_in(state: Any, attempt: Attempt) -> tuple[str, auth.User]:
    limits = FailedLogins.of(state.redis, state.settings)
    if wait := await limits.attempt(attempt.username, attempt.address):
        await _record(state.pool, attempt, "limited")
        minutes = -(-wait // 60)
        raise ApiError(
            429,
            f"登录失败次数过多，请 {minutes} 分钟后再试",
            code="too_many_logins",
            headers={"Retry-After": str(wait)},
            retry_after_s=wait,
        )
    try:
        token, user = await auth.login(
            state.pool, attempt.username, attempt.password, attempt.kind, attempt.at, state.hashing
        )
    except auth.LoginRefused as refused:
        await _record(state.pool, attempt, refused.outcome)
        raise
    await limits.succeeded(attempt.username, attempt.address)
    await _record(state.pool, attempt, "ok")
    return token, user


async def _record(pool: asyncpg.Pool, attempt: Attempt, outcome: str) -> None:
    await pool.execute(Q.login_event_insert, attempt.at, attempt.username, attempt.address, attempt.kind, outcome)


async def page(
    conn: asyncpg.Connection, username: str | None, outcome: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """One page of sign-in attempts, newest first (one row more is read to know whether a next page exists)."""
    rows = await conn.fetch(Q.login_events_page, username, outcome, limit + 1, offset)
    items = [
        {
            "id": r["id"],
            "at": r["at"].isoformat(),
            "username": r["username"],
            "display_name": r["display_name"],
            "address": r["address"],
            "kind": r["kind"],
            "outcome": r["outcome"],
            "outcome_label": OUTCOMES[r["outcome"]],
        }
        for r in rows[:limit]
    ]
    return {"items": items, "next_offset": offset + limit if len(rows) > limit else None}
