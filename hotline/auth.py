"""Login, session cookies and bearer tokens. Tokens are random; only their SHA-256 is stored."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
import asyncpg
from starlette.requests import HTTPConnection

from hotline.errors import ApiError
from hotline.passwords import hash_password, verify_password
from hotline.queries import Q
from hotline.roles import Role

SESSION_COOKIE = "hotline_session"
SESSION_LIFETIME = timedelta(hours=12)
API_TOKEN_LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    unit_id: int
    must_change_password: bool = False  # a temporary password: nothing but changing it until it is changed

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> User:
        must_change = bool(row.get("must_change_password", False))
        return cls(row["id"], row["username"], row["display_name"], Role(row["role"]), row["unit_id"], must_change)


def user_json(user: User, unit_name: str) -> dict[str, object]:
    """Who is signed in, for the API (`/api/me`, login) and the pages alike."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "role_label": user.role.label,
        "unit_id": user.unit_id,
        "unit_name": unit_name,
        "must_change_password": user.must_change_password,
    }


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class LoginRefused(ApiError):
    """Wrong username or password, or an inactive account: the same answer to the client, the outcome for
    the sign-in record."""

    def __init__(self, outcome: str):
        super().__init__(401, "用户名或密码不正确", code="bad_credentials")
        self.outcome = outcome


async def login(
    pool: asyncpg.Pool,
    username: str,
    password: str,
    kind: str,
    now: datetime,
    hashing: anyio.CapacityLimiter,
) -> tuple[str, User]:
    """Check the password in one of `hashing`'s threads (argon2 takes tens of milliseconds of CPU: on the
    event loop a flood of logins would stall every other request), then issue a token. No database connection
    is held while a password is checked or waits for its thread: a flood must not take the pool from readers."""
    row = await pool.fetchrow(Q.user_by_username, username)
    # verify against a dummy hash when the user is unknown, so timing does not reveal which usernames exist
    stored = row["password_hash"] if row else None
    valid = await anyio.to_thread.run_sync(_verify, stored, password, limiter=hashing)
    if row is None or not valid:
        raise LoginRefused("bad_credentials")
    if not row["active"]:
        raise LoginRefused("inactive")
    token = secrets.token_urlsafe(32)
    lifetime = SESSION_LIFETIME if kind == "session" else API_TOKEN_LIFETIME
    await pool.execute(Q.insert_token, _digest(token), row["id"], kind, now, now + lifetime)
    return token, User.from_row(row)


async def logout(conn: asyncpg.Connection, token: str) -> bool:
    """End the token's session; False when there was no such token."""
    return bool(await conn.fetchval(Q.delete_token, _digest(token)))


async def revoke_user_tokens(conn: asyncpg.Connection, user_id: int) -> int:
    """Every session and API token of the user ends now: call it when a user is deactivated or their password
    changes. Open board sockets notice at their next check ([web] board_revalidate_s). The count revoked."""
    return int(await conn.fetchval(Q.revoke_user_tokens, user_id))


def token_digest(token: str) -> bytes:
    """What is stored of a token (its SHA-256), for queries that must name one."""
    return _digest(token)


def request_token(connection: HTTPConnection) -> str | None:
    """The bearer token or the session cookie. A token in the query string counts only on the websocket
    (browsers cannot set headers there); elsewhere it would end up in logs, histories and Referer headers."""
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    if cookie := connection.cookies.get(SESSION_COOKIE):
        return cookie
    return connection.query_params.get("token") if connection.scope["type"] == "websocket" else None


def uses_cookie(connection: HTTPConnection) -> bool:
    """The request is authenticated by the session cookie (a browser sends it by itself: the Origin check's
    concern), not by a bearer header."""
    return not connection.headers.get("authorization", "").lower().startswith("bearer ") and bool(
        connection.cookies.get(SESSION_COOKIE)
    )


async def user_for_token(pool: asyncpg.Pool, token: str | None, now: datetime) -> User | None:
    if not token:
        return None
    row = await pool.fetchrow(Q.user_by_token, _digest(token), now)
    return User.from_row(row) if row else None


async def user_and_catalog_version_for_token(
    conn: asyncpg.Connection, token: str | None, now: datetime
) -> tuple[User, int] | None:
    """`user_for_token`, and the stored catalog version read in the same statement (hotline/catalog_cache.py)."""
    if not token:
        return None
    row = await conn.fetchrow(Q.user_by_token_and_catalog_version, _digest(token), now)
    return (User.from_row(row), row["catalog_version"]) if row else None


async def session_user(connection: HTTPConnection) -> User | None:
    """The user of a page request's session cookie, or None (the page then asks to log in)."""
    state = connection.app.state
    return await user_for_token(state.pool, connection.cookies.get(SESSION_COOKIE), state.clock())


# What a user with a temporary password may still do: see who they are, change it, log out.
WHILE_PASSWORD_TEMPORARY = frozenset({"/api/me", "/api/me/password", "/api/auth/logout"})


async def current_user(connection: HTTPConnection) -> User:
    """The signed-in user of a request or websocket, or a 401; a 403 while a temporary password is unchanged."""
    state = connection.app.state
    user = await user_for_token(state.pool, request_token(connection), state.clock())
    if user is None:
        raise ApiError(401)
    if user.must_change_password and connection.url.path not in WHILE_PASSWORD_TEMPORARY:
        raise ApiError(403, "请先修改临时密码，再进行其他操作", code="password_change_required")
    return user


_thread = threading.local()
HASHING_NICE = 10


def _verify(stored: str | None, password: str) -> bool:
    if not getattr(_thread, "niced", False):
        # Password checks are background work: under a flood the scheduler serves the event loop (every other
        # request) first. Linux nices threads one by one; argon2's lane threads inherit it.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICE)
        _thread.niced = True
    return verify_password(stored or _dummy_hash(), password)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))
