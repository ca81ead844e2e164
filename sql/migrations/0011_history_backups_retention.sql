-- Adoption (issue 14): historical tickets imported from the old system, backups, and the retention of
-- callers' personal data (个人信息保护法). See docs/operations.md.

-- An import of historical tickets, from the command line or the admin page (then the uploaded file is kept
-- in import_files until the job has run, so a worker on any host can read it).
CREATE TABLE import_jobs (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('tickets')),
    source         text NOT NULL CHECK (source IN ('cli', 'page')),
    file_name      text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    file_size      bigint NOT NULL DEFAULT 0,
    mapping_name   text CHECK (length(mapping_name) BETWEEN 1 AND 255),
    status         text NOT NULL CHECK (status IN ('uploading', 'queued', 'checking', 'importing', 'done', 'failed')),
    rows_total     integer,                         -- known once the file is checked
    rows_checked   integer NOT NULL DEFAULT 0,
    rows_done      integer NOT NULL DEFAULT 0,      -- rows whose batch has committed (written or already there)
    rows_written   integer NOT NULL DEFAULT 0,      -- tickets this job created
    rows_existing  integer NOT NULL DEFAULT 0,      -- tickets an earlier run had created: skipped
    error_count    integer NOT NULL DEFAULT 0,
    errors         jsonb NOT NULL DEFAULT '[]',     -- the first row-numbered messages, in Chinese
    created_by     bigint REFERENCES users (id),
    created_at     timestamptz NOT NULL,
    started_at     timestamptz,
    finished_at    timestamptz,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX import_jobs_created ON import_jobs (created_at DESC);

CREATE TABLE import_files (
    job_id  bigint NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    part    text NOT NULL CHECK (part IN ('data', 'mapping')),
    seq     integer NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (job_id, part, seq)
);

-- Which import created a ticket: a second run of the same file finds its tickets and skips them, and a
-- number already used by a ticket taken here is refused rather than silently skipped.
ALTER TABLE tickets ADD COLUMN import_job_id bigint REFERENCES import_jobs (id);

-- A batch is copied here, then moved into tickets and deadlines with set-based SQL in the same
-- transaction (only one ticket import runs at a time: an advisory lock). Unlogged: nothing here
-- outlives its batch.
CREATE UNLOGGED TABLE ticket_import_staging (
    row_number         integer NOT NULL,
    number             text NOT NULL,
    type               text NOT NULL,
    channel            text NOT NULL,
    caller_phone       text,
    caller_name        text,
    address            text NOT NULL,
    content            text NOT NULL,
    category_code      text,
    is_complex         boolean NOT NULL,
    confidential       boolean NOT NULL,
    place              text NOT NULL,                   -- JSON, cast when moved (COPY writes text)
    state              text NOT NULL,
    holder_unit_id     bigint,
    lead_unit_id       bigint,
    created_at         timestamptz NOT NULL,
    assigned_at        timestamptz,
    signed_at          timestamptz,
    first_contact_at   timestamptz,
    completed_at       timestamptz,
    closed_at          timestamptz,
    satisfaction       text,
    resolved           boolean,
    return_count       integer NOT NULL,
    reopen_count       integer NOT NULL
);

CREATE UNLOGGED TABLE deadline_import_staging (
    number            text NOT NULL,
    unit_id           bigint NOT NULL,
    track             text NOT NULL,
    rule_name         text NOT NULL,
    duration_seconds  double precision NOT NULL,
    counts            text NOT NULL,
    warn_fraction     double precision NOT NULL,
    start_at          timestamptz NOT NULL,
    due_at            timestamptz NOT NULL,
    warn_at           timestamptz NOT NULL,
    status            text NOT NULL,
    ended_at          timestamptz
);

-- A ticket starts in state `new`, except history: an import writes tickets in the state the old system
-- left them in, and says so for its own transaction only (SET LOCAL hotline.import = 'history').
CREATE OR REPLACE FUNCTION tickets_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'new' AND coalesce(current_setting('hotline.import', true), '') <> 'history' THEN
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

-- Retention: once a ticket's caller data is removed, a keyed hash of the number stands in for it, so
-- the report still counts the same caller's repeat tickets (重复诉求) of that old month, while the
-- number itself is gone (sha256 of the deployment's key and the number; see hotline/ops/retention.py).
ALTER TABLE tickets ADD COLUMN caller_ref bytea;
-- what the retention job looks for each night: closed tickets that still carry a caller's data
CREATE INDEX tickets_callers_to_retire ON tickets (closed_at)
    WHERE closed_at IS NOT NULL AND (caller_phone IS NOT NULL OR caller_name IS NOT NULL);

-- The privacy log stays append-only (0008), except for the retention job: rows past [retention]
-- pii_reads_months are deleted by it, in a transaction that says so (SET LOCAL hotline.retention = 'purge')
-- and whose run is recorded in retention_runs. Nothing is ever updated.
CREATE OR REPLACE FUNCTION pii_reads_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('hotline.retention', true), '') = 'purge' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'pii_reads is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Each run of the retention job (or its dry run): what it removed or would remove, and the periods.
CREATE TABLE retention_runs (
    id           bigserial PRIMARY KEY,
    dry_run      boolean NOT NULL,
    as_of        timestamptz NOT NULL,      -- the moment the periods are counted back from
    periods      jsonb NOT NULL,
    counts       jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    error        text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    requested_by bigint REFERENCES users (id)  -- NULL: the cron job or the command line
);
CREATE INDEX retention_runs_started ON retention_runs (started_at DESC);

-- Each backup (`hotline backup`, the scheduled job): where it went and whether it worked. The row of a
-- running backup is in its own dump as 'running'.
CREATE TABLE backup_runs (
    id           bigserial PRIMARY KEY,
    trigger      text NOT NULL CHECK (trigger IN ('cli', 'schedule', 'page')),
    host         text NOT NULL,
    path         text NOT NULL,
    status       text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    size_bytes   bigint,
    sha256       text,
    error        text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz
);
CREATE INDEX backup_runs_started ON backup_runs (started_at DESC);
