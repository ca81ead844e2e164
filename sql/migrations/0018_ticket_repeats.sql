-- 重复诉求 as a fact of the ticket: how many tickets of the same caller, or of the same category at the same
-- community, fell within the supervision window before it (itself included). Intake stores it (it never changes
-- afterwards), so the board's repeat list reads a column instead of a per-row count over the whole open set, and
-- every board event can carry it (docs/realtime.md, "Boards updated in place"). Open tickets get theirs here, over
-- the default 30-day window; closed ones are on no board list and keep NULL.
ALTER TABLE tickets ADD COLUMN repeats integer;

UPDATE tickets t SET repeats = (
    SELECT count(*) FROM tickets o
    WHERE o.created_at > t.created_at - interval '30 days' AND o.created_at <= t.created_at
      AND (o.caller_phone = t.caller_phone
           OR (o.category_code = t.category_code AND o.place ->> 'community_id' = t.place ->> 'community_id'))
)
WHERE t.state IN ('new', 'pending_dispatch', 'assigned', 'signed', 'suspended', 'returned', 'completed', 'reviewed');

CREATE INDEX tickets_open_repeats ON tickets (repeats DESC, id DESC)
    WHERE repeats > 1 AND state IN ('new', 'pending_dispatch', 'assigned', 'signed', 'suspended', 'returned',
                                    'completed', 'reviewed');
