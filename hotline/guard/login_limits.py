"""Failed sign-ins counted in Redis, per username and per client address, in fixed windows.

Every attempt counts as failed from the start (atomically, so concurrent guesses cannot slip past the
limit) and a right password takes it back. Past either limit the login is refused with the seconds until
the window ends, before the password is checked (so a flood costs no hashing). Unknown usernames count like
known ones, so the limit says nothing about which accounts exist. A successful sign-in clears its
username's counter and gives its address the attempt back.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from hotline.settings import Settings


@dataclass(frozen=True)
class FailedLogins:
    redis: Redis
    prefix: str  # the deployment's queue name: cities sharing one Redis keep their counters apart
    per_user: int
    per_address: int
    window_s: int

    @classmethod
    def of(cls, redis: Redis, settings: Settings) -> FailedLogins:
        auth = settings.auth
        return cls(
            redis,
            f"{settings.redis.queue_name}:login-failures",
            auth.failed_logins_per_user,
            auth.failed_logins_per_address,
            auth.failed_login_window_s,
        )

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        return f"{self.prefix}:user:{username.lower()}", f"{self.prefix}:address:{address}"

    async def attempt(self, username: str, address: str) -> int:
        """Count this attempt as failed until it succeeds (so guesses in flight together cannot slip past the
        limit); the seconds to wait when it is over either limit, else 0."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in self._keys(username, address):
                pipe.incr(key)
                pipe.expire(key, self.window_s, nx=True)
                pipe.ttl(key)
            user_n, _, user_ttl, address_n, _, address_ttl = await pipe.execute()
        waits = [
            max(int(ttl), 1)
            for count, ttl, limit in ((user_n, user_ttl, self.per_user), (address_n, address_ttl, self.per_address))
            if int(count) > limit
        ]
        return max(waits, default=0)

    async def succeeded(self, username: str, address: str) -> None:
        """A right password: its username starts again, and its address gets this attempt back."""
        user_key, address_key = self._keys(username, address)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(user_key)
            pipe.decr(address_key)
            await pipe.execute()
