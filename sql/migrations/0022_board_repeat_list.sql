-- The board's repeat list (重复诉求, board_supervised_repeat) in its own order: the open tickets that repeat, by
-- repeats and id, so the city's and a district's boards read a few rows instead of every repeat of the window
-- (tickets_repeats_recent, whose only reader the list was). A small scope reads its own open tickets instead
-- (board_supervised_repeat_held, through tickets_holder_state).
CREATE INDEX tickets_open_repeats ON tickets (repeats DESC, id DESC)
    WHERE repeats >= 2 AND state NOT IN ('closed', 'closed_on_spot', 'merged');
DROP INDEX tickets_repeats_recent;
