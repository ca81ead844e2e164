-- Hostile clients (issue 12 points 6-7, docs/security.md): sign-ins recorded, Open311 client keys.

-- Every sign-in attempt, successful or not (网络安全法: network logs kept at least six months; the retention
-- job removes rows older than [retention] login_months). user_id is set when the username exists.
CREATE TABLE login_events (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL,
    username  text NOT NULL,
    user_id   bigint REFERENCES users (id),
    address   text NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('session', 'api')),
    outcome   text NOT NULL CHECK (outcome IN ('ok', 'bad_credentials', 'inactive', 'limited'))
);
CREATE INDEX login_events_at ON login_events (at DESC, id DESC);
CREATE INDEX login_events_user_at ON login_events (username, at DESC, id DESC);

-- Open311 API client keys: named by the admin who creates them, shown once (only the SHA-256 is stored),
-- good for /open311/v2 only, revoked by setting revoked_at. Requests posted with a key are recorded as taken
-- by `acts_as`, a hotline-centre operator the admin chose (intake needs a person to answer for the ticket).
CREATE TABLE open311_clients (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    key_hash    bytea NOT NULL UNIQUE,
    key_hint    text NOT NULL,
    acts_as     bigint NOT NULL REFERENCES users (id),
    created_by  bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    last_used_at timestamptz
);
