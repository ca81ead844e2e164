"""Password hashing (argon2id), with the parameters of [auth] (see config.toml).

The hasher is process-wide because the callers that write hashes (the demo seed, the user import)
take no settings: each process entry point calls `configure` once, right after loading its
settings. Until then the hasher uses the shipped parameters. A stored hash carries its own
parameters, so `verify_password` checks hashes made with any of them.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hotline.settings import AuthSettings

LANES = 4


def _hasher_for(auth: AuthSettings) -> PasswordHasher:
    return PasswordHasher(time_cost=auth.argon2_time_cost, memory_cost=auth.argon2_memory_kib, parallelism=LANES)


_hasher = _hasher_for(AuthSettings())


def configure(auth: AuthSettings) -> None:
    """Hash new passwords with these parameters from now on (called once per process, at start-up)."""
    global _hasher
    _hasher = _hasher_for(auth)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
