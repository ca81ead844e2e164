-- Words within dates (issue 15 point 3): the text index also holds each ticket's day, so a search by words
-- between two dates reads from the index only the matches of those days. The GIN index on the words alone
-- (tickets_search) gave every match in all of history, and each was fetched from the table to check its date:
-- two words of a demo text matched 58,000 tickets at 10M, so every window of the newest-first search
-- (hotline/tickets/search.py `_newest_words`) and every search with a date range read tens of thousands of rows
-- to keep a few hundred (p99 1.6 s in a district's scope, docs/benchmarks.md).
--
-- The day is a lexeme 'd' || days since 1970-01-01 (UTC). Content tokens never hold digits (numbers are masked
-- before cutting, migration 0013), so no word can be taken for a day. A query asks for the days it spans
-- (search_days_query) AND its words; GIN then starts from whichever is rarer, the words or the days.

-- the ticket's words and its day: the indexed expression, written the same way in every query that uses it
CREATE FUNCTION ticket_search_days(search tsvector, created_at timestamptz) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN search || array_to_tsvector(
    ARRAY['d' || floor(date_part('epoch', created_at AT TIME ZONE 'UTC') / 86400)::int::text]);

-- any of the days from `since` to `until`, both included
CREATE FUNCTION search_days_query(since timestamptz, until timestamptz) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT string_agg('d' || day, ' | ')::tsquery FROM generate_series(
    floor(date_part('epoch', since AT TIME ZONE 'UTC') / 86400)::int,
    floor(date_part('epoch', until AT TIME ZONE 'UTC') / 86400)::int) AS day);

SET LOCAL maintenance_work_mem = '1GB';
CREATE INDEX tickets_search_days ON tickets USING gin (ticket_search_days(search, created_at));
-- the words-only index had no other reader: the narrow scopes check their own tickets, the newest rows are
-- read in date order
DROP INDEX tickets_search;
-- the planner's estimate of words and days comes from the new expression's statistics
ANALYZE tickets;
