-- The latest run of each step in %(step_ids)s; a step with no run has NULLs. A run still 'running' whose
-- process's warehouse session is gone was interrupted (killed, machine stopped): its status reads 'interrupted'.
SELECT s.step_id,
    CASE
        WHEN r.status = 'running' AND NOT EXISTS (
            SELECT 1 FROM pg_stat_activity AS a WHERE a.pid = r.backend_pid AND a.backend_start = r.backend_start
        ) THEN 'interrupted'
        ELSE r.status
    END AS status,
    r.started_at, r.finished_at, r.duration_s, r.rows_loaded, r.rows_rejected, r.rows_exported, r.error
FROM unnest(%(step_ids)s::text[]) AS s (step_id)
LEFT JOIN LATERAL (
    SELECT l.*
    FROM {analytics}.run_log AS l
    WHERE l.step_id = s.step_id
    ORDER BY l.run_id DESC
    LIMIT 1
) AS r ON true
