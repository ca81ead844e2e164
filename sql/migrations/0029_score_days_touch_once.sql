-- Score days (migration 0007): a transaction touches each ticket time once. Taking a call fires the touch four
-- times for the same creation time (the ticket's insert, its routing, its clocks started and ended), and each
-- took the day's lock, set lock_timeout twice and deleted the stored days around it: 13-23 % of the statements'
-- time per ticket on an empty database (docs/benchmarks.md, "a thirteenth VM").
--
-- After the first touch of a time, this transaction holds the shared lock of its UTC day until it ends, so no
-- reader can store a local day around that time meanwhile (storing takes the exclusive locks of the day's UTC
-- days), and the first touch deleted the one stored before. A later touch of the same time in the same
-- transaction has nothing left to do. The times touched are kept in a transaction-local setting, which a
-- rolled-back savepoint undoes together with the locks and deletes taken under it. It stays short: a
-- statement of more than 8 times (an import) and a transaction that has touched many are not remembered
-- and pay the whole touch, as before.
CREATE OR REPLACE FUNCTION score_days_touch(times timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    saved text := current_setting('lock_timeout');
    touched text := coalesce(nullif(current_setting('hotline.score_days_touched', true), ''), ',');
    fresh timestamptz[] := array(
        SELECT DISTINCT x FROM unnest(times) x WHERE strpos(touched, ',' || extract(epoch FROM x)::text || ',') = 0
    );
BEGIN
    IF cardinality(fresh) = 0 THEN
        RETURN;
    END IF;
    PERFORM set_config('lock_timeout', '1s', true);
    PERFORM pg_advisory_xact_lock_shared(12345, k)
    FROM (SELECT DISTINCT floor(extract(epoch FROM x) / 86400)::integer AS k FROM unnest(fresh) x ORDER BY 1) days;
    PERFORM set_config('lock_timeout', saved, true);
    DELETE FROM score_days d USING unnest(fresh) x
    WHERE d.day_start <= x AND d.day_start > x - interval '2 days' AND x < d.day_end;
    IF cardinality(fresh) <= 8 AND length(touched) < 1000 THEN
        PERFORM set_config(
            'hotline.score_days_touched',
            touched || array_to_string(array(SELECT extract(epoch FROM x)::text FROM unnest(fresh) x), ',') || ',',
            true
        );
    END IF;
END $$;
