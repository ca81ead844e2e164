-- 重复诉求 counted once, when a ticket comes in (issue 15): how many tickets, itself included, came from
-- the same caller, or about the same category at the same community, within the repeat window before
-- it. The board's repeat list then reads the column through a small partial index instead of counting
-- each open ticket's neighbours on every snapshot, which grew with the open set (a LATERAL per row).
-- Like a ticket's clocks, the figure keeps the window in force when it came in ([supervision]
-- repeat_days); a later re-categorisation does not recount it.
ALTER TABLE tickets ADD COLUMN repeats integer;

-- the place half of the count: one community's tickets of one category, by time
CREATE INDEX tickets_category_community ON tickets (category_code, (place ->> 'community_id'), created_at)
    WHERE place ? 'community_id';

-- the board's list: recent repeats only (a ticket alone is never one)
CREATE INDEX tickets_repeats_recent ON tickets (created_at) WHERE repeats >= 2;

-- Tickets already here are counted with the default window, 30 days. Only unfinished ones can appear on a
-- board, and they are few beside the closed history.
UPDATE tickets t SET repeats = greatest(
    (SELECT count(*) FROM tickets o
     WHERE o.caller_phone = t.caller_phone
       AND o.created_at > t.created_at - interval '30 days' AND o.created_at <= t.created_at),
    (SELECT count(*) FROM tickets o
     WHERE o.category_code = t.category_code AND o.place ? 'community_id'
       AND o.place ->> 'community_id' = t.place ->> 'community_id'
       AND o.created_at > t.created_at - interval '30 days' AND o.created_at <= t.created_at))
WHERE t.state NOT IN ('closed', 'closed_on_spot', 'merged');
