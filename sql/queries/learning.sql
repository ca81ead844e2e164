-- The learning loop (hotline/learning/): settled labels for training, model versions and switches,
-- retrain runs, the model's guesses per ticket and the labels people gave. See docs/classifier.md.

-- fragment: settled_ticket
-- A ticket whose category is settled: a person chose it (the operator at intake, a dispatcher correcting or
-- confirming it at the dispatch gate), or the classifier's choice carried it to a close with no return or
-- re-route. The model's own unconfirmed guesses are never fed back as labels.
(t.category_source IN ('operator', 'dispatcher')
     OR (t.state IN ('closed', 'closed_on_spot') AND t.return_count = 0 AND t.reroute_count = 0)
     OR EXISTS (SELECT 1 FROM category_labels l WHERE l.ticket_id = t.id AND l.to_code = t.category_code))
 AND t.state <> 'merged'

-- name: settled_for_training
-- The newest $1 settled tickets, oldest first (the retrain job holds back the newest of them).
SELECT * FROM (
    SELECT t.id, t.created_at, t.content, c.name AS label
    FROM tickets t JOIN categories c ON c.code = t.category_code
    WHERE {{settled_ticket}}
    ORDER BY t.created_at DESC, t.id DESC
    LIMIT $1
) newest
ORDER BY created_at, id;

-- name: retrain_try_lock
-- One retrain at a time, whoever starts it (the cron job, the command line): held by the run's transaction.
SELECT pg_try_advisory_xact_lock(16, 1);

-- name: model_switch_lock
-- Promotions and rollbacks one at a time (held until the switching transaction ends).
SELECT pg_advisory_xact_lock(16, 2);

-- name: model_version
SELECT version, trained_at, origin, status, reason, training_data_sha256, n_train, n_tickets, trained_until,
       trained_until_id, baseline_version, holdout, metrics, baseline_metrics, metadata, decided_at
FROM model_versions WHERE version = $1;

-- name: model_versions_list
SELECT version, trained_at, origin, status, reason, training_data_sha256, n_train, n_tickets, trained_until,
       baseline_version, holdout, metrics ->> 'macro_f1' AS macro_f1, metrics ->> 'accuracy' AS accuracy,
       baseline_metrics ->> 'macro_f1' AS baseline_macro_f1, metadata -> 'metrics' -> 'cv' AS cv, decided_at
FROM model_versions ORDER BY trained_at DESC, version DESC LIMIT $1;

-- name: insert_model_version
INSERT INTO model_versions (version, trained_at, origin, status, reason, training_data_sha256, n_train, n_tickets,
                            trained_until, trained_until_id, baseline_version, holdout, metrics, baseline_metrics,
                            metadata, decided_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
ON CONFLICT (version) DO NOTHING;

-- name: insert_model_switch
INSERT INTO model_switches (at, from_version, to_version, action, actor_id, reason) VALUES ($1, $2, $3, $4, $5, $6);

-- name: model_switches_recent
SELECT s.id, s.at, s.from_version, s.to_version, s.action, s.reason, u.display_name AS actor_name
FROM model_switches s LEFT JOIN users u ON u.id = s.actor_id
ORDER BY s.id DESC LIMIT $1;

-- name: previous_model_version
-- The version in use before the latest switch to $1 (what a rollback goes back to).
SELECT from_version FROM model_switches WHERE to_version = $1 AND from_version IS NOT NULL ORDER BY id DESC LIMIT 1;

-- name: insert_retrain_run
INSERT INTO retrain_runs (started_at, finished_at, origin, outcome, version, reason)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id;

-- name: retrain_runs_recent
SELECT id, started_at, finished_at, origin, outcome, version, reason FROM retrain_runs
ORDER BY started_at DESC, id DESC LIMIT $1;

-- name: insert_category_label
INSERT INTO category_labels (ticket_id, at, user_id, unit_id, from_code, from_source, to_code)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: recent_category_labels
SELECT l.id, l.at, l.from_code, l.from_source, l.to_code, t.id AS ticket_id, t.number, u.display_name AS user_name,
       n.name AS unit_name, p.model_version
FROM category_labels l
JOIN tickets t ON t.id = l.ticket_id
JOIN users u ON u.id = l.user_id
LEFT JOIN units n ON n.id = l.unit_id
LEFT JOIN ticket_predictions p ON p.ticket_id = l.ticket_id
ORDER BY l.at DESC, l.id DESC LIMIT $1;
