-- Administration in the pages (issue 14 parts 1, 2, 4): users that can be deactivated and must change a
-- temporary password, units that can be deactivated or merged while tickets keep the names they had,
-- and the audit log of every administrative action and every login.

-- A temporary password (a new user, a reset) must be changed at the next login before anything else.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;

-- A deactivated unit keeps its row (tickets, events and scores point at it) but routes nothing and
-- takes no new users; a merged one names the unit that took over its tickets, users and rules.
ALTER TABLE units ADD COLUMN active boolean NOT NULL DEFAULT true;
ALTER TABLE units ADD COLUMN merged_into bigint REFERENCES units (id);
ALTER TABLE units ADD CHECK (merged_into IS NULL OR NOT active);

-- The names a unit had before a rename, each with the moment it stopped being the name: a ticket's
-- story shows the name a unit had when the event happened (ticket_events keep only the unit id).
CREATE TABLE unit_names (
    unit_id  bigint NOT NULL REFERENCES units (id),
    name     text NOT NULL,
    until    timestamptz NOT NULL,
    PRIMARY KEY (unit_id, until)
);

-- Who did what, when, from where, with the state before and after (NULL: nothing there).
-- Logins are recorded too, failed ones with the username that was tried (actor_id NULL).
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_id    bigint REFERENCES users (id),
    actor_name  text NOT NULL,               -- the username at the time (or the one tried at a failed login)
    action      text NOT NULL,               -- e.g. user.create, unit.merge, sla.rules, login.failure
    target      text NOT NULL DEFAULT '',    -- what it was done to, in words: a username, a unit code, a year
    ip          text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '',
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_action ON audit_log (action, at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_name, at DESC);
CREATE INDEX audit_log_logins ON audit_log (actor_id, at DESC) WHERE action = 'login.success';
