-- SLA rules and the working calendar live in the database, edited by administrators in the pages or
-- imported (hotline/sla/rules_store.py); config.toml's [sla] and [calendar] only seed a new database.
-- Every process caches them and reloads when sla_settings.version moves. The version is a column of
-- the rules' own row, written in the same transaction as the change, so a process never sees a new
-- version before the rules it stands for are committed.

CREATE SEQUENCE sla_rules_version_seq;

-- One row: the first-response limits, the warning fraction and the office week.
CREATE TABLE sla_settings (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version         bigint NOT NULL DEFAULT 0,
    reply_minutes   double precision NOT NULL CHECK (reply_minutes > 0),
    reply_counts    text NOT NULL CHECK (reply_counts IN ('natural', 'working')),
    accept_minutes  double precision NOT NULL CHECK (accept_minutes > 0),
    accept_counts   text NOT NULL CHECK (accept_counts IN ('natural', 'working')),
    warn_fraction   double precision NOT NULL CHECK (warn_fraction > 0 AND warn_fraction < 1),
    office_hours    jsonb NOT NULL,       -- [["09:00", "12:00"], ["13:30", "17:30"]]: the lunch break is the gap
    weekdays        smallint[] NOT NULL,  -- ISO weekdays that work, 1 = Monday
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Completion limits per ticket type x category; NULL means "any". The most specific row wins:
-- (type, category), (any, category), (type, any), (any, any) — dispatch/sla.py SlaPolicy.
CREATE TABLE sla_completion_rules (
    id             bigserial PRIMARY KEY,
    ticket_type    text CHECK (ticket_type IN ('consultation', 'help_request', 'complaint', 'report', 'suggestion',
                                               'praise')),
    category_code  text REFERENCES categories (code) ON UPDATE CASCADE ON DELETE CASCADE,
    days           integer NOT NULL CHECK (days BETWEEN 1 AND 365),
    counts         text NOT NULL CHECK (counts IN ('natural', 'working'))
);
CREATE UNIQUE INDEX sla_completion_rules_key ON sla_completion_rules (coalesce(ticket_type, ''), coalesce(category_code, ''));

-- Public holidays and make-up working days (调休), as the State Council publishes them each year.
-- One kind per date: the primary key makes "a holiday and a make-up day on the same date" impossible.
CREATE TABLE calendar_days (
    day   date PRIMARY KEY,
    kind  text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name  text NOT NULL DEFAULT '' CHECK (length(name) <= 50)
);

CREATE FUNCTION sla_settings_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('sla_rules_version_seq');
    RETURN NEW;
END
$$;
CREATE TRIGGER sla_settings_version BEFORE INSERT OR UPDATE ON sla_settings
    FOR EACH ROW EXECUTE FUNCTION sla_settings_stamp();

-- A change to the limits or the calendar stamps a new version on the settings row.
CREATE FUNCTION sla_rules_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sla_settings SET version = version;
    RETURN NULL;
END
$$;
CREATE TRIGGER sla_completion_rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sla_completion_rules
    FOR EACH STATEMENT EXECUTE FUNCTION sla_rules_changed();
CREATE TRIGGER calendar_days_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_days
    FOR EACH STATEMENT EXECUTE FUNCTION sla_rules_changed();

-- Recomputing the open clocks after a change (a worker job, hotline/sla/recompute.py). A later
-- request supersedes the pending ones before it: one pass over the clocks serves them all.
CREATE TABLE sla_recomputes (
    id             bigserial PRIMARY KEY,
    requested_at   timestamptz NOT NULL,
    requested_by   bigint,              -- the user (no reference: the log outlives accounts)
    reason         text NOT NULL,
    started_at     timestamptz,
    finished_at    timestamptz,
    clocks         integer,             -- open clocks recomputed
    changed        integer,             -- of which the due or warning time moved
    superseded_by  bigint REFERENCES sla_recomputes (id)
);
CREATE INDEX sla_recomputes_pending ON sla_recomputes (id) WHERE finished_at IS NULL;
