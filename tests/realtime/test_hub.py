"""Events, the stream and the hub's reader against a real Redis (no websockets here)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import redis.asyncio as aioredis

from realtime import Event, Hub, publish
from realtime.events import ORIGIN, id_key
from realtime.hub import Replay
from realtime.stream import DEFAULT_STREAM, entry_fields, publish_many
from tests.support.waiting import eventually

pytestmark = pytest.mark.usefixtures("clean")


@pytest.fixture
async def hub(redis: aioredis.Redis) -> AsyncIterator[Hub]:
    async with Hub(redis, block_ms=200, replay_limit=50) as running:
        yield running


async def next_event(queue: asyncio.Queue[Event]) -> Event:
    return await asyncio.wait_for(queue.get(), 5)


def test_an_event_round_trips_through_json() -> None:
    event = Event("1700000000000-3", "sla.overdue", "2026-11-22T01:02:03.004+00:00", [1, 5], {"标题": "占道经营"})
    assert Event.from_json(event.to_json()) == event
    assert '"标题":"占道经营"' in event.to_json()  # readable Chinese, not \\u escapes
    assert id_key("1700000000000-3") < id_key("1700000000000-10") < id_key("1700000000001-0")
    with pytest.raises(ValueError):
        id_key("1700000000000")


async def test_publish_returns_the_stream_id_and_keeps_times_in_utc(redis: aioredis.Redis) -> None:
    beijing = timezone(timedelta(hours=8))
    first = await publish(
        redis, "ticket.created", [1, 5], {"ticket": 1}, at=datetime(2026, 11, 22, 9, 30, tzinfo=beijing)
    )
    second = await publish(redis, "ticket.signed", [1, 5])
    assert id_key(first) < id_key(second)

    [(entry_id, fields)] = await redis.xrange(DEFAULT_STREAM, count=1)
    event = Event.from_entry(entry_id, fields)
    assert event == Event(first, "ticket.created", "2026-11-22T01:30:00.000+00:00", [1, 5], {"ticket": 1})
    with pytest.raises(ValueError, match="timezone-aware"):
        await publish(redis, "ticket.created", [1], at=datetime(2026, 11, 22, 9, 30))  # noqa: DTZ001


async def test_publish_many_appends_in_order_in_one_go(hub: Hub, redis: aioredis.Redis) -> None:
    queue = hub.subscribe(lambda event: True).queue
    ids = await publish_many(redis, [("ticket.created", [1], {"n": 1}), ("ticket.dispatched", [1, 5], {"n": 2})])
    assert id_key(ids[0]) < id_key(ids[1])
    received = [await next_event(queue), await next_event(queue)]
    assert [(e.id, e.type, e.unit_path, e.payload) for e in received] == [
        (ids[0], "ticket.created", [1], {"n": 1}),
        (ids[1], "ticket.dispatched", [1, 5], {"n": 2}),
    ]


async def test_publish_trims_the_stream_approximately(redis: aioredis.Redis) -> None:
    for n in range(300):
        await publish(redis, "ticket.created", [1], {"n": n}, maxlen=10)
    assert 10 <= await redis.xlen(DEFAULT_STREAM) < 300


async def test_the_reader_fans_out_to_the_subscribers_that_accept(hub: Hub, redis: aioredis.Redis) -> None:
    five = hub.subscribe(lambda event: 5 in event.unit_path)
    nine = hub.subscribe(lambda event: 9 in event.unit_path)
    in_nine = await publish(redis, "ticket.created", [1, 9], {})
    in_five = await publish(redis, "ticket.created", [1, 5], {})
    assert (await next_event(five.queue)).id == in_five
    assert (await next_event(nine.queue)).id == in_nine
    assert five.queue.empty() and nine.queue.empty()


async def test_a_unit_s_subscribers_get_the_events_whose_path_holds_it(hub: Hub, redis: aioredis.Redis) -> None:
    """Found through the hub's index by unit, beside subscribers with a filter of their own."""
    city, street, other = hub.subscribe(unit=1), hub.subscribe(unit=5), hub.subscribe(unit=5)
    everything = hub.subscribe(lambda event: True)
    in_nine = await publish(redis, "ticket.created", [1, 3, 9], {})
    in_five = await publish(redis, "ticket.created", [1, 3, 5], {})
    assert [(await next_event(city.queue)).id for _ in range(2)] == [in_nine, in_five]
    assert [(await next_event(s.queue)).id for s in (street, other)] == [in_five, in_five]
    assert [(await next_event(everything.queue)).id for _ in range(2)] == [in_nine, in_five]

    hub.unsubscribe(other)
    only_five = await publish(redis, "ticket.signed", [5], {})
    assert (await next_event(street.queue)).id == only_five
    assert other.queue.empty() and city.queue.empty() and hub.subscriber_count == 3
    for wrong in ({}, {"accepts": lambda event: True, "unit": 5}):
        with pytest.raises(ValueError):
            hub.subscribe(**wrong)  # type: ignore[arg-type]


