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
