-- Words within dates, at a few lexemes a range (issue 15 point 3): migration 0024 gave each ticket its day, and a
-- range asked for each of its days. GIN then checks every candidate of the words against that many alternatives:
-- on 1,000,000 tickets a window of 81 days took about 100 ms, one of 225 days 0.6-1.2 s, one of 400 days 1.8-3.1 s
-- (the megacity run's slowest searches). Now a ticket also holds its 7-day week and its 28-day span, and a range
-- asks for the fewest of them that cover it exactly: 225 days are about twenty lexemes, not 225. The same windows
-- then took 8-30 ms, 8-112 ms and 62-213 ms (docs/benchmarks.md).
--
-- Lexemes: 'd' || days since 1970-01-01 (UTC), 'w' || that / 7, 'f' || that / 28. Content tokens never hold
-- digits (numbers are masked before cutting, migration 0013), so no word can be taken for a date.

-- the ticket's words and its day, week and 28 days: the indexed expression, written the same way in every query
CREATE FUNCTION ticket_search_dates(search tsvector, created_at timestamptz) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN search || array_to_tsvector(ARRAY[
    'd' || floor(date_part('epoch', created_at AT TIME ZONE 'UTC') / 86400)::int::text,
    'w' || (floor(date_part('epoch', created_at AT TIME ZONE 'UTC') / 86400)::int / 7)::text,
    'f' || (floor(date_part('epoch', created_at AT TIME ZONE 'UTC') / 86400)::int / 28)::text]);

-- any of the days from `since` to `until`, both included: from the first day on, the longest span that starts
-- there and ends by the last day, 28 days, 7 or one (each aligned on its own length, so the greedy choice is the
-- fewest)
CREATE FUNCTION search_dates_query(since timestamptz, until timestamptz) RETURNS tsquery
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    day int := floor(date_part('epoch', since AT TIME ZONE 'UTC') / 86400);
    last int := floor(date_part('epoch', until AT TIME ZONE 'UTC') / 86400);
    lexemes text[] := '{}';
BEGIN
    WHILE day <= last LOOP
        IF day % 28 = 0 AND day + 27 <= last THEN
            lexemes := lexemes || ('f' || day / 28);
            day := day + 28;
        ELSIF day % 7 = 0 AND day + 6 <= last THEN
            lexemes := lexemes || ('w' || day / 7);
            day := day + 7;
        ELSE
            lexemes := lexemes || ('d' || day);
            day := day + 1;
        END IF;
    END LOOP;
    RETURN array_to_string(lexemes, ' | ')::tsquery;
END
$$;

SET LOCAL maintenance_work_mem = '1GB';
CREATE INDEX tickets_search_dates ON tickets USING gin (ticket_search_dates(search, created_at));
DROP INDEX tickets_search_days;
DROP FUNCTION search_days_query(timestamptz, timestamptz);
DROP FUNCTION ticket_search_days(tsvector, timestamptz);
-- the planner's estimate of words and dates comes from the new expression's statistics
ANALYZE tickets;
