-- Whether a clock's warning and overdue alerts have been raised, kept on the clock, so the SLA sweep (every
-- 5 s, hotline/sla/timers.py) reads only the passed moments still without their alert. It read every running
-- clock whose moment had passed, already alerted or not, and checked each against every alert ever raised:
-- on a 1,000,000-ticket database a hash of the whole sla_alerts table (188,000 rows) every 5 s, 137 ms a run,
-- growing with the history. A flag is set in the statement that raises the alert (raise_alerts), so a set
-- flag means the alert exists; an alert without its flag (written by hand) is still found by the sweep's check
-- against sla_alerts, as before.
ALTER TABLE deadlines
    ADD COLUMN warning_raised boolean NOT NULL DEFAULT false,
    ADD COLUMN overdue_raised boolean NOT NULL DEFAULT false;

-- the open clocks' alerts so far (a closed clock's alerts no longer matter unless it runs again)
UPDATE deadlines d
SET warning_raised = EXISTS (SELECT 1 FROM sla_alerts a WHERE a.deadline_id = d.id AND a.kind = 'warning'),
    overdue_raised = EXISTS (SELECT 1 FROM sla_alerts a WHERE a.deadline_id = d.id AND a.kind = 'overdue')
WHERE d.status IN ('running', 'paused') AND EXISTS (SELECT 1 FROM sla_alerts a WHERE a.deadline_id = d.id);

CREATE INDEX deadlines_warning_pending ON deadlines (warn_at) WHERE status = 'running' AND NOT warning_raised;
CREATE INDEX deadlines_overdue_pending ON deadlines (due_at) WHERE status = 'running' AND NOT overdue_raised;
