-- A whole day at the office in the pages (issue 13 parts 1, 3, 4, 5, 8, 9): the callback clock and its
-- attempts, supervision orders answered and reviewed with their own answer clock, co-units' parts,
-- knowledge-base answers linked to dispatched tickets, and leaders' hotline days (专题服务日).

-- Two more clocks beside a ticket's own (reply, accept, complete): the hotline centre's callback (回访)
-- and a supervised unit's answer to an order (督办答复). A ticket may have several open orders, so the
-- one-open-clock-per-track rule holds for the other tracks only.
ALTER TABLE deadlines DROP CONSTRAINT deadlines_track_check;
ALTER TABLE deadlines ADD CONSTRAINT deadlines_track_check
    CHECK (track IN ('reply', 'accept', 'complete', 'callback', 'order'));
DROP INDEX deadlines_one_open_per_track;
CREATE UNIQUE INDEX deadlines_one_open_per_track ON deadlines (ticket_id, track)
    WHERE status IN ('running', 'paused') AND track <> 'order';

-- Every callback attempt, reached or not: N unreachable attempts close the ticket as 无法联系.
-- `round` is the ticket's reopen_count at the time (each 重办 starts a new round of attempts).
CREATE TABLE callback_attempts (
    id            bigserial PRIMARY KEY,
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    round         integer NOT NULL,
    at            timestamptz NOT NULL,
    user_id       bigint NOT NULL REFERENCES users (id),
    outcome       text NOT NULL CHECK (outcome IN ('satisfied', 'dissatisfied', 'unreachable', 'unreachable_closed',
                                                   'waived')),
    resolved      boolean,
    satisfaction  text CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    note          text NOT NULL DEFAULT ''
);
CREATE INDEX callback_attempts_ticket ON callback_attempts (ticket_id, round);
CREATE INDEX callback_attempts_at ON callback_attempts (at);

-- Supervision both ways: who issued an order (the supervising level), the unit's answer, the answer clock,
-- the escalation when it was missed, and the supervisor's review (close, or re-issue: open again).
ALTER TABLE supervision_orders
    ADD COLUMN issuer_unit_id     bigint REFERENCES units (id),
    ADD COLUMN answered_by        bigint REFERENCES users (id),
    ADD COLUMN finish_by          date,                   -- the unit's word: finished by this day
    ADD COLUMN escalated_to       bigint REFERENCES units (id),
    ADD COLUMN escalated_at       timestamptz,
    ADD COLUMN reviewed_by        bigint REFERENCES users (id),
    ADD COLUMN reviewed_at        timestamptz,
    ADD COLUMN review_note        text NOT NULL DEFAULT '',
    ADD COLUMN rounds             integer NOT NULL DEFAULT 1;
CREATE INDEX supervision_orders_issuer ON supervision_orders (issuer_unit_id, status);
-- An order's answer clock names its order (one open per order; a re-issued order gets a new one).
ALTER TABLE deadlines ADD COLUMN order_id bigint REFERENCES supervision_orders (id);
CREATE UNIQUE INDEX deadlines_one_open_per_order ON deadlines (order_id)
    WHERE order_id IS NOT NULL AND status IN ('running', 'paused');

-- Appeals carry the descriptions of their attachments (the files themselves stay with the unit).
ALTER TABLE appeals ADD COLUMN attachments text[] NOT NULL DEFAULT '{}';

-- 协办: each co-unit's part of a ticket (notes and contacts are events and contact rows of its unit).
CREATE TABLE co_unit_parts (
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    unit_id    bigint NOT NULL REFERENCES units (id),
    added_at   timestamptz NOT NULL,
    added_by   bigint REFERENCES users (id),           -- NULL: routing added it
    done_at    timestamptz,
    done_by    bigint REFERENCES users (id),
    result     text NOT NULL DEFAULT '',
    PRIMARY KEY (ticket_id, unit_id),
    CHECK ((done_at IS NULL) = (done_by IS NULL))
);
CREATE INDEX co_unit_parts_unit ON co_unit_parts (unit_id, ticket_id);

-- Knowledge-base answers given on a dispatched ticket (直接办结 keeps tickets.kb_entry_id).
CREATE TABLE ticket_kb_links (
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    kb_entry_id  bigint NOT NULL REFERENCES kb_entries (id),
    unit_id      bigint NOT NULL REFERENCES units (id),
    linked_by    bigint NOT NULL REFERENCES users (id),
    linked_at    timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, kb_entry_id)
);

-- 专题服务日: a unit's leader answers the hotline for some hours; calls in that window about the unit's
-- domain are marked (service_day_tickets) when they are taken.
CREATE TABLE service_days (
    id           bigserial PRIMARY KEY,
    unit_id      bigint NOT NULL REFERENCES units (id),
    leader       text NOT NULL CHECK (length(leader) BETWEEN 1 AND 100),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    topic        text NOT NULL CHECK (length(topic) BETWEEN 1 AND 200),
    created_by   bigint NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX service_days_window ON service_days (starts_at, ends_at);

CREATE TABLE service_day_tickets (
    service_day_id  bigint NOT NULL REFERENCES service_days (id),
    ticket_id       bigint NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (service_day_id, ticket_id)
);
CREATE INDEX service_day_tickets_ticket ON service_day_tickets (ticket_id);
