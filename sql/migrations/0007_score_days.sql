-- Per-unit-per-day score facts of settled days (hotline/score_days.py), so rankings of a month or
-- quarter add up a few thousand stored rows instead of joining every ticket with its deadlines.
-- A day is stored only when none of its tickets has a running or paused deadline: then its facts do
-- not depend on the moment the report is made. Any write to a ticket of a stored day, or to its
-- deadlines or appeals, deletes the day (it is recomputed on the next read).

CREATE TABLE score_days (
    day_start   timestamptz PRIMARY KEY,          -- local midnight of the city, in UTC
    day_end     timestamptz NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE score_day_facts (
    day_start       timestamptz NOT NULL REFERENCES score_days (day_start) ON DELETE CASCADE,
    unit_id         bigint NOT NULL,
    tickets         integer NOT NULL,
    appealed        integer NOT NULL,
    sign_for_ok     integer NOT NULL,
    sign_for_n      integer NOT NULL,
    completion_ok   integer NOT NULL,
    completion_n    integer NOT NULL,
    contact_ok      integer NOT NULL,
    contact_n       integer NOT NULL,
    resolution_ok   integer NOT NULL,
    resolution_n    integer NOT NULL,
    satisfaction_ok integer NOT NULL,
    satisfaction_n  integer NOT NULL,
    return_ok       integer NOT NULL,
    return_n        integer NOT NULL,
    PRIMARY KEY (day_start, unit_id)
);

-- Writers hold a shared advisory lock on the UTC day of each ticket they touch until they commit; a
-- reader stores a day only under the exclusive lock of its UTC days, taken without waiting
-- (pg_try_advisory_xact_lock) before it reads. So a write the reader did not see always comes after
-- the stored day and deletes it. Statement-level, so a bulk load pays once per statement.
CREATE FUNCTION score_days_touch(times timestamptz[]) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock_shared(12345, k)
    FROM (SELECT DISTINCT floor(extract(epoch FROM x) / 86400)::integer AS k FROM unnest(times) x ORDER BY 1) days;
    DELETE FROM score_days d USING unnest(times) x
    WHERE d.day_start <= x AND d.day_start > x - interval '2 days' AND x < d.day_end;
$$;

CREATE FUNCTION score_days_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'tickets' THEN
        PERFORM score_days_touch(array(SELECT DISTINCT created_at FROM changed));
    ELSE
        PERFORM score_days_touch(array(SELECT DISTINCT t.created_at FROM changed c JOIN tickets t ON t.id = c.ticket_id));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tickets_score_days_insert AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION score_days_invalidate();
CREATE TRIGGER tickets_score_days_update AFTER UPDATE ON tickets
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION score_days_invalidate();
CREATE TRIGGER tickets_score_days_delete AFTER DELETE ON tickets
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION score_days_invalidate();
CREATE TRIGGER deadlines_score_days_insert AFTER INSERT ON deadlines
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION score_days_invalidate();
CREATE TRIGGER deadlines_score_days_update AFTER UPDATE ON deadlines
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION score_days_invalidate();
CREATE TRIGGER deadlines_score_days_delete AFTER DELETE ON deadlines
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION score_days_invalidate();
CREATE TRIGGER appeals_score_days_insert AFTER INSERT ON appeals
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION score_days_invalidate();
CREATE TRIGGER appeals_score_days_update AFTER UPDATE ON appeals
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION score_days_invalidate();
CREATE TRIGGER appeals_score_days_delete AFTER DELETE ON appeals
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION score_days_invalidate();
