-- The learning loop (issue 16): model versions and the decisions about them, what the model guessed
-- for each ticket, the category labels people gave, and the return penalty's new attribution.

-- Every model the city has had or was offered: its training data, its scores on the held-back slice
-- of the newest settled tickets (and the scores of the model it challenged on the same slice), and
-- the promotion decision. Which one the processes load is the `current` symlink beside the versions
-- directory (classifier/versions.py); model_switches records each change of it.
CREATE TABLE model_versions (
    version               text PRIMARY KEY,
    trained_at            timestamptz NOT NULL,
    origin                text NOT NULL CHECK (origin IN ('adopted', 'cron', 'manual')),
    status                text NOT NULL CHECK (status IN ('adopted', 'promoted', 'refused')),
    reason                text NOT NULL DEFAULT '',
    training_data_sha256  text NOT NULL,
    n_train               integer NOT NULL,
    n_tickets             integer NOT NULL DEFAULT 0,   -- settled tickets among the training rows
    -- the time split: the newest settled ticket the model learnt from (created_at, id); NULL for a model
    -- that learnt from no ticket. The held-back slice of a later run starts after it.
    trained_until         timestamptz,
    trained_until_id      bigint,
    baseline_version      text REFERENCES model_versions (version),
    holdout               jsonb,                        -- {n, first_at, last_at, sha256}
    metrics               jsonb NOT NULL DEFAULT '{}',  -- on the holdout: accuracy, macro_f1, per_class, confusion
    baseline_metrics      jsonb,                        -- the baseline on the same holdout
    metadata              jsonb NOT NULL DEFAULT '{}',  -- the artefact's metadata.json
    decided_at            timestamptz NOT NULL
);
CREATE INDEX model_versions_trained ON model_versions (trained_at DESC);

CREATE TABLE model_switches (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL,
    from_version  text REFERENCES model_versions (version),
    to_version    text NOT NULL REFERENCES model_versions (version),
    action        text NOT NULL CHECK (action IN ('promote', 'rollback')),
    actor_id      bigint REFERENCES users (id),          -- NULL: the retrain job
    reason        text NOT NULL DEFAULT ''
);

-- One row per retrain run, whatever came of it (a skipped or failed run leaves no model version).
CREATE TABLE retrain_runs (
    id           bigserial PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    origin       text NOT NULL CHECK (origin IN ('cron', 'manual')),
    outcome      text NOT NULL CHECK (outcome IN ('promoted', 'refused', 'skipped', 'failed')),
    version      text REFERENCES model_versions (version),
    reason       text NOT NULL DEFAULT ''
);
CREATE INDEX retrain_runs_started ON retrain_runs (started_at DESC);

-- What the model said when the ticket came in: the dispatcher queue shows the top-3 and puts the
-- tickets it was least sure of (smallest margin between the first two) first.
CREATE TABLE ticket_predictions (
    ticket_id      bigint PRIMARY KEY REFERENCES tickets (id),
    model_version  text NOT NULL,
    category_code  text REFERENCES categories (code),
    top            jsonb NOT NULL,                   -- [{code, name, confidence}], best first
    margin         real NOT NULL CHECK (margin >= 0 AND margin <= 1)
);

-- A person's category for a ticket at the dispatch gate: a correction (from <> to) or a confirmation
-- of the category shown (from = to). The training export reads the settled category and names who gave it.
CREATE TABLE category_labels (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    at           timestamptz NOT NULL,
    user_id      bigint NOT NULL REFERENCES users (id),
    unit_id      bigint REFERENCES units (id),
    from_code    text REFERENCES categories (code),
    from_source  text CHECK (from_source IN ('classifier', 'operator', 'dispatcher')),
    to_code      text NOT NULL REFERENCES categories (code)
);
CREATE INDEX category_labels_ticket ON category_labels (ticket_id, at);
CREATE INDEX category_labels_at ON category_labels (at DESC);

-- The return component of the unit scores now falls on the unit that returned wrongly or the level that
-- misrouted (docs/report.md): stored days were computed the old way.
DELETE FROM score_days;
