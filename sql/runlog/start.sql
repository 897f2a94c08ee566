-- A step starts: record it as 'running', with the warehouse session of its process (gone when the process dies).
INSERT INTO {analytics}.run_log (step_id, task_family, ingestion_date, status, started_at, backend_pid, backend_start)
SELECT %(step_id)s, %(task_family)s, %(ingestion_date)s, 'running', %(started_at)s, a.pid, a.backend_start
FROM pg_stat_activity AS a
WHERE a.pid = pg_backend_pid()
RETURNING run_id
