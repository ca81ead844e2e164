-- The supervisor's live board (hotline/board_snapshot.py): what a snapshot holds for one unit
-- subtree. Every query takes $1, the units whose tickets the user may see (NULL: all).
--
-- board_ticket_fields: a ticket as a board line (t is the ticket). Its summary is masked and cut to length in
-- hotline/tickets/records.py summary(): a number must not be cut in half before it can be masked.
-- board_held_open: the scope's ($1) open tickets (t), as tickets_open_held's predicate has them (migration 0027).

-- fragment: board_ticket_fields
t.id, t.number, t.state, t.holder_unit_id, t.category_code, left(t.content, 120) AS summary, t.created_at

-- fragment: board_held_open
t.holder_unit_id = ANY($1) AND t.state NOT IN ('closed', 'closed_on_spot', 'merged')

-- name: board_xid_snapshot
-- The transactions the snapshot's reads see (xmin:xmax:xip,...): an event whose transaction is among them is
-- already in the snapshot (board_state.js `inSnapshot`).
SELECT pg_current_snapshot()::text;

-- name: board_counts
-- The tickets in the states $2 by holder and state: the board's counts by state and by unit are sums of these
-- rows (hotline/board_snapshot.py). Read from the kept counts, folded and not yet folded (migration 0023), not
-- counted over the scope's open set (at 10M tickets that took 104 ms for a district, 294 ms for the city).
SELECT holder_unit_id, state, sum(n)::bigint AS n
FROM (SELECT holder_unit_id, state, n FROM open_counts
      UNION ALL SELECT holder_unit_id, state, n FROM open_count_changes) c
WHERE state = ANY($2::text[]) AND ($1::bigint[] IS NULL OR holder_unit_id = ANY($1))
GROUP BY holder_unit_id, state HAVING sum(n) <> 0;

-- name: fold_open_counts
-- The changes appended since the last fold, added to the kept counts (migration 0023) in one transaction. Safe
-- beside intake and beside another fold: a change committed meanwhile is not deleted here and waits for the next.
WITH moved AS (
    DELETE FROM open_count_changes RETURNING holder_unit_id, state, n
), summed AS (
    SELECT holder_unit_id, state, sum(n) AS n FROM moved GROUP BY holder_unit_id, state
)
INSERT INTO open_counts AS kept (holder_unit_id, state, n)
SELECT holder_unit_id, state, n FROM summed WHERE n <> 0
ON CONFLICT (holder_unit_id, state) DO UPDATE SET n = kept.n + excluded.n;

-- name: board_countdown
-- The $2 running clocks closest to their due time (the id breaks ties, as on the page).
SELECT {{board_ticket_fields}}, d.id AS deadline_id, d.track, d.rule_name, d.due_at, d.warn_at FROM deadlines d
JOIN tickets t ON t.id = d.ticket_id
WHERE d.status = 'running' AND d.track IN ('reply', 'accept', 'complete') AND ($1::bigint[] IS NULL OR t.holder_unit_id = ANY($1))
ORDER BY d.due_at, d.id LIMIT $2;

