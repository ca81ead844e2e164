-- A board whose scope holds few open tickets (a street's, a community's) reads its countdown, overdue and repeat
-- lists from those tickets and their running clocks (board_*_held). Each read every such ticket and clock from the
-- tables, a page apiece: on 200,000 tickets a street's countdown read 2,334 pages (56 ms) the first time, as on the
-- first board of each street to connect. With the columns the lists filter and sort by in the indexes, the
-- lists read the indexes alone and the tables only for the lines they show: 314 pages, 8 ms.
CREATE INDEX tickets_open_held ON tickets (holder_unit_id) INCLUDE (id, repeats, created_at)
    WHERE state NOT IN ('closed', 'closed_on_spot', 'merged');

-- The same unique index as before (one open clock per ticket and track), carrying what the lists read.
DROP INDEX deadlines_one_open_per_track;
CREATE UNIQUE INDEX deadlines_one_open_per_track ON deadlines (ticket_id, track) INCLUDE (status, due_at, id)
    WHERE status IN ('running', 'paused') AND track <> 'order';
