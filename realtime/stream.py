"""The Redis Stream that carries board events: publish, read after an id, replay a range.

Any process that can reach Redis publishes here (web processes, workers, timers); every
web process's `Hub` reads it. Redis assigns the ids, so they are ordered across publishers.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Final

from redis.asyncio import Redis

from realtime.events import ORIGIN, Event, entry_fields, iso_utc, utc_now_iso

DEFAULT_STREAM: Final = "realtime:events"
# About a day of a large city's events; XADD trims approximately, which is much cheaper.
DEFAULT_MAXLEN: Final = 100_000

log = logging.getLogger(__name__)

Entries = list[tuple[Any, dict[Any, Any]]]


async def publish(
    redis: Redis,
    event_type: str,
    unit_path: list[int],
    payload: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
    stream: str = DEFAULT_STREAM,
    maxlen: int = DEFAULT_MAXLEN,
) -> str:
    """Append an event to the stream and return its id.

    Call it after the transaction that made the change has committed: a client that takes a
    snapshot after this id must find the change in the database.
    """
    fields = entry_fields(event_type, unit_path, payload or {}, iso_utc(at) if at else utc_now_iso())
    event_id = await redis.xadd(stream, fields, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
    return _text(event_id)


BoardEvent = tuple[str, list[int], dict[str, Any]]


async def publish_many(
    redis: Redis, events: list[BoardEvent], *, stream: str = DEFAULT_STREAM, maxlen: int = DEFAULT_MAXLEN
) -> list[str]:
    """Append (type, unit_path, payload) events in order, in one pipelined round trip; their ids.

    A timer firing raises hundreds of alerts at once: one XADD round trip each would be most
    of its time. Not a transaction, so a Redis failure part-way may leave a prefix published.
    """
    if not events:
        return []
    at = utc_now_iso()
    async with redis.pipeline(transaction=False) as pipe:
        for event_type, unit_path, payload in events:
            fields = entry_fields(event_type, unit_path, payload, at)
            pipe.xadd(stream, fields, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
        ids = await pipe.execute()
    return [_text(i) for i in ids]


# Each event appended at most once, however many relays try: the key of an event is remembered in a
# sorted set (scored by the key, the newest PUBLISHED_KEPT kept) in the same atomic script as its XADD.
# ARGV: maxlen, kept, then (key, type, at, unit_path, payload) per event; returns each stream id, or false
# for an event appended before.
_PUBLISH_ONCE = """
local ids = {}
for i = 3, #ARGV, 5 do
  if redis.call('ZADD', KEYS[2], 'NX', ARGV[i], ARGV[i]) == 1 then
    ids[#ids + 1] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
      'type', ARGV[i + 1], 'at', ARGV[i + 2], 'unit_path', ARGV[i + 3], 'payload', ARGV[i + 4])
  else
    ids[#ids + 1] = false
  end
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[2]) - 1)
return ids
"""
PUBLISHED_KEPT: Final = 200_000

# (key, type, unit_path, payload, at): an event with the integer that names it for good (the outbox row id)
KeyedEvent = tuple[int, str, list[int], dict[str, Any], datetime]


async def publish_once(
    redis: Redis, events: list[KeyedEvent], *, stream: str = DEFAULT_STREAM, maxlen: int = DEFAULT_MAXLEN
) -> list[str | None]:
    """Append events in order, each only if its key was never appended before (a relay may retry a batch
    that got out but was not marked, or two relays may race); the new stream ids, None where skipped.
    One script, so Redis runs it whole: an event and its key go in together or not at all."""
    if not events:
        return []
    argv: list[Any] = [maxlen, PUBLISHED_KEPT]
    for key, event_type, unit_path, payload, at in events:
        fields = entry_fields(event_type, unit_path, payload, iso_utc(at))
        argv += [key, fields["type"], fields["at"], fields["unit_path"], fields["payload"]]
    ids = await redis.eval(_PUBLISH_ONCE, 2, stream, f"{stream}:published", *argv)  # type: ignore[misc]
    return [_text(i) if i else None for i in ids]


async def forget_published(redis: Redis, stream: str = DEFAULT_STREAM) -> None:
    """Forget which keys `publish_once` appended: a database restored from a backup numbers its outbox from the
    backup's point again, and keys remembered from the database it replaces would silence its new events."""
    await redis.delete(f"{stream}:published")


async def last_id(redis: Redis, stream: str) -> str | None:
    """The id of the newest entry, or None when the stream is empty or missing."""
    entries = await redis.xrevrange(stream, count=1)
    return _text(entries[0][0]) if entries else None


async def add_origin(redis: Redis, stream: str, maxlen: int) -> str:
    """Write an entry no client sees, so an empty stream still has an id to resume from."""
    return await publish(redis, ORIGIN, [], {}, stream=stream, maxlen=maxlen)


async def contains(redis: Redis, stream: str, event_id: str) -> bool:
    return bool(await redis.xrange(stream, min=event_id, max=event_id, count=1))


async def read_after(redis: Redis, stream: str, after: str, *, count: int, block_ms: int) -> tuple[str, list[Event]]:
    """XREAD BLOCK: (the id to read after next time, the events that arrived)."""
    reply = await redis.xread({stream: after}, count=count, block=block_ms)
    if isinstance(reply, dict):  # RESP3 replies map stream name to entries
        batches = list(reply.values())
    else:
        batches = [entries for _name, entries in reply or []]
    entries = [entry for batch in batches for entry in batch]
    return decode(entries, after)


async def range_after(redis: Redis, stream: str, after: str, *, count: int) -> tuple[bool, Entries]:
    """Whether `after` is still in the stream, and up to `count` entries following it.

    Both reads run in one MULTI so a trim cannot fall between them.
    """
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xrange(stream, min=after, max=after, count=1)
        pipe.xrange(stream, min=f"({after}", max="+", count=count)
        found, entries = await pipe.execute()
    return bool(found), list(entries)


def decode(entries: Entries, after: str) -> tuple[str, list[Event]]:
    """Decode entries, skipping (and logging) any not written by `publish`."""
    position = after
    events: list[Event] = []
    for entry_id, fields in entries:
        position = _text(entry_id)
        try:
            events.append(Event.from_entry(entry_id, fields))
        except (KeyError, ValueError, TypeError, json.JSONDecodeError):
            log.warning("skipping malformed stream entry %s", position)
    return position, events


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
