"""Production mode ([app] env = "production") refuses to start while the demo city's accounts are there or an
administrator still signs in with the demo password: anyone who has read the README could sign in."""

from __future__ import annotations

import anyio
import asyncpg

from hotline.demo.city import DEMO_PASSWORD, demo_units, demo_users
from hotline.passwords import verify_password
from hotline.queries import Q

SHOWN = 5  # demo usernames named in the message; the rest are counted


class ProductionRefused(RuntimeError):
    """The message says what is wrong and what to do."""


async def check(conn: asyncpg.Connection) -> None:
    problems = []
    demo = [username for username, *_ in demo_users(demo_units())]
    present = [r["username"] for r in await conn.fetch(Q.users_named, demo)]
    if present:
        more = f" and {len(present) - SHOWN} more" if len(present) > SHOWN else ""
        problems.append(f"demo users exist ({', '.join(present[:SHOWN])}{more}): remove the demo city's accounts")
    for row in await conn.fetch(Q.active_admin_hashes):  # administrators are few; argon2 is slow on purpose
        if await anyio.to_thread.run_sync(verify_password, row["password_hash"], DEMO_PASSWORD):
            problems.append(f"administrator {row['username']} has the demo password: set another")
    if problems:
        raise ProductionRefused('[app] env = "production" refuses to start: ' + "; ".join(problems))
