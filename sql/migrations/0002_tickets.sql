-- Tickets along the five-level chain: categories, responsibility table, places, knowledge
-- base, the tickets themselves, their append-only event log, and what hangs off a ticket.

CREATE TABLE categories (
    code         text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{1,31}$'),
    name         text NOT NULL UNIQUE,
    level1       text NOT NULL,
    description  text NOT NULL DEFAULT '',
    active       boolean NOT NULL DEFAULT true
);

-- 民生问题办理责任分解表: category x level -> owning unit type or unit (see dispatch/routing.py).
CREATE TABLE responsibility_rules (
    id                bigserial PRIMARY KEY,
    category_code     text NOT NULL REFERENCES categories (code),
    level             text NOT NULL CHECK (level IN ('city', 'district', 'department', 'street', 'community', 'grid')),
    owner_kind        text,
    owner_unit_id     bigint REFERENCES units (id),
    co_handler_kinds  text[] NOT NULL DEFAULT '{}',
    priority          integer NOT NULL DEFAULT 0,
    CHECK (owner_kind IS NULL OR owner_unit_id IS NULL),
    CHECK (level <> 'department' OR owner_kind IS NOT NULL OR owner_unit_id IS NOT NULL)
);
CREATE INDEX responsibility_rules_category ON responsibility_rules (category_code);

-- Roads and estates callers name instead of their community or street.
CREATE TABLE places (
    id       bigserial PRIMARY KEY,
    name     text NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('road', 'estate')),
    unit_id  bigint NOT NULL REFERENCES units (id),
    UNIQUE (name, unit_id)
);

