-- SLA clocks. A deadline row keeps the facts (rule, start); due_at and warn_at are derived from
-- them with suspensions and approved extensions (dispatch/sla.py) and stored for indexing,
-- recomputed whenever a fact changes.

CREATE TABLE deadlines (
    id                bigserial PRIMARY KEY,
    ticket_id         bigint NOT NULL REFERENCES tickets (id),
    unit_id           bigint NOT NULL REFERENCES units (id),    -- the unit on the clock
    track             text NOT NULL CHECK (track IN ('reply', 'accept', 'complete')),
    rule_name         text NOT NULL,
    duration_seconds  double precision NOT NULL CHECK (duration_seconds > 0),
    counts            text NOT NULL CHECK (counts IN ('natural', 'working')),
    warn_fraction     double precision NOT NULL CHECK (warn_fraction > 0 AND warn_fraction < 1),
    start_at          timestamptz NOT NULL,
    due_at            timestamptz NOT NULL,
    warn_at           timestamptz NOT NULL,
    status            text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'paused', 'met', 'cancelled')),
    ended_at          timestamptz,
    CHECK ((status IN ('running', 'paused')) = (ended_at IS NULL))
);
CREATE UNIQUE INDEX deadlines_one_open_per_track ON deadlines (ticket_id, track) WHERE status IN ('running', 'paused');
CREATE INDEX deadlines_running_due ON deadlines (due_at) WHERE status = 'running';
CREATE INDEX deadlines_running_warn ON deadlines (warn_at) WHERE status = 'running';
CREATE INDEX deadlines_ticket ON deadlines (ticket_id);

-- One alert per deadline and kind, however many timers or sweeps find it due.
CREATE TABLE sla_alerts (
    id            bigserial PRIMARY KEY,
    deadline_id   bigint NOT NULL REFERENCES deadlines (id),
    ticket_id     bigint NOT NULL REFERENCES tickets (id),
    unit_id       bigint NOT NULL REFERENCES units (id),
    kind          text NOT NULL CHECK (kind IN ('warning', 'overdue')),
    due_at        timestamptz NOT NULL,
    raised_at     timestamptz NOT NULL,
    published_at  timestamptz,
    UNIQUE (deadline_id, kind)
);
CREATE INDEX sla_alerts_unpublished ON sla_alerts (raised_at) WHERE published_at IS NULL;
CREATE INDEX sla_alerts_unit ON sla_alerts (unit_id, raised_at);