async def test_a_full_queue_drops_only_that_subscriber(redis: aioredis.Redis) -> None:
    async with Hub(redis, queue_size=2, block_ms=200) as hub:
        slow = hub.subscribe(unit=1)  # found through the unit index: dropped from it too
        fast = hub.subscribe(lambda event: True)
        dropped: list[str] = []
        slow.on_drop(lambda: dropped.append("slow"))
        published = []
        for n in range(3):
            published.append(await publish(redis, "ticket.created", [1], {"n": n}))
            assert (await next_event(fast.queue)).id == published[-1]
        await eventually(lambda: slow.dropped == "slow", message="the slow subscriber dropped")
        assert dropped == ["slow"]
        assert hub.subscriber_count == 1 and hub.dropped_slow == 1
        assert [e.id for e in (slow.queue.get_nowait(), slow.queue.get_nowait())] == published[:2]
        after = await publish(redis, "ticket.created", [1], {})
        assert (await next_event(fast.queue)).id == after and slow.queue.empty()  # no longer queued for


async def test_a_broken_filter_or_a_foreign_entry_does_not_stop_the_reader(hub: Hub, redis: aioredis.Redis) -> None:
    def broken(event: Event) -> bool:
        raise RuntimeError("bug in a filter")

    hub.subscribe(broken)
    sound = hub.subscribe(lambda event: True)
    await redis.xadd(DEFAULT_STREAM, {"written": "by something else"})
    first = await publish(redis, "ticket.created", [1], {})
    second = await publish(redis, "ticket.created", [1], {})
    assert [(await next_event(sound.queue)).id for _ in range(2)] == [first, second]


async def test_events_since_replays_exactly_or_asks_for_a_snapshot(redis: aioredis.Redis) -> None:
    """From the stream: what a hub that keeps nothing in memory does (and any hub, for an id it no longer keeps)."""
    async with Hub(redis, block_ms=200, replay_limit=50, recent_size=0) as hub:
        published = [await publish(redis, "ticket.created", [1, 5], {"n": n}) for n in range(5)]
        assert ids(await hub.events_since(published[1])) == published[2:]
        assert await hub.events_since(published[-1]) == ([], published[-1])

        await redis.xtrim(DEFAULT_STREAM, maxlen=3, approximate=False)
        assert await hub.events_since(published[1]) is None  # trimmed away
        assert ids(await hub.events_since(published[2])) == published[3:]
        for unknown in ("0-0", "1-1", "garbage", "", "99999999999999-0"):
            assert await hub.events_since(unknown) is None, unknown

        for n in range(51):
            await publish(redis, "ticket.created", [1], {"n": n})
        assert await hub.events_since(published[-1]) is None  # more than replay_limit behind


