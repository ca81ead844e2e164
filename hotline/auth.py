"""Login, session cookies and bearer tokens. Tokens are random; only their SHA-256 is stored."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

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

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> User:
        return cls(row["id"], row["username"], row["display_name"], Role(row["role"]), row["unit_id"])


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
    }


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def login(conn: asyncpg.Connection, username: str, password: str, kind: str, now: datetime) -> tuple[str, User]:
    row = await conn.fetchrow(Q.user_by_username, username)
    # verify against a dummy hash when the user is unknown, so timing does not reveal which usernames exist
    valid = verify_password(row["password_hash"] if row else _dummy_hash(), password)
    if row is None or not valid or not row["active"]:
        raise ApiError(401, "用户名或密码不正确", code="bad_credentials")
    token = secrets.token_urlsafe(32)
    lifetime = SESSION_LIFETIME if kind == "session" else API_TOKEN_LIFETIME
    await conn.execute(Q.insert_token, _digest(token), row["id"], kind, now, now + lifetime)
    return token, User.from_row(row)


async def logout(conn: asyncpg.Connection, token: str) -> None:
    await conn.execute(Q.delete_token, _digest(token))


def request_token(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return connection.cookies.get(SESSION_COOKIE) or connection.query_params.get("token")


async def user_for_token(pool: asyncpg.Pool, token: str | None, now: datetime) -> User | None:
    if not token:
        return None
    row = await pool.fetchrow(Q.user_by_token, _digest(token), now)
    return User.from_row(row) if row else None


async def session_user(connection: HTTPConnection) -> User | None:
    """The user of a page request's session cookie, or None (the page then asks to log in)."""
    state = connection.app.state
    return await user_for_token(state.pool, connection.cookies.get(SESSION_COOKIE), state.clock())


async def current_user(connection: HTTPConnection) -> User:
    """The signed-in user of a request or websocket, or a 401."""
    state = connection.app.state
    user = await user_for_token(state.pool, request_token(connection), state.clock())
    if user is None:
        raise ApiError(401)
    return user


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))
