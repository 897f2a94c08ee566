-- The latest run of each step in %(step_ids)s; a step with no run has NULLs.
SELECT s.step_id, r.status, r.started_at, r.finished_at, r.duration_s, r.rows_loaded, r.rows_rejected,
    r.rows_exported, r.error
FROM unnest(%(step_ids)s::text[]) AS s (step_id)
LEFT JOIN LATERAL (
    SELECT l.*
    FROM {analytics}.run_log AS l
    WHERE l.step_id = s.step_id
    ORDER BY l.finished_at DESC, l.run_id DESC
    LIMIT 1
) AS r ON true
