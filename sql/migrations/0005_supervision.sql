-- 督办单: supervision orders, issued by a supervisor or by the system when a deadline passes.
CREATE TABLE supervision_orders (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    unit_id      bigint NOT NULL REFERENCES units (id),     -- the unit supervised
    deadline_id  bigint UNIQUE REFERENCES deadlines (id),   -- set for the automatic order of an overdue deadline
    issued_by    bigint REFERENCES users (id),              -- NULL: issued by the system
    issued_at    timestamptz NOT NULL,
    reason       text NOT NULL,
    due_at       timestamptz,                               -- when the supervised unit must answer
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'closed')),
    answer       text NOT NULL DEFAULT '',
    answered_at  timestamptz
);
CREATE INDEX supervision_orders_unit ON supervision_orders (unit_id, status);
CREATE INDEX supervision_orders_ticket ON supervision_orders (ticket_id);