-- name: board_countdown_held
-- board_countdown for a scope ($1, not NULL) that holds few open tickets (hotline/board_snapshot.py decides from the
-- counts by holder): from its open tickets to their running clocks, instead of walking the whole city's running
-- clocks in due order until $2 are the scope's (at 1M tickets 32,000 buffers for a street's board). The same rows:
-- only an open ticket has a running reply, accept or completion clock (submitting the completion meets them and a
-- merge cancels them: hotline/tickets/flow.py; a ticket closed on the spot never had one). The tickets and their
-- clocks are read from tickets_open_held and deadlines_one_open_per_track (migration 0027), and the tables for
-- the $2 lines shown. Each ticket's clocks are looked up: joined to the city's open clocks, PostgreSQL hashed all of
-- them (71,205 on 10M tickets, 20-35 ms for a street) rather than look up a street's 1,902 tickets (7 ms). The
-- tracks are named by those they are not (the others of migration 0014's CHECK): asked for `track IN ('reply',
-- 'accept', 'complete')`, PostgreSQL read each ticket's clocks from deadlines_ticket and the table instead of
-- deadlines_one_open_per_track alone (on 10M tickets a street holding 2,235 open ones: 11.1 ms against 6.2 ms).
WITH held AS MATERIALIZED (
    SELECT t.id FROM tickets t
    WHERE {{board_held_open}}
), first AS (
    SELECT c.id, c.ticket_id FROM held h CROSS JOIN LATERAL (
        SELECT d.id, d.ticket_id, d.due_at FROM deadlines d
        WHERE d.ticket_id = h.id AND d.status = 'running' AND d.track NOT IN ('order', 'callback')
        LIMIT 3  -- one per track at most; the LIMIT also keeps this a lookup per ticket (see below)
    ) c
    ORDER BY c.due_at, c.id LIMIT $2
)
SELECT {{board_ticket_fields}}, d.id AS deadline_id, d.track, d.rule_name, d.due_at, d.warn_at
FROM first f JOIN deadlines d ON d.id = f.id JOIN tickets t ON t.id = f.ticket_id
ORDER BY d.due_at, d.id;

-- name: board_supervised_dissatisfied
-- The ranked lists (重点督办), thresholds from [supervision]; the overdue one is read off the countdown's clocks
-- (hotline/board_snapshot.py overdue_lines). Reopened after dissatisfied callbacks at least $2 times, still open (the
-- states not listed are board_snapshot.OPEN). The first two conditions are tickets_open_reopened_returned's own
-- predicate, implied by the third ($2 is at least 1, as dispatch/supervision.py SupervisionThresholds requires), so
-- that even a generic plan reads the few open tickets ever reopened or returned, not every open ticket. Neither
-- the state nor the scope is a condition an index could take (`+ 0`): PostgreSQL ANDed the index with a bitmap of
-- the open tickets (`state = ANY(open states)`, 140,000 on 10M tickets: 6.8 ms of the city's snapshot instead of
-- 1.1 ms) or of every ticket a street ever held (222,000: 15 ms of its snapshot).
SELECT {{board_ticket_fields}}, t.reopen_count FROM tickets t
WHERE t.reopen_count > 0 AND t.state NOT IN ('closed', 'closed_on_spot', 'merged')
  AND t.reopen_count >= $2 AND ($1::bigint[] IS NULL OR t.holder_unit_id + 0 = ANY($1))
ORDER BY t.reopen_count DESC, t.id DESC LIMIT 20;

-- name: board_supervised_repeat
-- Open tickets created within the window $3 before $2 that were at least the $4-th from the same caller, or of the
-- same category at the same community, when they came in (tickets.repeats, counted at intake). Read in the list's
-- order from tickets_open_repeats (the open tickets that repeat, migration 0022, whose predicate is the first two
-- conditions: $4 is at least 2, as SupervisionThresholds requires; the states not listed are the open ones, as
-- board_snapshot.OPEN) until 20 match: a few rows for the city's or a district's board, where reading every repeat
-- of the window and sorting them read 7,700-17,000 buffers on a 1,000,000-ticket database. The index holds the
-- window's and the scope's columns (migration 0026), so the walk reads the index alone and the table only for the
-- 20 it found. `+ interval '0 s'` and `+ 0` keep the window and the scope out of any index condition: PostgreSQL,
-- which underestimates how many open repeats are recent and in the scope, would otherwise AND bitmaps of them and
-- sort every repeat. A scope holding few open tickets would read far down the list: board_supervised_repeat_held
-- is for those.
WITH first AS (
    SELECT t.id FROM tickets t
    WHERE t.repeats >= 2 AND t.state NOT IN ('closed', 'closed_on_spot', 'merged')
      AND t.repeats >= $4 AND t.created_at + interval '0 s' > $2::timestamptz - $3::interval
      AND ($1::bigint[] IS NULL OR t.holder_unit_id + 0 = ANY($1))
    ORDER BY t.repeats DESC, t.id DESC LIMIT 20
)
SELECT {{board_ticket_fields}}, t.repeats FROM first f JOIN tickets t ON t.id = f.id
ORDER BY t.repeats DESC, t.id DESC;

-- name: board_supervised_repeat_held
-- The same list for a scope ($1, not NULL) that holds few open tickets (hotline/board_snapshot.py decides from
-- the counts by holder): its open tickets first, with the columns the list filters and sorts by (tickets_open_held
-- alone, migration 0027), then the list's conditions and order, and the table only for the 20 lines shown. The
-- fence keeps PostgreSQL from walking the window or the list's order instead.
WITH held AS MATERIALIZED (
    SELECT t.id, t.repeats, t.created_at FROM tickets t
    WHERE {{board_held_open}}
), first AS (
    SELECT h.id FROM held h WHERE h.repeats >= $4 AND h.created_at > $2::timestamptz - $3::interval
    ORDER BY h.repeats DESC, h.id DESC LIMIT 20
)
SELECT {{board_ticket_fields}}, t.repeats FROM first f JOIN tickets t ON t.id = f.id
ORDER BY t.repeats DESC, t.id DESC;

-- name: board_supervised_disputed
-- Returned at least $2 times, still open; read as the list above.
SELECT {{board_ticket_fields}}, t.return_count FROM tickets t
WHERE t.return_count > 0 AND t.state NOT IN ('closed', 'closed_on_spot', 'merged')
  AND t.return_count >= $2 AND ($1::bigint[] IS NULL OR t.holder_unit_id + 0 = ANY($1))
ORDER BY t.return_count DESC, t.id DESC LIMIT 20;

-- name: board_alerts
-- The latest SLA alerts of the units' clocks.
SELECT a.id AS alert_id, a.kind, a.raised_at, a.due_at, t.id, t.number, t.state, t.holder_unit_id,
       d.rule_name
FROM sla_alerts a JOIN tickets t ON t.id = a.ticket_id JOIN deadlines d ON d.id = a.deadline_id
WHERE ($1::bigint[] IS NULL OR a.unit_id = ANY($1)) ORDER BY a.id DESC LIMIT 30;

-- name: board_callbacks_by_hour
-- 回访 over [$2, $3) on the units' tickets, by the hour (UTC) of the attempt: finished callbacks (reached, closed as
-- unreachable, or waived), those reached, and of those the satisfied and basically satisfied; attempts that did
-- not finish one are not counted. A board kept current by events drops an hour once it leaves the window.
SELECT date_trunc('hour', a.at, 'UTC') AS hour,
       count(*) AS finished,
       count(*) FILTER (WHERE a.outcome IN ('satisfied', 'dissatisfied')) AS reached,
       count(*) FILTER (WHERE a.satisfaction IN ('satisfied', 'basically_satisfied')) AS satisfied
FROM callback_attempts a JOIN tickets t ON t.id = a.ticket_id
WHERE a.at >= $2 AND a.at < $3 AND a.outcome <> 'unreachable' AND ($1::bigint[] IS NULL OR t.holder_unit_id = ANY($1))
GROUP BY 1 ORDER BY 1;

-- name: board_callbacks_waiting
-- Tickets waiting for their callback now, and those whose callback clock has run out: its overdue alert was
-- raised and announced (a fraction of a second after the due time, in the transaction that raised it; an alert
-- written without its announcement, by hand or before the board outbox, when the sweep announces it): the moment
-- the boards hear of it, so a board kept current by events and a fresh snapshot agree, and count it once.
SELECT count(*) AS waiting,
       count(*) FILTER (WHERE EXISTS (SELECT FROM sla_alerts a WHERE a.deadline_id = d.id AND a.kind = 'overdue'
                                                                 AND a.published_at IS NOT NULL))
       AS overdue
FROM tickets t LEFT JOIN deadlines d ON d.ticket_id = t.id AND d.track = 'callback' AND d.status = 'running'
WHERE t.state = 'reviewed' AND ($1::bigint[] IS NULL OR t.holder_unit_id = ANY($1));
