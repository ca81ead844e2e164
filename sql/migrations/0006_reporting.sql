-- Reporting: early warnings (未诉先办) and the indexes the monthly report and rankings read by.

CREATE TABLE early_warnings (
    id             bigserial PRIMARY KEY,
    cluster_kind   text NOT NULL CHECK (cluster_kind IN ('place', 'text')),
    cluster_key    text NOT NULL,                 -- category:community id, or text:<first ticket id>
    category_code  text REFERENCES categories (code),
    community_id   bigint REFERENCES units (id),
    window_start   timestamptz NOT NULL,
    window_end     timestamptz NOT NULL,
    ticket_count   integer NOT NULL,
    baseline_mean  double precision NOT NULL,
    baseline_std   double precision NOT NULL,
    ticket_ids     bigint[] NOT NULL,
    sample_text    text NOT NULL DEFAULT '',
    raised_at      timestamptz NOT NULL,
    published_at   timestamptz,
    UNIQUE (cluster_key, window_start)
);
CREATE INDEX early_warnings_window ON early_warnings (window_start);

CREATE INDEX tickets_lead_created ON tickets (lead_unit_id, created_at);
CREATE INDEX appeals_ticket ON appeals (ticket_id) WHERE status = 'approved';