async def test_the_hub_replays_what_it_read_from_memory(hub: Hub, redis: aioredis.Redis) -> None:
    """A board connecting or resuming a moment behind is replayed from the entries the hub's reader keeps: exactly,
    without reading the stream again (here: after the stream lost them), and only what the board may see."""
    everything = hub.subscribe(lambda event: True)
    at = datetime.now(UTC).isoformat()
    published = [  # ids of our own choosing, so one can fall between two entries
        (
            await redis.xadd(DEFAULT_STREAM, entry_fields("ticket.created", [1, 5 + n % 2], {}, at), id=f"{n}0-0")
        ).decode()
        for n in range(1, 7)
    ]
    for _ in published:
        await next_event(everything.queue)  # the reader has read them all
    await redis.xtrim(DEFAULT_STREAM, maxlen=1, approximate=False)

    assert ids(await hub.events_since(published[1])) == published[2:]
    street_5 = await hub.events_since(published[1], lambda event: 5 in event.unit_path)
    assert ids(street_5) == published[3::2] and street_5 is not None and street_5.through == published[-1]
    assert await hub.events_since(published[-1]) == ([], published[-1])
    for unknown in ("0-0", "1-1", "25-0", "61-0"):
        assert await hub.events_since(unknown) is None, unknown  # not an entry the hub read: from the stream


async def test_a_replay_from_memory_reads_what_the_reader_has_not_read_yet(redis: aioredis.Redis) -> None:
    """A replay runs to the stream's end, as a resume's `resumed` frame promises, however far the reader is."""
    async with Hub(redis, block_ms=200) as hub:
        everything = hub.subscribe(lambda event: True)
        read = [await publish(redis, "ticket.created", [1], {"n": n}) for n in range(2)]
        for _ in read:
            await next_event(everything.queue)
    unread = [await publish(redis, "ticket.signed", [1], {"n": n}) for n in range(2)]  # the reader has stopped
    replay = await hub.events_since(read[0])
    assert ids(replay) == [read[1], *unread] and replay is not None and replay.through == unread[-1]


async def test_the_hub_keeps_only_its_latest_entries_and_limits_what_a_replay_sends(redis: aioredis.Redis) -> None:
    async with Hub(redis, block_ms=200, replay_limit=2, recent_size=3) as hub:
        everything = hub.subscribe(lambda event: True)
        published = [await publish(redis, "ticket.created", [1, 5 + n % 2], {"n": n}) for n in range(6)]
        for _ in published:
            await next_event(everything.queue)
        await redis.xtrim(DEFAULT_STREAM, maxlen=1, approximate=False)

        assert await hub.events_since(published[1]) is None  # kept no longer, and trimmed from the stream
        assert await hub.events_since(published[2]) is None  # three events to send: more than replay_limit
        street_6 = await hub.events_since(published[2], lambda event: 6 in event.unit_path)
        assert ids(street_6) == [published[3], published[5]]  # two of them this board's: replayed


def ids(replay: Replay | None) -> list[str]:
    assert replay is not None
    return [event.id for event in replay.events]


async def test_an_empty_stream_gets_an_origin_no_client_ever_sees(hub: Hub, redis: aioredis.Redis) -> None:
    everything = hub.subscribe(lambda event: True)
    tail = await hub.tail_id()
    [(origin_id, fields)] = await redis.xrange(DEFAULT_STREAM)
    assert origin_id.decode() == tail and fields[b"type"].decode() == ORIGIN
    assert await hub.tail_id() == tail  # written once, not per snapshot
    assert await hub.events_since(tail) == ([], tail)

    real = await publish(redis, "ticket.created", [1], {})
    assert (await next_event(everything.queue)).id == real
    assert await hub.events_since("0-0") is None  # never an entry: no way to know what it missed
    replay = await hub.events_since(tail)
    assert replay is not None and [e.type for e in replay.events] == ["ticket.created"]


async def test_the_hub_starts_from_the_end_of_the_stream(redis: aioredis.Redis) -> None:
    before = await publish(redis, "ticket.created", [1], {})
    async with Hub(redis, block_ms=200) as hub:
        assert hub.ready and hub.position == before
        everything = hub.subscribe(lambda event: True)
        after = await publish(redis, "ticket.created", [1], {})
        assert (await next_event(everything.queue)).id == after
        await eventually(lambda: hub.position == after, message="the reader's position at the last event")
