-- Failing servers (issue 12 points 11-14): board events kept durably, writers that never wait long,
-- co-handlers' lists.

-- The board outbox: every board event is written here in the transaction that made the change, and
-- relayed to the Redis stream afterwards (at once by the process that committed, or later by a worker's
-- relay when Redis could not take it). `relayed_at` is set once the stream holds it; the Redis side
-- publishes each id at most once (realtime/stream.py publish_once), so a relay that runs twice, or
-- twice at once, never shows a board an event twice.
CREATE TABLE board_outbox (
    id          bigserial PRIMARY KEY,
    event_type  text NOT NULL,
    unit_path   bigint[] NOT NULL,
    payload     jsonb NOT NULL,
    at          timestamptz NOT NULL,
    relayed_at  timestamptz
);
CREATE INDEX board_outbox_pending ON board_outbox (id) WHERE relayed_at IS NULL;
CREATE INDEX board_outbox_relayed ON board_outbox (relayed_at) WHERE relayed_at IS NOT NULL;

-- Co-handlers (协办) list the tickets they may open (GET /api/tickets?scope=cohandling, and scope=all).
CREATE INDEX tickets_co_units ON tickets USING gin (co_unit_ids);

-- Score days (issue 12 point 12): a writer's trigger waits for a reader's exclusive day lock at most
-- one second, then fails (lock_not_available: the API answers 409, retry), where it used to
-- wait as long as the reader held it. Readers now hold a day's lock only while they recompute and store
-- that one day (hotline/report/score_days.py), so the wait is a few milliseconds in practice. The
-- writer's own lock_timeout is restored for the rest of its transaction.
CREATE OR REPLACE FUNCTION score_days_touch(times timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    saved text := current_setting('lock_timeout');
BEGIN
    PERFORM set_config('lock_timeout', '1s', true);
    PERFORM pg_advisory_xact_lock_shared(12345, k)
    FROM (SELECT DISTINCT floor(extract(epoch FROM x) / 86400)::integer AS k FROM unnest(times) x ORDER BY 1) days;
    PERFORM set_config('lock_timeout', saved, true);
    DELETE FROM score_days d USING unnest(times) x
    WHERE d.day_start <= x AND d.day_start > x - interval '2 days' AND x < d.day_end;
END $$;
