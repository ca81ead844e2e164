"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>", so a receiver can check the sender and refuse
a replayed request (docs/realtime.md shows the check in a few lines)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Hotline-Signature"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, given: str) -> bool:
    """What a receiver does (the tests too): recompute and compare in constant time."""
    return timestamp.isdigit() and hmac.compare_digest(signature(secret, int(timestamp), body), given)