CREATE TABLE kb_entries (
    id             bigserial PRIMARY KEY,
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    answer         text NOT NULL CHECK (length(answer) BETWEEN 1 AND 10000),
    category_code  text REFERENCES categories (code),
    keywords       text[] NOT NULL DEFAULT '{}',
    tokens         text NOT NULL DEFAULT '',   -- jieba tokens of title, keywords and answer, space separated
    search         tsvector GENERATED ALWAYS AS (to_tsvector('simple', tokens)) STORED,
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kb_entries_search ON kb_entries USING gin (search);

CREATE SEQUENCE ticket_number_seq;

CREATE TABLE tickets (
    id                   bigserial PRIMARY KEY,
    number               text NOT NULL UNIQUE,
    idempotency_key      text UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    type                 text NOT NULL CHECK (type IN ('consultation', 'help_request', 'complaint', 'report', 'suggestion', 'praise')),
    channel              text NOT NULL CHECK (channel IN ('phone', 'web', 'app', 'api')),
    caller_phone         text,
    caller_name          text,
    address              text NOT NULL DEFAULT '',
    content              text NOT NULL CHECK (length(content) BETWEEN 1 AND 5000),
    category_code        text REFERENCES categories (code),
    category_confidence  real,
    category_source      text CHECK (category_source IN ('classifier', 'operator', 'dispatcher')),
    urgency              text NOT NULL DEFAULT 'normal' CHECK (urgency IN ('normal', 'urgent')),
    is_complex           boolean NOT NULL DEFAULT false,
    complexity           jsonb NOT NULL DEFAULT '{}',
    place                jsonb NOT NULL DEFAULT '{}',
    -- the states of dispatch/states.py; tests/tickets/test_schema_mirrors_states.py keeps them equal
    state                text NOT NULL CHECK (state IN (
                             'new', 'pending_dispatch', 'assigned', 'signed', 'suspended', 'returned',
                             'completed', 'reviewed', 'closed', 'closed_on_spot', 'merged')),
    holder_unit_id       bigint REFERENCES units (id),
    lead_unit_id         bigint REFERENCES units (id),
    co_unit_ids          bigint[] NOT NULL DEFAULT '{}',
    master_ticket_id     bigint REFERENCES tickets (id),
    kb_entry_id          bigint REFERENCES kb_entries (id),
    routing              jsonb,
    created_by           bigint REFERENCES users (id),
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    assigned_at          timestamptz,
    signed_at            timestamptz,
    first_contact_at     timestamptz,
    completed_at         timestamptz,
    closed_at            timestamptz,
    satisfaction         text CHECK (satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    resolved             boolean,
    return_count         integer NOT NULL DEFAULT 0,
    reroute_count        integer NOT NULL DEFAULT 0,
    reopen_count         integer NOT NULL DEFAULT 0,
    version              integer NOT NULL DEFAULT 1
);
CREATE INDEX tickets_holder_state ON tickets (holder_unit_id, state);
CREATE INDEX tickets_state ON tickets (state);
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX tickets_caller ON tickets (caller_phone, created_at) WHERE caller_phone IS NOT NULL;
CREATE INDEX tickets_category_created ON tickets (category_code, created_at);

-- The allowed state changes, mirrored from dispatch.states.TRANSITIONS (same test as above).
CREATE TABLE ticket_transitions (
    from_state  text NOT NULL,
    to_state    text NOT NULL,
    PRIMARY KEY (from_state, to_state)
);
INSERT INTO ticket_transitions (from_state, to_state) VALUES
    ('assigned', 'assigned'), ('assigned', 'returned'), ('assigned', 'signed'),
    ('completed', 'reviewed'), ('completed', 'signed'),
    ('new', 'assigned'), ('new', 'closed_on_spot'), ('new', 'merged'), ('new', 'pending_dispatch'),
    ('pending_dispatch', 'assigned'), ('pending_dispatch', 'merged'),
    ('returned', 'assigned'), ('returned', 'merged'), ('returned', 'pending_dispatch'),
    ('reviewed', 'assigned'), ('reviewed', 'closed'),
    ('signed', 'assigned'), ('signed', 'completed'), ('signed', 'returned'), ('signed', 'signed'),
    ('signed', 'suspended'),
    ('suspended', 'signed'), ('suspended', 'suspended');

CREATE FUNCTION tickets_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'new' THEN
            RAISE EXCEPTION 'a ticket starts in state new, not %', NEW.state USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.state IS DISTINCT FROM OLD.state
          AND NOT EXISTS (SELECT 1 FROM ticket_transitions WHERE from_state = OLD.state AND to_state = NEW.state) THEN
        RAISE EXCEPTION 'ticket % cannot go from % to %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER tickets_transition BEFORE INSERT OR UPDATE OF state ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_check_transition();

-- 全过程可溯源: every action on a ticket, never updated or deleted.
CREATE TABLE ticket_events (
    id             bigserial PRIMARY KEY,
    ticket_id      bigint NOT NULL REFERENCES tickets (id),
    at             timestamptz NOT NULL,
    actor_id       bigint REFERENCES users (id),   -- NULL: the system (auto-dispatch, SLA timers)
    actor_unit_id  bigint REFERENCES units (id),
    action         text NOT NULL,
    from_state     text,
    to_state       text NOT NULL,
    from_unit_id   bigint REFERENCES units (id),
    to_unit_id     bigint REFERENCES units (id),
    reason         text NOT NULL DEFAULT '',
    payload        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
CREATE INDEX ticket_events_action_at ON ticket_events (action, at);

CREATE FUNCTION ticket_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE OR DELETE ON ticket_events
    FOR EACH ROW EXECUTE FUNCTION ticket_events_append_only();

-- Every unit that has held a ticket: what a unit may see ("tickets it holds or held").
CREATE TABLE ticket_units (
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    unit_id    bigint NOT NULL REFERENCES units (id),
    first_at   timestamptz NOT NULL,
    PRIMARY KEY (ticket_id, unit_id)
);
CREATE INDEX ticket_units_unit ON ticket_units (unit_id, ticket_id);

CREATE TABLE contacts (
    id         bigserial PRIMARY KEY,
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    unit_id    bigint NOT NULL REFERENCES units (id),
    user_id    bigint NOT NULL REFERENCES users (id),
    at         timestamptz NOT NULL,
    method     text NOT NULL CHECK (method IN ('phone', 'visit', 'sms', 'other')),
    outcome    text NOT NULL CHECK (outcome IN ('reached', 'unreachable', 'refused')),
    note       text NOT NULL DEFAULT ''
);
CREATE INDEX contacts_ticket ON contacts (ticket_id);

CREATE TABLE extension_requests (
    id             bigserial PRIMARY KEY,
    ticket_id      bigint NOT NULL REFERENCES tickets (id),
    unit_id        bigint NOT NULL REFERENCES units (id),
    requested_by   bigint NOT NULL REFERENCES users (id),
    requested_at   timestamptz NOT NULL,
    extra_days     integer NOT NULL CHECK (extra_days BETWEEN 1 AND 60),
    reason         text NOT NULL,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by     bigint REFERENCES users (id),
    decided_at     timestamptz,
    decision_note  text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX extension_requests_one_pending ON extension_requests (ticket_id) WHERE status = 'pending';

CREATE TABLE suspensions (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    reason      text NOT NULL,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX suspensions_one_open ON suspensions (ticket_id) WHERE ended_at IS NULL;

CREATE TABLE appeals (
    id             bigserial PRIMARY KEY,
    ticket_id      bigint NOT NULL REFERENCES tickets (id),
    unit_id        bigint NOT NULL REFERENCES units (id),
    kind           text NOT NULL CHECK (kind IN ('overdue', 'dissatisfied', 'returned', 'other')),
    reason         text NOT NULL,
    filed_by       bigint NOT NULL REFERENCES users (id),
    filed_at       timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by     bigint REFERENCES users (id),
    decided_at     timestamptz,
    decision_note  text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX appeals_one_per_kind ON appeals (ticket_id, unit_id, kind) WHERE status <> 'rejected';

-- Each read of a caller's personal data by a handler (privacy log).
CREATE TABLE pii_reads (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id),
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    at         timestamptz NOT NULL DEFAULT now(),
    fields     text[] NOT NULL
);

CREATE TABLE auth_tokens (
    token_hash    bytea PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id),
    kind          text NOT NULL CHECK (kind IN ('session', 'api')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);
