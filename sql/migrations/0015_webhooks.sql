-- Outbound webhooks (issue 13 part 7): a unit's (or one of its people's) endpoint that gets a signed JSON POST
-- for the events it subscribed to, and every delivery with its attempts, so administrators see what failed.

CREATE TABLE webhooks (
    id               bigserial PRIMARY KEY,
    unit_id          bigint NOT NULL REFERENCES units (id),
    user_id          bigint REFERENCES users (id),          -- a person's own endpoint (their messenger); their unit's events
    url              text NOT NULL CHECK (url ~ '^https?://[^\s]+$' AND length(url) <= 2000),
    events           text[] NOT NULL CHECK (cardinality(events) > 0 AND events <@ ARRAY[
                         'assigned', 'urged', 'order_issued', 'warning', 'overdue', 'returned', 'reopened']),
    include_subtree  boolean NOT NULL DEFAULT false,        -- also the events of the units below
    secret           text NOT NULL,                         -- the HMAC key, shown once when created
    enabled          boolean NOT NULL DEFAULT true,
    created_by       bigint REFERENCES users (id),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX webhooks_unit ON webhooks (unit_id);

-- One event for one webhook: created once (the stream id makes it unique), tried until delivered or given up.
CREATE TABLE webhook_deliveries (
    id               bigserial PRIMARY KEY,
    webhook_id       bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         text NOT NULL,                         -- the realtime stream id of the event
    event            text NOT NULL,
    payload          jsonb NOT NULL,
    created_at       timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    last_attempt_at  timestamptz,
    last_status      integer,                               -- the receiver's HTTP status, if it answered
    last_error       text NOT NULL DEFAULT '',
    delivered_at     timestamptz,
    failed_at        timestamptz,                           -- given up after the last attempt
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, id DESC);
