-- Words within dates (issue 15 point 3): the text index also holds each ticket's dates, so a search by words
-- between two dates reads from the index only the matches of those days. The GIN index on the words alone
-- (tickets_search) gave every match in all of history, and each was fetched from the table to check its date:
-- two words of a demo text matched 58,000 tickets at 10M, so every window of the newest-first search
-- (hotline/tickets/search.py `_newest_words`) and every search with a date range read tens of thousands of rows
-- to keep a few hundred (p99 1.6 s in a district's scope, docs/benchmarks.md).
--
-- A ticket holds its day, its 7-day week and its 28-day span, and a range asks for the fewest of them that cover
-- it: GIN checks every candidate of the words against each alternative of the range, so with a lexeme per day
-- (measured first) a window of 225 days took 0.6-1.2 s on 1,000,000 tickets and one of 400 days 1.8-3.1 s; with
-- the spans 8-112 ms and 62-213 ms (docs/benchmarks.md).
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
-- the words-only index had no other reader: the narrow scopes check their own tickets, the newest rows are
-- read in date order
DROP INDEX tickets_search;
-- the planner's estimate of words and dates comes from the new expression's statistics
ANALYZE tickets;
