-- The board's counts (board_counts: tickets by holder and state) kept as rows as tickets arrive and move, instead
-- of counted over the scope's open set on every snapshot: on the 10,000,000-ticket database that count was 294 ms
-- of the city's 320 ms snapshot and 104 ms of a district's 130 ms (docs/benchmarks.md).
--
-- A change appends rows to open_count_changes (+n where tickets are now, -n where they were), so intake never
-- waits on a shared counter: the centre's 'new' count would otherwise be one row that every call updates. The
-- worker folds the changes into open_counts, one row per holder and state, every few seconds (fold_open_counts).
-- A reader sums both tables in its own snapshot; a change is in the same transaction as the ticket's, so a
-- board's counts agree with its lists. Every state is counted (closed ones too: a row per holder), so the table
-- does not depend on which states a board calls open.
CREATE TABLE open_counts (
    holder_unit_id bigint,  -- NULL: not yet dispatched (the centre's new tickets)
    state          text NOT NULL,
    n              bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (holder_unit_id, state)
);

-- emptied by every fold: vacuumed often, so its dead rows never outgrow the few live ones
CREATE TABLE open_count_changes (
    holder_unit_id bigint,
    state          text NOT NULL,
    n              bigint NOT NULL
) WITH (autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_scale_factor = 0,
        autovacuum_vacuum_insert_threshold = 5000, autovacuum_vacuum_insert_scale_factor = 0);

INSERT INTO open_counts (holder_unit_id, state, n)
SELECT holder_unit_id, state, count(*) FROM tickets GROUP BY holder_unit_id, state;

-- new tickets and removed ones, set-based (intake one at a time; COPY of history and imports in batches): both
-- triggers name their transition table `changed`
CREATE FUNCTION open_counts_added_or_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO open_count_changes (holder_unit_id, state, n)
    SELECT holder_unit_id, state, CASE TG_OP WHEN 'INSERT' THEN count(*) ELSE -count(*) END
    FROM changed GROUP BY holder_unit_id, state;
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_open_counts_insert AFTER INSERT ON tickets
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION open_counts_added_or_removed();
CREATE TRIGGER tickets_open_counts_delete AFTER DELETE ON tickets
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION open_counts_added_or_removed();

-- a ticket that moves (another state or holder) leaves one count for another; on every UPDATE, not only those
-- naming the columns, so a change made by another trigger is counted too
CREATE FUNCTION open_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO open_count_changes (holder_unit_id, state, n)
    VALUES (OLD.holder_unit_id, OLD.state, -1), (NEW.holder_unit_id, NEW.state, 1);
    RETURN NULL;
END $$;
CREATE TRIGGER tickets_open_counts_update AFTER UPDATE ON tickets
    FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.holder_unit_id IS DISTINCT FROM NEW.holder_unit_id)
    EXECUTE FUNCTION open_counts_moved();
